"""Every metric against small cases worked out by hand (the reasoning is in the comments)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from gymnos_edge.common.errors import UserError
from gymnos_edge.evaluation.set_metrics import (
    RepCounts,
    aggregate,
    count_flips,
    detection_delays,
    edit_score,
    evaluate_sequence,
    iou,
    levenshtein,
    over_segmented,
    score_segments,
    segmental_f1,
    under_segmented,
    with_true_reps,
)
from gymnos_edge.sets.segments import REST_LABEL, Segment

NAMES = ("squat", "overhead_press")
REST = 2


def seg(label_index: int, start: float, end: float) -> Segment:
    return Segment(NAMES[label_index], label_index, start, end)


# Ground truth: squat [0, 10), press [12, 20), squat [25, 30).
TRUTH = [seg(0, 0, 10), seg(1, 12, 20), seg(0, 25, 30)]
# Predicted: squat [1, 9), press cut in two [12, 14) + [15, 20), squat [26, 40).
PREDICTED = [seg(0, 1, 9), seg(1, 12, 14), seg(1, 15, 20), seg(0, 26, 40)]


def test_iou_by_hand():
    assert iou(seg(0, 1, 9), seg(0, 0, 10)) == pytest.approx(0.8)  # 8 / 10
    assert iou(seg(1, 12, 14), seg(1, 12, 20)) == 0.25  # 2 / 8, exactly
    assert iou(seg(0, 0, 1), seg(0, 2, 3)) == 0.0


@pytest.mark.parametrize(
    ("overlap", "counts", "f1"),
    [
        # IoUs with the best same-label truth: squat 0.8 (squat 1), press 0.25 (press),
        # press 0.625 (press), squat 4/15 = 0.267 (squat 2).
        # At 0.10 and 0.25: squat, first press, last squat are hits; the second press finds the
        # press already taken → FP. TP 3, FP 1, FN 0 → F1 = 6 / (6 + 1) = 85.71 %.
        (0.10, (3, 1, 0), 600 / 7),
        (0.25, (3, 1, 0), 600 / 7),
        # At 0.50: first press (0.25) and last squat (0.267) miss → FP; the second press (0.625)
        # now finds the press free → TP. TP 2, FP 2, FN 1 (squat 2) → F1 = 4 / 7 = 57.14 %.
        (0.50, (2, 2, 1), 400 / 7),
    ],
)
def test_segmental_f1_by_hand(overlap, counts, f1):
    score = segmental_f1(TRUTH, PREDICTED, overlap)
    assert (score.true_positives, score.false_positives, score.false_negatives) == counts
    assert score.f1 == pytest.approx(f1)


def test_f1_scores_the_best_iou_truth_only_as_ms_tcn():
    # Truth: squat [0, 10), squat [12, 22). Prediction [0, 8) takes squat 1 (IoU 0.8).
    # Prediction [2, 14) has IoU 8/14 = 0.57 with squat 1 and 2/20 = 0.1 with squat 2: its best,
    # squat 1, is taken, so it is a false positive although squat 2 is free at 0.10.
    # TP 1, FP 1, FN 1 → F1 = 2 / (2 + 1 + 1) = 50 %.
    score = segmental_f1([seg(0, 0, 10), seg(0, 12, 22)], [seg(0, 0, 8), seg(0, 2, 14)], 0.10)
    assert (score.true_positives, score.false_positives, score.false_negatives) == (1, 1, 1)
    assert score.f1 == pytest.approx(50.0)


def test_f1_needs_the_same_label():
    # Perfect timing, wrong exercise: FP 1, FN 1, F1 0.
    score = segmental_f1([seg(0, 0, 10)], [seg(1, 0, 10)], 0.10)
    assert (score.true_positives, score.false_positives, score.false_negatives, score.f1) == (0, 1, 1, 0.0)


def test_rests_are_background():
    rest = Segment(REST_LABEL, REST, 10, 12)
    assert segmental_f1(TRUTH + [rest], PREDICTED, 0.5) == segmental_f1(TRUTH, PREDICTED + [rest], 0.5)
    assert edit_score([rest], [rest]) == 100.0


def test_empty_on_both_sides_is_perfect():
    assert segmental_f1([], [], 0.1).f1 == 100.0
    assert edit_score([], []) == 100.0


def test_levenshtein_by_hand():
    assert levenshtein([1, 2, 3], [1, 2, 3]) == 0
    assert levenshtein([], [1, 2]) == 2
    # kitten → sitting: two substitutions and one insertion.
    assert levenshtein(list("kitten"), list("sitting")) == 3


def test_edit_by_hand():
    # Truth labels [squat, press, squat], predicted [squat, press, press, squat]: one deletion,
    # longer length 4 → (1 - 1/4) × 100 = 75.
    assert edit_score(TRUTH, PREDICTED) == 75.0
    # [squat] against [press]: one substitution over length 1 → 0.
    assert edit_score([seg(0, 0, 1)], [seg(1, 0, 1)]) == 0.0


def test_over_segmentation_by_hand():
    # The press [12, 20) is overlapped by the predicted presses [12, 14) and [15, 20): 1 over-segmented.
    assert over_segmented(TRUTH, PREDICTED) == 1
    # A piece of another label does not count: a squat and a press inside one true squat.
    assert over_segmented([seg(0, 0, 10)], [seg(0, 0, 5), seg(1, 5, 10)]) == 0
    # Touching is not overlapping: [0, 5) and [5, 10) against a truth [5, 10).
    assert over_segmented([seg(0, 5, 10)], [seg(0, 0, 5), seg(0, 5, 10)]) == 0


def test_under_segmentation_by_hand():
    # One predicted squat [0, 20) runs two true sets together (squat [0, 10), press [12, 20)).
    assert under_segmented([seg(0, 0, 10), seg(1, 12, 20)], [seg(0, 0, 20)]) == 1
    assert under_segmented(TRUTH, PREDICTED) == 0


def test_score_segments_by_hand():
    scores = score_segments(TRUTH, PREDICTED)
    assert scores.f1_at(0.1) == pytest.approx(600 / 7)
    assert scores.f1_at(0.5) == pytest.approx(400 / 7)
    assert (scores.edit, scores.over_segmented, scores.under_segmented) == (75.0, 1, 0)
    with pytest.raises(UserError, match="not 0.75"):
        scores.f1_at(0.75)


def test_count_flips():
    assert count_flips([2, 2, 0, 0, 2, 1]) == 3
    assert count_flips([0]) == 0


# Interval 1 s, 12 frames, rest = 2.
#   frame:  0  1  2  3  4  5  6  7  8  9 10 11
TRUE = [2, 2, 0, 0, 0, 0, 2, 2, 1, 1, 1, 2]
PRED = [2, 2, 2, 0, 0, 0, 0, 2, 2, 2, 1, 1]
TIMES = np.arange(12) * 1.0


def test_evaluate_sequence_by_hand():
    result = evaluate_sequence(TRUE, PRED, TIMES, 1.0, NAMES)
    # Wrong frames: 2, 6, 8, 9, 11 → 7 of 12 right = 58.33 %.
    assert result.frames == 12 and result.correct_frames == 7
    assert result.accuracy == pytest.approx(700 / 12)
    # Changes 2→0 (frame 3), 0→2 (frame 7), 2→1 (frame 10) over 12 s = 0.2 min → 15 per minute.
    assert result.flips == 3 and result.duration_s == 12.0
    assert result.flips_per_minute == pytest.approx(15.0)
    # Squat starts at frame 2, first shown at 3 → 1 s; press starts at 8, first shown at 10 → 2 s.
    assert result.detection.delays_s == (1.0, 2.0)
    assert result.detection.mean_s == 1.5 and result.detection.missed == 0
    # Sets: true squat [2, 6), press [8, 11); predicted squat [3, 7), press [10, 12).
    # IoU squat 3/5 = 0.6, press 1/4 = 0.25: F1 100 at 0.10 and 0.25; at 0.50 TP 1, FP 1, FN 1 → 50.
    assert [result.segments.f1_at(k) for k in (0.1, 0.25, 0.5)] == [100.0, 100.0, 50.0]
    assert result.segments.edit == 100.0


def test_evaluate_sequence_dates_predicted_sets_back():
    # Held counters at the changes: frame 3 held 2 (squat from frame 2), frame 7 held 1,
    # frame 10 held 3 (press from frame 8). Dated-back sets: squat [2, 7), press [8, 12):
    # IoU 4/5 and 3/4, so F1 is 100 at every threshold. Frame scores use the live labels.
    held = [1, 1, 1, 2, 3, 4, 5, 1, 1, 2, 3, 4]
    result = evaluate_sequence(TRUE, PRED, TIMES, 1.0, NAMES, held=held)
    assert [result.segments.f1_at(k) for k in (0.1, 0.25, 0.5)] == [100.0, 100.0, 100.0]
    assert result.correct_frames == 7 and result.detection.delays_s == (1.0, 2.0)


def test_missed_sets_are_counted_not_averaged():
    # Squat (frames 0–1) shown at once → 0 s; press (frames 3–4) never shown → missed.
    delays = detection_delays([0, 0, 2, 1, 1], [0, 0, 2, 2, 2], np.arange(5) * 0.5, REST)
    assert delays.delays_s == (0.0, None)
    assert delays.mean_s == 0.0 and delays.missed == 1
    assert math.isnan(detection_delays([1, 1], [0, 0], [0.0, 1.0], REST).mean_s)


def test_aggregate_by_hand():
    first = evaluate_sequence(TRUE, PRED, TIMES, 1.0, NAMES)
    # 4 s of squat shown as press: accuracy 0, F1 TP 0 / FP 1 / FN 1, Edit 0, 0 flips, 1 missed set.
    second = evaluate_sequence([0, 0, 0, 0], [1, 1, 1, 1], np.arange(4) * 1.0, 1.0, NAMES)
    total = aggregate([first, second])
    # Frames pooled: (7 + 0) / (12 + 4) = 43.75 %.
    assert total.accuracy == pytest.approx(43.75)
    # F1@10: TP 2, FP 1, FN 1 → 4 / 6 = 66.67 %. F1@50: TP 1, FP 2, FN 2 → 2 / 6 = 33.33 %.
    assert total.f1_at(0.1) == pytest.approx(200 / 3)
    assert total.f1_at(0.5) == pytest.approx(100 / 3)
    # Edit is the mean over videos: (100 + 0) / 2.
    assert total.edit == 50.0
    # 3 flips over 16 s → 11.25 per minute.
    assert total.flips_per_minute == pytest.approx(11.25)
    # Delays pooled over sets: (1 + 2) / 2 = 1.5 s, one set missed.
    assert total.detection.mean_s == 1.5 and total.detection.missed == 1
    assert (total.over_segmented, total.under_segmented) == (0, 0)


def test_to_dict_is_plain_json():
    total = aggregate([evaluate_sequence([0, 0], [1, 1], [0.0, 1.0], 1.0, NAMES)])
    values = json.loads(json.dumps(total.to_dict()))
    assert values["F1@10"] == 0.0 and values["F1@25"] == 0.0 and values["F1@50"] == 0.0
    assert values["mean_detection_delay_s"] is None and values["missed_sets"] == 1
    assert values["per_video"][0]["detection_delays_s"] == [None]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([0, 3], [0, 0], [0.0, 1.0], 1.0), "true labels: frame 1 has label 3, outside 0…2 (2 = rest)"),
        (([0, 0], [0, -1], [0.0, 1.0], 1.0), "predicted labels: frame 1 has label -1"),
        (([0, 0], [0, 0, 0], [0.0, 1.0], 1.0), "predicted labels: expected shape (2,) like the true labels, got (3,)"),
        (([0, 0], [0, 0], [0.0], 1.0), "times: expected shape (2,)"),
        (([0.0, 1.0], [0, 1], [0.0, 1.0], 1.0), "true labels: expected integer class indices"),
        (([], [], [], 1.0), "true labels: expected a non-empty 1-D array"),
        (([0, 0], [0, 0], [0.0, 1.0], 0.0), "every_s must be > 0, got 0.0"),
    ],
)
def test_bad_input_is_refused(args, message):
    with pytest.raises(UserError) as error:
        evaluate_sequence(*args, NAMES)
    assert message in str(error.value)


def test_bad_held_is_refused():
    with pytest.raises(UserError, match=r"held: expected shape \(2,\)"):
        evaluate_sequence([0, 0], [0, 0], [0.0, 1.0], 1.0, NAMES, held=[1])


def test_aggregate_needs_videos():
    with pytest.raises(UserError, match="no videos"):
        aggregate([])


# ---------------------------------------------------------------- rep counts (RepCount's MAE and OBO)


def test_rep_mae_and_obo_by_hand():
    # true 8, 4, 5, 10 against counted 8, 5, 3, 0 (the last set missed):
    # |Δ|/true = 0, 1/4, 2/5, 10/10 → MAE (0 + 0.25 + 0.4 + 1) / 4 = 0.4125; within ±1: 8 and 5 → OBO 2/4.
    counts = RepCounts((8, 4, 5, 10), (8, 5, 3, 0), (True, True, True, False))
    assert counts.mae == pytest.approx(0.4125) and counts.obo == 0.5
    # found sets only: (0 + 0.25 + 0.4) / 3 = 0.21667, OBO 2/3
    detected = counts.of_detected()
    assert detected.sets == 3 and detected.mae == pytest.approx(0.65 / 3) and detected.obo == pytest.approx(2 / 3)
    # a true count of 0 cannot be normalised: left out of MAE, kept in OBO (1 counted is within one)
    zero = RepCounts((0, 4), (1, 4), (True, True))
    assert zero.mae == 0.0 and zero.obo == 1.0
    assert math.isnan(RepCounts().mae) and math.isnan(RepCounts().obo)
    pooled = RepCounts((8,), (8,), (True,)) + RepCounts((4,), (6,), (True,))
    assert pooled.true == (8, 4) and pooled.mae == pytest.approx(0.25) and pooled.obo == 0.5
    assert counts.to_dict()["rep_mae"] == pytest.approx(0.4125) and RepCounts().to_dict()["rep_mae"] is None


def test_touching_spans_of_one_exercise_add_their_reps():
    sets = (seg(0, 0, 10), seg(1, 12, 20))
    spans = [(0.0, 4.0, 3), (4.0, 10.0, 5), (12.0, 20.0, None)]
    counted = with_true_reps(sets, spans)
    assert [s.reps for s in counted] == [8, None]  # a set with an uncounted span has no true count


def test_evaluate_sequence_reports_the_reps_of_each_true_set():
    # true squat [2, 6) with 3 reps and press [8, 11) with 2; the phone counted 3 for squat (its last
    # frame, 6, holds 3) and never showed press until frame 10, where it counts 1 → matched, 1 rep.
    reps = [0, 0, 0, 1, 2, 3, 3, 0, 0, 0, 1, 1]
    result = evaluate_sequence(TRUE, PRED, TIMES, 1.0, NAMES, reps=reps, true_reps=[(2.0, 6.0, 3), (8.0, 11.0, 2)])
    assert [(m.truth.reps, m.counted_reps) for m in result.sets.matches] == [(3, 3), (2, 1)]
    # MAE (0 + 1/2) / 2 = 0.25; both within one → OBO 1
    assert result.reps.mae == pytest.approx(0.25) and result.reps.obo == 1.0
    assert result.to_dict()["rep_obo"] == 1.0 and result.to_dict()["set_report"]["sets"][0]["counted_reps"] == 3
    # the squat set missed altogether counts 0 of its 3 reps
    missed = evaluate_sequence(TRUE, [2] * 12, TIMES, 1.0, NAMES, reps=[0] * 12, true_reps=[(2.0, 6.0, 3)])
    assert [(m.truth.reps, m.counted_reps) for m in missed.sets.matches] == [(3, 0), (None, 0)]
    assert missed.reps.true == (3,) and missed.reps.mae == 1.0 and missed.reps.obo == 0.0
