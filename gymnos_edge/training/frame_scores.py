"""Frame-level classification scores: confusion matrix, accuracy, balanced accuracy, per-class precision/recall/F1.

Balanced accuracy (the mean recall over the classes present) stands beside
accuracy because real footage is lopsided: a model that calls everything the
commonest class scores its share as accuracy, but 1/K as balanced accuracy.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Sequence

import numpy as np


@dataclass(frozen=True)
class ClassScores:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class ClassificationReport:
    frames: int
    accuracy: float
    per_class: dict[str, ClassScores]
    confusion: list[list[int]]  # rows: true label, columns: predicted label
    balanced_accuracy: float = float("nan")  # mean recall over the classes with frames

    def to_dict(self) -> dict:
        values = asdict(self)
        values["per_class"] = {k: asdict(v) for k, v in self.per_class.items()}
        return values


def confusion_matrix(true: Sequence[int], predicted: Sequence[int], n_classes: int) -> np.ndarray:
    matrix = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(matrix, (np.asarray(true, np.int64), np.asarray(predicted, np.int64)), 1)
    return matrix


def classification_report(true: Sequence[int], predicted: Sequence[int], labels: Sequence[str]) -> ClassificationReport:
    matrix = confusion_matrix(true, predicted, len(labels))
    total = int(matrix.sum())
    per_class = {}
    for index, label in enumerate(labels):
        hits = matrix[index, index]
        predicted_count, support = matrix[:, index].sum(), matrix[index].sum()
        precision = hits / predicted_count if predicted_count else 0.0
        recall = hits / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = ClassScores(float(precision), float(recall), float(f1), int(support))
    accuracy = float(np.trace(matrix) / total) if total else float("nan")
    recalls = [scores.recall for scores in per_class.values() if scores.support]
    balanced = float(np.mean(recalls)) if recalls else float("nan")
    return ClassificationReport(total, accuracy, per_class, matrix.tolist(), balanced)
