"""Shared test vectors of the joint mapping: Vision's body pose points → a pose model's `keypoints` input.

The iPhone app feeds a pose model what Vision finds; the mapping (joint names,
Vision's bottom-left origin, its 0..1-of-each-side units turned into frame
heights, joints not found) is written here once and the
Swift `PoseJoints` is checked against these files. `scripts/make_pose_vectors.py`
writes them and a test checks that regenerating gives the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gymnos_edge.common.atomic import write_text
from gymnos_edge.common.contract import POSE_JOINTS, VISION_JOINTS
from gymnos_edge.features.keypoints import in_frame_heights
from gymnos_edge.sets.shared_vectors import render

Point = tuple[float, float, float]  # Vision: x, y in 0..1 with the origin at the bottom left, confidence


def keypoints_from_vision(points: dict[str, Point], frame_size: tuple[int, int],
                          joints: tuple[str, ...] = POSE_JOINTS) -> np.ndarray:  # fmt: skip
    """(len(joints), 3) float32 model keypoints of a frame of `frame_size` (width, height) pixels: y flipped
    to a top-left origin, x and y in frame heights; a joint Vision did not find (absent, or confidence 0)
    is (0, 0, 0). Vision's neck and root are not model joints."""
    keypoints = np.zeros((len(joints), 3), np.float32)
    for index, joint in enumerate(joints):
        x, y, confidence = points.get(VISION_JOINTS[joint], (0.0, 0.0, 0.0))
        if confidence > 0:
            keypoints[index] = (x, 1.0 - y, confidence)
    return in_frame_heights(keypoints, *frame_size)


@dataclass(frozen=True)
class PoseCase:
    name: str
    description: str
    points: dict[str, Point]
    frame_size: tuple[int, int] = (720, 1280)  # width, height: the front camera held upright


# Vision's frame of a person facing the camera: y up, so the head has the largest y.
_STANDING = {
    "nose": (0.50, 0.80), "leftEye": (0.52, 0.82), "rightEye": (0.48, 0.82), "leftEar": (0.54, 0.81),
    "rightEar": (0.46, 0.81), "neck": (0.50, 0.74), "leftShoulder": (0.57, 0.72), "rightShoulder": (0.43, 0.72),
    "leftElbow": (0.60, 0.62), "rightElbow": (0.40, 0.62), "leftWrist": (0.61, 0.53), "rightWrist": (0.39, 0.53),
    "root": (0.50, 0.50), "leftHip": (0.55, 0.50), "rightHip": (0.45, 0.50), "leftKnee": (0.56, 0.35),
    "rightKnee": (0.44, 0.35), "leftAnkle": (0.56, 0.20), "rightAnkle": (0.44, 0.20),
}  # fmt: skip


def _seen(names=None, confidence: float = 0.9) -> dict[str, Point]:
    return {k: (x, y, confidence) for k, (x, y) in _STANDING.items() if names is None or k in names}


CASES = (
    PoseCase("whole_body", "every joint found; neck and root are dropped", _seen()),
    PoseCase(
        "legs_missing",
        "the frame ends at the hips: Vision returns no leg joints, the model gets (0, 0, 0) for them",
        _seen([k for k in _STANDING if "Knee" not in k and "Ankle" not in k]),
    ),
    PoseCase(
        "zero_confidence",
        "joints Vision returns with confidence 0 count as not found; low but non-zero ones are passed on",
        {**_seen(), "leftWrist": (0.61, 0.53, 0.0), "rightWrist": (0.39, 0.53, 0.05), "nose": (0.5, 0.8, 0.2)},
    ),
    PoseCase("nobody", "no observation: all zeros, which the model reads as no pose", {}),
    PoseCase("landscape", "the phone on its side (1280 × 720): x spans 0..16/9 frame heights", _seen(), (1280, 720)),
)


def build_vector(case: PoseCase) -> dict[str, Any]:
    keypoints = keypoints_from_vision(case.points, case.frame_size)
    return {
        "name": case.name,
        "description": case.description,
        "joints": list(POSE_JOINTS),
        "frame_size": list(case.frame_size),
        "vision": {name: list(point) for name, point in sorted(case.points.items())},
        "keypoints": np.asarray(keypoints, np.float32).astype(np.float64).tolist(),
    }


def write_vectors(directory: Path | str, cases: tuple[PoseCase, ...] = CASES) -> list[Path]:
    directory = Path(directory)
    return [write_text(directory / f"{case.name}.json", render(build_vector(case))) for case in cases]
