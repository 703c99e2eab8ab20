"""Self-validation of an exported model: load it back and compare it with the Keras model and the reference.

Three checks per model, with the limits of its row in the formats table:

- probabilities: the exported model's `probs` on real (or synthetic) frames
  against the Keras classifier's, max |Δ| within the row's tolerance;
- smoothing vectors: the shared vector cases with the model's number of
  classes (`reference_vectors`), replayed through the file's `smooth_step`
  signature, give the reference labels exactly and the reference states to
  float32 rounding;
- serving path: the full graph, fed states taken from those vectors, returns
  exactly `smoothing.step(state, its own probs)` (a pose model: with the rep
  signal of the frame's keypoints), so the state machine inside the quantized
  graph is the float32 one, not an approximation of it.

A pose model is fed a keypoint sequence instead of frames, one after the other
with its state carried, since its motion features depend on the frames before:
its probabilities must replay the Python reference (features, motion and head
in NumPy) along the whole sequence, and the motion part of its last state must
be the reference's.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from gymnos_edge.export.formats import STATE_ATOL, ExportFormat
from gymnos_edge.features.rep_signal import rep_signal, stored_weights
from gymnos_edge.sets.smoothing import SmoothingParams, initial_state, smooth_sequence, step
from gymnos_edge.inference.litert_model import Step, TFLiteModel
from gymnos_edge.sets.shared_vectors import CASES, MAX_DRAWS, Block, close_calls, draw_probs

_SERVING_STATES = 32  # states fed through the whole graph: every phase of the machine, at a bounded cost


@dataclass(frozen=True)
class Check:
    """One comparison and whether it stayed within its limit."""

    name: str
    ok: bool
    detail: str
    value: float | None = None
    limit: float | None = None


@dataclass(frozen=True)
class Validation:
    """Every check of one exported model, and notes on what could not be checked."""

    format: str
    file: str
    checks: tuple[Check, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    def check(self, name: str) -> Check | None:
        return next((c for c in self.checks if c.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        values = asdict(self)
        values["ok"] = self.ok
        return values


@dataclass(frozen=True)
class SmoothingVector:
    """A shared vector's probabilities and the reference's states for the model's parameters."""

    name: str
    probs: np.ndarray  # (T, K)
    states: np.ndarray  # (T, N+10), after each step
    labels: np.ndarray  # (T,)


@dataclass(frozen=True)
class Reference:
    """What every exported model of one run is compared with."""

    frames: np.ndarray  # (N, S, S, 3) uint8 RGB
    probs: np.ndarray  # (N, K), the Keras classifier's
    params: SmoothingParams
    vectors: tuple[SmoothingVector, ...]
    frames_source: str
    notes: tuple[str, ...] = field(default_factory=tuple)
    rest_class: bool = False
    # Pose models: the state after the set tracker's (motion), its value after the whole sequence;
    # `frames` are then a keypoint sequence, fed in order with the state carried.
    extra_state: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    final_extra_state: np.ndarray | None = None
    # Pose models that count reps on a rep signal: each frame's pose features and the signal's weights.
    rep_features: np.ndarray | None = None  # (N, N_FEATURES)
    rep_weights: np.ndarray | None = None  # (K, REP_FEATURES)

    @property
    def initial_state(self) -> np.ndarray:
        """The set tracker's first state (what `smooth_step` takes)."""
        return initial_state(self.n_classes, self.rest_class)

    @property
    def carries_state(self) -> bool:
        return self.final_extra_state is not None

    def full_state(self, tracker: np.ndarray) -> np.ndarray:
        """What the whole graph takes: the tracker's state, then the initial motion state (pose models)."""
        return np.concatenate([tracker, self.extra_state]).astype(np.float32)

    @property
    def n_classes(self) -> int:
        return int(self.probs.shape[1])

    def rep_signal(self, fmt: ExportFormat, frame: int) -> np.ndarray | None:
        """(1, K) rep signal of one frame as the format's graph computes it: an fp16 file stores its
        weights in half precision (and computes in float32), every other format keeps them float32."""
        if self.rep_weights is None or self.rep_features is None:
            return None
        return rep_signal(self.rep_features[frame : frame + 1], stored_weights(self.rep_weights, fmt.quantization))


def reference_vectors(
    n_classes: int, params: SmoothingParams, rest_class: bool = False
) -> tuple[tuple[SmoothingVector, ...], tuple[str, ...]]:
    """The shared vector cases with the model's number of classes, as the reference runs them with its parameters.

    The cases of a rep signal are left out: `smooth_step` takes probabilities alone (a pose graph's
    own signal is checked on the serving path). They are drawn as
    `gymnos_edge.sets.shared_vectors` draws the shared files (same cases,
    same seeds), so a case recorded with the model's parameters is exactly its
    shared file, with no need for the tests folder at run time. For other
    parameters the first draw without a close threshold call is kept, so float32
    rounding in the exported graph cannot flip a label. A model whose number of
    classes no case has gets one set of each class between unsure stretches.
    """
    cases = [
        (case.name, case.blocks, case.seed)
        for case in CASES
        if case.n_outputs == n_classes and case.rest_class == rest_class and case.waves is None
    ]
    if not cases:
        cases = [(f"each_of_{n_classes}_classes", _each_class(n_classes), 1000)]
    vectors, notes = [], []
    for name, blocks, first_seed in cases:
        for seed in range(first_seed, first_seed + MAX_DRAWS):
            probs = draw_probs(blocks, seed)
            if not close_calls(probs, params, rest_class=rest_class):
                result = smooth_sequence(probs, params, rest_class=rest_class)
                vectors.append(SmoothingVector(name, probs, result.states, result.labels))
                break
        else:
            notes.append(f"vector {name} skipped: every draw has a close threshold call under this smoothing")
    return tuple(vectors), tuple(notes)


def _each_class(n: int) -> tuple[Block, ...]:
    unsure = Block(tuple([1.0 / n] * n), 10, 30.0)
    blocks = [unsure]
    for c in range(n):
        blocks += [Block(tuple(0.9 if i == c else 0.1 / (n - 1) for i in range(n)), 30), unsure]
    return tuple(blocks)


Runner = Callable[[np.ndarray, np.ndarray], Step]


def compare(
    fmt: ExportFormat,
    file: str,
    reference: Reference,
    serve: Runner,
    smooth: Runner | None,
) -> Validation:
    """Run the checks with `serve(image (S,S,3) uint8, state (N+10,))` and `smooth(probs (K,), state)`."""
    checks = [_probabilities(fmt, reference, serve)]
    if smooth is not None:
        checks.append(_vectors(reference, smooth))
    checks.append(_serving_path(fmt, reference, serve))
    return Validation(fmt.key, file, tuple(checks), notes=reference.notes)


def _probabilities(fmt: ExportFormat, reference: Reference, serve: Runner) -> Check:
    state = reference.full_state(reference.initial_state)
    probs = []
    for frame in reference.frames:
        result = serve(frame, state)
        probs.append(result.probs)
        if reference.carries_state:
            state = result.next_state
    probs = np.stack(probs)
    delta = float(np.abs(probs - reference.probs).max())
    agreement = float(np.mean(probs.argmax(1) == reference.probs.argmax(1)))
    detail = (
        f"max |Δp| {delta:.2e} (limit {fmt.prob_atol:g}) on {len(probs)} {reference.frames_source} frames; "
        f"top-1 agreement {agreement:.0%}"
    )
    ok = delta <= fmt.prob_atol
    if reference.carries_state:
        drift = float(np.abs(state[len(reference.initial_state) :] - reference.final_extra_state).max())
        detail += f"; state carried through the sequence, motion state max |Δ| {drift:.1e} (limit {STATE_ATOL:g})"
        ok = ok and drift <= STATE_ATOL
    return Check("probabilities", ok, detail, delta, fmt.prob_atol)


def _vectors(reference: Reference, smooth: Runner) -> Check:
    steps = wrong_labels = 0
    worst = 0.0
    for vector in reference.vectors:
        state = reference.initial_state
        for probs, expected_state, expected_label in zip(vector.probs, vector.states, vector.labels):
            result = smooth(probs, state)
            state = result.next_state
            worst = max(worst, float(np.abs(state - expected_state).max()))
            wrong_labels += result.label != int(expected_label)
            steps += 1
    ok = wrong_labels == 0 and worst <= STATE_ATOL
    detail = (
        f"{len(reference.vectors)} vectors, {steps} steps: {wrong_labels} label(s) differ, "
        f"max |Δstate| {worst:.1e} (limit {STATE_ATOL:g})"
    )
    return Check("smoothing vectors", ok, detail, worst, STATE_ATOL)


def _serving_path(fmt: ExportFormat, reference: Reference, serve: Runner) -> Check:
    """Feed the whole graph states from every phase of the machine; it must step them exactly."""
    states = [reference.initial_state] + [s for vector in reference.vectors for s in vector.states]
    picks = np.unique(np.linspace(0, len(states) - 1, min(_SERVING_STATES, len(states))).round().astype(int))
    wrong_labels = 0
    worst = 0.0
    tracker = len(reference.initial_state)
    for i, pick in enumerate(picks):
        state = states[pick]
        frame = i % len(reference.frames)
        result = serve(reference.frames[frame], reference.full_state(state))
        signal = reference.rep_signal(fmt, frame)
        expected_state, _, expected_label = step(
            state[None], result.probs[None], reference.params, rest_class=reference.rest_class, rep_signal=signal
        )
        worst = max(worst, float(np.abs(result.next_state[:tracker] - expected_state[0]).max()))
        wrong_labels += result.label != int(expected_label[0])
    ok = wrong_labels == 0 and worst <= STATE_ATOL
    detail = f"{len(picks)} states: {wrong_labels} label(s) differ, max |Δstate| {worst:.1e} (limit {STATE_ATOL:g})"
    return Check("serving path", ok, detail, worst, STATE_ATOL)


def validate_tflite(path: Path, fmt: ExportFormat, reference: Reference, num_threads: int | None = None) -> Validation:
    """Load the written file back with LiteRT and run every check through its two signatures."""
    model = TFLiteModel(path, num_threads=num_threads)
    return compare(fmt, path.name, reference, model.step, model.smooth_step)


def validate_coreml(path: Path, fmt: ExportFormat, reference: Reference, metadata: dict[str, Any]) -> Validation:
    """Check the package's spec on any OS; on macOS also load it back and run the checks."""
    from gymnos_edge.export.coreml import runtime
    from gymnos_edge.export.coreml.spec import spec_problems

    problems = spec_problems(path, metadata)
    checked_text = ("inputs keypoints and state_in, outputs, labels and joints, iOS 16, float32 throughout"
                    if metadata.get("input") == "keypoints" else
                    "inputs, outputs, image BGR with the Caffe bias, labels, iOS 16, smoothing ops in float32")  # fmt: skip
    spec = Check("spec", not problems, "; ".join(problems) or checked_text)
    if not runtime.can_predict():
        note = "Core ML predictions need macOS: only the spec was checked here"
        return Validation(fmt.key, path.name, (spec,), notes=(*reference.notes, note))
    model = runtime.load(path)

    def serve(image: np.ndarray, state: np.ndarray) -> Step:
        result = runtime.predict(model, image, state, source=metadata.get("input", "image"))
        return Step(result["probs"][0], result["smoothed"][0], int(result["label"][0]), result["next_state"][0])

    checked = compare(fmt, path.name, reference, serve, smooth=None)
    return Validation(fmt.key, path.name, (spec, *checked.checks), notes=checked.notes)
