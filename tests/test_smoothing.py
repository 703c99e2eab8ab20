"""The smoothing state machine: hand-checked steps, properties, the keras.ops build, bad input."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from gymnos_edge.common.errors import UserError
from gymnos_edge.sets.smoothing import (
    SmoothingParams,
    initial_state,
    smooth_sequence,
    state_size,
    step,
    validate_probs,
)
from smoothing_strategies import distribution, prob_sequences, smoothing_params

VECTOR_FILES = sorted((Path(__file__).parent / "vectors" / "smoothing").glob("*.json"))
PROPERTY = settings(max_examples=60, deadline=None)


def run_steps(probs: np.ndarray, params: SmoothingParams) -> np.ndarray:
    state, states = initial_state(probs.shape[-1]), []
    for frame in probs:
        state, _, _ = step(state, frame, params)
        states.append(state)
    return np.stack(states)


# ---- hand-checked behaviour -------------------------------------------------------------


def test_initial_state_is_uniform_showing_rest():
    # shown, candidate, held; rep_class (none yet: K), baseline, armed, since, rising, reps, amplitude (1: band h)
    np.testing.assert_array_equal(initial_state(3), np.float32([1 / 3, 1 / 3, 1 / 3, 3, 3, 0, 3, 0, 0, 0, 0, 0, 1]))


def test_derived_values():
    params = SmoothingParams()
    # alpha = 1 - exp(-0.2 / 0.6) = 1 - exp(-1/3) = 0.28346868942621073
    assert params.alpha == pytest.approx(0.28346868942621073, abs=1e-15)
    # 1.0 / 0.2 = 5 steps; 0.6 / 0.2 = 2.9999999999999996 still counts as 3 steps, not 3 rounded up to 4
    assert (params.min_set_steps, params.min_rest_steps) == (5, 5)
    assert SmoothingParams(min_set_s=0.6).min_set_steps == 3
    assert SmoothingParams(min_set_s=0.0).min_set_steps == 1
    assert SmoothingParams(tau_s=0.0).alpha == 1.0


def test_one_step_by_hand():
    # tau 0: the EMA is the frame itself (up to float32 rounding of ema + 1 * (probs - ema)).
    # squat 0.8 ≥ enter 0.7 is proposed (candidate 0, held 1); min_set_s 0.4 needs 2 steps,
    # so rest (2) stays shown, and the second frame shows squat.
    params = SmoothingParams(tau_s=0.0, min_set_s=0.4)
    state, smoothed, label = step(initial_state(2), np.float32([0.8, 0.2]), params)
    np.testing.assert_allclose(smoothed, [0.8, 0.2], atol=1e-7)
    np.testing.assert_array_equal(state[2:5], np.float32([2, 0, 1]))
    assert int(label) == 2
    state, _, label = step(state, np.float32([0.8, 0.2]), params)
    np.testing.assert_array_equal(state[2:5], np.float32([0, 0, 2]))
    assert int(label) == 0


def test_exit_hysteresis_and_floor_by_hand():
    params = SmoothingParams(tau_s=0.0, min_set_s=0.0, min_rest_s=0.0)
    state, _, label = step(initial_state(3), np.float32([0.9, 0.05, 0.05]), params)
    assert int(label) == 0
    # 0.5 < enter but ≥ exit: squat is kept.
    state, _, label = step(state, np.float32([0.5, 0.3, 0.2]), params)
    assert int(label) == 0
    # squat 0.46 ≥ exit, but the top (0.46) < floor 0.5 forces rest.
    state, _, label = step(state, np.float32([0.46, 0.3, 0.24]), params)
    assert int(label) == 3


def test_ema_by_hand():
    params = SmoothingParams()
    # 0.5 + 0.28346869 * (1.0 - 0.5) = 0.64173434
    _, smoothed, _ = step(initial_state(2), np.float32([1.0, 0.0]), params)
    np.testing.assert_allclose(smoothed, [0.64173434, 0.35826566], atol=1e-7)


# ---- properties -------------------------------------------------------------------------


def clear_of(value: float, thresholds, margin: float = 1e-3) -> bool:
    return all(abs(value - t) > margin for t in thresholds)


@PROPERTY
@given(
    params=smoothing_params(),
    weights=st.lists(st.integers(1, 100), min_size=2, max_size=4),
    frames=st.integers(1, 80),
)
def test_constant_input_changes_the_label_at_most_once(params, weights, frames):
    # Each EMA component moves monotonically from 1/K to its input, so the proposal changes at most once.
    # Inputs whose limit sits on a threshold (or two classes nearly tied) are left out: there float32
    # rounding around the limit is allowed to decide either way.
    probs = distribution(weights)
    ordered = np.sort(probs.astype(np.float64))
    assume(clear_of(ordered[-1], (params.enter, params.exit, params.floor)))
    assume(ordered[-1] == ordered[-2] or ordered[-1] - ordered[-2] > 1e-3)
    labels = smooth_sequence(np.tile(probs, (frames, 1)), params).labels
    rest = len(weights)
    shown = labels[np.argmax(labels != rest) :] if np.any(labels != rest) else labels
    assert np.all(shown == shown[0]), labels


@PROPERTY
@given(
    params=smoothing_params(
        enter=(0.0, 0.85), exit=(0.0, 0.6), floor=(0.0, 0.6), min_set_s=(0.05, 2.0), min_rest_s=(0.05, 2.0)
    ),
    n_classes=st.integers(2, 4),
    data=st.data(),
)
def test_single_frame_glitch_never_flips_a_stable_label(params, n_classes, data):
    # A clear class (≥ 0.9) keeps its EMA ≥ 0.75 × 0.9 > exit and floor one frame after any glitch,
    # so only the glitch frame itself proposes something else, and that is shorter than 2 steps.
    assume(params.min_set_steps >= 2 and params.min_rest_steps >= 2)
    steady_class = data.draw(st.integers(0, n_classes - 1))
    others = data.draw(st.lists(st.integers(1, 10), min_size=n_classes - 1, max_size=n_classes - 1))
    level = data.draw(st.floats(0.9, 1.0))
    weights = np.insert(np.asarray(others, np.float64) / sum(others) * (1 - level), steady_class, level)
    glitch = distribution(data.draw(st.lists(st.integers(0, 100), min_size=n_classes, max_size=n_classes).filter(any)))
    steady = distribution(weights)
    warm_up = 400  # EMA within 1e-3 of its limit for the slowest alpha drawn (≈ 0.025)
    probs = np.concatenate([np.tile(steady, (warm_up, 1)), glitch[None], np.tile(steady, (30, 1))])
    labels = smooth_sequence(probs, params).labels
    assert labels[warm_up - 1] == steady_class
    assert np.all(labels[warm_up:] == steady_class), labels[warm_up:]


@PROPERTY
@given(params=smoothing_params(), probs=prob_sequences())
def test_stepwise_loop_equals_smooth_sequence(params, probs):
    result = smooth_sequence(probs, params)
    states = run_steps(probs, params)
    np.testing.assert_array_equal(result.states, states)
    np.testing.assert_array_equal(result.smoothed, states[:, : probs.shape[1]])
    np.testing.assert_array_equal(result.labels, states[:, probs.shape[1]].astype(np.int32))


@PROPERTY
@given(
    params=smoothing_params(),
    data=st.data(),
    batch=st.integers(1, 4),
    frames=st.integers(1, 40),
    n_classes=st.integers(2, 4),
)
def test_batch_equals_each_sequence(params, data, batch, frames, n_classes):
    sequences = np.stack(
        [data.draw(prob_sequences(n_classes=n_classes, frames=(frames, frames))) for _ in range(batch)]
    )
    result = smooth_sequence(sequences, params)
    assert result.states.shape == (batch, frames, state_size(n_classes))
    for index, sequence in enumerate(sequences):
        np.testing.assert_array_equal(result.states[index], run_steps(sequence, params))
        np.testing.assert_array_equal(result.labels[index], smooth_sequence(sequence, params).labels)


# ---- the keras.ops build ------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("path", VECTOR_FILES, ids=lambda p: p.stem)
def test_keras_ops_step_matches_the_vectors(path):
    keras = pytest.importorskip("keras")
    vector = json.loads(path.read_text(encoding="utf-8"))
    params = SmoothingParams.from_dict(vector["params"])
    state = keras.ops.convert_to_tensor(np.asarray(vector["initial_state"], np.float32))
    states, labels = [], []
    signals = vector.get("rep_signal", [None] * len(vector["probs"]))
    for frame, signal in zip(vector["probs"], signals):
        frame = keras.ops.convert_to_tensor(np.asarray(frame, np.float32))
        signal = None if signal is None else keras.ops.convert_to_tensor(np.asarray(signal, np.float32))
        state, _, label = step(state, frame, params, ops=keras.ops, rest_class=vector["rest_class"], rep_signal=signal)
        states.append(keras.ops.convert_to_numpy(state))
        labels.append(int(keras.ops.convert_to_numpy(label)))
    assert labels == vector["labels_out"]
    np.testing.assert_allclose(np.stack(states), np.asarray(vector["states"], np.float32), rtol=0, atol=1e-6)


# ---- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("probs", "message"),
    [
        ([[0.9, 0.3], [0.5, 0.5]], "frame 0 sums to 1.2000, not 1"),
        ([[2.0, 1.0]], "pass softmax outputs, not logits"),
        ([[0.5, 0.5], [1.2, -0.2]], "frame 1 holds a negative probability"),
        ([[0.5, 0.5], [math.nan, 0.5]], "frame 1 holds NaN or infinite values"),
        ([[math.inf, 0.0]], "frame 0 holds NaN or infinite values"),
        ([0.5, 0.5], "expected a (frames, classes) array with ≥ 2 classes, got shape (2,)"),
        ([[1.0], [1.0]], "expected a (frames, classes) array with ≥ 2 classes, got shape (2, 1)"),
    ],
)
def test_bad_probabilities_are_refused(probs, message):
    with pytest.raises(UserError) as error:
        smooth_sequence(probs, SmoothingParams())
    assert message in str(error.value)


def test_bad_sequence_in_a_batch_is_named():
    batch = np.full((2, 3, 2), 0.5, np.float32)
    batch[1, 2] = [0.9, 0.9]
    with pytest.raises(UserError, match=r"sequence 1: frame 2 sums to 1\.8000"):
        smooth_sequence(batch, SmoothingParams())


def test_wrong_class_count_is_refused():
    with pytest.raises(UserError, match="expected 3 classes per frame, got 2"):
        validate_probs([[0.5, 0.5]], n_classes=3)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"exit": 0.8, "enter": 0.7}, "exit (0.8) must not exceed enter (0.7)"),
        ({"min_set_s": -1.0}, "min_set_s must be ≥ 0, got -1.0"),
        ({"min_rest_s": -0.5}, "min_rest_s must be ≥ 0, got -0.5"),
        ({"tau_s": -0.1}, "tau_s must be ≥ 0, got -0.1"),
        ({"every_s": 0.0}, "every_s must be > 0, got 0.0"),
        ({"every_s": -0.2}, "every_s must be > 0, got -0.2"),
        ({"enter": 1.5}, "enter must lie in [0, 1], got 1.5"),
        ({"floor": -0.1}, "floor must lie in [0, 1], got -0.1"),
        ({"tau_s": math.nan}, "tau_s must be a finite number, got nan"),
    ],
)
def test_bad_params_are_refused(values, message):
    with pytest.raises(UserError) as error:
        SmoothingParams(**values)
    assert str(error.value).startswith("invalid smoothing parameters: ")
    assert message in str(error.value)


def test_every_problem_is_reported_at_once():
    with pytest.raises(UserError) as error:
        SmoothingParams(every_s=0.0, min_set_s=-1.0)
    assert "every_s must be > 0" in str(error.value) and "min_set_s must be ≥ 0" in str(error.value)


def test_unknown_params_are_refused():
    with pytest.raises(UserError, match="unknown smoothing parameters: hold_s"):
        SmoothingParams.from_dict({"hold_s": 1.0})


def test_params_round_trip_through_dict():
    params = SmoothingParams(tau_s=0.4, min_rest_s=2.0)
    assert SmoothingParams.from_dict(params.to_dict()) == params


def test_int8_softmax_steps_are_accepted_as_probabilities():
    # a quantized softmax: multiples of 1/256 summing to 255/256
    smooth_sequence(np.float32([[128 / 256, 127 / 256], [200 / 256, 55 / 256]]), SmoothingParams())

