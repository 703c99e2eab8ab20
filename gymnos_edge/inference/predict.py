"""Predict the per-set timeline of a whole video: frame probabilities → smoothing → sets."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol

import numpy as np

from gymnos_edge.common.contract import FRAME_BATCH
from gymnos_edge.common.errors import UserError
from gymnos_edge.data.sampler import SamplingConfig, sample_frames
from gymnos_edge.sets.segments import Timeline, segment
from gymnos_edge.sets.smoothing import SmoothingParams, smooth_sequence



@dataclass(frozen=True)
class FrameOutputs:
    """What a model gives for a batch of frames: probabilities and, pose models, the signal reps are counted on."""

    probs: np.ndarray  # (B, N)
    rep_signal: np.ndarray | None = None  # (B, N); None: reps are counted on the probabilities' log-odds


class FrameModel(Protocol):
    """Anything that turns a batch of RGB frames into class probabilities (Keras run, TFLite file).

    A model that also gives a rep signal (a pose model) has `outputs(frames) -> FrameOutputs`.
    """

    labels: tuple[str, ...]  # the exercises; label K (= len(labels)) means rest
    rest_class: bool  # True when the probabilities have a trained rest column after the exercises
    sampling: SamplingConfig
    smoothing: SmoothingParams

    def probabilities(self, frames: np.ndarray) -> np.ndarray: ...

    def reset(self) -> None:
        """A new video starts: forget what earlier frames left behind (tracking, motion)."""


@dataclass(frozen=True)
class Prediction:
    video: Path
    labels: tuple[str, ...]
    params: SmoothingParams
    rest_class: bool
    times: np.ndarray  # (T,)
    probs: np.ndarray  # (T, N) raw model output: K exercises (+ rest when rest_class)
    smoothed: np.ndarray  # (T, N)
    shown: np.ndarray  # (T,) the label a phone shows, K = rest
    held: np.ndarray  # (T,) steps the candidate was held, to date sets back
    timeline: Timeline
    reps: np.ndarray | None = None  # (T,) the live rep count of the shown set, 0 while rest is shown
    rep_signal: np.ndarray | None = None  # (T, N) what reps were counted on; None: the probabilities' log-odds

    @property
    def raw_labels(self) -> np.ndarray:
        """Per-frame argmax; with a trained rest class its index K is rest, as in `shown`."""
        return np.argmax(self.probs, axis=1)

    def resmoothed(self, params: SmoothingParams) -> "Prediction":
        """The same probabilities and rep signal through the state machine with other parameters."""
        return prediction_from_probs(
            self.video, self.labels, self.times, self.probs, params, self.rest_class, self.rep_signal
        )


def predict_video(
    video: Path | str,
    model: FrameModel,
    params: SmoothingParams | None = None,
    on_frames: Callable[[int], None] = lambda n: None,
) -> Prediction:
    """Stream `video` through the model and the state machine; nothing is held but the timeline."""
    video = Path(video)
    params = params or model.smoothing
    times: list[float] = []
    outputs: list[FrameOutputs] = []
    batch: list[np.ndarray] = []

    model.reset()

    def flush() -> None:
        if batch:
            outputs.append(frame_outputs(model, np.stack(batch).astype(np.float32)))
            on_frames(len(batch))
            batch.clear()

    for timestamp, frame in sample_frames(video, model.sampling):
        times.append(timestamp)
        batch.append(frame)
        if len(batch) == FRAME_BATCH:
            flush()
    flush()
    if not times:
        raise UserError(f"{video}: no frames could be sampled; is the video empty?")
    joined = joined_outputs(outputs)
    return prediction_from_probs(
        video, model.labels, np.asarray(times), joined.probs, params, model.rest_class, joined.rep_signal
    )


def frame_outputs(model: FrameModel, frames: np.ndarray) -> FrameOutputs:
    """The model's outputs for a batch of frames: its `outputs` where it has them, else its probabilities."""
    outputs = getattr(model, "outputs", None)
    return outputs(frames) if outputs is not None else FrameOutputs(model.probabilities(frames))


def joined_outputs(parts: list[FrameOutputs]) -> FrameOutputs:
    """Consecutive batches' outputs as one."""
    signals = [part.rep_signal for part in parts]
    signal = None if not parts or any(s is None for s in signals) else np.concatenate(signals)
    return FrameOutputs(np.concatenate([part.probs for part in parts]), signal)


def prediction_from_probs(
    video: Path,
    labels: tuple[str, ...],
    times: np.ndarray,
    probs: np.ndarray,
    params: SmoothingParams,
    rest_class: bool = False,
    rep_signal: np.ndarray | None = None,
) -> Prediction:
    """Smooth a probability timeline (and count reps on `rep_signal`, if given) and cut it into sets."""
    expected = len(labels) + int(rest_class)
    if probs.shape[-1] != expected:
        raise UserError(
            f"{video}: the model gives {probs.shape[-1]} probabilities per frame but its metadata names "
            f"{len(labels)} exercises{' plus rest' if rest_class else ''} ({expected}); the model and its "
            "metadata do not belong together"
        )
    smoothed = smooth_sequence(probs, params, rest_class=rest_class, rep_signal=rep_signal)
    timeline = segment(
        times, smoothed.labels, labels, params.every_s, smoothed.smoothed, smoothed.held, reps=smoothed.reps
    )
    return Prediction(
        video=video,
        labels=labels,
        params=params,
        rest_class=rest_class,
        times=times,
        probs=probs.astype(np.float32),
        smoothed=smoothed.smoothed,
        shown=smoothed.labels,
        held=smoothed.held,
        timeline=timeline,
        reps=smoothed.reps,
        rep_signal=None if rep_signal is None else np.asarray(rep_signal, np.float32),
    )
