"""Rep counting inside the state machine, on hand-made probability sequences with known counts."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gymnos_edge.common.errors import UserError
from gymnos_edge.sets.segments import segment
from gymnos_edge.sets.smoothing import SmoothingParams, smooth_sequence, state_fields, state_index

NAMES = ("squat", "overhead_press")
UNSURE = (0.36, 0.64)  # between sets: nothing reaches enter


def hold(probs: tuple[float, ...], seconds: float, every_s: float = 0.2) -> np.ndarray:
    return np.tile(np.float32(probs), (round(seconds / every_s), 1))


def reps_of(
    reps: float, rep_s: float, low: float = 0.75, high: float = 0.95, every_s: float = 0.2, column: int = 0
) -> np.ndarray:
    """`reps` cycles of `rep_s` seconds in which one class's probability goes low → high → low."""
    t = np.arange(round(reps * rep_s / every_s)) * every_s
    p = low + (high - low) * (1 - np.cos(2 * math.pi * t / rep_s)) / 2
    rows = np.stack([p, 1 - p], axis=1) if column == 0 else np.stack([1 - p, p], axis=1)
    return rows.astype(np.float32)


def counted(probs: np.ndarray, params: SmoothingParams = SmoothingParams()) -> list[tuple[str, int]]:
    result = smooth_sequence(probs, params)
    times = np.arange(len(probs)) * params.every_s
    timeline = segment(times, result.labels, NAMES, params.every_s, result.smoothed, result.held, reps=result.reps)
    return [(s.label, s.reps) for s in timeline.sets]


def in_a_set(*parts: np.ndarray, every_s: float = 0.2) -> np.ndarray:
    before, after = hold(UNSURE, 2.0, every_s), hold(UNSURE, 3.0, every_s)
    return np.concatenate([before, *parts, after])


def test_steady_reps_are_counted_once_each():
    assert counted(in_a_set(reps_of(8, 2.4))) == [("squat", 8)]


def test_a_half_rep_counts_nothing():
    half = reps_of(1, 2.4, low=0.75, high=0.8)  # a quarter of the depth: inside the hysteresis band
    assert counted(in_a_set(reps_of(4, 2.4), half, reps_of(2, 2.4))) == [("squat", 6)]


def test_a_pause_inside_a_set_counts_nothing():
    assert counted(in_a_set(reps_of(4, 2.4), hold((0.75, 0.25), 4.0), reps_of(4, 2.4))) == [("squat", 8)]


def test_noise_inside_the_hysteresis_band_counts_nothing():
    # A held pose is one rise into the set and one fall out of it: one rep, noise or not.
    # ±0.012 around 0.85 moves the log-odds by about ±0.09, a third of rep_hysteresis.
    jitter = np.where(np.arange(50) % 2, 0.012, -0.012)
    steady = np.stack([0.85 + jitter, 0.15 - jitter], axis=1).astype(np.float32)
    assert counted(in_a_set(steady)) == counted(in_a_set(hold((0.85, 0.15), 10.0))) == [("squat", 1)]
    noisy_reps = reps_of(6, 2.4)
    noisy_reps[:, 0] += np.where(np.arange(len(noisy_reps)) % 2, 0.01, -0.01)
    noisy_reps[:, 1] = 1 - noisy_reps[:, 0]
    assert counted(in_a_set(noisy_reps)) == [("squat", 6)]


@pytest.mark.parametrize(("reps", "rep_s"), [(3, 6.0), (10, 1.0), (12, 0.8)])
def test_very_slow_and_very_fast_sets(reps, rep_s):
    assert counted(in_a_set(reps_of(reps, rep_s))) == [("squat", reps)]


def test_reps_faster_than_min_rep_s_are_not_all_counted():
    # 0.4 s reps: two frames a rep, under min_rep_s (0.6 s): a wobble, not reps
    assert counted(in_a_set(reps_of(10, 0.4)))[0][1] < 10


def test_the_count_starts_again_with_each_set():
    probs = in_a_set(reps_of(5, 2.4), hold(UNSURE, 6.0), reps_of(3, 2.0, column=1), hold((0.64, 0.36), 2.0))
    assert counted(probs) == [("squat", 5), ("overhead_press", 3)]
    probs = in_a_set(reps_of(5, 2.4), hold(UNSURE, 6.0), reps_of(3, 2.4))
    assert counted(probs) == [("squat", 5), ("squat", 3)]


def test_rest_shows_no_reps_and_the_live_count_only_grows_inside_a_set():
    probs = in_a_set(reps_of(5, 2.4), hold(UNSURE, 6.0), reps_of(3, 2.4))
    result = smooth_sequence(probs, SmoothingParams())
    assert set(result.reps[result.labels == 2]) == {0}
    same = result.labels[1:] == result.labels[:-1]
    assert set(np.diff(result.reps)[same & (result.labels[1:] != 2)]) <= {0, 1}


def test_sampling_every_0_1_s_counts_the_same():
    params = SmoothingParams(every_s=0.1)
    probs = in_a_set(reps_of(8, 2.4, every_s=0.1), every_s=0.1)
    assert counted(probs, params) == [("squat", 8)]


def test_state_fields_are_listed_once_in_order():
    fields = state_fields(2)
    assert list(fields) == ["shown", "candidate", "held", "rep_class", "rep_baseline", "rep_armed", "rep_since",
                            "rep_rising", "reps", "rep_amplitude"]  # fmt: skip
    assert list(fields.values()) == list(range(2, 12)) and state_index(3, "reps") == 11


def test_rep_parameters_are_checked_and_derived():
    params = SmoothingParams()
    assert (params.rep_tau_s, params.rep_hysteresis, params.min_rep_s) == (1.5, 0.3, 0.6)
    # 1 - exp(-0.2 / 1.5) = 0.12482...
    assert params.rep_alpha == pytest.approx(1 - math.exp(-0.2 / 1.5), abs=1e-15)
    assert params.derived()["min_rep_steps"] == 3
    with pytest.raises(UserError, match="rep_tau_s must be > 0"):
        SmoothingParams(rep_tau_s=0.0)
    with pytest.raises(UserError, match="rep_hysteresis must be ≥ 0"):
        SmoothingParams(rep_hysteresis=-0.1)
    # the band is fixed unless it is asked to follow the amplitude, with a time constant in seconds
    assert params.rep_gain_tau_s == 0 and params.rep_gain_alpha == 0
    assert SmoothingParams(rep_gain_tau_s=2.0).rep_gain_alpha == pytest.approx(1 - math.exp(-0.2 / 2.0), abs=1e-15)
    with pytest.raises(UserError, match="rep_gain_tau_s must be ≥ 0"):
        SmoothingParams(rep_gain_tau_s=-1.0)
    # metadata written before reps existed still loads, with the defaults
    old = {k: v for k, v in params.to_dict().items() if not k.startswith("rep_") and k != "min_rep_s"}
    assert SmoothingParams.from_dict(old) == params
