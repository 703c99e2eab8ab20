"""Keypoints → pose features: the same body gives the same numbers wherever it stands and however big it is.

Written once against an array namespace, like the state machine: NumPy here and
in training, `keras.ops` inside every exported graph, so a phone feeds the raw
keypoints of its own estimator and nobody re-implements this by hand.

Keypoints come in frame heights (`KEYPOINT_UNITS`: x and y both divided by the
frame's height), so a body has the same shape in a portrait and a landscape frame.
First left and right are named as for a person facing the camera
(`facing_the_camera`). Then per joint (in the order of `POSE_JOINTS`): (x, y) minus the hip midpoint,
divided by the torso length (hip midpoint to shoulder midpoint), and whether
the joint was seen (confidence ≥ `MIN_CONFIDENCE`, 1 or 0; unseen joints get
(0, 0)). A last feature flags "no pose": nobody found, or no hip or no shoulder
seen, or a torso too short to scale by; every other feature is then 0, so such
frames are ordinary inputs rather than errors. Seen/unseen is a hard threshold
because estimators disagree on what a confidence means (BlazePose's
visibility, Vision's confidence), while they agree on which joints they found.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gymnos_edge.common.contract import KEYPOINT_UNITS, POSE_JOINTS
from gymnos_edge.common.numpy_ops import NUMPY_OPS

MIN_CONFIDENCE = 0.5
MIN_TORSO = 0.02  # in frame heights: a torso shorter than 2 % of the frame's height cannot give a scale
MAX_OFFSET = 6.0  # torso lengths; farther points are estimator failures, clipped so they cannot dominate
FACING_MARGIN = 0.6  # torso lengths between the shoulders before their left-right order names the sides
N_JOINTS = len(POSE_JOINTS)
FEATURES_PER_JOINT = 3  # x, y relative to the hips in torso lengths, seen
N_FEATURES = N_JOINTS * FEATURES_PER_JOINT + 1  # + the no-pose flag
NORMALISATION = (
    f"keypoints in {KEYPOINT_UNITS.replace('_', ' ')} (x, y both divided by the frame's height); "
    "left and right named as facing the camera (joints swap names with their partners where the left shoulder "
    f"is more than {FACING_MARGIN:g} torso lengths left of the right one); "
    f"per joint: (x, y − hip midpoint) / torso length (hip midpoint → shoulder midpoint), clipped to "
    f"±{MAX_OFFSET:g}, and seen (confidence ≥ {MIN_CONFIDENCE:g}); unseen joints (0, 0, 0); last feature 1 = "
    "no pose (no hip or no shoulder seen, or torso < "
    f"{MIN_TORSO:g} of the frame's height), all others 0 then"
)

_JOINT = {name: index for index, name in enumerate(POSE_JOINTS)}
_HIPS = (_JOINT["left_hip"], _JOINT["right_hip"])
_SHOULDERS = (_JOINT["left_shoulder"], _JOINT["right_shoulder"])
# Each joint's partner on the other side of the body (the nose is its own).
PARTNER = [POSE_JOINTS.index(name.replace("left", "\0").replace("right", "left").replace("\0", "right")) for name in POSE_JOINTS]


def in_frame_heights(keypoints: np.ndarray, width: float, height: float) -> np.ndarray:
    """Keypoints with x, y in 0..1 of the frame's width and height (as estimators report them) → x, y in
    frame heights (`KEYPOINT_UNITS`): x · width/height; a joint not found stays (0, 0, 0)."""
    converted = np.array(keypoints, np.float32)
    converted[..., 0] *= np.float32(width / height)
    return converted


def pose_features(keypoints: Any, ops: Any = NUMPY_OPS) -> Any:
    """(N, 17, 3) keypoints (x, y in frame heights, confidence) → (N, `N_FEATURES`) float32 features."""
    if ops is NUMPY_OPS:
        keypoints = np.asarray(keypoints, np.float32)
    x, y, seen = _seen_joints(keypoints, ops)
    hip_x, hip_y, torso, posed = _torso(x, y, seen, ops)  # the same whichever way the sides are named
    x, y, seen = _seen_joints(_renamed(keypoints, _named_from_behind(x, seen, torso, ops), ops), ops)
    scale = ops.maximum(torso, MIN_TORSO)
    keep = seen * ops.expand_dims(posed, -1)
    relative_x = ops.clip((x - ops.expand_dims(hip_x, -1)) / ops.expand_dims(scale, -1), -MAX_OFFSET, MAX_OFFSET)
    relative_y = ops.clip((y - ops.expand_dims(hip_y, -1)) / ops.expand_dims(scale, -1), -MAX_OFFSET, MAX_OFFSET)
    per_joint = ops.stack([relative_x * keep, relative_y * keep, keep], -1)
    flat = ops.reshape(per_joint, (-1, N_JOINTS * FEATURES_PER_JOINT))
    return ops.concatenate([flat, ops.expand_dims(1.0 - posed, -1)], -1)


def facing_the_camera(keypoints: Any, ops: Any = NUMPY_OPS) -> Any:
    """The same (N, 17, 3) keypoints with left and right named as for a person facing the camera.

    Facing the camera, a person's left shoulder is on the image's right. An estimator cannot
    always tell a front view from a back view (nor can it on a figure without a face), and may
    switch its left and right from one frame to the next; the motion features would read each
    switch as both arms jumping across the body. So where both shoulders are seen and the left one
    lies left of the right one by more than `FACING_MARGIN` torso lengths, every joint swaps names
    with its partner: the positions stay, only the naming is made the same for every frame. In a
    side view the shoulders overlap, and the estimator's own naming (near and far side) stays.
    """
    x, y, seen = _seen_joints(keypoints, ops)
    _, _, torso, _ = _torso(x, y, seen, ops)
    return _renamed(keypoints, _named_from_behind(x, seen, torso, ops), ops)


def _named_from_behind(x: Any, seen: Any, torso: Any, ops: Any) -> Any:
    """(N,) 1 where both shoulders are seen and the left lies over `FACING_MARGIN` torsos left of the right."""
    left, right = _SHOULDERS
    apart = ops.greater(x[:, right] - x[:, left], FACING_MARGIN * ops.maximum(torso, MIN_TORSO))
    return ops.cast(ops.logical_and(ops.greater_equal(seen[:, left] + seen[:, right], 2.0), apart), "float32")


def _renamed(keypoints: Any, swap: Any, ops: Any) -> Any:
    """(N, 17, 3) keypoints whose joints swap names with their partners where `swap` (N,) is 1."""
    swap = ops.expand_dims(ops.expand_dims(swap, -1), -1)
    return keypoints * (1.0 - swap) + ops.take(keypoints, PARTNER, axis=1) * swap  # exact for swap 0 or 1


def _seen_joints(keypoints: Any, ops: Any) -> tuple[Any, Any, Any]:
    """x, y and seen (1 or 0) of every joint, each (N, 17)."""
    confidence = keypoints[:, :, 2]
    return keypoints[:, :, 0], keypoints[:, :, 1], ops.cast(ops.greater_equal(confidence, MIN_CONFIDENCE), "float32")


def _torso(x: Any, y: Any, seen: Any, ops: Any) -> tuple[Any, Any, Any, Any]:
    """The hip midpoint (x, y), the torso's length and whether there is a pose to measure, each (N,).

    Midpoints of the seen joints of a pair, so the same whichever way left and right are named.
    """

    def midpoint(a: int, b: int) -> tuple[Any, Any, Any]:
        weight = seen[:, a] + seen[:, b]
        divisor = ops.maximum(weight, 1.0)
        return (x[:, a] * seen[:, a] + x[:, b] * seen[:, b]) / divisor, (
            y[:, a] * seen[:, a] + y[:, b] * seen[:, b]
        ) / divisor, weight

    hip_x, hip_y, hips_seen = midpoint(*_HIPS)
    shoulder_x, shoulder_y, shoulders_seen = midpoint(*_SHOULDERS)
    torso = ops.sqrt((shoulder_x - hip_x) ** 2 + (shoulder_y - hip_y) ** 2)
    posed = ops.cast(
        ops.logical_and(
            ops.logical_and(ops.greater_equal(hips_seen, 1.0), ops.greater_equal(shoulders_seen, 1.0)),
            ops.greater_equal(torso, MIN_TORSO),
        ),
        "float32",
    )
    return hip_x, hip_y, torso, posed


def no_pose(features: np.ndarray) -> np.ndarray:
    """(N,) True where the features say "no pose"."""
    return np.asarray(features)[:, -1] > 0.5


# Motion: a single frame cannot tell the top of a squat from standing at rest; the last seconds can.
# Rather than a buffer of past frames, the state keeps exponential moving averages of the features
# and of their squares (and the weight they have gathered, which removes the start-up bias), so the
# head sees the pose now, the mean pose of about the last `MOTION_TAU_S` seconds and how much each feature
# moved around it, from a state of fixed size that a graph carries from frame to frame.
MOTION_TAU_S = 2.0  # the default; a run records its own (`train --motion-window`)
MOTION_WINDOWS = (1.0, 2.0, 4.0)  # what `train --motion-window auto` chooses from
MOTION_STATE = 2 * N_FEATURES + 1  # EMA of the features, EMA of their squares, weight gathered
HEAD_FEATURES = 3 * N_FEATURES  # the features, their recent mean, their recent standard deviation


def motion_alpha(every_s: float, tau_s: float = MOTION_TAU_S) -> float:
    """EMA weight per frame, so the time constant holds whatever the sampling interval."""
    return 1.0 - float(np.exp(-every_s / tau_s))


def motion_initial_state() -> np.ndarray:
    return np.zeros(MOTION_STATE, np.float32)


def motion_step(state: Any, features: Any, alpha: float, ops: Any = NUMPY_OPS) -> tuple[Any, Any]:
    """(state (N, MOTION_STATE), features (N, N_FEATURES)) → (next state, head input (N, HEAD_FEATURES))."""
    mean_sum = state[:, :N_FEATURES] * (1.0 - alpha) + features * alpha
    square_sum = state[:, N_FEATURES : 2 * N_FEATURES] * (1.0 - alpha) + features * features * alpha
    weight = state[:, 2 * N_FEATURES :] * (1.0 - alpha) + alpha
    mean = mean_sum / weight
    spread = ops.sqrt(ops.maximum(square_sum / weight - mean * mean, 0.0))
    next_state = ops.concatenate([mean_sum, square_sum, weight], -1)
    return next_state, ops.concatenate([features, mean, spread], -1)


def motion_sequence(features: np.ndarray, alpha: float, state: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Head inputs (T, HEAD_FEATURES) of consecutive frames' features (T, N_FEATURES), and the state after them."""
    features = np.asarray(features, np.float32)
    state = (motion_initial_state() if state is None else np.asarray(state, np.float32))[None]
    inputs = np.empty((len(features), HEAD_FEATURES), np.float32)
    for t in range(len(features)):
        state, inputs[t] = motion_step(state, features[t : t + 1], np.float32(alpha))
    return inputs, state[0]


def mirrored(keypoints: np.ndarray) -> np.ndarray:
    """The same frames flipped left to right: x → 1 − x and each left joint swapped with its right one.

    Training adds these so the head does not learn which way a person happened to face the camera.
    Where the mirror line lies does not matter (x may turn negative): every feature is relative to the hips.
    """
    flipped = np.array(keypoints, np.float32)[:, PARTNER]
    flipped[:, :, 0] = np.where(flipped[:, :, 2] > 0, 1.0 - flipped[:, :, 0], 0.0)
    return flipped


def head_inputs(keypoints: np.ndarray, every_s: float, tau_s: float = MOTION_TAU_S) -> np.ndarray:
    """(T, HEAD_FEATURES) for the consecutive frames of one stretch of video, its motion starting afresh."""
    return motion_sequence(pose_features(keypoints), motion_alpha(every_s, tau_s))[0]
