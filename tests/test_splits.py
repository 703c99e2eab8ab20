"""Stratified group splits and folds: every split holds every class wherever the groups allow."""

from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from gymnos_edge.data.manifest import Manifest, Span
from gymnos_edge.data.splits import group_folds, missing_classes, plan_splits


def _manifest(videos: list[tuple[str, list[str]]]) -> Manifest:
    """One video per entry: (group, its span labels)."""
    spans = []
    for v, (group, labels) in enumerate(videos):
        for s, label in enumerate(labels):
            spans.append(Span(f"line {len(spans) + 2}", Path(f"/v/{v}.mp4"), f"{v}.mp4", label, s * 10.0, s * 10.0 + 5,
                              group))  # fmt: skip
    return Manifest(Path("/v/m.csv"), tuple(spans))


def test_validation_groups_are_chosen_so_both_sides_hold_every_class():
    # Most single groups lack a class: only g4 (squat + press) can go to val with both in train too.
    manifest = _manifest([("g0", ["squat"]), ("g1", ["squat"]), ("g2", ["press"]), ("g3", ["press"]),
                          ("g4", ["squat", "press"])])  # fmt: skip
    for seed in range(6):
        plan = plan_splits(manifest, seed=seed)
        val = {manifest.spans_of(v)[0].group for v in plan.videos("val")}
        assert val == {"g4"} and not plan.warnings
        assert missing_classes(plan, manifest) == []


def test_an_impossible_stratification_is_said_loudly():
    manifest = _manifest([("g0", ["squat"]), ("g1", ["press"]), ("g2", ["squat"])])
    plan = plan_splits(manifest)
    assert any(w.startswith("NOT STRATIFIED") for w in plan.warnings)


def test_rest_from_gaps_counts_as_a_class():
    manifest = _manifest([("g0", ["squat"]), ("g1", ["squat"]), ("g2", ["squat"]), ("g3", ["squat"]),
                          ("g4", ["squat"])])  # fmt: skip
    videos = manifest.videos
    classes_of = {v: {"squat"} | ({"rest"} if i in (1, 3) else set()) for i, v in enumerate(videos)}
    plan = plan_splits(manifest, classes_of=classes_of)
    assert {manifest.spans_of(v)[0].group for v in plan.videos("val")} in ({"g1"}, {"g3"})
    assert missing_classes(plan, manifest, classes_of) == []


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 7), st.integers(0, 2)), min_size=2, max_size=60), st.integers(1, 6))
def test_folds_keep_groups_whole(samples, k):
    groups = [g for g, _ in samples]
    labels = [label for _, label in samples]
    folds = group_folds(groups, labels, k)
    assert len(folds) == len(samples) and folds.min() >= 0
    assert int(folds.max()) + 1 <= min(k, len(set(groups)))
    for group in set(groups):
        assert len({int(f) for f, g in zip(folds, groups) if g == group}) == 1


def test_folds_spread_the_labels():
    groups = [f"a{i}" for i in range(4) for _ in range(10)] + [f"b{i}" for i in range(4) for _ in range(10)]
    labels = [0] * 40 + [1] * 40
    folds = group_folds(groups, labels, 4)
    for f in range(4):
        assert set(np.asarray(labels)[folds == f]) == {0, 1}
