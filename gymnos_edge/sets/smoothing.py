"""The set-tracking state machine: raw frame probabilities in, one stable label out.

The rules live only here. `step` is written against an array namespace so the
same function runs on NumPy (the reference, used on desktops) and on
`keras.ops` (built into the exported TFLite and Core ML graphs). The state
layout and the rules are documented in docs/smoothing.md.

The same step counts repetitions: a rep is one dip of the tracked exercise's rep
signal under a slow baseline of itself, after it was above it (a Schmitt
trigger), at least `min_rep_s` after the previous one. The rep signal is what the
model gives per frame and class (a pose model: its body's main movement in that
exercise, `gymnos_edge.features.rep_signal`); a model that gives none counts on
its probabilities' log-odds (`log_odds`).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from gymnos_edge.common.errors import UserError
from gymnos_edge.common.numpy_ops import NUMPY_OPS

# The state after the N smoothed probabilities, in this order (docs/smoothing.md, "State vector").
STATE_FIELDS = (
    "shown",  # the label shown, K = rest
    "candidate",  # the label the rules propose, not yet shown
    "held",  # consecutive steps the candidate was proposed
    "rep_class",  # the exercise whose reps are counted; K before the first step
    "rep_baseline",  # slow EMA of that exercise's rep signal (by default its log-odds)
    "rep_armed",  # 1 once the rep signal rose rep_hysteresis above the baseline: the next dip counts
    "rep_since",  # steps since the last counted rep, capped at min_rep_steps
    "rep_rising",  # reps counted since the tracked exercise's smoothed probability began to rise
    "reps",  # reps of the shown set (0 while rest is shown)
    "rep_amplitude",  # slow mean of |rep signal − baseline|: the band follows it when rep_gain_tau_s > 0
)
STATE_EXTRA = len(STATE_FIELDS)
# An int8 model's softmax comes in steps of 1/256 and may sum to 1 ± a few steps; logits are nowhere near.
SUM_TOLERANCE = 0.02
REP_EPS = 1e-3  # probabilities are clipped to [REP_EPS, 1 - REP_EPS] before their log-odds: ±6.9 at most
# A following band (rep_gain_tau_s > 0) is rep_hysteresis × the recent amplitude, but never narrower than
# this share of rep_hysteresis: a lifter standing still must not count the signal's noise as reps.
REP_MIN_GAIN = 0.2


@dataclass(frozen=True)
class SmoothingParams:
    """Tuning of the state machine; saved in every model's metadata."""

    every_s: float = 0.2
    tau_s: float = 0.6
    enter: float = 0.7
    exit: float = 0.45
    floor: float = 0.5
    min_set_s: float = 1.0
    min_rest_s: float = 1.0
    rep_tau_s: float = 1.5
    rep_hysteresis: float = 0.3
    min_rep_s: float = 0.6
    rep_gain_tau_s: float = 0.0  # 0: a fixed band of rep_hysteresis; else the band follows the recent amplitude

    def __post_init__(self) -> None:
        problems = self.problems()
        if problems:
            raise UserError("invalid smoothing parameters: " + "; ".join(problems))

    def problems(self) -> list[str]:
        found = []
        values = asdict(self)
        for name, value in values.items():
            if not isinstance(value, numbers.Real) or not math.isfinite(value):
                found.append(f"{name} must be a finite number, got {value!r}")
        if found:
            return found
        for name in ("every_s", "rep_tau_s"):
            if values[name] <= 0:
                found.append(f"{name} must be > 0, got {values[name]}")
        for name in ("tau_s", "min_set_s", "min_rest_s", "rep_hysteresis", "min_rep_s", "rep_gain_tau_s"):
            if values[name] < 0:
                found.append(f"{name} must be ≥ 0, got {values[name]}")
        for name in ("enter", "exit", "floor"):
            if not 0 <= values[name] <= 1:
                found.append(f"{name} must lie in [0, 1], got {values[name]}")
        if self.exit > self.enter:
            found.append(f"exit ({self.exit}) must not exceed enter ({self.enter})")
        return found

    @property
    def alpha(self) -> float:
        """EMA weight per step, so the time constant holds for any interval."""
        if self.tau_s == 0:
            return 1.0
        return 1.0 - math.exp(-self.every_s / self.tau_s)

    @property
    def rep_alpha(self) -> float:
        """EMA weight per step of the rep baseline."""
        return 1.0 - math.exp(-self.every_s / self.rep_tau_s)

    @property
    def rep_gain_alpha(self) -> float:
        """EMA weight per step of the rep amplitude; 0 leaves the amplitude as it is: a fixed band."""
        if self.rep_gain_tau_s == 0:
            return 0.0
        return 1.0 - math.exp(-self.every_s / self.rep_gain_tau_s)

    @property
    def min_set_steps(self) -> int:
        return _steps(self.min_set_s, self.every_s)

    @property
    def min_rest_steps(self) -> int:
        return _steps(self.min_rest_s, self.every_s)

    @property
    def min_rep_steps(self) -> int:
        return _steps(self.min_rep_s, self.every_s)

    def to_dict(self) -> dict[str, float]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "SmoothingParams":
        values = renamed_legacy_keys(values)
        unknown = set(values) - set(cls.__dataclass_fields__)
        if unknown:
            raise UserError(f"unknown smoothing parameters: {', '.join(sorted(unknown))}")
        # Anything but a number is passed on as it is, for `problems` to name it.
        return cls(**{k: float(v) if isinstance(v, numbers.Real) and not isinstance(v, bool) else v
                      for k, v in values.items()})  # fmt: skip

    def derived(self) -> dict[str, float | int]:
        return {
            "alpha": self.alpha,
            "min_set_steps": self.min_set_steps,
            "min_rest_steps": self.min_rest_steps,
            "rep_alpha": self.rep_alpha,
            "min_rep_steps": self.min_rep_steps,
            "rep_gain_alpha": self.rep_gain_alpha,
        }


LEGACY_KEYS = {"interval_s": "every_s"}  # the sampling interval's second name, in older runs and exports


def renamed_legacy_keys(values: dict[str, Any]) -> dict[str, Any]:
    """`values` with keys of older runs and exports under today's names (today's win if both are there)."""
    renamed = {LEGACY_KEYS.get(key, key): value for key, value in values.items() if key not in LEGACY_KEYS}
    for old, new in LEGACY_KEYS.items():
        if old in values and new not in values:
            renamed[new] = values[old]
    return renamed


def _steps(seconds: float, every_s: float) -> int:
    # Whole steps, so float32 graphs and float64 references agree on every comparison.
    return max(1, math.ceil(seconds / every_s - 1e-9))


def rest_index(n_outputs: int, rest_class: bool) -> int:
    """The label value that means rest: K, the number of exercises, with or without a rest output.

    A model without a rest class has K outputs and K is one past the last; a model with a trained
    rest class has K + 1 outputs and K is that class. Either way label K is rest.
    """
    return n_outputs - 1 if rest_class else n_outputs


def state_size(n_outputs: int) -> int:
    return n_outputs + STATE_EXTRA


def state_index(n_outputs: int, field: str) -> int:
    """Where `field` (one of STATE_FIELDS) sits in the state of a model with `n_outputs` outputs."""
    return n_outputs + STATE_FIELDS.index(field)


def state_fields(n_outputs: int) -> dict[str, int]:
    """Every field after the smoothed probabilities and its index, as export metadata lists them."""
    return {field: state_index(n_outputs, field) for field in STATE_FIELDS}


def initial_state(n_outputs: int, rest_class: bool = False) -> np.ndarray:
    """Uniform smoothed probabilities, showing rest, no candidate held, no exercise tracked, no reps, a rep
    amplitude of 1 (the band is rep_hysteresis)."""
    state = np.full(state_size(n_outputs), 1.0 / n_outputs, dtype=np.float32)
    rest = rest_index(n_outputs, rest_class)
    state[n_outputs:] = [rest, rest, 0, rest, 0, 0, 0, 0, 0, 1]
    return state


def log_odds(probs: Any, ops: Any = NUMPY_OPS) -> Any:
    """The rep signal of a model that gives none: each probability's log-odds (a softmax saturates, these do not)."""
    p = ops.clip(probs, np.float32(REP_EPS), np.float32(1 - REP_EPS))
    return ops.log(p) - ops.log(np.float32(1) - p)


def step(
    state: Any,
    probs: Any,
    params: SmoothingParams,
    ops: Any = NUMPY_OPS,
    rest_class: bool = False,
    rep_signal: Any = None,
) -> tuple[Any, Any, Any]:
    """Advance the state machine by one frame.

    `probs` is (..., N) float32: N = K exercises, plus one trained rest class last when
    `rest_class`; `state` is (..., N + STATE_EXTRA). Returns `(next_state, smoothed, label)` where `label`
    is (...,) int32 and K means rest. With a rest class, rest is entered, kept and left like a
    set (the same enter/exit hysteresis on its own smoothed probability, `min_rest_s` to show
    it); the floor still proposes rest when no class is confident. `rep_signal` (..., N) is what
    reps are counted on; None means `log_odds(probs)`.
    Pass `ops=keras.ops` to build the same step into a Keras graph.
    """
    n = probs.shape[-1]
    f32 = "float32"
    alpha = np.float32(params.alpha)
    rest = np.float32(rest_index(n, rest_class))

    ema = state[..., :n]
    shown = state[..., n : n + 1]
    candidate = state[..., n + 1 : n + 2]
    held = state[..., n + 2 : n + 3]

    ema = ema + alpha * (probs - ema)
    top = ops.cast(ops.expand_dims(ops.argmax(ema, axis=-1), -1), f32)
    top_value = ops.max(ema, axis=-1, keepdims=True)
    shown_mask = ops.cast(ops.equal(ops.arange(n, dtype=f32), shown), f32)
    shown_value = ops.sum(ema * shown_mask, axis=-1, keepdims=True)

    # Without a rest class, rest has no probability to keep it: it is what remains when no set is kept.
    keep = ops.greater_equal(shown_value, np.float32(params.exit))
    if not rest_class:
        keep = ops.logical_and(ops.less(shown, rest), keep)
    entered = ops.where(ops.greater_equal(top_value, np.float32(params.enter)), top, rest)
    proposal = ops.where(keep, shown, entered)
    proposal = ops.where(ops.less(top_value, np.float32(params.floor)), rest, proposal)

    held = ops.where(ops.equal(proposal, candidate), held + np.float32(1), np.float32(1))
    needed = ops.where(
        ops.equal(proposal, rest), np.float32(params.min_rest_steps), np.float32(params.min_set_steps)
    )
    next_shown = ops.where(ops.greater_equal(held, needed), proposal, shown)

    signal = log_odds(probs, ops) if rep_signal is None else rep_signal
    reps = _count_reps(state, signal, ema, (shown, candidate, proposal, next_shown), params, ops, rest_class)
    next_state = ops.concatenate([ema, next_shown, proposal, held, *reps], axis=-1)
    label = ops.cast(next_shown[..., 0], "int32")
    return next_state, ema, label


def _count_reps(
    state: Any, signal: Any, ema: Any, labels: tuple[Any, Any, Any, Any], params: SmoothingParams, ops: Any,
    rest_class: bool,
) -> list[Any]:
    """The rep fields of the next state (docs/smoothing.md, "Counting reps").

    `labels` are the shown and candidate labels before the step, the proposal and the shown label after it.
    """
    n = signal.shape[-1]
    f32 = "float32"
    rest = np.float32(rest_index(n, rest_class))
    shown, candidate, proposal, next_shown = labels
    tracked_before, baseline, armed, since, rising, reps, amplitude = (
        state[..., state_index(n, field) : state_index(n, field) + 1] for field in STATE_FIELDS[3:]
    )

    # The exercise the machine is about: what it proposes, else what it shows, else the likeliest exercise.
    exercises = n - 1 if rest_class else n
    top_exercise = ops.cast(ops.expand_dims(ops.argmax(ema[..., :exercises], axis=-1), -1), f32)
    tracked = ops.where(ops.less(next_shown, rest), next_shown, top_exercise)
    tracked = ops.where(ops.less(proposal, rest), proposal, tracked)
    mask = ops.cast(ops.equal(ops.arange(n, dtype=f32), tracked), f32)
    x = ops.sum(signal * mask, axis=-1, keepdims=True)

    # A newly tracked exercise starts at its own level, as if it had just risen: its first dip counts.
    # A newly proposed one restarts its baseline too (it would otherwise lag the rise into the set) but
    # stays armed as it was: a proposal in the middle of a counted dip must not count that dip again.
    switched = ops.not_equal(tracked, tracked_before)
    proposed = ops.logical_and(ops.equal(proposal, tracked), ops.not_equal(proposal, candidate))
    baseline = ops.where(ops.logical_or(switched, proposed), x, baseline + np.float32(params.rep_alpha) * (x - baseline))
    deviation = x - baseline
    armed = ops.where(switched, np.float32(1), armed)
    since = ops.minimum(since + np.float32(1), np.float32(params.min_rep_steps))
    # The band: rep_hysteresis, times the recent amplitude when it follows the lifter (a shallow or fast
    # set moves less along the signal than the sets it was learnt from); a new exercise starts at 1. The
    # deviation is measured in units of that amplitude. A fixed band leaves the amplitude as it is (1, from
    # the initial state) and compares the deviation itself: the same numbers, in fewer ops, and none that
    # an int8 converter could quantize (it turned the amplitude's select into int8 ops).
    if params.rep_gain_alpha == 0:
        scaled = deviation
    else:
        amplitude = ops.where(
            switched, np.float32(1), amplitude + np.float32(params.rep_gain_alpha) * (ops.abs(deviation) - amplitude)
        )
        scaled = deviation / ops.maximum(amplitude, np.float32(REP_MIN_GAIN))
    # Counted when it dips rep_hysteresis under the baseline after having been that far above it, and
    # min_rep_s after the last rep: noise inside the band, or a wobble in one rep, counts nothing.
    h = np.float32(params.rep_hysteresis)
    dip = ops.logical_and(ops.greater(armed, np.float32(0.5)), ops.less(scaled, -h))
    rep = ops.logical_and(dip, ops.greater_equal(since, np.float32(params.min_rep_steps)))
    counted = ops.cast(rep, f32)
    up = ops.greater(scaled, h)
    armed = ops.where(rep, np.float32(0), ops.where(up, np.float32(1), armed))
    since = ops.where(rep, np.float32(0), since)

    # Reps of a set start with the rise of its exercise's smoothed probability, which comes before the
    # set is proposed: the count restarts whenever the tracked exercise is not proposed and not rising.
    old_value = ops.sum(state[..., :n] * mask, axis=-1, keepdims=True)
    new_value = ops.sum(ema * mask, axis=-1, keepdims=True)
    restart = ops.logical_or(
        switched, ops.logical_and(ops.not_equal(proposal, tracked), ops.less(new_value - old_value, np.float32(1e-3)))
    )
    rising = ops.where(restart, np.float32(0), rising + counted)
    kept = ops.where(ops.equal(tracked, next_shown), reps + counted, reps)
    reps = ops.where(ops.not_equal(next_shown, shown), rising, kept)
    reps = ops.where(ops.equal(next_shown, rest), np.float32(0), reps)
    return [tracked, baseline, armed, since, rising, reps, amplitude]


@dataclass(frozen=True)
class SmoothedSequence:
    """Every step of the state machine over one sequence of frames."""

    states: np.ndarray  # (T, N + STATE_EXTRA), the state after each step
    smoothed: np.ndarray  # (T, N)
    labels: np.ndarray  # (T,), K = rest

    @property
    def held(self) -> np.ndarray:
        return self.field("held").astype(np.int64)

    @property
    def reps(self) -> np.ndarray:
        """(T,) reps of the shown set after each step, 0 while rest is shown."""
        return self.field("reps").astype(np.int64)

    def field(self, name: str) -> np.ndarray:
        return self.states[..., state_index(self.smoothed.shape[-1], name)]


def validate_probs(probs: Any, n_classes: int | None = None, source: str = "probabilities") -> np.ndarray:
    """Return `probs` as a (T, K) float32 array, or explain why it is not one."""
    array = np.asarray(probs, dtype=np.float64)
    if array.ndim != 2 or array.shape[1] < 2:
        raise UserError(f"{source}: expected a (frames, classes) array with ≥ 2 classes, got shape {array.shape}")
    if n_classes is not None and array.shape[1] != n_classes:
        raise UserError(f"{source}: expected {n_classes} classes per frame, got {array.shape[1]}")
    if not np.all(np.isfinite(array)):
        bad = int(np.argwhere(~np.isfinite(array))[0][0])
        raise UserError(f"{source}: frame {bad} holds NaN or infinite values")
    negative = np.argwhere(array < -1e-6)
    if negative.size:
        raise UserError(f"{source}: frame {int(negative[0][0])} holds a negative probability")
    sums = array.sum(axis=1)
    off = np.flatnonzero(np.abs(sums - 1.0) > SUM_TOLERANCE)
    if off.size:
        raise UserError(
            f"{source}: frame {int(off[0])} sums to {sums[off[0]]:.4f}, not 1; pass softmax outputs, not logits"
        )
    return array.astype(np.float32)


def smooth_sequence(
    probs: Any, params: SmoothingParams, rest_class: bool = False, rep_signal: Any = None
) -> SmoothedSequence:
    """Run `step` over a whole (T, N) sequence (or a (B, T, N) batch of them), with its rep signal if any."""
    array = np.asarray(probs, dtype=np.float32)
    sequences = array if array.ndim == 3 else array[None]
    for index, sequence in enumerate(sequences):
        validate_probs(sequence, source=f"sequence {index}" if array.ndim == 3 else "probabilities")
    signals = None
    if rep_signal is not None:
        signals = np.asarray(rep_signal, dtype=np.float32).reshape(sequences.shape)
        if not np.all(np.isfinite(signals)):
            raise UserError("rep signal: holds NaN or infinite values")
    batch, frames, n = sequences.shape
    state = np.broadcast_to(initial_state(n, rest_class), (batch, state_size(n))).copy()
    states = np.empty((batch, frames, state_size(n)), np.float32)
    for t in range(frames):
        signal = None if signals is None else signals[:, t]
        state, _, _ = step(state, sequences[:, t], params, rest_class=rest_class, rep_signal=signal)
        states[:, t] = state
    result_states = states if array.ndim == 3 else states[0]
    return SmoothedSequence(
        states=result_states,
        smoothed=result_states[..., :n],
        labels=result_states[..., n].astype(np.int32),
    )
