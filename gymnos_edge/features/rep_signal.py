"""A pose model's rep signal: how far the body is along its exercise's main movement, frame by frame.

A set's class probabilities hardly move when the model is sure of the exercise,
so a better model would count fewer reps on them. The body itself moves once
per rep: the hips sink in a squat, the wrists rise in a press. Training finds,
per exercise, the one direction in which its sets' pose features move the most
about each set's own median (the first principal component of the
within-set deviations, so where a lifter stands, their build and the camera
do not count; frames the estimator got wrong left out), and scales it to one
within-set standard deviation. It points
away from how sets begin (a set starts at the top of a squat, with the bar at
the shoulders of a press), so a rep's far end is a dip of the signal: the dip
the state machine counts (`gymnos_edge.sets.smoothing`).

The signal is one matrix product of the frame's pose features
(`gymnos_edge.features.keypoints`, the no-pose flag left out) and is computed
inside every exported graph, so a phone feeds raw keypoints and counts alike.
The rest output's row is zero: rest has no reps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from gymnos_edge.common.errors import UserError
from gymnos_edge.common.numpy_ops import NUMPY_OPS
from gymnos_edge.common.contract import Quantization
from gymnos_edge.features.keypoints import N_FEATURES, no_pose

REP_FEATURES = N_FEATURES - 1  # every pose feature but the no-pose flag
SET_START_FRAMES = 3  # the frames that say which way a set begins
MIN_SET_FRAMES = 5  # shorter sets say too little about the movement
# Frames farther from their set's median pose than this many times the set's median distance are the
# estimator's slips (a limb put in the wrong place for a frame), left out of the fit: one such frame
# pulls the main direction towards itself.
MAX_DEVIATION = 2.0
UNITS = "within-set standard deviations along the exercise's main movement; a rep's far end is a dip"


@dataclass(frozen=True)
class RepProjection:
    """(N, REP_FEATURES) weights: the rep signal of output n is `features @ weights[n]`."""

    weights: np.ndarray

    def to_dict(self) -> dict:
        return {"weights": self.weights.astype(float).round(6).tolist(), "features": REP_FEATURES, "units": UNITS}

    @classmethod
    def from_dict(cls, values: dict, n_outputs: int, source: str = "metadata") -> "RepProjection":
        weights = np.asarray(values.get("weights"), np.float32) if isinstance(values, dict) else np.empty(0)
        if weights.shape != (n_outputs, REP_FEATURES) or not np.all(np.isfinite(weights)):
            raise UserError(
                f"{source}: pose.rep_signal.weights must be {n_outputs} rows of {REP_FEATURES} finite numbers, "
                f"got shape {weights.shape}; train the model again"
            )
        return cls(weights)


def fit_rep_projection(
    set_features: Sequence[np.ndarray], set_targets: Sequence[int], n_outputs: int
) -> RepProjection:
    """The projection of each exercise from its training sets' pose features ((T, N_FEATURES) per set).

    `set_targets` is each set's output index; pass exercise sets only. An exercise without a set
    of `MIN_SET_FRAMES` posed frames gets a zero row: its sets count no reps.
    """
    weights = np.zeros((n_outputs, REP_FEATURES), np.float32)
    for target in sorted(set(set_targets)):
        deviations, starts = [], []
        for features, set_target in zip(set_features, set_targets):
            if set_target != target:
                continue
            posed = np.asarray(features, np.float32)[~no_pose(features)][:, :REP_FEATURES]
            if len(posed) < MIN_SET_FRAMES:
                continue
            median = np.median(posed, axis=0)
            deviation = posed - median
            distance = np.linalg.norm(deviation, axis=1)
            deviations.append(deviation[distance <= MAX_DEVIATION * np.median(distance)])  # not the estimator's slips
            starts.append(deviation[:SET_START_FRAMES])
        if not deviations:
            continue
        stacked = np.concatenate(deviations).astype(np.float64)
        direction = np.linalg.svd(stacked, full_matrices=False)[2][0]
        if float(np.mean(np.concatenate(starts) @ direction)) < 0:
            direction = -direction
        spread = float(np.std(stacked @ direction))
        if spread > 1e-6:
            weights[target] = direction / spread
    return RepProjection(weights)


def rep_weights_of(pose: dict, n_outputs: int, source: str | object) -> np.ndarray | None:
    """A pose model's rep-signal weights (its metadata's `pose.rep_signal`); None for models made before it,
    which count reps on their probabilities' log-odds."""
    if "rep_signal" not in pose:
        return None
    return RepProjection.from_dict(pose["rep_signal"], n_outputs, str(source)).weights


def stored_weights(weights: np.ndarray, quantization: str | None) -> np.ndarray:
    """The weights as an exported file computes with them: an fp16 file stores them in half precision (and
    computes in float32); every other file, and a Keras model (`quantization` None), keeps them float32."""
    if quantization == Quantization.fp16.value:
        return np.asarray(weights, np.float16).astype(np.float32)
    return np.asarray(weights, np.float32)


def rep_signal(features: Any, weights: Any, ops: Any = NUMPY_OPS) -> Any:
    """(T, N_FEATURES) pose features → (T, N) rep signal; `weights` (N, REP_FEATURES). Runs in graphs too."""
    return ops.matmul(features[:, :REP_FEATURES], ops.transpose(weights))
