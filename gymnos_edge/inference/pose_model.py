"""Pose models as frame models: frames → BlazePose keypoints → the pose model (a run's head or a .tflite graph).

A pose model looks at keypoints, not pixels; on a desktop the keypoints come
from the same BlazePose estimator training used (its settings and the model
files' fingerprint are in the model's metadata), on a phone from the phone's
own estimator. Both the estimator (tracking) and the model (motion features)
carry state from frame to frame, so `reset` starts every video afresh.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from gymnos_edge.common.errors import UserError
from gymnos_edge.data.sampler import SamplingConfig
from gymnos_edge.features.keypoints import motion_alpha, motion_initial_state, motion_sequence, pose_features
from gymnos_edge.features.pose_estimator import BlazePoseEstimator, EstimatorSettings
from gymnos_edge.features.pose_models import pose_model_files
from gymnos_edge.features.rep_signal import rep_signal, rep_weights_of
from gymnos_edge.inference.predict import FrameOutputs
from gymnos_edge.inference.run_model import RunModel
from gymnos_edge.sets.smoothing import SmoothingParams
from gymnos_edge.training.head_fit import predict_probs
from gymnos_edge.training.run_folder import Run


class KeypointModel(Protocol):
    """A pose model fed keypoints: a run's head here, an exported .tflite in `litert_model`."""

    labels: tuple[str, ...]
    rest_class: bool
    sampling: SamplingConfig
    smoothing: SmoothingParams

    def keypoint_outputs(self, keypoints: np.ndarray) -> FrameOutputs: ...

    def keypoint_probabilities(self, keypoints: np.ndarray) -> np.ndarray: ...

    def reset(self) -> None: ...


@dataclass
class KerasPoseModel(RunModel):
    """A pose run's head with the features and their motion computed in NumPy, frame after frame."""

    run: Run
    batch_size: int = 256  # one batch shape, so the compiled graph is reused
    _head: Any = field(init=False, repr=False)
    _state: np.ndarray = field(init=False, repr=False)
    _rep_weights: np.ndarray | None = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._head = self.run.load_model()
        self._rep_weights = rep_weights_of(self.pose, self.run.metadata.n_outputs, self.run.folder)
        self.reset()

    @property
    def pose(self) -> dict:
        return self.run.metadata.pose

    def reset(self) -> None:
        self._state = motion_initial_state()

    def keypoint_outputs(self, keypoints: np.ndarray) -> FrameOutputs:
        """Probabilities and rep signal of consecutive frames' keypoints, the motion carried on from the last call."""
        features = pose_features(keypoints)
        inputs, self._state = motion_sequence(
            features, motion_alpha(self.sampling.every_s, self.run.metadata.motion_tau_s), self._state
        )
        signal = None if self._rep_weights is None else rep_signal(features, self._rep_weights)
        return FrameOutputs(self.head_probabilities(inputs), signal)

    def keypoint_probabilities(self, keypoints: np.ndarray) -> np.ndarray:
        """(N, K) probabilities of consecutive frames' keypoints, the motion carried on from the last call."""
        return self.keypoint_outputs(keypoints).probs

    def head_probabilities(self, inputs: np.ndarray) -> np.ndarray:
        return predict_probs(self._head, inputs, self.batch_size)


class PoseFrameModel:
    """Any keypoint model behind the BlazePose estimator: a `FrameModel` fed RGB frames."""

    def __init__(self, model: KeypointModel, estimator: BlazePoseEstimator):
        self.model = model
        self.estimator = estimator

    @property
    def labels(self) -> tuple[str, ...]:
        return self.model.labels

    @property
    def rest_class(self) -> bool:
        return self.model.rest_class

    @property
    def sampling(self) -> SamplingConfig:
        return self.model.sampling

    @property
    def smoothing(self) -> SmoothingParams:
        return self.model.smoothing

    @property
    def run(self):
        return getattr(self.model, "run", None)

    def reset(self) -> None:
        self.estimator.reset()
        self.model.reset()

    def keypoints(self, frames: np.ndarray) -> np.ndarray:
        return self.estimator.estimate_batch(np.asarray(frames).astype(np.uint8))

    def outputs(self, frames: np.ndarray) -> FrameOutputs:
        return self.model.keypoint_outputs(self.keypoints(frames))

    def probabilities(self, frames: np.ndarray) -> np.ndarray:
        return self.outputs(frames).probs


def estimator_for(pose: dict, pose_model: Path | str | None = None, num_threads: int = 1) -> BlazePoseEstimator:
    """The estimator a pose model was trained with: its settings, and model files with its fingerprint."""
    if not pose:
        raise UserError("the model's metadata has no `pose` section; it is not a pose model")
    files = pose_model_files(pose_model)
    expected = pose.get("model_fingerprint")
    if expected and files.fingerprint() != expected:
        raise UserError(
            f"the pose model files in {files.detector.parent} (fingerprint {files.fingerprint()}) are not the ones "
            f"this model was trained with ({expected}); pass --pose-model with those files, or train again"
        )
    return BlazePoseEstimator(files, EstimatorSettings.from_dict(pose.get("estimator_settings", {})), num_threads)
