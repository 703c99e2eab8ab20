"""Shared test vectors of the smoothing state machine, generated from the Python reference.

Every other implementation (the exported TFLite and Core ML graphs, the Swift
code in the iPhone app) is checked against these files instead of re-deriving
the rules. They are generated, never edited: `scripts/make_smoothing_vectors.py`
writes them and a test checks that regenerating gives the same bytes.

Other runtimes compute in float32 with their own rounding, so a sequence is
only kept when no threshold comparison of any step is a close call
(`close_calls`); otherwise the next seed is drawn.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gymnos_edge.common.atomic import write_text
from gymnos_edge.common.errors import UserError
from gymnos_edge.common.contract import REST_LABEL
from gymnos_edge.sets.segments import segment
from gymnos_edge.sets.smoothing import REP_MIN_GAIN, REP_EPS, SmoothingParams, initial_state, rest_index, smooth_sequence, state_index

MARGIN = 1e-4  # far above float32 rounding drift of the EMA, far below any meaningful probability
MAX_DRAWS = 100  # seeds of two cases lie 100 apart
RESOLUTION = 10_000  # probabilities are whole multiples of 1/RESOLUTION before the float32 cast

TWO = ("squat", "overhead_press")
THREE = ("squat", "overhead_press", "lunge")


@dataclass(frozen=True)
class Block:
    """`frames` frames whose probabilities scatter (Dirichlet) around `mean`; a higher
    `concentration` scatters them less.

    With `swing`, the mean moves from `mean` to `swing` and back once every `rep_frames`
    frames, as a class's probability does through each rep of a set.
    """

    mean: tuple[float, ...]
    frames: int
    concentration: float = 60.0
    swing: tuple[float, ...] | None = None
    rep_frames: float = 0.0


@dataclass(frozen=True)
class Wave:
    """`frames` frames of a rep signal (`gymnos_edge.features.rep_signal`) in output `column`: `reps` cycles
    from the top (+amplitude) to the far end of a rep (−amplitude) and back, plus Gaussian noise; every other
    column 0. `reps` = 0 is a flat stretch (a rest)."""

    frames: int
    reps: float = 0.0
    column: int = 0
    amplitude: float = 1.5
    noise: float = 0.1


@dataclass(frozen=True)
class VectorCase:
    """One vector file: how its probabilities are drawn and which sets it must show."""

    name: str
    description: str
    labels: tuple[str, ...]
    blocks: tuple[Block, ...]
    expected_sets: tuple[str, ...]
    seed: int
    params: SmoothingParams = SmoothingParams()
    rest_class: bool = False  # the probabilities have a trained rest column after the labels
    expected_reps: tuple[int, ...] | None = None  # reps of each expected set, for the cases about counting
    waves: tuple[Wave, ...] | None = None  # a rep signal the model gives beside its probabilities (pose models)

    @property
    def n_outputs(self) -> int:
        return len(self.labels) + int(self.rest_class)


def _squat(frames: int, level: float = 0.93, concentration: float = 60.0) -> Block:
    return Block((level, 1 - level), frames, concentration)


def _press(frames: int, level: float = 0.93, concentration: float = 60.0) -> Block:
    return Block((1 - level, level), frames, concentration)


def _with_rest(squat: float, press: float, frames: int, concentration: float = 60.0) -> Block:
    """Squat, overhead press and a trained rest class; rest gets what is left."""
    return Block((squat, press, round(1 - squat - press, 6)), frames, concentration)


def _reps(
    mean: tuple[float, ...], swing: tuple[float, ...], reps: float, rep_s: float, concentration: float = 400.0
) -> Block:
    """`reps` reps of `rep_s` seconds (at the default 0.2 s a frame), each from `mean` to `swing` and back."""
    rep_frames = rep_s / SmoothingParams().every_s
    return Block(mean, round(reps * rep_frames), concentration, swing, rep_frames)


def _squat_reps(reps: float, rep_s: float = 2.4, depth: float = 1.0, concentration: float = 400.0) -> Block:
    """A squat set of two classes: squat is likeliest at the bottom of each rep (0.75 → 0.95)."""
    return _reps((0.75, 0.25), (0.75 + 0.2 * depth, 0.25 - 0.2 * depth), reps, rep_s, concentration)


def _press_reps(reps: float, rep_s: float = 2.0, concentration: float = 400.0) -> Block:
    """An overhead-press set of two classes: press is likeliest overhead (0.72 → 0.93), as in the demo."""
    return _reps((0.28, 0.72), (0.07, 0.93), reps, rep_s, concentration)


_UNSURE = (0.36, 0.64)  # a 2-class model between sets: under enter and exit, leaning to overhead_press
# A trained rest class sure of two squat sets (48 and 72 frames) between rests: flat probabilities, so the
# cases built on it count their reps on a rep signal.
_SURE_SQUAT_SETS = (
    _with_rest(0.05, 0.05, 15),
    _with_rest(0.9, 0.04, 48, 2000.0),
    _with_rest(0.06, 0.06, 30),
    _with_rest(0.9, 0.04, 72, 2000.0),
    _with_rest(0.05, 0.05, 15),
)


CASES = (
    VectorCase(
        name="steady",
        description="A clean squat set from the first frame: rest until the EMA passes enter and "
        "the candidate was held min_set_s, then squat to the end.",
        labels=TWO,
        blocks=(_squat(40, 0.95, 200.0),),
        expected_sets=("squat",),
        seed=100,
    ),
    VectorCase(
        name="noisy",
        description="A squat set then an overhead-press set with heavy frame noise: the raw argmax "
        "flickers, the shown label holds each set and changes only between them.",
        labels=TWO,
        blocks=(_squat(50, 0.8, 6.0), _press(50, 0.8, 6.0)),
        expected_sets=("squat", "overhead_press"),
        seed=200,
    ),
    VectorCase(
        name="glitches",
        description="A steady squat set with single frames of confident overhead press inside it: "
        "no glitch changes the shown label.",
        labels=TWO,
        blocks=(
            _squat(20),
            _press(1, 0.97),
            _squat(7),
            _press(1, 0.97),
            _squat(12),
            _press(1, 0.97),
            _squat(4),
            _press(1, 0.97),
            _squat(10),
        ),
        expected_sets=("squat",),
        seed=300,
    ),
    VectorCase(
        name="set_rest_set",
        description="Squat set, 6 s of rest, squat set. A 2-class model has no rest output: during "
        "the rest it is unsure and leans a little to overhead_press, so squat falls below exit "
        "while nothing reaches enter.",
        labels=TWO,
        blocks=(_squat(35), Block((0.36, 0.64), 30, 40.0), _squat(35)),
        expected_sets=("squat", "squat"),
        seed=400,
    ),
    VectorCase(
        name="class_switch",
        description="A squat set followed at once by an overhead-press set, no rest between: the "
        "few steps where neither class is confident are shorter than min_rest_s, so the label "
        "goes straight from squat to overhead_press.",
        labels=TWO,
        blocks=(_squat(40), _press(40)),
        expected_sets=("squat", "overhead_press"),
        seed=500,
    ),
    VectorCase(
        name="three_classes",
        description="Three classes: unsure frames (top probability under floor) around a squat, a "
        "lunge and an overhead-press set; rest comes from the floor rule.",
        labels=THREE,
        blocks=(
            Block((1 / 3, 1 / 3, 1 / 3), 10, 30.0),
            Block((0.9, 0.05, 0.05), 30),
            Block((1 / 3, 1 / 3, 1 / 3), 20, 30.0),
            Block((0.05, 0.05, 0.9), 25),
            Block((0.05, 0.9, 0.05), 25),
            Block((1 / 3, 1 / 3, 1 / 3), 10, 30.0),
        ),
        expected_sets=("squat", "lunge", "overhead_press"),
        seed=600,
    ),
    VectorCase(
        name="tau_zero",
        description="tau_s = 0: no averaging (alpha = 1), the rules see raw frame probabilities, so "
        "only the min_set_s / min_rest_s counters keep noisy frames from changing the label.",
        labels=TWO,
        blocks=(_squat(40, 0.85, 12.0), _press(40, 0.85, 12.0)),
        expected_sets=("squat", "overhead_press"),
        seed=700,
        params=SmoothingParams(tau_s=0.0),
    ),
    VectorCase(
        name="durations",
        description="min_set_s = 0.6 (3 steps, 0.6 / 0.2 is just under 3 in float64) and "
        "min_rest_s = 2.0 (10 steps): a short pause inside the squat set is bridged, a long "
        "rest is shown, and a 5-frame overhead-press burst is already a set.",
        labels=TWO,
        blocks=(
            _squat(20),
            Block((0.35, 0.65), 6, 200.0),
            _squat(20),
            Block((0.36, 0.64), 25, 40.0),
            _press(5, 0.97),
            Block((0.64, 0.36), 20, 40.0),
        ),
        expected_sets=("squat", "overhead_press"),
        seed=800,
        params=SmoothingParams(tau_s=0.4, min_set_s=0.6, min_rest_s=2.0),
    ),
    VectorCase(
        name="hysteresis",
        description="A squat set whose confidence sags between exit and enter for 4 s: the shown "
        "squat is kept (smoothed ≥ exit) until it drops under exit, then rest.",
        labels=TWO,
        blocks=(_squat(30), _squat(20, 0.58, 400.0), _squat(20, 0.36, 400.0)),
        expected_sets=("squat",),
        seed=900,
    ),
    VectorCase(
        name="rest_class_sets",
        description="A model with a trained rest class: rest, a squat set, a rest where rest leads, an "
        "overhead-press set, rest. Rest is entered and left like a set (enter/exit on its own "
        "smoothed probability, min_rest_s), so each set is shown once and each rest as rest.",
        labels=TWO,
        rest_class=True,
        blocks=(
            _with_rest(0.05, 0.05, 20),
            _with_rest(0.9, 0.04, 35),
            _with_rest(0.06, 0.06, 30),
            _with_rest(0.04, 0.9, 35),
            _with_rest(0.05, 0.05, 20),
        ),
        expected_sets=("squat", "overhead_press"),
        seed=1000,
    ),
    VectorCase(
        name="rest_class_steady_rest",
        description="A trained rest class and nothing but a noisy rest, with single confident squat and "
        "press frames in it: no set is ever shown.",
        labels=TWO,
        rest_class=True,
        blocks=(
            _with_rest(0.1, 0.1, 25, 8.0),
            _with_rest(0.9, 0.05, 1),
            _with_rest(0.1, 0.1, 15, 8.0),
            _with_rest(0.05, 0.9, 1),
            _with_rest(0.1, 0.1, 25, 8.0),
        ),
        expected_sets=(),
        seed=1100,
    ),
    VectorCase(
        name="rest_class_hysteresis",
        description="A trained rest class: a squat set, then 4 s where rest leads only slightly "
        "(squat stays above exit, rest below enter): squat is kept; then rest clearly leads and "
        "is shown; then 4 s where squat leads slightly: rest is kept (above exit) until squat "
        "passes enter.",
        labels=TWO,
        rest_class=True,
        blocks=(
            _with_rest(0.9, 0.04, 30),
            _with_rest(0.47, 0.01, 20, 2000.0),
            _with_rest(0.05, 0.05, 20),
            _with_rest(0.52, 0.01, 20, 2000.0),
            _with_rest(0.9, 0.04, 25),
        ),
        expected_sets=("squat", "squat"),
        seed=1200,
    ),
    VectorCase(
        name="rest_class_keeps_rest",
        description="A trained rest class with enter + exit < 1 (enter 0.55, exit 0.3), where keeping a "
        "shown rest differs from falling back to it: squat passes enter while rest stays above exit, "
        "so rest is kept, as a shown set would be; squat is shown only once rest drops under exit.",
        labels=TWO,
        rest_class=True,
        blocks=(
            _with_rest(0.05, 0.05, 20),
            _with_rest(0.6, 0.02, 20, 2000.0),
            _with_rest(0.85, 0.05, 25),
            _with_rest(0.05, 0.05, 25),
        ),
        expected_sets=("squat",),
        seed=2100,
        params=SmoothingParams(enter=0.55, exit=0.3),
    ),
    VectorCase(
        name="reps_steady",
        description="Rest, then 8 clean squat reps of 2.4 s (squat likeliest at the bottom of each), then "
        "rest: one squat set of 8 reps.",
        labels=TWO,
        blocks=(Block(_UNSURE, 10, 40.0), _squat_reps(8), Block(_UNSURE, 15, 40.0)),
        expected_sets=("squat",),
        expected_reps=(8,),
        seed=1300,
    ),
    VectorCase(
        name="reps_half_rep",
        description="4 squat reps, a half rep (a quarter of the depth: the log-odds never leave the "
        "hysteresis band), then 2 reps: 6 reps.",
        labels=TWO,
        blocks=(
            Block(_UNSURE, 10, 40.0),
            _squat_reps(4),
            _squat_reps(1, depth=0.25),
            _squat_reps(2),
            Block(_UNSURE, 15, 40.0),
        ),
        expected_sets=("squat",),
        expected_reps=(6,),
        seed=1400,
    ),
    VectorCase(
        name="reps_pause",
        description="4 overhead-press reps, a 4 s pause at the shoulders inside the set, 4 more reps: one "
        "set of 8 reps, the pause counts nothing.",
        labels=TWO,
        blocks=(
            Block(_UNSURE[::-1], 10, 40.0),
            _press_reps(4),
            Block((0.28, 0.72), 20, 400.0),
            _press_reps(4),
            Block(_UNSURE[::-1], 15, 40.0),
        ),
        expected_sets=("overhead_press",),
        expected_reps=(8,),
        seed=1500,
    ),
    VectorCase(
        name="reps_noisy",
        description="6 squat reps with noisy frames (the squat probability scatters by about ±0.05): "
        "hysteresis and min_rep_s count each rep once.",
        labels=TWO,
        blocks=(Block(_UNSURE, 10, 40.0), _squat_reps(6, concentration=150.0), Block(_UNSURE, 15, 40.0)),
        expected_sets=("squat",),
        expected_reps=(6,),
        seed=1600,
    ),
    VectorCase(
        name="reps_slow",
        description="A very slow set: 3 squat reps of 6 s each.",
        labels=TWO,
        blocks=(Block(_UNSURE, 10, 40.0), _squat_reps(3, rep_s=6.0), Block(_UNSURE, 15, 40.0)),
        expected_sets=("squat",),
        expected_reps=(3,),
        seed=1700,
    ),
    VectorCase(
        name="reps_fast",
        description="A very fast set: 10 overhead-press reps of 1 s each (5 frames a rep).",
        labels=TWO,
        blocks=(Block(_UNSURE[::-1], 10, 40.0), _press_reps(10, rep_s=1.0), Block(_UNSURE[::-1], 15, 40.0)),
        expected_sets=("overhead_press",),
        expected_reps=(10,),
        seed=1800,
    ),
    VectorCase(
        name="reps_two_sets",
        description="5 squat reps, 6 s of rest, 3 overhead-press reps: the count starts again with the second set.",
        labels=TWO,
        blocks=(
            Block(_UNSURE, 10, 40.0),
            _squat_reps(5),
            Block(_UNSURE, 30, 40.0),
            _press_reps(3),
            Block(_UNSURE[::-1], 15, 40.0),
        ),
        expected_sets=("squat", "overhead_press"),
        expected_reps=(5, 3),
        seed=1900,
    ),
    VectorCase(
        name="rest_class_reps_on_signal",
        description="A pose model's rep signal: a trained rest class sure of each squat set (its probabilities "
        "flat), 4 reps, rest, 6 reps; reps are counted on the signal, a noisy cosine per rep, so each set "
        "counts its reps from zero where the flat log-odds would count none.",
        labels=TWO,
        rest_class=True,
        blocks=_SURE_SQUAT_SETS,
        waves=(Wave(15), Wave(48, 4), Wave(30), Wave(72, 6), Wave(15)),
        expected_sets=("squat", "squat"),
        expected_reps=(4, 6),
        seed=2200,
        params=SmoothingParams(rep_hysteresis=0.5),
    ),
    VectorCase(
        name="rest_class_reps_following_band",
        description="A band that follows the lifter (rep_gain_tau_s 2 s): 4 deep squats on a rep signal of "
        "amplitude 1.5, rest, then 6 shallow ones of amplitude 0.5, which a fixed band of 0.8 counts none of. "
        "The band starts each newly tracked exercise at rep_hysteresis and narrows with the recent amplitude "
        "within about a rep, so the shallow set loses its first rep and counts the other 5.",
        labels=TWO,
        rest_class=True,
        blocks=_SURE_SQUAT_SETS,
        waves=(Wave(15, noise=0.03), Wave(48, 4), Wave(30, noise=0.03), Wave(72, 6, amplitude=0.5, noise=0.03),
               Wave(15, noise=0.03)),  # fmt: skip
        expected_sets=("squat", "squat"),
        expected_reps=(4, 5),
        seed=2300,
        params=SmoothingParams(rep_hysteresis=0.8, rep_gain_tau_s=2.0),
    ),
    VectorCase(
        name="rest_class_reps",
        description="A trained rest class: 4 squat reps, rest, 6 squat reps: two squat sets, each counted "
        "from zero.",
        labels=TWO,
        rest_class=True,
        blocks=(
            _with_rest(0.05, 0.05, 15),
            _reps((0.6, 0.05, 0.35), (0.9, 0.03, 0.07), 4, 2.4),
            _with_rest(0.06, 0.06, 30),
            _reps((0.6, 0.05, 0.35), (0.9, 0.03, 0.07), 6, 2.4),
            _with_rest(0.05, 0.05, 15),
        ),
        expected_sets=("squat", "squat"),
        expected_reps=(4, 6),
        seed=2000,
    ),
)


def draw_probs(blocks: tuple[Block, ...], seed: int) -> np.ndarray:
    """(T, K) float32 probabilities, each a whole multiple of 1/RESOLUTION.

    The legacy RandomState stream is frozen by NumPy, and the grid absorbs
    last-bit differences between platform math libraries, so a seed gives the
    same file everywhere.
    """
    rng = np.random.RandomState(seed)
    rows = []
    for b in blocks:
        mean = np.asarray(b.mean, np.float64)
        if b.swing is None:
            rows.append(rng.dirichlet(mean * b.concentration, size=b.frames))
            continue
        phase = (1 - np.cos(2 * np.pi * np.arange(b.frames) / b.rep_frames)) / 2
        means = mean + phase[:, None] * (np.asarray(b.swing, np.float64) - mean)
        rows.append(np.stack([rng.dirichlet(m * b.concentration) for m in means]))
    probs = np.concatenate(rows)
    counts = np.floor(probs * RESOLUTION).astype(np.int64)
    remainders = probs * RESOLUTION - counts
    for row, missing in enumerate(RESOLUTION - counts.sum(axis=1)):
        counts[row, np.argsort(-remainders[row], kind="stable")[:missing]] += 1
    return (counts / RESOLUTION).astype(np.float32)


def draw_signal(waves: tuple[Wave, ...], n_outputs: int, seed: int) -> np.ndarray:
    """(T, N) float32 rep signal, on the same grid as the probabilities (whole multiples of 1/RESOLUTION)."""
    rng = np.random.RandomState(seed)
    rows = []
    for wave in waves:
        block = np.zeros((wave.frames, n_outputs))
        cycle = np.cos(2 * np.pi * wave.reps * np.arange(wave.frames) / wave.frames) if wave.reps else 0.0
        block[:, wave.column] = wave.amplitude * cycle + rng.normal(0, wave.noise, wave.frames)
        rows.append(block)
    return (np.round(np.concatenate(rows) * RESOLUTION) / RESOLUTION).astype(np.float32)


def close_calls(
    probs: np.ndarray,
    params: SmoothingParams,
    margin: float = MARGIN,
    rest_class: bool = False,
    rep_signal: np.ndarray | None = None,
) -> list[str]:
    """Threshold comparisons of the reference run that lie within `margin` of flipping.

    Checked at every step: the top smoothed probability against enter and
    floor, the shown class's smoothed probability against exit (while a class
    is shown), and, once the top class can be proposed, a near tie for the top;
    for the rep counter, the rep signal's deviation from its baseline (in units
    of its amplitude when the band follows it) against ±rep_hysteresis, and a near tie for the likeliest exercise when that is what
    the counter tracks.
    """
    n = probs.shape[1]
    states = smooth_sequence(probs, params, rest_class=rest_class, rep_signal=rep_signal).states
    rest = rest_index(n, rest_class)
    shown_before = np.concatenate([[rest], states[:-1, n]]).astype(np.int64)
    exercises = n - 1 if rest_class else n
    found = []
    for t, (state, shown) in enumerate(zip(states.astype(np.float64), shown_before)):
        ema = state[:n]
        ordered = np.sort(ema)
        checks = [("top", ordered[-1], "enter", params.enter), ("top", ordered[-1], "floor", params.floor)]
        if shown < n:  # a shown set, or a trained rest class
            checks.append(("shown", ema[shown], "exit", params.exit))
        if ordered[-1] >= float(np.float32(params.enter)) - margin:
            checks.append(("top", ordered[-1], "runner-up", ordered[-2]))
        if state[state_index(n, "candidate")] == rest and state[state_index(n, "shown")] == rest and exercises > 1:
            top_exercises = np.sort(ema[:exercises])
            checks.append(("top exercise", top_exercises[-1], "runner-up", top_exercises[-2]))
        tracked = int(state[state_index(n, "rep_class")])
        if rep_signal is None:
            p = min(max(float(probs[t, tracked]), REP_EPS), 1 - REP_EPS)
            signal = math.log(p) - math.log(1 - p)
        else:
            signal = float(rep_signal[t, tracked])
        deviation = signal - state[state_index(n, "rep_baseline")]
        if params.rep_gain_alpha:  # the deviation in units of the amplitude the band follows
            deviation /= max(float(np.float32(state[state_index(n, "rep_amplitude")])), REP_MIN_GAIN)
        checks += [("rep deviation", deviation, "+hysteresis", params.rep_hysteresis),
                   ("rep deviation", deviation, "-hysteresis", -params.rep_hysteresis)]  # fmt: skip
        for what, value, name, threshold in checks:
            if abs(value - float(np.float32(threshold))) < margin:
                found.append(f"step {t}: {what} {value:.7f} within {margin} of {name} {threshold:.7f}")
    return found


def build_vector(case: VectorCase) -> dict[str, Any]:
    """The vector of `case`, drawn from the first seed (from `case.seed` on) without close calls."""
    for seed in range(case.seed, case.seed + MAX_DRAWS):
        probs = draw_probs(case.blocks, seed)
        signal = None if case.waves is None else draw_signal(case.waves, case.n_outputs, seed)
        if not close_calls(probs, case.params, rest_class=case.rest_class, rep_signal=signal):
            return _vector(case, probs, signal)
    raise UserError(f"vector {case.name}: every one of {MAX_DRAWS} draws has a close threshold call")


def _vector(case: VectorCase, probs: np.ndarray, rep_signal: np.ndarray | None = None) -> dict[str, Any]:
    params, n = case.params, case.n_outputs
    result = smooth_sequence(probs, params, rest_class=case.rest_class, rep_signal=rep_signal)
    times = np.arange(len(probs)) * params.every_s
    timeline = segment(
        times, result.labels, case.labels, params.every_s, confidences=result.smoothed, held=result.held,
        reps=result.reps,
    )  # fmt: skip
    shown = tuple(s.label for s in timeline.sets)
    if shown != case.expected_sets:
        raise UserError(f"vector {case.name}: shows sets {shown}, its description promises {case.expected_sets}")
    counted = tuple(s.reps for s in timeline.sets)
    if case.expected_reps is not None and counted != case.expected_reps:
        raise UserError(f"vector {case.name}: counts reps {counted}, its description promises {case.expected_reps}")
    return {
        "name": case.name,
        "description": case.description,
        "labels": list(case.labels),
        "rest_label": REST_LABEL,
        "rest_class": case.rest_class,
        "params": params.to_dict(),
        "derived": params.derived(),
        "initial_state": _floats(initial_state(n, case.rest_class)),
        "probs": _floats(probs),
        **({} if rep_signal is None else {"rep_signal": _floats(rep_signal)}),
        "states": _floats(result.states),
        "smoothed": _floats(result.smoothed),
        "labels_out": [int(label) for label in result.labels],
        "reps_out": [int(reps) for reps in result.reps],
        **timeline.to_dict(),
    }


def _floats(array: np.ndarray) -> Any:
    """float32 values as the float64 numbers equal to them, so the text round-trips exactly."""
    return np.asarray(array, dtype=np.float32).astype(np.float64).tolist()


def render(vector: dict[str, Any]) -> str:
    """JSON text with one line per step, so a changed vector reads as a small diff."""
    lines = []
    for key, value in vector.items():
        if isinstance(value, list) and value and isinstance(value[0], (list, dict)):
            rows = ",\n".join("    " + json.dumps(row, ensure_ascii=False) for row in value)
            lines.append(f"  {json.dumps(key)}: [\n{rows}\n  ]")
        else:
            lines.append(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def write_vectors(directory: Path | str, cases: tuple[VectorCase, ...] = CASES) -> list[Path]:
    """Write one `<name>.json` per case into `directory`; returns the paths written."""
    directory = Path(directory)
    return [write_text(directory / f"{case.name}.json", render(build_vector(case))) for case in cases]
