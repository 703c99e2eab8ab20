"""`evaluate`: frame and set scores of a model on a manifest split, raw argmax vs smoothed.

`tune_smoothing` picks the state machine's parameters on the validation split
only, so the test split stays untouched by every decision.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from gymnos_edge.common.atomic import require_writable_file, require_writable_folder, write_json
from gymnos_edge.common.contract import DEFAULT_RUN, REST_LABEL
from gymnos_edge.common.errors import UserError
from gymnos_edge.data.manifest import ManifestCheck, require_valid
from gymnos_edge.evaluation.set_metrics import AggregateMetrics, aggregate, evaluate_sequence
from gymnos_edge.inference.predict import FrameModel, Prediction, predict_video
from gymnos_edge.sets.smoothing import SmoothingParams


@dataclass(frozen=True)
class VideoResult:
    video: Path
    group: str
    truth: np.ndarray
    prediction: Prediction
    true_reps: tuple[tuple[float, float, int | None], ...] = ()  # (start, end, reps) of each labelled set


@dataclass(frozen=True)
class Evaluation:
    split: str
    raw: AggregateMetrics
    smoothed: AggregateMetrics
    per_group: dict[str, tuple[AggregateMetrics, AggregateMetrics]]  # group → (raw, smoothed)
    videos: tuple[VideoResult, ...]

    def to_dict(self) -> dict:
        return {
            "split": self.split,
            "note": "raw = argmax of each frame; smoothed = the state machine's shown label, sets dated back; "
            "rep_mae / rep_obo: RepCount's MAE (|counted - true| / true) and off-by-one accuracy over true sets "
            "with a reps count, a missed set counting 0 (the *_detected figures leave missed sets out)",
            "raw": self._named(self.raw.to_dict()),
            "smoothed": self._named(self.smoothed.to_dict()),
            "per_group": {g: {"raw": r.to_dict(), "smoothed": s.to_dict()} for g, (r, s) in self.per_group.items()},
            "videos": [str(v.video) for v in self.videos],
        }

    def _named(self, block: dict) -> dict:
        """Give each per-video entry its video's path (they are in the order of `videos`)."""
        block["per_video"] = [{"video": str(v.video), **entry} for v, entry in zip(self.videos, block["per_video"])]
        return block


def truth_at(times: np.ndarray, check: ManifestCheck, video: Path, labels: Sequence[str]) -> np.ndarray:
    """The true label of every sampled time: the span covering it, else rest (K)."""
    rest = len(labels)
    truth = np.full(len(times), rest, np.int64)
    for span in check.manifest.spans_of(video):
        start, end = check.span_bounds(span)
        truth[(times >= start) & (times < end)] = rest if span.label == REST_LABEL else labels.index(span.label)
    return truth


def true_rep_spans(check: ManifestCheck, video: Path) -> tuple[tuple[float, float, int | None], ...]:
    """(start, end, reps) of every set span of `video`, for the rep-count scores."""
    return tuple((*check.span_bounds(s), s.reps) for s in check.manifest.spans_of(video) if s.label != REST_LABEL)


def videos_of_split(check: ManifestCheck, split: str, assignment: dict[str, str]) -> list[Path]:
    """The split's videos: the manifest's split column, else the training run's assignment."""
    manifest = check.manifest
    if split == "all":
        return list(manifest.videos)
    if manifest.has_splits:
        return [v for v in manifest.videos if manifest.spans_of(v)[0].split == split]
    return [v for v in manifest.videos if assignment.get(str(v)) == split]


def choose_split(check: ManifestCheck, split: str, assignment: dict[str, str]) -> tuple[str, list[Path]]:
    """The split to score and its videos; the default `test` falls back to `val` when it has none.

    `evaluate` and `bench` choose the same way: a manifest without a test split (or a run trained
    without `--holdout-group`) is scored on the held-out val videos, and says so.
    """
    videos = videos_of_split(check, split, assignment)
    if not videos and split == "test":
        split, videos = "val", videos_of_split(check, "val", assignment)
    if not videos:
        raise UserError(
            f"{check.manifest.path}: no video in split {split!r}; choose --split train/val/test/all "
            "(without a split column, splits come from the run that trained the model)"
        )
    return split, videos


def predict_split(
    check: ManifestCheck,
    model: FrameModel,
    split: str,
    assignment: dict[str, str],
    on_video: Callable[[Path], None] = lambda v: None,
) -> list[VideoResult]:
    """Every video of a split (`choose_split`'s rule) predicted by `model`, beside its true labels and reps.

    Takes the manifest's check (`require_valid`) so a command probes each video once, however many
    splits it predicts."""
    _, videos = choose_split(check, split, assignment)
    results = []
    for video in videos:
        prediction = predict_video(video, model)
        results.append(
            VideoResult(
                video=video,
                group=check.manifest.spans_of(video)[0].group or "(none)",
                truth=truth_at(prediction.times, check, video, list(model.labels)),
                prediction=prediction,
                true_reps=true_rep_spans(check, video),
            )
        )
        on_video(video)
    return results


def score(results: Sequence[VideoResult], split: str, params: SmoothingParams | None = None) -> Evaluation:
    """Score predictions; with `params`, re-smooth the same probabilities first (for tuning)."""
    if params is not None:
        results = [replace(r, prediction=r.prediction.resmoothed(params)) for r in results]
    raw, smoothed = _metrics(results)
    groups = sorted({r.group for r in results})
    per_group = {g: _metrics([r for r in results if r.group == g]) for g in groups}
    return Evaluation(split, raw, smoothed, per_group, tuple(results))


def _metrics(results: Sequence[VideoResult]) -> tuple[AggregateMetrics, AggregateMetrics]:
    raw, smoothed = [], []
    for r in results:
        p = r.prediction
        raw.append(evaluate_sequence(r.truth, p.raw_labels, p.times, p.params.every_s, p.labels))
        smoothed.append(
            evaluate_sequence(
                r.truth, p.shown, p.times, p.params.every_s, p.labels, held=p.held, reps=p.reps, true_reps=r.true_reps
            )
        )
    return aggregate(raw), aggregate(smoothed)


TUNING_GRID = {
    "tau_s": (0.2, 0.4, 0.6, 1.0),
    "enter": (0.55, 0.6, 0.7, 0.8),
    "exit": (0.35, 0.45, 0.5),
    "floor": (0.0, 0.55, 0.65),  # for two classes the top probability is ≥ 0.5, so only a floor above it can say rest
    "min_set_s": (0.6, 1.0, 2.0),
}


def tune_smoothing(results: Sequence[VideoResult], base: SmoothingParams) -> tuple[SmoothingParams, float]:
    """Grid search on validation predictions: the soonest shown sets among the thresholds within one true
    set of the best set F1@50, then the best F1@50, then the fewest flips; then the rep counter that
    counts those sets best (`tune_rep_counting`). Returns the parameters and their F1@50.

    A set-level F1 over a few dozen sets moves in steps of about one set, so thresholds one set short of
    the best are as good as the data can tell; among those, the one that names sets soonest is what a
    lifter watching the phone wants (delay rounded to a sampling step so that its noise does not
    outrank the flips). Leaving each real-footage group out in turn, this kept set F1@50 within 2 points
    of picking the best F1 alone and showed sets 1 s sooner (docs/smoothing.md, "Choosing thresholds")."""
    names = list(TUNING_GRID)
    scored: list[tuple[SmoothingParams, float, float, float]] = []  # params, F1@50, delay in steps, flips
    for values in itertools.product(*(TUNING_GRID[n] for n in names)):
        candidate = dict(zip(names, values))
        if candidate["exit"] > candidate["enter"]:
            continue
        params = replace(base, **candidate)
        smoothed = score(results, "val", params).smoothed
        delay = smoothed.detection.mean_s
        delay_steps = round(delay / base.every_s) if math.isfinite(delay) else math.inf
        scored.append((params, smoothed.f1_at(0.5), delay_steps, smoothed.flips_per_minute))
    true_sets = len(smoothed.detection.delays_s)  # one per true set, whatever the thresholds
    best_f1 = max(f1 for _, f1, _, _ in scored)
    one_set = 100.0 / max(true_sets, 1)  # F1 (in %) that one true set more or less moves, at most
    near = [entry for entry in scored if entry[1] >= best_f1 - one_set - 1e-9]
    params, f1, _, _ = min(near, key=lambda entry: (entry[2], -entry[1], entry[3]))  # first best kept on ties
    return tune_rep_counting(results, params), f1


REP_TUNING_GRID = {
    "rep_tau_s": (0.6, 1.0, 1.5, 2.5),
    "rep_hysteresis": (0.1, 0.2, 0.3, 0.5, 0.8),
    "min_rep_s": (0.4, 0.6, 1.0, 1.4),
}


def tune_rep_counting(results: Sequence[VideoResult], params: SmoothingParams) -> SmoothingParams:
    """`params` with the rep counter's knobs that count the true sets' reps best (RepCount's MAE, then OBO).

    Counting never changes which label is shown, so it is tuned after the thresholds, on the sets those
    show (a set they miss counts 0 whatever the counter does). `params` comes back as it is when no set
    has a true count, and on ties: the knobs must earn their change."""
    if not any(reps for r in results for *_, reps in r.true_reps):
        return params
    names = list(REP_TUNING_GRID)
    candidates = [params] + [replace(params, **dict(zip(names, values)))
                             for values in itertools.product(*(REP_TUNING_GRID[n] for n in names))]  # fmt: skip

    def error(candidate: SmoothingParams) -> tuple[float, float]:
        counts = score(results, "val", candidate).smoothed.reps
        return counts.mae, -counts.obo

    return min(candidates, key=error)  # first best kept on ties


@dataclass(frozen=True)
class EvaluateConfig:
    manifest: Path
    model: Path = DEFAULT_RUN  # a run folder or an exported .tflite
    split: str = "test"  # falls back to val when the manifest has no test videos
    tune: bool = False  # grid-search the smoothing on val and save it into the run first
    out: Path | None = None  # default: RUN/report/evaluation_SPLIT.json
    pose_model: Path | None = None  # pose models: a folder with the estimator's files (default: the cache)


@dataclass
class EvaluateCallbacks:
    """Hooks for a user interface; the library itself prints nothing."""

    on_plan: Callable[[int], None] = lambda videos: None
    on_video: Callable[[Path], None] = lambda video: None


@dataclass(frozen=True)
class EvaluateResult:
    evaluation: Evaluation
    written: Path
    tuned: SmoothingParams | None = None  # saved into the run's metadata.json
    tuned_f1: float | None = None
    run_folder: Path | None = None


def evaluate_run(config: EvaluateConfig, callbacks: EvaluateCallbacks = EvaluateCallbacks()) -> EvaluateResult:
    """Score a model on a manifest split (after tuning its smoothing on val, with `tune`), and save the scores."""
    from gymnos_edge.inference.open_model import open_frame_model

    model_path = Path(config.model)
    if config.tune and model_path.suffix in (".tflite", ".mlpackage", ".mlmodel"):
        # Checked before opening: an exported model may not even load on this machine.
        raise UserError("--tune saves into a run folder; pass --model RUN_FOLDER")
    frame_model = open_frame_model(model_path, config.pose_model)
    run = getattr(frame_model, "run", None)
    assignment = run.metadata.splits.get("assignment", {}) if run else {}
    check = require_valid(config.manifest, expected_labels=frame_model.labels)
    split, videos = choose_split(check, config.split, assignment)
    target = config.out or ((run.report_folder if run else model_path.parent) / f"evaluation_{split}.json")
    require_writable_file(target, "--out")  # before predicting a single frame
    if config.tune:
        require_writable_folder(run.folder, "--model")
    count = len(videos) + (len(choose_split(check, "val", assignment)[1]) if config.tune else 0)
    callbacks.on_plan(count)
    tuned = tuned_f1 = None
    if config.tune:
        val = predict_split(check, frame_model, "val", assignment, callbacks.on_video)
        tuned, tuned_f1 = tune_smoothing(val, frame_model.smoothing)
        run = run.save_metadata(run.metadata.with_smoothing(tuned))
        frame_model = open_frame_model(run.folder, config.pose_model)
    results = predict_split(check, frame_model, split, assignment, callbacks.on_video)
    evaluation = score(results, split)
    write_json(target, evaluation.to_dict())
    return EvaluateResult(evaluation, Path(target), tuned, tuned_f1, run.folder if run else None)
