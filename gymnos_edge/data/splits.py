"""Leak-free train/val/test splits: whole videos, and whole groups (gym, person) when known.

Frames of one video are near-duplicates; putting some in training and others
in validation is how the original prototype reported 100 % accuracy.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

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


def plan_splits(
    manifest: Manifest, holdout_group: str | None = None, val_fraction: float = 0.2, seed: int = 0
) -> SplitPlan:
    """Use the manifest's `split` column when given, otherwise split by group, then by video."""
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
        val_groups = set(_pick(groups, val_fraction, rng))
        for video in pool:
            by_video[video] = "val" if group_of[video] in val_groups else "train"
        method = "by group"
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
        val_videos = set(_pick(sorted(pool), val_fraction, rng))
        for video in pool:
            by_video[video] = "val" if video in val_videos else "train"
        method = "by video"
    if holdout_group is not None:
        method += f", group {holdout_group!r} held out as test"
    return SplitPlan(by_video=by_video, method=method, warnings=tuple(warnings))


def _pick(items: list, fraction: float, rng: np.random.Generator) -> list:
    """At least one and at most all-but-one items, chosen reproducibly."""
    count = min(len(items) - 1, max(1, round(len(items) * fraction)))
    order = rng.permutation(len(items))
    return [items[i] for i in order[:count]]


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


def missing_classes(plan: SplitPlan, manifest: Manifest) -> list[str]:
    """A warning for every split that lacks a class, for the report."""
    found = []
    labels = set(manifest.labels)
    for split in SPLITS:
        videos = set(plan.videos(split))
        if not videos:
            continue
        present = {s.label for s in manifest.spans if s.video in videos}
        for label in sorted(labels - present):
            found.append(f"split {split!r} has no {label!r} frames")
    return found
