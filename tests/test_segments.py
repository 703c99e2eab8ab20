"""Cutting label timelines into sets and rests, and dating sets back to their first proposal."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gymnos_edge.sets.segments import REST_LABEL, Segment, Timeline, date_back, runs, segment
from gymnos_edge.sets.smoothing import smooth_sequence
from smoothing_strategies import prob_sequences, smoothing_params

PROPERTY = settings(max_examples=60, deadline=None)
NAMES = ("squat", "overhead_press")


def test_runs_by_hand():
    assert runs(np.array([2, 2, 0, 0, 0, 2, 1])) == [(2, 0, 1), (0, 2, 4), (2, 5, 5), (1, 6, 6)]
    assert runs(np.array([1])) == [(1, 0, 0)]
    assert runs(np.array([], dtype=int)) == []


def test_date_back_by_hand():
    # Frame 3 shows squat after its candidate was held 3 steps: frames 1 and 2 become squat.
    # Frame 6 shows rest after 2 steps: frame 5 becomes rest.
    labels = np.array([2, 2, 2, 0, 0, 0, 2, 2])
    held = np.array([1, 1, 2, 3, 4, 1, 2, 3])
    np.testing.assert_array_equal(date_back(labels, held), [2, 0, 0, 0, 0, 2, 2, 2])
    np.testing.assert_array_equal(labels, [2, 2, 2, 0, 0, 0, 2, 2]), "the input is left alone"


def test_date_back_stops_at_the_first_frame():
    np.testing.assert_array_equal(date_back(np.array([2, 0]), np.array([1, 5])), [0, 0])


def test_segment_by_hand():
    # interval 0.5 s; frames at 0, 0.5, … 3.0. Labels: rest, squat ×3, rest, press ×2.
    times = np.arange(7) * 0.5
    labels = [2, 0, 0, 0, 2, 1, 1]
    confidences = np.array([[0.5, 0.5], [0.8, 0.2], [0.9, 0.1], [0.7, 0.3], [0.4, 0.6], [0.2, 0.8], [0.1, 0.9]])
    timeline = segment(times, labels, NAMES, 0.5, confidences=confidences)
    # squat covers frames 1–3: [0.5, 2.0), mean confidence (0.8 + 0.9 + 0.7) / 3 = 0.8
    # press covers frames 5–6: [2.5, 3.5), mean confidence (0.8 + 0.9) / 2 = 0.85
    assert timeline.sets == (
        Segment("squat", 0, 0.5, 2.0, pytest.approx(0.8)),
        Segment("overhead_press", 1, 2.5, 3.5, pytest.approx(0.85)),
    )
    assert timeline.rests == (Segment(REST_LABEL, 2, 0.0, 0.5), Segment(REST_LABEL, 2, 2.0, 2.5))
    assert timeline.sets[0].duration_s == 1.5


def test_segment_dates_back_with_held():
    # The same squat, shown at frame 3 after being held 3 steps, starts at frame 1 once dated back.
    times = np.arange(5) * 0.2
    timeline = segment(times, [2, 2, 2, 0, 0], NAMES, 0.2, held=[1, 1, 2, 3, 4])
    assert [(s.label, s.start_s, s.end_s) for s in timeline.sets] == [("squat", 0.2, 1.0)]


def test_segment_without_confidences_leaves_them_out():
    timeline = segment([0.0, 1.0], [0, 0], NAMES, 1.0)
    assert timeline.sets == (Segment("squat", 0, 0.0, 2.0, None),)


def test_timeline_to_dict():
    timeline = Timeline((Segment("squat", 0, 1.0, 4.0, 0.9),), (Segment(REST_LABEL, 2, 0.0, 1.0),))
    assert timeline.to_dict() == {
        "sets": [
            {
                "label": "squat",
                "label_index": 0,
                "start_s": 1.0,
                "end_s": 4.0,
                "duration_s": 3.0,
                "mean_confidence": 0.9,
                "reps": None,
            }
        ],
        "rests": [{"start_s": 0.0, "end_s": 1.0, "duration_s": 1.0}],
    }


@PROPERTY
@given(st.lists(st.integers(0, 3), max_size=50))
def test_runs_rebuild_the_labels(labels):
    found = runs(np.array(labels, dtype=int))
    assert [label for label, first, last in found for _ in range(first, last + 1)] == labels
    assert all(a[0] != b[0] for a, b in zip(found, found[1:]))
    assert all(a[2] + 1 == b[1] for a, b in zip(found, found[1:]))


def smoothed_timeline(params, probs):
    result = smooth_sequence(probs, params)
    times = np.arange(len(probs)) * params.every_s
    names = [f"class{i}" for i in range(probs.shape[1])]
    timeline = segment(times, result.labels, names, params.every_s, confidences=result.smoothed, held=result.held)
    return result, timeline


@PROPERTY
@given(params=smoothing_params(), probs=prob_sequences(frames=(1, 120)))
def test_every_set_lasts_at_least_min_set_s(params, probs):
    _, timeline = smoothed_timeline(params, probs)
    for s in timeline.sets:
        assert s.duration_s >= params.min_set_s - 1e-9, (s, params)


@PROPERTY
@given(params=smoothing_params(), probs=prob_sequences(frames=(1, 120)))
def test_dating_back_never_swallows_a_run(params, probs):
    # Dating back only moves a change earlier over frames whose candidate was already the new label,
    # so the runs keep their order and number. The one exception is the initial rest, which was
    # shown without being proposed: a set proposed from the first frame on starts at 0.
    result, _ = smoothed_timeline(params, probs)
    before = [label for label, _, _ in runs(result.labels)]
    after = [label for label, _, _ in runs(date_back(result.labels, result.held))]
    rest = probs.shape[1]
    assert after == before or (before[0] == rest and after == before[1:])


@PROPERTY
@given(params=smoothing_params(), probs=prob_sequences(frames=(1, 120)))
def test_sets_and_rests_tile_the_timeline(params, probs):
    _, timeline = smoothed_timeline(params, probs)
    pieces = sorted(timeline.sets + timeline.rests, key=lambda s: s.start_s)
    assert pieces[0].start_s == 0.0
    assert pieces[-1].end_s == pytest.approx(len(probs) * params.every_s, abs=1e-9)
    for a, b in zip(pieces, pieces[1:]):
        assert b.start_s == pytest.approx(a.end_s, abs=1e-9)
    for s in timeline.sets:
        assert 0.0 <= s.mean_confidence <= 1.0


def test_a_set_reports_the_count_it_last_showed():
    # squat (0) shown at frames 2–5; rest (2) shown at 6 after being proposed from frame 5 (held 2),
    # so the set is dated back to end at frame 4, but the phone showed 3 reps at frame 5: it reports 3.
    labels = [2, 2, 0, 0, 0, 0, 2, 2]
    held = [1, 2, 3, 4, 5, 1, 2, 3]
    reps = [0, 0, 1, 1, 2, 3, 0, 0]
    timeline = segment(np.arange(8) * 1.0, labels, NAMES, 1.0, held=held, reps=reps)
    assert [(s.label, s.start_s, s.end_s, s.reps) for s in timeline.sets] == [("squat", 0.0, 5.0, 3)]
    assert segment(np.arange(8) * 1.0, labels, NAMES, 1.0).sets[0].reps is None
