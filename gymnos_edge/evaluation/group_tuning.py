"""Smoothing chosen on gyms the model has not seen, without looking at the held-out ones.

The state machine's thresholds decide how sure the model must be before a set
is shown. A model is surer of the gyms it trained on than of a new one, so
thresholds fitted to its training predictions are too strict for a new gym and
its sets come late or not at all; fitting them to val would spend val, which
already chose the stopping epoch. Instead each training group (a gym, a
person) is held out in turn: a head is trained on the others, as `train`
trains it, and predicts the held-out group's videos whole; the grid search of
`evaluate --tune` then runs on all those out-of-group predictions together. The
same idea chooses the linear head's L2 (grouped cross-validation) and, for the
pose path, the motion features' time constant (`choose_motion_window`).
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from gymnos_edge.common.atomic import write_json
from gymnos_edge.common.contract import REST_LABEL
from gymnos_edge.common.errors import UserError
from gymnos_edge.data.manifest import Manifest, require_valid
from gymnos_edge.features.keypoints import MOTION_WINDOWS
from gymnos_edge.evaluation.set_metrics import RepCounts, json_float
from gymnos_edge.evaluation.evaluate import REP_TUNING_GRID, VideoResult, predict_split, score, tune_smoothing
from gymnos_edge.inference.open_model import open_frame_model
from gymnos_edge.sets.smoothing import SmoothingParams
from gymnos_edge.training.frame_scores import classification_report
from gymnos_edge.training.run_folder import Run
from gymnos_edge.training.train import (
    TrainCallbacks,
    TrainConfig,
    TrainResult,
    require_pose_for_motion_window,
    train,
    training_group,
)

TUNING_FILE = "smoothing_tuning.json"  # in the run's report folder
MOTION_WINDOW_FILE = "motion_window.json"  # in the run's report folder


@dataclass(frozen=True)
class GroupTuning:
    params: SmoothingParams
    f1_at_50: float  # the chosen parameters' set F1@50 over every fold's held-out group
    default_f1_at_50: float  # the run's parameters before tuning, on the same predictions
    groups: tuple[str, ...]  # the folds: each training group held out once
    delay_s: float = math.nan  # mean detection delay of the chosen parameters, same predictions
    default_delay_s: float = math.nan  # … and of the parameters before tuning
    reps: RepCounts = RepCounts()  # the true sets' reps as the chosen parameters count them, same predictions
    default_reps: RepCounts = RepCounts()  # … and as the run's own counter counts the sets the chosen thresholds show

    def to_dict(self) -> dict:
        return {
            "method": "leave one training group out; grid search of the smoothing on the pooled out-of-group "
            "predictions (the soonest shown sets within one true set of the best set F1@50, then the best F1@50, "
            "then fewest flips); then the rep counter with the lowest rep MAE, then the best OBO, on those sets",
            "groups": list(self.groups),
            "set_f1_50": self.f1_at_50,
            "set_f1_50_before": self.default_f1_at_50,
            "mean_detection_delay_s": json_float(self.delay_s),
            "mean_detection_delay_s_before": json_float(self.default_delay_s),
            "rep_sets": self.reps.sets,
            "rep_mae": json_float(self.reps.mae),
            "rep_mae_counter_before": json_float(self.default_reps.mae),  # the same shown sets, the run's counter
            "rep_obo": json_float(self.reps.obo),
            "rep_obo_counter_before": json_float(self.default_reps.obo),
            "params": self.params.to_dict(),
        }


@dataclass(frozen=True)
class OutOfGroup:
    """Every training video predicted whole by a head trained on the other training groups."""

    results: tuple[VideoResult, ...]
    groups: tuple[str, ...]  # the folds: each training group held out once


@dataclass(frozen=True)
class MotionWindowChoice:
    seconds: float  # the chosen time constant
    balanced_accuracy: dict[float, float]  # each candidate's, over every fold's held-out group (raw frames)
    groups: tuple[str, ...]
    chosen: OutOfGroup | None = field(default=None, repr=False)  # the chosen window's folds, for the smoothing

    def to_dict(self) -> dict:
        return {
            "method": "leave one training group out, a head per candidate time constant; the best balanced "
            "frame accuracy (raw argmax) over the pooled out-of-group predictions, ties to the shorter",
            "groups": list(self.groups),
            "balanced_accuracy": {f"{tau:g}": value for tau, value in self.balanced_accuracy.items()},
            "motion_window_s": self.seconds,
        }


def tune_smoothing_by_groups(
    config: TrainConfig, run: Run, on_fold: Callable[[str, int, int], None] = lambda group, index, total: None,
    known: OutOfGroup | None = None,
) -> GroupTuning:
    """Smoothing for `run` (trained with `config`) from its training groups' out-of-group predictions.

    The folds are trained as `run` was (a pose run's own motion window); pass `known` when they were
    already predicted for that run (`MotionWindowChoice.chosen`) rather than train them again."""
    if run.metadata.is_pose:
        config = replace(config, motion_window_s=run.metadata.motion_tau_s)
    folds = known or out_of_group_predictions(config, run, "--tune-smoothing", on_fold)
    results, groups = list(folds.results), folds.groups
    base = run.metadata.smoothing_params
    params, f1 = tune_smoothing(results, base)
    before = score(results, "val").smoothed
    after = score(results, "val", params).smoothed
    counter = {name: getattr(base, name) for name in REP_TUNING_GRID}
    counted_before = score(results, "val", replace(params, **counter)).smoothed.reps
    return GroupTuning(params, f1, before.f1_at(0.5), groups, after.detection.mean_s, before.detection.mean_s,
                       after.reps, counted_before)  # fmt: skip


def choose_motion_window(
    config: TrainConfig, run: Run, candidates: tuple[float, ...] = MOTION_WINDOWS,
    on_fold: Callable[[str, int, int], None] = lambda group, index, total: None,
) -> MotionWindowChoice:  # fmt: skip
    """The pose path's motion time constant that best names the frames of training groups held out in turn.

    How long the motion features remember depends on the lifting (slow reps want a longer memory; a
    short one shows sets sooner), so it is chosen on the user's own videos, never on val or test."""
    require_pose_for_motion_window(config.backbone)
    scores, folds = {}, {}
    for tau in candidates:
        folds[tau] = out_of_group_predictions(replace(config, motion_window_s=tau), run, "--motion-window auto",
                                              on_fold)  # fmt: skip
        truth = np.concatenate([r.truth for r in folds[tau].results])
        raw = np.concatenate([r.prediction.raw_labels for r in folds[tau].results])
        scores[tau] = classification_report(truth, raw, [*run.metadata.labels, REST_LABEL]).balanced_accuracy
    best = max(scores.values())
    chosen = min(tau for tau, value in scores.items() if value >= best - 1e-9)
    return MotionWindowChoice(chosen, scores, folds[chosen].groups, folds[chosen])


def out_of_group_predictions(
    config: TrainConfig, run: Run, option: str, on_fold: Callable[[str, int, int], None]
) -> OutOfGroup:
    """Every training video of `run` predicted whole by a head trained (as `config` says) on the other groups."""
    check = require_valid(config.manifest, expected_labels=run.metadata.labels)
    assignment = run.metadata.splits.get("assignment", {})
    manifest = check.manifest
    training = [v for v in manifest.videos if assignment.get(str(v)) == "train"]
    groups = sorted({training_group(manifest, v) for v in training})
    if len(groups) < 2:
        raise UserError(
            f"{manifest.path}: {option} holds each training group out in turn, but the train split has "
            f"{len(groups)} group; {run.folder} stays as trained. Give the manifest more groups (gyms, people) "
            "or leave the option out"
        )
    results: list[VideoResult] = []
    with tempfile.TemporaryDirectory(prefix="gymnos-edge-tuning-") as scratch:
        for index, group in enumerate(groups):
            on_fold(group, index, len(groups))
            fold_manifest = _fold_manifest(manifest, training, group, Path(scratch) / f"fold_{index}.csv")
            fold_config = replace(config, manifest=fold_manifest.path, out=Path(scratch) / f"fold_{index}",
                                  holdout_group=None, force=False)  # fmt: skip
            fold = train(fold_config).run
            model = open_frame_model(fold.folder, config.pose_model)
            # The fold's videos were probed for `check`; only the split column differs, so reuse what was learnt.
            results += predict_split(replace(check, manifest=fold_manifest), model, "val", {})
    return OutOfGroup(tuple(results), tuple(groups))


def train_choosing_motion_window(
    config: TrainConfig, callbacks: TrainCallbacks = TrainCallbacks(),
    on_fold: Callable[[str, int, int], None] = lambda group, index, total: None,
) -> tuple[TrainResult, MotionWindowChoice]:  # fmt: skip
    """`train` with the motion time constant `choose_motion_window` picks: trained once to fix the split, again
    with the chosen constant when it is not the first one's; the choice is kept in the run's report."""
    require_pose_for_motion_window(config.backbone)  # before any training
    result = train(config, callbacks)
    choice = choose_motion_window(config, result.run, on_fold=on_fold)
    if choice.seconds != result.run.metadata.motion_tau_s:
        # The folder is the run just written here, so replacing it loses nothing the user made.
        result = train(replace(config, motion_window_s=choice.seconds, out=result.run.folder, force=True), callbacks)
    write_json(result.run.report_folder / MOTION_WINDOW_FILE, choice.to_dict())
    return result, choice


def save_tuning(run: Run, tuning: GroupTuning) -> Run:
    """The run with the tuned smoothing in its metadata, and how it was chosen in its report."""
    run = run.save_metadata(run.metadata.with_smoothing(tuning.params))
    write_json(run.report_folder / TUNING_FILE, tuning.to_dict())
    return run


def _fold_manifest(manifest: Manifest, videos: list[Path], held_out: str, target: Path) -> Manifest:
    """The training videos' spans, `held_out`'s as val and the others' as train (a split column), written
    to `target` for `train` to read."""
    spans = []
    for video in videos:
        group = training_group(manifest, video)
        split = "val" if group == held_out else "train"
        spans += [replace(span, group=group, split=split) for span in manifest.spans_of(video)]
    rows = [{"video": str(s.video), "label": s.label, "start": s.start_s, "end": s.end_s, "group": s.group,
             "split": s.split, "reps": s.reps} for s in spans]  # fmt: skip
    pd.DataFrame(rows).astype({"reps": "Int64"}).to_csv(target, index=False)
    return Manifest(target, tuple(spans))
