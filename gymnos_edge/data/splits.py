"""Leak-free train/val/test splits: whole videos, and whole groups (gym, person) when known.

Frames of one video are near-duplicates; putting some in training and others
in validation is how the original prototype reported 100 % accuracy.

Splits are also stratified: among the ways to hold out whole groups, the one
chosen gives every split every class wherever the groups allow it, since a
validation split without a class can neither stop training at the right epoch
nor say how well that class is recognised. When no choice of groups allows it,
the plan says so in its warnings instead of quietly scoring on fewer classes.
`group_folds` does the same for cross-validation inside the training split.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Hashable, Sequence

import numpy as np

from gymnos_edge.common.errors import UserError
from gymnos_edge.data.manifest import SPLITS, Manifest


@dataclass(frozen=True)
class SplitPlan:
    """Which split every video belongs to, how it was decided, and what to warn about."""

    by_video: dict[Path, str]
    method: str
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def videos(self, split: str) -> list[Path]:
        return [v for v, s in self.by_video.items() if s == split]


_EXHAUSTIVE = 5000  # candidate validation sets tried one by one; beyond, a seeded random sample of them


def plan_splits(
    manifest: Manifest,
    holdout_group: str | None = None,
    val_fraction: float = 0.2,
    seed: int = 0,
    classes_of: dict[Path, set[str]] | None = None,
) -> SplitPlan:
    """Use the manifest's `split` column when given, otherwise split by group, then by video.

    `classes_of` names the classes each video trains (rest included when its gaps train
    rest); by default, the labels of its spans.
    """
    classes_of = classes_of or {v: {s.label for s in manifest.spans_of(v)} for v in manifest.videos}
    if manifest.has_splits:
        if holdout_group:
            raise UserError("--holdout-group cannot be combined with a manifest that has a split column")
        return _given_splits(manifest)
    group_of = {v: (manifest.spans_of(v)[0].group or None) for v in manifest.videos}
    rng = np.random.default_rng(seed)
    warnings: list[str] = []
    by_video: dict[Path, str] = {}
    pool = list(manifest.videos)
    if holdout_group is not None:
        known = sorted({g for g in group_of.values() if g})
        if holdout_group not in known:
            raise UserError(f"--holdout-group {holdout_group!r} is not a group of the manifest; groups: {known}")
        for video in pool:
            if group_of[video] == holdout_group:
                by_video[video] = "test"
        pool = [v for v in pool if group_of[v] != holdout_group]
    groups = sorted({group_of[v] for v in pool if group_of[v]})
    if manifest.has_groups and len(groups) >= 2:
        classes_of_group: dict[str, set[str]] = defaultdict(set)
        for video in pool:
            if group_of[video]:
                classes_of_group[group_of[video]] |= classes_of[video]
        # Videos without a group always train: only whole groups go to validation.
        always_train = set().union(*(classes_of[v] for v in pool if not group_of[v]))
        val_groups, missing = _stratified_pick(groups, classes_of_group, always_train, val_fraction, rng)
        for video in pool:
            by_video[video] = "val" if group_of[video] in val_groups else "train"
        method = "by group"
        warnings += _unstratified(missing, len(groups), "groups")
    else:
        if len(pool) < 2:
            raise UserError(
                f"{manifest.path}: only {len(pool)} video(s) left for training and validation; "
                "add videos or give a split column"
            )
        if manifest.has_groups:
            warnings.append(
                f"only one group ({groups[0] if groups else 'none'}) left for train and val: split by video, so "
                "validation sees the same gym/person as training and will look better than on a new one"
            )
        val_videos, missing = _stratified_pick(sorted(pool), classes_of, set(), val_fraction, rng)
        for video in pool:
            by_video[video] = "val" if video in val_videos else "train"
        method = "by video"
        warnings += _unstratified(missing, len(pool), "videos")
    if holdout_group is not None:
        method += f", group {holdout_group!r} held out as test"
    return SplitPlan(by_video=by_video, method=method, warnings=tuple(warnings))


def _stratified_pick(
    items: list, classes_of: dict, always_train: set[str], fraction: float, rng: np.random.Generator
) -> tuple[set, dict[str, list[str]]]:
    """Validation items (at least one, at most all but one) leaving every class on both sides if possible.

    Returns the items and, per side, the classes it still lacks (empty when stratified). Among the
    candidates that lack fewest classes, the seed picks one, so other seeds give other splits.
    """
    count = min(len(items) - 1, max(1, round(len(items) * fraction)))
    every = set(always_train).union(*(classes_of[i] for i in items))

    def lacking(chosen: tuple) -> dict[str, list[str]]:
        val = set().union(*(classes_of[i] for i in chosen))
        train = set(always_train).union(*(classes_of[i] for i in items if i not in chosen))
        return {side: sorted(every - present) for side, present in (("train", train), ("val", val)) if every - present}

    if math.comb(len(items), count) <= _EXHAUSTIVE:
        candidates = list(itertools.combinations(items, count))
    else:
        candidates = [tuple(items[i] for i in sorted(rng.choice(len(items), count, replace=False)))
                      for _ in range(_EXHAUSTIVE)]  # fmt: skip
    scored = [(sum(map(len, lacking(c).values())), c) for c in candidates]
    fewest = min(score for score, _ in scored)
    best = [c for score, c in scored if score == fewest]
    chosen = best[int(rng.integers(len(best)))]
    return set(chosen), lacking(chosen)


def _unstratified(missing: dict[str, list[str]], count: int, kind: str) -> list[str]:
    return [
        f"NOT STRATIFIED: no way to split these {count} {kind} gives the {side} split every class; it has no "
        f"{', '.join(map(repr, classes))} frames, so its scores say nothing about them (add {kind} that show them)"
        for side, classes in missing.items()
    ]


def group_folds(groups: Sequence[Hashable], labels: Sequence[int], k: int = 5) -> np.ndarray:
    """Fold index (0..k−1) of every sample: whole groups per fold, each fold's labels as close as
    possible to the overall mix (groups with the rarest, most lopsided labels placed first).

    Fewer folds than `k` when there are fewer groups; deterministic.
    """
    groups = list(groups)
    labels = np.asarray(labels, np.int64)
    names = sorted(set(groups), key=str)
    k = max(1, min(k, len(names)))
    n_classes = int(labels.max()) + 1 if len(labels) else 0
    index = {g: i for i, g in enumerate(names)}
    member = np.array([index[g] for g in groups], np.int64)
    counts = np.zeros((len(names), n_classes))
    np.add.at(counts, (member, labels), 1)
    totals = counts.sum(axis=0)
    order = sorted(range(len(names)), key=lambda g: (-np.std(counts[g] / np.maximum(totals, 1)), str(names[g])))
    folds = np.zeros((k, n_classes))
    fold_of = np.zeros(len(names), np.int64)
    for g in order:
        costs = []
        for f in range(k):
            trial = folds.copy()
            trial[f] += counts[g]
            share = trial / np.maximum(totals, 1)
            costs.append((float(np.mean(np.std(share, axis=0))), float(trial[f].sum()), f))
        best = min(costs)[2]
        folds[best] += counts[g]
        fold_of[g] = best
    return fold_of[member]


def _given_splits(manifest: Manifest) -> SplitPlan:
    missing = [s.where for s in manifest.spans if not s.split]
    if missing:
        raise UserError(
            f"{manifest.path}: the split column is empty on {', '.join(missing[:5])}"
            f"{' …' if len(missing) > 5 else ''}; give every row a split or leave the column out"
        )
    splits_of: dict[Path, set[str]] = defaultdict(set)
    for span in manifest.spans:
        splits_of[span.video].add(span.split or "")
    leaking = [v.name for v, s in splits_of.items() if len(s) > 1]
    if leaking:
        raise UserError(f"{manifest.path}: videos on two sides of the split: {', '.join(leaking)}")
    warnings = []
    groups_of: dict[str, set[str]] = defaultdict(set)
    for span in manifest.spans:
        if span.group:
            groups_of[span.group].add(span.split or "")
    for group, splits in sorted(groups_of.items()):
        if len(splits) > 1:
            warnings.append(f"group {group!r} appears in {', '.join(sorted(splits))}: scores there are optimistic")
    plan = {v: next(iter(s)) for v, s in splits_of.items()}
    if "train" not in plan.values():
        raise UserError(f"{manifest.path}: no video has split 'train'")
    return SplitPlan(by_video=plan, method="from the manifest's split column", warnings=tuple(warnings))


def missing_classes(plan: SplitPlan, manifest: Manifest, classes_of: dict[Path, set[str]] | None = None) -> list[str]:
    """A warning for every split that lacks a class, for the report (`classes_of` as in `plan_splits`)."""
    classes_of = classes_of or {v: {s.label for s in manifest.spans_of(v)} for v in manifest.videos}
    found = []
    every = set().union(*classes_of.values()) if classes_of else set()
    for split in SPLITS:
        videos = set(plan.videos(split))
        if not videos:
            continue
        present = set().union(*(classes_of[v] for v in videos))
        for label in sorted(every - present):
            found.append(f"split {split!r} has no {label!r} frames")
    return found
