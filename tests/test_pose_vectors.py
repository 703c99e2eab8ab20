"""The shared joint-mapping vectors (Vision → a pose model's keypoints) are what the Python reference gives today."""

import json
import re
from pathlib import Path

import numpy as np
import pytest

from gymnos_edge.common.contract import KEYPOINT_UNITS, POSE_JOINTS, VISION_JOINTS
from gymnos_edge.features.joint_vectors import keypoints_from_vision, write_vectors
from gymnos_edge.features.keypoints import no_pose, pose_features

VECTOR_DIR = Path(__file__).parent / "vectors" / "pose"
FILES = sorted(VECTOR_DIR.glob("*.json"))


def test_regenerating_gives_identical_bytes(tmp_path):
    written = write_vectors(tmp_path)
    assert sorted(p.name for p in written) == [p.name for p in FILES], "stale or missing vector files"
    for path in written:
        assert path.read_bytes() == (VECTOR_DIR / path.name).read_bytes(), (
            f"{path.name} drifted from the reference: run scripts/make_pose_vectors.py"
        )


def test_every_model_joint_has_a_vision_joint():
    assert list(VISION_JOINTS) == list(POSE_JOINTS)
    assert len(set(VISION_JOINTS.values())) == len(POSE_JOINTS)


def test_vision_points_become_upright_model_keypoints():
    vectors = {p.stem: json.loads(p.read_text()) for p in FILES}
    whole = np.asarray(vectors["whole_body"]["keypoints"], np.float32)
    nose, hip, ankle = (POSE_JOINTS.index(n) for n in ("nose", "left_hip", "left_ankle"))
    assert whole[nose, 1] < whole[hip, 1] < whole[ankle, 1]  # y down, as BlazePose and the model have it
    legs = np.asarray(vectors["legs_missing"]["keypoints"], np.float32)
    assert np.all(legs[13:] == 0)
    features = pose_features(np.stack([whole, legs, np.asarray(vectors["nobody"]["keypoints"], np.float32)]))
    assert no_pose(features).tolist() == [False, False, True]  # hips and shoulders seen: still a pose
    assert keypoints_from_vision({"leftHip": (0.5, 0.5, 0.0)}, (720, 1280))[POSE_JOINTS.index("left_hip")].tolist() == [0, 0, 0]


def test_the_app_reads_the_keypoint_units_the_exporter_writes():
    swift = (Path(__file__).parents[1] / "ios_demo/WorkoutCore/Sources/WorkoutCore/PoseModelMetadata.swift").read_text()
    assert re.search(r'static let keypointUnits = "([^"]+)"', swift).group(1) == KEYPOINT_UNITS


def test_vision_points_become_frame_heights_so_the_phone_held_either_way_gives_one_shape():
    vectors = {p.stem: json.loads(p.read_text()) for p in FILES}
    portrait, landscape = vectors["whole_body"], vectors["landscape"]
    assert portrait["vision"] == landscape["vision"] and portrait["frame_size"] != landscape["frame_size"]
    for vector in (portrait, landscape):
        width, height = vector["frame_size"]
        keypoints = np.asarray(vector["keypoints"], np.float32)
        nose = POSE_JOINTS.index("nose")
        assert keypoints[nose, 0] == pytest.approx(vector["vision"]["nose"][0] * width / height, abs=1e-6)
        assert keypoints[nose, 1] == pytest.approx(1.0 - vector["vision"]["nose"][1], abs=1e-6)
