"""Pose features: the same body gives the same numbers wherever it stands and however big it is."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gymnos_edge.common.contract import POSE_JOINTS
from gymnos_edge.export.frames import synthetic_keypoints
from gymnos_edge.features.keypoints import (
    HEAD_FEATURES,
    MIN_CONFIDENCE,
    N_FEATURES,
    head_inputs,
    in_frame_heights,
    mirrored,
    motion_alpha,
    motion_sequence,
    no_pose,
    pose_features,
)

JOINT = {name: i for i, name in enumerate(POSE_JOINTS)}


def _bodies(count: int = 24) -> np.ndarray:
    """Whole bodies, every joint seen: what invariance is about."""
    keypoints = synthetic_keypoints(count * 8, seed=7)
    keypoints = keypoints[np.all(keypoints[:, :, 2] > 0, axis=1)][:count]
    keypoints[:, :, 2] = 0.9
    return keypoints


@settings(max_examples=40, deadline=None)
@given(st.floats(-0.3, 0.3), st.floats(-0.3, 0.3), st.floats(0.5, 2.5))
def test_features_do_not_change_with_position_or_body_size(dx, dy, scale):
    bodies = _bodies()
    moved = bodies.copy()
    seen = moved[:, :, 2] > 0
    moved[:, :, 0] = np.where(seen, (bodies[:, :, 0] - 0.5) * scale + 0.5 + dx, 0)
    moved[:, :, 1] = np.where(seen, (bodies[:, :, 1] - 0.5) * scale + 0.5 + dy, 0)
    np.testing.assert_allclose(pose_features(moved), pose_features(bodies), atol=2e-5)


@pytest.mark.parametrize("width, height", [(720, 1280), (1920, 1080), (640, 640)])
def test_the_same_body_in_a_portrait_or_a_landscape_frame_gives_the_same_features(width, height):
    """Estimators report x in frame widths and y in frame heights; in frame heights the body keeps its shape."""
    pixels = _bodies() * np.array([400.0, 600.0, 1.0], np.float32)  # one body, in pixels, 400 × 600 around
    pixels[:, :, :2] += np.array([100.0, 40.0], np.float32)
    reference = pose_features(pixels / np.array([1000.0, 1000.0, 1.0], np.float32))  # any unit of both x and y
    reported = pixels / np.array([width, height, 1.0], np.float32)  # as an estimator reports them
    np.testing.assert_allclose(pose_features(in_frame_heights(reported, width, height)), reference, atol=2e-5)
    if width != height:  # 0..1 of each side would have stretched the body
        assert np.abs(pose_features(reported) - reference).max() > 0.1


def test_features_are_hip_centred_and_torso_scaled():
    body = np.zeros((1, 17, 3), np.float32)
    for name, (x, y) in {"left_hip": (0.6, 0.6), "right_hip": (0.4, 0.6), "left_shoulder": (0.6, 0.2),
                         "right_shoulder": (0.4, 0.2), "nose": (0.5, 0.1)}.items():  # fmt: skip
        body[0, JOINT[name]] = (x, y, 1.0)
    features = pose_features(body)[0]
    assert features.shape == (N_FEATURES,) and features[-1] == 0  # a pose
    joint = features[:-1].reshape(17, 3)
    np.testing.assert_allclose(joint[JOINT["nose"]], [0.0, -1.25, 1.0], atol=1e-6)  # 0.5 torso above the hips
    np.testing.assert_allclose(joint[JOINT["left_hip"]], [0.25, 0.0, 1.0], atol=1e-6)
    assert np.all(joint[JOINT["left_knee"]] == 0)  # not seen: (0, 0, unseen)


def test_no_person_and_unusable_frames_are_no_pose_features_not_errors():
    nobody = np.zeros((1, 17, 3), np.float32)
    body = synthetic_keypoints(1, seed=1)
    body[:, :, 2] = 1.0
    no_hips = body.copy()
    no_hips[:, [JOINT["left_hip"], JOINT["right_hip"]], 2] = MIN_CONFIDENCE / 2
    point = body.copy()
    point[:, :, :2] = 0.5  # torso of length 0
    features = pose_features(np.concatenate([nobody, no_hips, point, body]))
    assert no_pose(features).tolist() == [True, True, True, False]
    assert np.all(features[:3, :-1] == 0) and np.all(features[:3, -1] == 1)
    assert np.all(np.isfinite(features))


def test_confidence_is_a_threshold_so_estimators_with_other_scales_agree():
    body = _bodies(1)
    sure, unsure = body.copy(), body.copy()
    sure[:, :, 2] = np.where(body[:, :, 2] > 0, 0.99, 0)
    unsure[:, :, 2] = np.where(body[:, :, 2] > 0, MIN_CONFIDENCE, 0)
    np.testing.assert_array_equal(pose_features(sure), pose_features(unsure))


def test_mirrored_swaps_sides_and_flips_x():
    body = _bodies(3)
    flipped = mirrored(body)
    np.testing.assert_allclose(flipped[:, JOINT["left_wrist"], 0], 1 - body[:, JOINT["right_wrist"], 0])
    np.testing.assert_allclose(mirrored(flipped), body, atol=1e-6)
    features, mirror = pose_features(body)[:, :-1].reshape(-1, 17, 3), pose_features(flipped)[:, :-1].reshape(-1, 17, 3)
    np.testing.assert_allclose(mirror[:, JOINT["left_knee"], 0], -features[:, JOINT["right_knee"], 0], atol=1e-5)


def test_motion_starts_unbiased_and_measures_movement():
    still = np.repeat(_bodies(1), 10, axis=0)
    inputs = head_inputs(still, 0.2)
    assert inputs.shape == (10, HEAD_FEATURES)
    f = pose_features(still)
    np.testing.assert_allclose(inputs[:, N_FEATURES : 2 * N_FEATURES], f, atol=1e-5)  # mean = the pose from frame 1
    np.testing.assert_allclose(inputs[:, 2 * N_FEATURES :], 0, atol=2e-3)  # nothing moves
    moving = synthetic_keypoints(30, seed=2)
    spread = head_inputs(moving, 0.2)[-1, 2 * N_FEATURES :]
    assert spread.max() > 0.05


def test_motion_carries_over_calls_exactly():
    features = pose_features(synthetic_keypoints(20, seed=3))
    alpha = motion_alpha(0.2)
    whole, state = motion_sequence(features, alpha)
    first, middle = motion_sequence(features[:7], alpha)
    second, end = motion_sequence(features[7:], alpha, middle)
    np.testing.assert_array_equal(np.concatenate([first, second]), whole)
    np.testing.assert_array_equal(end, state)


def test_the_graph_computes_the_same_features_and_motion():
    import keras

    from gymnos_edge.export.wrapper import GRAPH_OPS
    from gymnos_edge.features.keypoints import MOTION_STATE, motion_initial_state, motion_step

    keypoints = synthetic_keypoints(12, seed=4)
    expected = pose_features(keypoints)
    graph = keras.ops.convert_to_numpy(pose_features(keras.ops.convert_to_tensor(keypoints), ops=GRAPH_OPS))
    np.testing.assert_allclose(graph, expected, atol=1e-6)
    state = motion_initial_state()[None]
    reference, _ = motion_sequence(expected, motion_alpha(0.2))
    for t in range(len(expected)):
        state, inputs = motion_step(keras.ops.convert_to_tensor(state), keras.ops.convert_to_tensor(expected[t : t + 1]),
                                    np.float32(motion_alpha(0.2)), ops=GRAPH_OPS)  # fmt: skip
        state = keras.ops.convert_to_numpy(state)
        np.testing.assert_allclose(keras.ops.convert_to_numpy(inputs)[0], reference[t], atol=1e-5)
    assert state.shape == (1, MOTION_STATE)


@pytest.mark.parametrize("count", [0, 1])
def test_short_sequences(count):
    assert head_inputs(np.zeros((count, 17, 3), np.float32), 0.2).shape == (count, HEAD_FEATURES)


def test_left_and_right_are_named_as_facing_the_camera_however_the_estimator_named_them():
    from gymnos_edge.features.keypoints import FACING_MARGIN, PARTNER, facing_the_camera

    left, right = JOINT["left_shoulder"], JOINT["right_shoulder"]
    bodies = _bodies(48)
    hips = bodies[:, [JOINT["left_hip"], JOINT["right_hip"]], :2].mean(axis=1)
    torso = np.linalg.norm(bodies[:, [left, right], :2].mean(axis=1) - hips, axis=1)
    bodies = bodies[np.abs(bodies[:, left, 0] - bodies[:, right, 0]) > 1.2 * FACING_MARGIN * torso]  # a front or back view
    named_from_behind = bodies[:, left, 0] < bodies[:, right, 0]
    assert 0 < named_from_behind.sum() < len(bodies)  # the synthetic estimator names some frames either way
    bodies[named_from_behind] = bodies[named_from_behind][:, PARTNER]  # facing: the left shoulder on the image's right
    from_behind = bodies[:, PARTNER]  # the same positions, the names the other way round
    np.testing.assert_array_equal(facing_the_camera(from_behind), bodies)
    np.testing.assert_array_equal(pose_features(from_behind), pose_features(bodies))
    # A naming that switches from frame to frame is no motion.
    switching = np.where((np.arange(len(bodies)) % 2 == 1)[:, None, None], from_behind, bodies)
    np.testing.assert_array_equal(head_inputs(switching, 0.2), head_inputs(bodies, 0.2))
    # With a shoulder unseen there is nothing to tell the sides by: the estimator's names stay.
    one_shoulder = from_behind.copy()
    one_shoulder[:, JOINT["right_shoulder"], 2] = MIN_CONFIDENCE / 2
    np.testing.assert_array_equal(facing_the_camera(one_shoulder), one_shoulder)
    # Nor in a side view, where the shoulders overlap: near and far side keep the estimator's names.
    side = from_behind.copy()
    middle = (side[:, left, 0] + side[:, right, 0]) / 2
    side[:, left, 0], side[:, right, 0] = middle - 0.005, middle + 0.005
    np.testing.assert_array_equal(facing_the_camera(side), side)
