"""Opening whatever `--model` names — a run folder or an exported model — as a `FrameModel`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gymnos_edge.common.contract import FRAME_BATCH
from gymnos_edge.common.errors import UserError
from gymnos_edge.inference.run_model import RunModel
from gymnos_edge.training.run_folder import Run, load_run



@dataclass(frozen=True)
class KerasFrameModel(RunModel):
    """A run's classifier, fed in fixed-size batches so its compiled graph is reused."""

    run: Run
    batch_size: int = FRAME_BATCH
    _model: object = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_model", self.run.load_model())

    def reset(self) -> None:
        """Nothing carries over from one frame to the next in an image model."""

    def probabilities(self, frames: np.ndarray) -> np.ndarray:
        probs = []
        for first in range(0, len(frames), self.batch_size):
            chunk = frames[first : first + self.batch_size]
            batch = np.zeros((self.batch_size, *frames.shape[1:]), np.float32)
            batch[: len(chunk)] = chunk
            probs.append(np.asarray(self._model.predict_on_batch(batch))[: len(chunk)])
        return np.concatenate(probs)


def open_frame_model(path: Path | str, pose_model: Path | str | None = None, num_threads: int | None = None):
    """A run folder (or its model.keras) gives the Keras model; an exported .tflite gives LiteRT.

    A pose model comes behind the BlazePose estimator it was trained with (model files from
    `pose_model`, else the cache), so it too takes RGB frames.
    """
    path = Path(path)
    if path.suffix == ".tflite":
        from gymnos_edge.inference.litert_model import TFLiteFrameModel

        model = TFLiteFrameModel(path, num_threads=num_threads)
        return _behind_estimator(model, model.pose, pose_model) if model.is_pose else model
    if path.suffix in (".mlpackage", ".mlmodel"):
        raise UserError(f"{path}: Core ML models run only on Apple platforms; use the .tflite export on this machine")
    run = load_run(path)
    if run.metadata.is_pose:
        from gymnos_edge.inference.pose_model import KerasPoseModel

        return _behind_estimator(KerasPoseModel(run), run.metadata.pose, pose_model)
    return KerasFrameModel(run)


def _behind_estimator(model, pose: dict, pose_model: Path | str | None):
    from gymnos_edge.inference.pose_model import PoseFrameModel, estimator_for

    return PoseFrameModel(model, estimator_for(pose, pose_model))
