"""The set-tracking state machine: raw frame probabilities in, one stable label out.

The rules live only here. `step` is written against an array namespace so the
same function runs on NumPy (the reference, used on desktops) and on
`keras.ops` (built into the exported TFLite and Core ML graphs). The state
layout and the rules are documented in docs/smoothing.md.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from gymnos_edge.common.errors import UserError

STATE_EXTRA = 3  # shown label, candidate label, steps the candidate was held


@dataclass(frozen=True)
class SmoothingParams:
    """Tuning of the state machine; saved in every model's metadata."""

    interval_s: float = 0.2
    tau_s: float = 0.6
    enter: float = 0.7
    exit: float = 0.45
    floor: float = 0.5
    min_set_s: float = 1.0
    min_rest_s: float = 1.0

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
        if self.interval_s <= 0:
            found.append(f"interval_s must be > 0, got {self.interval_s}")
        for name in ("tau_s", "min_set_s", "min_rest_s"):
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
        return 1.0 - math.exp(-self.interval_s / self.tau_s)

    @property
    def min_set_steps(self) -> int:
        return _steps(self.min_set_s, self.interval_s)

    @property
    def min_rest_steps(self) -> int:
        return _steps(self.min_rest_s, self.interval_s)

    def to_dict(self) -> dict[str, float]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "SmoothingParams":
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
        }


def _steps(seconds: float, interval_s: float) -> int:
    # Whole steps, so float32 graphs and float64 references agree on every comparison.
    return max(1, math.ceil(seconds / interval_s - 1e-9))


def rest_index(n_outputs: int, rest_class: bool) -> int:
    """The label value that means rest: K, the number of exercises, with or without a rest output.

    A model without a rest class has K outputs and K is one past the last; a model with a trained
    rest class has K + 1 outputs and K is that class. Either way label K is rest.
    """
    return n_outputs - 1 if rest_class else n_outputs


def state_size(n_outputs: int) -> int:
    return n_outputs + STATE_EXTRA


def initial_state(n_outputs: int, rest_class: bool = False) -> np.ndarray:
    """Uniform smoothed probabilities, showing rest, no candidate held."""
    state = np.full(state_size(n_outputs), 1.0 / n_outputs, dtype=np.float32)
    rest = rest_index(n_outputs, rest_class)
    state[n_outputs:] = [rest, rest, 0]
    return state


class _NumpyOps:
    """The subset of `keras.ops` that `step` uses, on NumPy arrays."""

    where = staticmethod(np.where)
    argmax = staticmethod(np.argmax)
    max = staticmethod(np.max)
    sum = staticmethod(np.sum)
    equal = staticmethod(np.equal)
    less = staticmethod(np.less)
    greater_equal = staticmethod(np.greater_equal)
    logical_and = staticmethod(np.logical_and)
    concatenate = staticmethod(np.concatenate)
    expand_dims = staticmethod(np.expand_dims)

    @staticmethod
    def arange(n: int, dtype: str) -> np.ndarray:
        return np.arange(n, dtype=dtype)

    @staticmethod
    def cast(x: Any, dtype: str) -> np.ndarray:
        return np.asarray(x).astype(dtype)


NUMPY_OPS = _NumpyOps()


def step(
    state: Any, probs: Any, params: SmoothingParams, ops: Any = NUMPY_OPS, rest_class: bool = False
) -> tuple[Any, Any, Any]:
    """Advance the state machine by one frame.

    `probs` is (..., N) float32: N = K exercises, plus one trained rest class last when
    `rest_class`; `state` is (..., N+3). Returns `(next_state, smoothed, label)` where `label`
    is (...,) int32 and K means rest. With a rest class, rest is entered, kept and left like a
    set (the same enter/exit hysteresis on its own smoothed probability, `min_rest_s` to show
    it); the floor still proposes rest when no class is confident.
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
    shown = ops.where(ops.greater_equal(held, needed), proposal, shown)

    next_state = ops.concatenate([ema, shown, proposal, held], axis=-1)
    label = ops.cast(shown[..., 0], "int32")
    return next_state, ema, label


@dataclass(frozen=True)
class SmoothedSequence:
    """Every step of the state machine over one sequence of frames."""

    states: np.ndarray  # (T, N+3), the state after each step
    smoothed: np.ndarray  # (T, N)
    labels: np.ndarray  # (T,), K = rest

    @property
    def held(self) -> np.ndarray:
        return self.states[:, -1].astype(np.int64)


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
    off = np.flatnonzero(np.abs(sums - 1.0) > 1e-3)
    if off.size:
        raise UserError(
            f"{source}: frame {int(off[0])} sums to {sums[off[0]]:.4f}, not 1; pass softmax outputs, not logits"
        )
    return array.astype(np.float32)


def smooth_sequence(probs: Any, params: SmoothingParams, rest_class: bool = False) -> SmoothedSequence:
    """Run `step` over a whole (T, N) sequence (or a (B, T, N) batch of them)."""
    array = np.asarray(probs, dtype=np.float32)
    sequences = array if array.ndim == 3 else array[None]
    for index, sequence in enumerate(sequences):
        validate_probs(sequence, source=f"sequence {index}" if array.ndim == 3 else "probabilities")
    batch, frames, n = sequences.shape
    state = np.broadcast_to(initial_state(n, rest_class), (batch, state_size(n))).copy()
    states = np.empty((batch, frames, state_size(n)), np.float32)
    for t in range(frames):
        state, _, _ = step(state, sequences[:, t], params, rest_class=rest_class)
        states[:, t] = state
    result_states = states if array.ndim == 3 else states[0]
    return SmoothedSequence(
        states=result_states,
        smoothed=result_states[..., :n],
        labels=result_states[..., n].astype(np.int32),
    )
