"""Smoothing chosen on gyms the model has not seen, without looking at the held-out ones.

The state machine's thresholds decide how sure the model must be before a set
is shown. A model is surer of the gyms it trained on than of a new one, so
thresholds fitted to its training predictions are too strict for a new gym and
its sets come late or not at all; fitting them to val would spend val, which
already chose the stopping epoch. Instead each training group (a gym, a
person) is held out in turn: a head is trained on the others, as `train`
trains it, and predicts the held-out group's videos whole; the grid search of
`evaluate --tune` then runs on all those out-of-group predictions together. The
same idea chooses the linear head's L2 (grouped cross-validation).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import pandas as pd

from gymnos_edge.common.atomic import write_json
from gymnos_edge.common.errors import UserError
from gymnos_edge.data.manifest import Manifest, require_valid
from gymnos_edge.evaluation.evaluate import VideoResult, predict_split, score, tune_smoothing
from gymnos_edge.inference.open_model import open_frame_model
from gymnos_edge.sets.smoothing import SmoothingParams
from gymnos_edge.training.run_folder import Run
from gymnos_edge.training.train import TrainConfig, train, training_group

TUNING_FILE = "smoothing_tuning.json"  # in the run's report folder


@dataclass(frozen=True)
class GroupTuning:
    params: SmoothingParams
    f1_at_50: float  # the chosen parameters' set F1@50 over every fold's held-out group
    default_f1_at_50: float  # the run's parameters before tuning, on the same predictions
    groups: tuple[str, ...]  # the folds: each training group held out once

    def to_dict(self) -> dict:
        return {
            "method": "leave one training group out; grid search of the smoothing on the pooled out-of-group "
            "predictions (best set F1@50, then the soonest shown sets, then fewest flips)",
            "groups": list(self.groups),
            "set_f1_50": self.f1_at_50,
            "set_f1_50_before": self.default_f1_at_50,
            "params": self.params.to_dict(),
        }


def tune_smoothing_by_groups(
    config: TrainConfig, run: Run, on_fold: Callable[[str, int, int], None] = lambda group, index, total: None
) -> GroupTuning:
    """Smoothing for `run` (trained with `config`) from its training groups' out-of-group predictions."""
    check = require_valid(config.manifest, expected_labels=run.metadata.labels)
    assignment = run.metadata.splits.get("assignment", {})
    manifest = check.manifest
    training = [v for v in manifest.videos if assignment.get(str(v)) == "train"]
    groups = sorted({training_group(manifest, v) for v in training})
    if len(groups) < 2:
        raise UserError(
            f"{manifest.path}: --tune-smoothing holds each training group out in turn, but the train split has "
            f"{len(groups)} group; {run.folder} keeps its smoothing. Give the manifest more groups (gyms, people) "
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
    base = run.metadata.smoothing_params
    params, f1 = tune_smoothing(results, base)
    return GroupTuning(params, f1, score(results, "val").smoothed.f1_at(0.5), tuple(groups))


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
