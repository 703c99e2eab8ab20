"""From a per-frame label timeline to the list of sets and the rests between them.

The rules are those of docs/smoothing.md ("From labels to sets"); ground-truth
timelines use the same function without `held`, so predictions and truth are
cut into sets the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from gymnos_edge.common.contract import REST_LABEL


@dataclass(frozen=True)
class Segment:
    """One run of the same label: a set of an exercise, or a rest (label index K)."""

    label: str
    label_index: int
    start_s: float
    end_s: float
    mean_confidence: float | None = None
    reps: int | None = None  # reps counted in a set; None for rests and when not counted

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    def to_dict(self) -> dict:
        return {
            "label": self.label,
            "label_index": self.label_index,
            "start_s": self.start_s,
            "end_s": self.end_s,
            "duration_s": self.duration_s,
            "mean_confidence": self.mean_confidence,
            "reps": self.reps,
        }


@dataclass(frozen=True)
class Timeline:
    sets: tuple[Segment, ...]
    rests: tuple[Segment, ...]

    def to_dict(self) -> dict:
        return {
            "sets": [s.to_dict() for s in self.sets],
            "rests": [{k: r.to_dict()[k] for k in ("start_s", "end_s", "duration_s")} for r in self.rests],
        }


def date_back(labels: np.ndarray, held: np.ndarray) -> np.ndarray:
    """Move each change of shown label back to the first frame its candidate was proposed."""
    result = np.asarray(labels).copy()
    for i in range(1, len(result)):
        if labels[i] != labels[i - 1]:
            first = max(0, i - int(held[i]) + 1)
            result[first:i] = labels[i]
    return result


def runs(labels: np.ndarray) -> list[tuple[int, int, int]]:
    """(label, first frame, last frame) of every run of equal labels."""
    labels = np.asarray(labels)
    if labels.size == 0:
        return []
    cuts = np.flatnonzero(np.diff(labels)) + 1
    starts = np.concatenate([[0], cuts])
    ends = np.concatenate([cuts - 1, [labels.size - 1]])
    return [(int(labels[a]), int(a), int(b)) for a, b in zip(starts, ends)]


def segment(
    times: Sequence[float],
    labels: Sequence[int],
    class_names: Sequence[str],
    every_s: float,
    confidences: np.ndarray | None = None,
    held: Sequence[int] | None = None,
    reps: Sequence[int] | None = None,
) -> Timeline:
    """Cut a timeline into sets and rests.

    `labels` are class indices with K (= len(class_names)) for rest; `held` (the
    candidate counter of each state) dates changes back; `confidences` (T, K)
    gives each set its mean probability; `reps` (the state's rep count after each
    step) gives each set the count of the last frame that showed it, what the
    phone showed when the set ended.
    """
    times = np.asarray(times, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    # Dating back moves a set's end earlier, into the run that showed it: its count is the one that run ended with.
    shown = labels
    shown_until = np.zeros(len(labels), np.int64)
    for _, first, last in runs(shown):
        shown_until[first : last + 1] = last
    if held is not None:
        labels = date_back(labels, np.asarray(held))
    n = len(class_names)
    sets, rests = [], []
    for label, first, last in runs(labels):
        start, end = float(times[first]), float(times[last] + every_s)
        if label == n:
            rests.append(Segment(REST_LABEL, n, start, end))
            continue
        confidence = None
        if confidences is not None:
            confidence = float(np.mean(np.asarray(confidences)[first : last + 1, label], dtype=np.float64))
        count = None if reps is None else int(reps[shown_until[last] if shown[last] == label else last])
        sets.append(Segment(class_names[label], label, start, end, confidence, count))
    return Timeline(tuple(sets), tuple(rests))
