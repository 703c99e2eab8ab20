"""Multinomial logistic regression on cached features, its L2 strength chosen inside the training split.

The honest baseline for any backbone: a linear read-out cannot memorise a gym
the way a 25-million-weight head can, and its one knob, the L2 strength, is
chosen by cross-validation over whole groups of the training split
(`gymnos_edge.data.splits.group_folds`), so validation and test frames never
take part in any decision. Fitted in NumPy (L-BFGS, a few seconds at most),
then handed to Keras as one Dense layer, so export and inference see an
ordinary head.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Hashable, Sequence

import numpy as np

from gymnos_edge.data.splits import group_folds

L2_GRID = (1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0)
_FOLDS = 5
_ITERATIONS = 300
_HISTORY = 10  # L-BFGS memory
_TOLERANCE = 1e-6


@dataclass(frozen=True)
class LogisticFit:
    """A fitted read-out: probabilities = softmax(features @ weights + bias), on unscaled features."""

    weights: np.ndarray  # (D, K)
    bias: np.ndarray  # (K,)
    l2: float
    cv_balanced_accuracy: dict[float, float] = field(default_factory=dict)  # L2 strength → score of its folds
    folds: int = 0

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        return _softmax(np.asarray(features, np.float64) @ self.weights + self.bias)

    def summary(self) -> dict:
        return {"l2": self.l2, "folds": self.folds, "cv_balanced_accuracy": {str(k): v for k, v in self.cv_balanced_accuracy.items()}}


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def balanced_weights(targets: np.ndarray, n_classes: int) -> np.ndarray:
    """Per-sample weights making every present class count the same in total (mean weight 1)."""
    counts = np.bincount(targets, minlength=n_classes).astype(np.float64)
    per_class = np.where(counts > 0, len(targets) / (np.count_nonzero(counts) * np.maximum(counts, 1)), 0.0)
    return per_class[targets]


def balanced_accuracy(true: np.ndarray, predicted: np.ndarray) -> float:
    """Mean recall over the classes present in `true`."""
    true, predicted = np.asarray(true), np.asarray(predicted)
    recalls = [float(np.mean(predicted[true == c] == c)) for c in np.unique(true)]
    return float(np.mean(recalls)) if recalls else float("nan")


def fit_logistic(
    features: np.ndarray, targets: np.ndarray, n_classes: int, l2: float, start: np.ndarray | None = None
) -> tuple[LogisticFit, np.ndarray]:
    """One fit at one L2 strength on standardised features, class-balanced; returns the fit and the
    raw parameter vector (to warm-start the next strength)."""
    x = np.asarray(features, np.float64)
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale = np.where(scale > 1e-6, scale, 1.0)
    z = (x - mean) / scale
    y = np.eye(n_classes)[targets]
    weight = balanced_weights(targets, n_classes) / len(targets)
    d = z.shape[1]

    def loss_and_gradient(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = theta[: d * n_classes].reshape(d, n_classes), theta[d * n_classes :]
        logits = z @ w + b
        logits -= logits.max(axis=1, keepdims=True)
        log_norm = np.log(np.exp(logits).sum(axis=1, keepdims=True))
        log_p = logits - log_norm
        loss = -float(np.sum(weight[:, None] * y * log_p)) + 0.5 * l2 * float(np.sum(w * w))
        residual = weight[:, None] * (np.exp(log_p) - y)
        gradient = np.concatenate([(z.T @ residual + l2 * w).ravel(), residual.sum(axis=0)])
        return loss, gradient

    theta = _lbfgs(loss_and_gradient, np.zeros(d * n_classes + n_classes) if start is None else start)
    w, b = theta[: d * n_classes].reshape(d, n_classes), theta[d * n_classes :]
    # Fold the standardisation into the layer: (x − mean) / scale @ w + b = x @ (w / scale) + (b − mean / scale @ w).
    weights = w / scale[:, None]
    bias = b - (mean / scale) @ w
    return LogisticFit(weights, bias, l2), theta


def _lbfgs(function, theta: np.ndarray) -> np.ndarray:
    """Minimise a smooth convex function with limited-memory BFGS and a backtracking line search."""
    loss, gradient = function(theta)
    steps: list[tuple[np.ndarray, np.ndarray, float]] = []
    for _ in range(_ITERATIONS):
        if np.max(np.abs(gradient)) < _TOLERANCE:
            break
        direction = -gradient
        alphas = []
        for s, y, rho in reversed(steps):
            alpha = rho * float(s @ direction)
            direction = direction - alpha * y
            alphas.append(alpha)
        if steps:
            s, y, _ = steps[-1]
            direction = direction * (float(s @ y) / float(y @ y))
        for (s, y, rho), alpha in zip(steps, reversed(alphas)):
            beta = rho * float(y @ direction)
            direction = direction + s * (alpha - beta)
        slope = float(gradient @ direction)
        if slope >= 0:  # not a descent direction: restart from the gradient
            steps.clear()
            direction, slope = -gradient, -float(gradient @ gradient)
        step = 1.0
        while True:
            candidate = theta + step * direction
            new_loss, new_gradient = function(candidate)
            if new_loss <= loss + 1e-4 * step * slope or step < 1e-10:
                break
            step *= 0.5
        s, y = candidate - theta, new_gradient - gradient
        if float(s @ y) > 1e-12:
            steps.append((s, y, 1.0 / float(s @ y)))
            del steps[:-_HISTORY]
        improvement = loss - new_loss
        theta, loss, gradient = candidate, new_loss, new_gradient
        if 0 <= improvement < _TOLERANCE * max(1.0, abs(loss)):
            break
    return theta


def choose_and_fit(
    features: np.ndarray,
    targets: np.ndarray,
    groups: Sequence[Hashable],
    n_classes: int,
    grid: Sequence[float] = L2_GRID,
    folds: int = _FOLDS,
) -> LogisticFit:
    """Pick the L2 strength by grouped, stratified cross-validation on these frames, then refit on all.

    The score is balanced accuracy over the pooled held-out predictions; ties go to the stronger
    penalty. With a single group there is nothing to hold out, and the middle of the grid is used.
    """
    features = np.asarray(features, np.float64).reshape(len(features), -1)
    targets = np.asarray(targets, np.int64)
    fold_of = group_folds(groups, targets, folds)
    n_folds = int(fold_of.max()) + 1 if len(fold_of) else 0
    scores: dict[float, float] = {}
    if n_folds >= 2:
        predicted = {l2: np.zeros(len(targets), np.int64) for l2 in grid}
        for f in range(n_folds):
            train, held = fold_of != f, fold_of == f
            start = None
            for l2 in sorted(grid, reverse=True):  # strong to weak: each warm-starts the next
                fit, start = fit_logistic(features[train], targets[train], n_classes, l2, start)
                predicted[l2][held] = np.argmax(fit.probabilities(features[held]), axis=1)
        scores = {l2: balanced_accuracy(targets, predicted[l2]) for l2 in grid}
        chosen = max(sorted(grid, reverse=True), key=lambda l2: scores[l2])
    else:
        chosen = sorted(grid)[len(grid) // 2]
    fit, _ = fit_logistic(features, targets, n_classes, chosen)
    return LogisticFit(fit.weights, fit.bias, chosen, scores, n_folds)
