"""Hypothesis strategies shared by the smoothing and segment tests."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from gymnos_edge.sets.smoothing import SmoothingParams


@st.composite
def smoothing_params(draw, **bounds) -> SmoothingParams:
    """Valid parameters; `bounds` narrows a field to a (low, high) range."""

    def pick(name, low, high):
        low, high = bounds.get(name, (low, high))
        return draw(st.floats(low, high))

    enter = pick("enter", 0.0, 1.0)
    exit_low, exit_high = bounds.get("exit", (0.0, 1.0))
    return SmoothingParams(
        every_s=pick("every_s", 0.05, 0.5),
        tau_s=draw(st.one_of(st.just(0.0), st.floats(0.01, 2.0))),
        enter=enter,
        exit=draw(st.floats(min(exit_low, enter), min(exit_high, enter))),
        floor=pick("floor", 0.0, 1.0),
        min_set_s=pick("min_set_s", 0.0, 2.0),
        min_rest_s=pick("min_rest_s", 0.0, 2.0),
    )


def distribution(weights) -> np.ndarray:
    """Non-negative weights as a float32 probability row."""
    weights = np.asarray(weights, np.float64)
    return (weights / weights.sum()).astype(np.float32)


@st.composite
def prob_sequences(draw, n_classes=None, frames=(1, 60)):
    """Blocks of frames that favour one class (or none), with Dirichlet noise."""
    k = n_classes or draw(st.integers(2, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    total = draw(st.integers(*frames))
    rows = []
    while len(rows) < total:
        mean = np.full(k, 1.0)
        favourite = int(rng.integers(0, k + 1))
        if favourite < k:
            mean[favourite] = rng.uniform(1.0, 30.0)
        concentration = rng.uniform(1.0, 50.0)
        rows.extend(rng.dirichlet(mean / mean.sum() * concentration, size=int(rng.integers(1, 15))))
    return np.stack([distribution(np.maximum(row, 1e-6)) for row in rows[:total]])
