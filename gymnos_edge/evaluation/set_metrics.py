"""Scores for a predicted label timeline against the ground truth.

Segmental F1@k and Edit follow MS-TCN (Farha & Gall 2019, after Lea et al.
2017) so the numbers compare with the action-segmentation literature; rest
plays the part of MS-TCN's background class and is left out of both. The other
scores say what a person holding the phone notices: a label that flickers
(flips per minute), a set noticed late (detection delay), a set cut in two or
two sets run together (over- and under-segmentation). Rep counts follow
RepCount (Hu et al., TransRAC, CVPR 2022): MAE normalised by the true count and
off-by-one accuracy (OBO, |counted − true| ≤ 1), here per true set, a missed
set counting zero reps.

Frame labels are class indices with K (the number of classes) for rest, as the
state machine emits them. Accuracy, F1 and Edit are percentages, as in MS-TCN.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Sequence

import numpy as np

from gymnos_edge.common.errors import UserError
from gymnos_edge.common.contract import REST_LABEL
from gymnos_edge.sets.segments import Segment, runs, segment

OVERLAPS = (0.10, 0.25, 0.50)


@dataclass(frozen=True)
class F1Score:
    """Segmental F1 at one IoU threshold, kept as counts so videos can be pooled."""

    overlap: float
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def f1(self) -> float:
        """2TP / (2TP + FP + FN) in percent: MS-TCN's 2PR/(P+R), written so TP = 0 gives 0.

        With no set on either side there is nothing to get wrong, so the score is 100
        (MS-TCN would divide by zero there).
        """
        denominator = 2 * self.true_positives + self.false_positives + self.false_negatives
        if denominator == 0:
            return 100.0
        return 100.0 * 2 * self.true_positives / denominator


@dataclass(frozen=True)
class SegmentScores:
    """Everything that compares the two lists of sets (rests left out)."""

    f1: tuple[F1Score, ...]
    edit: float
    over_segmented: int
    under_segmented: int

    def f1_at(self, overlap: float) -> float:
        return _f1_at(self.f1, overlap)


@dataclass(frozen=True)
class DetectionDelays:
    """Per ground-truth set, seconds until the shown label first agrees with it (None: never)."""

    delays_s: tuple[float | None, ...]

    @property
    def detected(self) -> tuple[float, ...]:
        return tuple(d for d in self.delays_s if d is not None)

    @property
    def missed(self) -> int:
        return len(self.delays_s) - len(self.detected)

    @property
    def mean_s(self) -> float:
        """Mean over the detected sets only (NaN if none was), so misses are counted, not averaged in."""
        return float(np.mean(self.detected)) if self.detected else math.nan


@dataclass(frozen=True)
class SetMatch:
    """A true set and the predicted set that matched it (None: missed)."""

    truth: Segment
    predicted: Segment | None
    iou: float

    @property
    def start_error_s(self) -> float | None:
        """Predicted minus true start: positive = shown late."""
        return None if self.predicted is None else self.predicted.start_s - self.truth.start_s

    @property
    def end_error_s(self) -> float | None:
        return None if self.predicted is None else self.predicted.end_s - self.truth.end_s

    @property
    def counted_reps(self) -> int | None:
        """The reps the phone reports for this true set: its matched set's count, 0 if it was missed."""
        if self.predicted is None:
            return 0
        return self.predicted.reps

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.truth.label,
            "true_start_s": self.truth.start_s,
            "true_end_s": self.truth.end_s,
            "predicted_start_s": None if self.predicted is None else self.predicted.start_s,
            "predicted_end_s": None if self.predicted is None else self.predicted.end_s,
            "iou": self.iou,
            "start_error_s": self.start_error_s,
            "end_error_s": self.end_error_s,
            "true_reps": self.truth.reps,
            "counted_reps": self.counted_reps,
        }


@dataclass(frozen=True)
class RepCounts:
    """True and counted reps of the true sets that have a true count, kept as counts so videos pool.

    MAE is RepCount's mean of |counted − true| / true (sets with a true count of 0 are left out
    of it, as they cannot be normalised); OBO is the share of sets with |counted − true| ≤ 1.
    """

    true: tuple[int, ...] = ()
    counted: tuple[int, ...] = ()
    detected: tuple[bool, ...] = ()  # whether a predicted set was matched to the true set

    @property
    def sets(self) -> int:
        return len(self.true)

    @property
    def mae(self) -> float:
        errors = [abs(c - t) / t for t, c in zip(self.true, self.counted) if t > 0]
        return float(np.mean(errors)) if errors else math.nan

    @property
    def obo(self) -> float:
        hits = [abs(c - t) <= 1 for t, c in zip(self.true, self.counted)]
        return float(np.mean(hits)) if hits else math.nan

    def of_detected(self) -> "RepCounts":
        """Only the sets that were found: how well counting does where set tracking did its part."""
        keep = [i for i, d in enumerate(self.detected) if d]
        return RepCounts(*(tuple(values[i] for i in keep) for values in (self.true, self.counted, self.detected)))

    def __add__(self, other: "RepCounts") -> "RepCounts":
        return RepCounts(self.true + other.true, self.counted + other.counted, self.detected + other.detected)

    def to_dict(self) -> dict[str, Any]:
        detected = self.of_detected()
        return {
            "rep_sets": self.sets,
            "rep_mae": json_float(self.mae),
            "rep_obo": json_float(self.obo),
            "rep_sets_detected": detected.sets,
            "rep_mae_detected": json_float(detected.mae),
            "rep_obo_detected": json_float(detected.obo),
        }


def rep_counts(report: "SetReport") -> RepCounts:
    """Every true set with a true count beside what was counted for it (0 when missed)."""
    matches = [m for m in report.matches if m.truth.reps is not None and m.counted_reps is not None]
    return RepCounts(
        tuple(m.truth.reps for m in matches), tuple(m.counted_reps for m in matches), tuple(m.predicted is not None for m in matches)
    )


@dataclass(frozen=True)
class SetReport:
    """Per video, every true set beside the predicted set that matched it, and the extra ones."""

    matches: tuple[SetMatch, ...]
    extra: tuple[Segment, ...]  # predicted sets that match no true set

    @property
    def missed(self) -> tuple[Segment, ...]:
        return tuple(m.truth for m in self.matches if m.predicted is None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "sets": [m.to_dict() for m in self.matches],
            "extra_sets": [s.to_dict() for s in self.extra],
            "missed_sets": len(self.missed),
        }


def match_sets(true_segments: Sequence[Segment], pred_segments: Sequence[Segment]) -> SetReport:
    """Pair true and predicted sets one to one, same label, highest IoU first (any overlap counts).

    This is what a person reads to see why a score is low; F1@k keeps MS-TCN's own matching.
    """
    truth, predicted = sets_only(true_segments), sets_only(pred_segments)
    pairs = sorted(
        ((iou(t, p), i, j) for i, t in enumerate(truth) for j, p in enumerate(predicted) if t.label == p.label),
        key=lambda pair: (-pair[0], pair[1], pair[2]),
    )
    chosen: dict[int, tuple[int, float]] = {}
    used: set[int] = set()
    for score, i, j in pairs:
        if score > 0 and i not in chosen and j not in used:
            chosen[i] = (j, score)
            used.add(j)
    matches = tuple(
        SetMatch(t, predicted[chosen[i][0]], chosen[i][1]) if i in chosen else SetMatch(t, None, 0.0)
        for i, t in enumerate(truth)
    )
    return SetReport(matches, tuple(p for j, p in enumerate(predicted) if j not in used))


@dataclass(frozen=True)
class SequenceMetrics:
    """All scores of one video."""

    frames: int
    correct_frames: int
    duration_s: float
    flips: int
    segments: SegmentScores
    detection: DetectionDelays
    sets: SetReport = SetReport((), ())

    @property
    def reps(self) -> RepCounts:
        return rep_counts(self.sets)

    @property
    def accuracy(self) -> float:
        """Share of frames, rest frames included (as MS-TCN), whose label is right, in percent."""
        return 100.0 * self.correct_frames / self.frames

    @property
    def flips_per_minute(self) -> float:
        return self.flips / (self.duration_s / 60.0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "frames": self.frames,
            "duration_s": self.duration_s,
            "accuracy": self.accuracy,
            **{_f1_name(s.overlap): s.f1 for s in self.segments.f1},
            "edit": self.segments.edit,
            "flips_per_minute": self.flips_per_minute,
            "detection_delays_s": list(self.detection.delays_s),
            "mean_detection_delay_s": json_float(self.detection.mean_s),
            "missed_sets": self.detection.missed,
            "over_segmented": self.segments.over_segmented,
            "under_segmented": self.segments.under_segmented,
            **self.reps.to_dict(),
            "set_report": self.sets.to_dict(),
        }


@dataclass(frozen=True)
class AggregateMetrics:
    """Scores over many videos, pooled the way MS-TCN pools them.

    Accuracy, flips per minute and detection delay pool frames, minutes and sets
    over all videos; F1 comes from TP/FP/FN summed over all videos; Edit is the
    mean of the per-video Edit scores. Per-video values stay in `sequences`.
    """

    sequences: tuple[SequenceMetrics, ...]

    @property
    def accuracy(self) -> float:
        frames = sum(s.frames for s in self.sequences)
        return 100.0 * sum(s.correct_frames for s in self.sequences) / frames

    @property
    def f1(self) -> tuple[F1Score, ...]:
        return tuple(
            F1Score(
                overlap,
                sum(s.segments.f1[i].true_positives for s in self.sequences),
                sum(s.segments.f1[i].false_positives for s in self.sequences),
                sum(s.segments.f1[i].false_negatives for s in self.sequences),
            )
            for i, overlap in enumerate(OVERLAPS)
        )

    def f1_at(self, overlap: float) -> float:
        return _f1_at(self.f1, overlap)

    @property
    def edit(self) -> float:
        return float(np.mean([s.segments.edit for s in self.sequences]))

    @property
    def flips_per_minute(self) -> float:
        return sum(s.flips for s in self.sequences) / (sum(s.duration_s for s in self.sequences) / 60.0)

    @property
    def detection(self) -> DetectionDelays:
        return DetectionDelays(tuple(d for s in self.sequences for d in s.detection.delays_s))

    @property
    def over_segmented(self) -> int:
        return sum(s.segments.over_segmented for s in self.sequences)

    @property
    def under_segmented(self) -> int:
        return sum(s.segments.under_segmented for s in self.sequences)

    @property
    def reps(self) -> RepCounts:
        """Every counted true set of every video, pooled: MAE and OBO are means over sets."""
        return sum((s.reps for s in self.sequences), RepCounts())

    def to_dict(self) -> dict[str, Any]:
        detection = self.detection
        return {
            "videos": len(self.sequences),
            "accuracy": self.accuracy,
            **{_f1_name(s.overlap): s.f1 for s in self.f1},
            "edit": self.edit,
            "flips_per_minute": self.flips_per_minute,
            "mean_detection_delay_s": json_float(detection.mean_s),
            "missed_sets": detection.missed,
            "over_segmented": self.over_segmented,
            "under_segmented": self.under_segmented,
            **self.reps.to_dict(),
            "per_video": [s.to_dict() for s in self.sequences],
        }


def sets_only(segments: Sequence[Segment]) -> list[Segment]:
    """The sets of a segment list, in time order; rests are MS-TCN's background."""
    return sorted((s for s in segments if s.label != REST_LABEL), key=lambda s: s.start_s)


def overlap_s(a: Segment, b: Segment) -> float:
    return max(0.0, min(a.end_s, b.end_s) - max(a.start_s, b.start_s))


def iou(a: Segment, b: Segment) -> float:
    union = max(a.end_s, b.end_s) - min(a.start_s, b.start_s)
    return overlap_s(a, b) / union if union > 0 else 0.0


def segmental_f1(true_segments: Sequence[Segment], pred_segments: Sequence[Segment], overlap: float) -> F1Score:
    """MS-TCN's F1@overlap: each predicted set is scored against its best same-label true set.

    Among the true sets of its label, a predicted set picks the one of highest IoU
    (the earliest on ties); it is a true positive if that IoU ≥ `overlap` and the
    true set was not already taken, otherwise a false positive, even when another,
    lower-IoU true set is still free. True sets left untaken are false negatives.
    """
    truth, predicted = sets_only(true_segments), sets_only(pred_segments)
    taken = [False] * len(truth)
    true_positives = 0
    for p in predicted:
        scores = [iou(p, t) if t.label_index == p.label_index else 0.0 for t in truth]
        best = int(np.argmax(scores)) if scores else -1
        if best >= 0 and scores[best] >= overlap and not taken[best]:
            taken[best] = True
            true_positives += 1
    return F1Score(overlap, true_positives, len(predicted) - true_positives, len(truth) - true_positives)


def levenshtein(a: Sequence[int], b: Sequence[int]) -> int:
    """Insertions, deletions and substitutions that turn `a` into `b`."""
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, start=1):
        current = [i]
        for j, y in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def edit_score(true_segments: Sequence[Segment], pred_segments: Sequence[Segment]) -> float:
    """(1 - Levenshtein / longer length) × 100 over the sequences of set labels, as MS-TCN.

    It rewards getting the order of sets right whatever their timing. With no set
    on either side the sequences agree, so the score is 100.
    """
    truth = [s.label_index for s in sets_only(true_segments)]
    predicted = [s.label_index for s in sets_only(pred_segments)]
    longest = max(len(truth), len(predicted))
    if longest == 0:
        return 100.0
    return (1.0 - levenshtein(predicted, truth) / longest) * 100.0


def over_segmented(true_segments: Sequence[Segment], pred_segments: Sequence[Segment]) -> int:
    """True sets cut into pieces: those overlapped (for more than zero seconds) by more than one
    predicted set of their own label."""
    predicted = sets_only(pred_segments)
    return sum(
        1
        for t in sets_only(true_segments)
        if sum(1 for p in predicted if p.label_index == t.label_index and overlap_s(p, t) > 0) > 1
    )


def under_segmented(true_segments: Sequence[Segment], pred_segments: Sequence[Segment]) -> int:
    """Predicted sets that run true sets together: those overlapping (for more than zero seconds)
    more than one true set, whatever its label."""
    truth = sets_only(true_segments)
    return sum(1 for p in sets_only(pred_segments) if sum(1 for t in truth if overlap_s(p, t) > 0) > 1)


def score_segments(true_segments: Sequence[Segment], pred_segments: Sequence[Segment]) -> SegmentScores:
    return SegmentScores(
        f1=tuple(segmental_f1(true_segments, pred_segments, k) for k in OVERLAPS),
        edit=edit_score(true_segments, pred_segments),
        over_segmented=over_segmented(true_segments, pred_segments),
        under_segmented=under_segmented(true_segments, pred_segments),
    )


def count_flips(labels: Sequence[int]) -> int:
    """Changes of the shown label between consecutive frames (to and from rest included)."""
    return int(np.count_nonzero(np.diff(np.asarray(labels))))


def detection_delays(
    true_labels: Sequence[int], pred_labels: Sequence[int], times: Sequence[float], rest: int
) -> DetectionDelays:
    """For each true set, seconds from its first frame to the first frame of it showing its label.

    Meant for the labels as shown live (not dated back): it measures how long a
    person waits before the phone names the set.
    """
    truth, predicted = np.asarray(true_labels), np.asarray(pred_labels)
    times = np.asarray(times, dtype=np.float64)
    delays: list[float | None] = []
    for label, first, last in runs(truth):
        if label == rest:
            continue
        hits = np.flatnonzero(predicted[first : last + 1] == label)
        delays.append(float(times[first + hits[0]] - times[first]) if hits.size else None)
    return DetectionDelays(tuple(delays))


def evaluate_sequence(
    true_labels: Sequence[int],
    pred_labels: Sequence[int],
    times: Sequence[float],
    every_s: float,
    class_names: Sequence[str],
    held: Sequence[float] | None = None,
    reps: Sequence[int] | None = None,
    true_reps: Sequence[tuple[float, float, int | None]] = (),
) -> SequenceMetrics:
    """Score one video from its frame labels (class indices, len(class_names) for rest).

    Frame scores (accuracy, flips, detection delay) use `pred_labels` as shown
    live. Set scores (F1, Edit, over/under) use the list of sets the phone
    reports: pass the state machine's `held` counters to date its sets back, as
    `segments.segment` does, and its `reps` to give each set its count.
    `true_reps` are the labelled spans' (start, end, reps): a true set's count is
    the sum over the spans whose middle it covers (None if one was not counted).
    """
    rest = len(class_names)
    truth, predicted, times = _checked(true_labels, pred_labels, times, every_s, rest, held)
    true_segments = with_true_reps(segment(times, truth, class_names, every_s).sets, true_reps)
    pred_segments = segment(times, predicted, class_names, every_s, held=held, reps=reps).sets
    return SequenceMetrics(
        frames=int(truth.size),
        correct_frames=int(np.count_nonzero(truth == predicted)),
        duration_s=float(times[-1] + every_s - times[0]),
        flips=count_flips(predicted),
        segments=score_segments(true_segments, pred_segments),
        detection=detection_delays(truth, predicted, times, rest),
        sets=match_sets(true_segments, pred_segments),
    )


def with_true_reps(sets: Sequence[Segment], spans: Sequence[tuple[float, float, int | None]]) -> tuple[Segment, ...]:
    """True sets with their counts: touching spans of one exercise make one set, and their reps add up."""
    if not spans:
        return tuple(sets)
    result = []
    for s in sets:
        inside = [reps for start, end, reps in spans if s.start_s <= (start + end) / 2 < s.end_s]
        total = None if not inside or any(r is None for r in inside) else int(sum(inside))
        result.append(replace(s, reps=total))
    return tuple(result)


def aggregate(results: Sequence[SequenceMetrics]) -> AggregateMetrics:
    if not results:
        raise UserError("no videos to aggregate metrics over")
    return AggregateMetrics(tuple(results))


def _checked(
    true_labels: Sequence[int],
    pred_labels: Sequence[int],
    times: Sequence[float],
    every_s: float,
    rest: int,
    held: Sequence[float] | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    truth, predicted = np.asarray(true_labels), np.asarray(pred_labels)
    times = np.asarray(times, dtype=np.float64)
    if not every_s > 0:
        raise UserError(f"every_s must be > 0, got {every_s}")
    if truth.ndim != 1 or truth.size == 0:
        raise UserError(f"true labels: expected a non-empty 1-D array of frame labels, got shape {truth.shape}")
    for name, values in (("predicted labels", predicted), ("times", times), ("held", held)):
        if values is not None and np.shape(values) != truth.shape:
            raise UserError(f"{name}: expected shape {truth.shape} like the true labels, got {np.shape(values)}")
    for name, labels in (("true labels", truth), ("predicted labels", predicted)):
        if not np.issubdtype(labels.dtype, np.integer):
            raise UserError(f"{name}: expected integer class indices, got {labels.dtype}")
        outside = np.flatnonzero((labels < 0) | (labels > rest))
        if outside.size:
            raise UserError(
                f"{name}: frame {int(outside[0])} has label {int(labels[outside[0]])}, "
                f"outside 0…{rest} ({rest} = rest)"
            )
    return truth, predicted, times


def _f1_at(scores: Sequence[F1Score], overlap: float) -> float:
    for score in scores:
        if math.isclose(score.overlap, overlap):
            return score.f1
    raise UserError(f"F1 is computed at IoU {', '.join(map(str, OVERLAPS))}, not {overlap}")


def _f1_name(overlap: float) -> str:
    return f"F1@{round(overlap * 100):d}"


def json_float(value: float) -> float | None:
    return None if math.isnan(value) else value
