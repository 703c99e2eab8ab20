"""The trained rest class: gaps become rest frames, the state machine treats rest like a set."""

from __future__ import annotations

import numpy as np
import pytest

from gymnos_edge.common.contract import REST_LABEL, Gaps
from gymnos_edge.common.errors import UserError, ValidationError
from gymnos_edge.data.manifest import check_manifest, load_manifest, require_valid
from gymnos_edge.data.sampler import SamplingConfig, sample_frames
from gymnos_edge.evaluation.evaluate import truth_at
from gymnos_edge.sets.smoothing import SmoothingParams, initial_state, smooth_sequence
from gymnos_edge.training.plan import training_spans
from helpers import write_manifest


def write_rows(folder, rows: str):
    return write_manifest(folder, "video,label,start,end\n" + rows)


@pytest.fixture
def four_seconds(make_video):
    return make_video("clip.mp4", seconds=4.0, fps=10)


def frame_count(request, every_s: float) -> int:
    return len(list(sample_frames(request.video, SamplingConfig(every_s=every_s, image_size=32), request.start_s,
                                  request.end_s)))  # fmt: skip


def test_gaps_become_rest_frames_with_exact_counts(tmp_path, four_seconds):
    check = require_valid(write_rows(tmp_path, "clip.mp4,squat,0,1\nclip.mp4,overhead_press,2,3\n"))
    spans, rest_class = training_spans(check, Gaps.rest)
    assert rest_class
    by_target: dict[int, list[tuple[float, float]]] = {}
    for span in spans:
        by_target.setdefault(span.target, []).append((span.request.start_s, span.request.end_s))
    labels = check.manifest.labels
    assert labels == ("overhead_press", "squat")  # rest is never an exercise label
    rest = len(labels)
    assert by_target[labels.index("squat")] == [(0.0, 1.0)]
    assert sorted(by_target[rest]) == [(1.0, 2.0), (3.0, pytest.approx(4.0, abs=0.11))]
    frames = {t: sum(frame_count(s.request, 0.5) for s in spans if s.target == t) for t in by_target}
    assert frames == {0: 2, 1: 2, rest: 4}  # 1.0, 1.5 and 3.0, 3.5 are rest


def test_gaps_ignore_reproduces_the_exercise_only_spans(tmp_path, four_seconds):
    check = require_valid(write_rows(tmp_path, "clip.mp4,squat,0,1\nclip.mp4,overhead_press,2,3\n"))
    spans, rest_class = training_spans(check, Gaps.ignore)
    assert not rest_class
    assert [(s.request.start_s, s.request.end_s, s.target) for s in spans] == [(0.0, 1.0, 1), (2.0, 3.0, 0)]


def test_explicit_rest_spans_train_rest_even_when_gaps_are_ignored(tmp_path, four_seconds):
    check = require_valid(write_rows(tmp_path, "clip.mp4,squat,0,1\nclip.mp4,rest,1,2\n"))
    spans, rest_class = training_spans(check, Gaps.ignore)
    assert rest_class and [s.target for s in spans] == [0, 1]
    summary = check.summary()
    assert summary.seconds_per_label["squat"] == 1.0
    assert summary.seconds_per_label[REST_LABEL] == pytest.approx(3.0, abs=0.11)  # 1 s explicit + the last 2 s
    assert summary.rest_seconds_per_video["clip.mp4"] == pytest.approx(3.0, abs=0.11)


def test_truth_marks_explicit_rest_spans_and_gaps_as_rest(tmp_path, four_seconds):
    check = require_valid(write_rows(tmp_path, "clip.mp4,squat,0,1\nclip.mp4,rest,1,2\n"))
    times = np.arange(0, 4, 0.5)
    truth = truth_at(times, check, check.manifest.videos[0], check.manifest.labels)
    assert truth.tolist() == [0, 0, 1, 1, 1, 1, 1, 1]


def test_a_manifest_of_rest_only_is_refused_and_rest_may_not_overlap_a_set(tmp_path, four_seconds):
    check = check_manifest(load_manifest(write_rows(tmp_path, "clip.mp4,rest,,\n")))
    assert any("every span is labelled 'rest'" in p for p in check.problems)
    with pytest.raises(ValidationError, match="overlaps"):
        require_valid(write_rows(tmp_path, "clip.mp4,squat,0,2\nclip.mp4,rest,1,3\n"))


def test_one_exercise_plus_rest_is_enough_to_train_but_one_without_rest_is_not(tmp_path, four_seconds):
    from gymnos_edge.training.train import TrainConfig, train

    manifest = write_rows(tmp_path, "clip.mp4,squat,0,2\n")
    config = TrainConfig(manifest=manifest, out=tmp_path / "run", weights="none", gaps=Gaps.ignore,
                         sampling=SamplingConfig(image_size=32), cache_dir=tmp_path / "cache")  # fmt: skip
    with pytest.raises(UserError, match="at least 2 classes"):
        train(config)
    assert not (tmp_path / "run").exists()


# ---------------------------------------------------------------- the state machine with a rest class

REST_FRAME = (0.05, 0.05, 0.9)
SQUAT_FRAME = (0.9, 0.05, 0.05)


def labels_of(blocks: list[tuple[tuple[float, ...], int]], params=SmoothingParams()) -> list[int]:
    probs = np.concatenate([np.tile(np.float32(p), (n, 1)) for p, n in blocks])
    return smooth_sequence(probs, params, rest_class=True).labels.tolist()


def test_initial_state_with_a_rest_class_shows_the_rest_output():
    np.testing.assert_array_equal(initial_state(3, rest_class=True)[:6], np.float32([1 / 3, 1 / 3, 1 / 3, 2, 2, 0]))


@pytest.mark.parametrize("frames", [1, 10, 200])
def test_a_steady_rest_never_shows_a_set(frames):
    assert set(labels_of([(REST_FRAME, frames)])) == {2}


def test_a_set_between_rests_is_shown_once():
    labels = labels_of([(REST_FRAME, 20), (SQUAT_FRAME, 30), (REST_FRAME, 30)])
    runs = [label for i, label in enumerate(labels) if i == 0 or labels[i - 1] != label]
    assert runs == [2, 0, 2]


def test_rest_is_kept_by_hysteresis_like_a_set():
    # rest shown, then squat leads slightly but below enter: rest is kept while its own EMA ≥ exit
    labels = labels_of([(REST_FRAME, 20), ((0.52, 0.0, 0.48), 30)])
    assert set(labels[20:]) == {2}
    # and left once its smoothed probability falls under exit while squat passes enter
    labels = labels_of([(REST_FRAME, 20), ((0.75, 0.0, 0.25), 30)])
    assert labels[-1] == 0


def test_rest_needs_min_rest_s_to_be_shown():
    params = SmoothingParams(tau_s=0.0, min_rest_s=1.0)  # 5 steps at 0.2 s
    labels = labels_of([(SQUAT_FRAME, 10), (REST_FRAME, 4), (SQUAT_FRAME, 10)], params)
    assert 2 not in labels[10:]
    labels = labels_of([(SQUAT_FRAME, 10), (REST_FRAME, 6), (SQUAT_FRAME, 10)], params)
    assert 2 in labels[10:16]
