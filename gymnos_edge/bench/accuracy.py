"""The accuracy pass of `bench`: every model over the same decoded frames of a manifest split.

Frame labels are compared with the truth and with the Keras reference's, and
— what a user sees — the sets after smoothing, each model with the parameters
built into it. A pose model is fed the keypoints the BlazePose estimator finds
in those frames, found once for every format.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gymnos_edge.data.manifest import require_valid
from gymnos_edge.data.sampler import sample_frames
from gymnos_edge.evaluation.evaluate import VideoResult, choose_split, score, true_rep_spans, truth_at
from gymnos_edge.inference.predict import FrameOutputs, prediction_from_probs

NO_FIGURES = {"frame_accuracy": None, "set_f1_50": None, "flips_per_min": None, "label_agreement": None,
              "rep_mae": None, "rep_obo": None, "rep_agreement": None}  # fmt: skip


@dataclass(frozen=True)
class SplitFrames:
    """Decoded frames of every video of the split, shared by all models so they see the same pixels."""

    videos: list[Path]
    times: list[np.ndarray]
    frames: list[np.ndarray]
    truth: list[np.ndarray]
    groups: list[str]
    true_reps: list[tuple[tuple[float, float, int | None], ...]] = field(default_factory=list)


def load_frames(manifest: Path, split: str, labels: tuple[str, ...], run_metadata, sampling) -> tuple[SplitFrames, str]:
    check = require_valid(manifest, expected_labels=labels)
    assignment = run_metadata.splits.get("assignment", {}) if run_metadata else {}
    chosen, videos = choose_split(check, split, assignment)
    times, frames, truth, groups, true_reps = [], [], [], [], []
    for video in videos:
        sampled = list(sample_frames(video, sampling))
        stamps = np.array([t for t, _ in sampled])
        times.append(stamps)
        frames.append(np.stack([f for _, f in sampled]).astype(np.float32))
        truth.append(truth_at(stamps, check, video, list(labels)))
        groups.append(check.manifest.spans_of(video)[0].group or "(none)")
        true_reps.append(true_rep_spans(check, video))
    return SplitFrames(videos, times, frames, truth, groups, true_reps), chosen


def accuracy_of(
    model, data: SplitFrames, reference: list[np.ndarray] | None, keypoints: list[np.ndarray] | None = None
) -> tuple[dict, list[np.ndarray]]:
    """Frame accuracy, agreement with the reference's frame labels, set F1@50, flips/min and rep counts after
    smoothing (each model with the parameters built into it).

    A pose model is given each video's `keypoints` (found once for every format) instead of its frames.
    """
    outputs = []
    for index, frames in enumerate(data.frames):
        model.reset()
        outputs.append(
            FrameOutputs(model.probabilities(frames)) if keypoints is None else model.keypoint_outputs(keypoints[index])
        )
    probs = [output.probs for output in outputs]
    signals = [output.rep_signal for output in outputs]
    smoothed = _smoothed_scores(model, data, probs, signals)
    labelled = np.concatenate([t != len(model.labels) for t in data.truth])
    raw = np.concatenate([np.argmax(p, axis=1) for p in probs])
    truth = np.concatenate(data.truth)
    counts = smoothed.reps
    figures = {
        "frame_accuracy": float(np.mean(raw[labelled] == truth[labelled]) * 100) if labelled.any() else None,
        "set_f1_50": smoothed.f1_at(0.5),
        "flips_per_min": smoothed.flips_per_minute,
        "label_agreement": None,
        "rep_mae": None if counts.sets == 0 else counts.mae,
        "rep_obo": None if counts.sets == 0 else counts.obo,
        "rep_agreement": None,
    }
    if reference is not None:
        reference_labels = np.concatenate([np.argmax(p, axis=1) for p in reference])
        figures["label_agreement"] = float(np.mean(raw == reference_labels) * 100)
        reference_counts = _smoothed_scores(model, data, reference, signals).reps.counted
        if counts.sets:
            figures["rep_agreement"] = float(np.mean(np.equal(counts.counted, reference_counts)) * 100)
    return figures, probs


def _smoothed_scores(model, data: SplitFrames, probs: list[np.ndarray], signals: list[np.ndarray | None]):
    """Set and rep scores of each video's probabilities, reps counted on its rep signal (same for every format)."""
    true_reps = data.true_reps or [()] * len(data.videos)
    results = [
        VideoResult(
            video,
            group,
            truth,
            prediction_from_probs(video, model.labels, times, p, model.smoothing, model.rest_class, signal),
            reps,
        )
        for video, group, truth, times, p, signal, reps in zip(
            data.videos, data.groups, data.truth, data.times, probs, signals, true_reps
        )
    ]
    return score(results, "bench").smoothed


def keypoints_of(estimator, data: SplitFrames) -> tuple[list[np.ndarray], list[float]]:
    """Every video's keypoints (tracking restarted per video) and the estimator's time per frame (ms)."""
    found, timings = [], []
    for frames in data.frames:
        estimator.reset()
        video = []
        for frame in frames:
            started = time.perf_counter()
            video.append(estimator.estimate(frame.astype(np.uint8)))
            timings.append((time.perf_counter() - started) * 1000.0)
        found.append(np.stack(video))
    return found, timings
