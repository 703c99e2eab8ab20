"""Run an exported .tflite frame by frame with LiteRT, as a phone does.

    model = TFLiteModel("export/my-run/model_int8.tflite", num_threads=2)
    state = model.initial_state()
    for frame in frames:                      # RGB uint8, any size
        result = model.step(frame, state)     # probs, smoothed, label, next_state
        state = result.next_state
        print(model.label_name(result.label))

Labels, input size, resize policy and smoothing come from the `metadata.json`
next to the file, or from the copy `gymnos-edge export` embeds in every .tflite,
so a lone file still runs. Only LiteRT is imported: no TensorFlow, no Keras.

A pose model (metadata `backbone: pose`) takes `keypoints` (17, 3) instead of
an image, and its state carries the motion features after the smoothing
state; `step` and `run` work the same way. `open_model` puts the BlazePose
estimator in front of it for frames.
"""

from __future__ import annotations

import json
import mmap
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

import numpy as np

from gymnos_edge.common.contract import EMBEDDED_METADATA, METADATA_FILE, SERVING, SMOOTH_STEP
from gymnos_edge.common.errors import UserError, ValidationError
from gymnos_edge.common.jsonfile import check_fields, read_json
from gymnos_edge.common.native_path import native_name
from gymnos_edge.common.quiet_tensorflow import native_output_silenced
from gymnos_edge.data.sampler import ResizePolicy, SamplingConfig, resize_frame
from gymnos_edge.features.keypoints import pose_features
from gymnos_edge.features.rep_signal import rep_signal, rep_weights_of, stored_weights
from gymnos_edge.inference.predict import FrameOutputs
from gymnos_edge.sets.smoothing import SmoothingParams, renamed_legacy_keys, state_size

_REQUIRED = ("labels", "rest_label", "image_size", "resize", "every_s", "initial_state", "smoothing", "inputs", "outputs")


@dataclass(frozen=True)
class Step:
    """One frame through the model: what the phone shows and the state to feed back."""

    probs: np.ndarray | None  # (K,) raw probabilities; None from `smooth_step`, which takes them as input
    smoothed: np.ndarray  # (K,)
    label: int  # index into the labels, K for rest
    next_state: np.ndarray  # (N + STATE_EXTRA,): see `sets.smoothing.STATE_FIELDS`


class TFLiteModel:
    """An exported .tflite with its metadata; `step` runs the classifier and the set tracker together."""

    def __init__(self, path: Path | str, num_threads: int | None = None, metadata: dict[str, Any] | None = None):
        from ai_edge_litert.interpreter import Interpreter

        self.path = Path(path)
        if not self.path.is_file():
            raise UserError(f"{self.path}: model file not found; export one with `gymnos-edge export --tflite`")
        self.metadata = metadata if metadata is not None else load_metadata(self.path)
        _require_complete(self.path, self.metadata)
        try:
            with native_output_silenced(), native_name(self.path) as name:  # LiteRT announces its CPU delegate
                self._interpreter = Interpreter(model_path=name, num_threads=num_threads)
                signatures = self._interpreter.get_signature_list()
                if SERVING not in signatures:
                    raise UserError(f"{self.path}: no {SERVING!r} signature; was it written by gymnos-edge export?")
                self._serve = self._interpreter.get_signature_runner(SERVING)
                self._smooth = self._interpreter.get_signature_runner(SMOOTH_STEP) if SMOOTH_STEP in signatures else None
        except (ValueError, RuntimeError) as error:
            raise UserError(f"{self.path}: LiteRT cannot load it ({str(error).splitlines()[0][:200]})") from None
        self._inputs = self.metadata["inputs"]
        self._outputs = self.metadata["outputs"]
        self._invoked = False
        # A pose export that counts reps on a rep signal: its weights, checked once and as the graph computes
        # with them (an fp16 file's in half precision); None: the log-odds.
        weights = rep_weights_of(self.pose, self.n_outputs, self.path) if self.is_pose else None
        self._rep_weights = None if weights is None else stored_weights(weights, self.quantization)
        self._carried = self.initial_state()

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(self.metadata["labels"])

    @property
    def is_pose(self) -> bool:
        return self.metadata.get("backbone") == "pose"

    @property
    def pose(self) -> dict[str, Any]:
        return self.metadata.get("pose", {})

    @property
    def n_classes(self) -> int:
        return len(self.labels)

    @property
    def rest_class(self) -> bool:
        """Exports made before the rest class existed have no such key: they have no rest output."""
        return bool(self.metadata.get("rest_class", False))

    @property
    def n_outputs(self) -> int:
        return self.n_classes + int(self.rest_class)

    @property
    def rest_label(self) -> str:
        return self.metadata["rest_label"]

    @property
    def image_size(self) -> int:
        return int(self.metadata["image_size"])

    @property
    def resize(self) -> ResizePolicy:
        return ResizePolicy(self.metadata["resize"])

    @property
    def smoothing(self) -> SmoothingParams:
        """The parameters built into the graph; changing them needs a new export."""
        return SmoothingParams.from_dict(self.metadata["smoothing"])

    @property
    def sampling(self) -> SamplingConfig:
        return SamplingConfig(every_s=float(self.metadata["every_s"]), image_size=self.image_size, resize=self.resize)

    @property
    def quantization(self) -> str | None:
        """fp32, fp16, dynamic or int8: from the embedded metadata, or this file's entry in metadata.json."""
        if "quantization" in self.metadata:
            return self.metadata["quantization"]
        entry = next((m for m in self.metadata.get("models", []) if m.get("file") == self.path.name), {})
        return entry.get("quantization")

    def label_name(self, label: int) -> str:
        return self.labels[label] if 0 <= label < self.n_classes else self.rest_label

    def initial_state(self) -> np.ndarray:
        return np.asarray(self.metadata["initial_state"], np.float32).copy()

    @property
    def smoothing_state_size(self) -> int:
        """The state's first numbers, the set tracker's; a pose model's motion features follow."""
        return state_size(self.n_outputs)

    def reset(self) -> None:
        """A new video: the state `keypoint_probabilities` carries starts again from the initial one."""
        self._carried = self.initial_state()

    def prepare(self, image: np.ndarray) -> np.ndarray:
        """(1,S,S,3) float32 RGB in 0..255 from an H×W×3 RGB frame, resized by the model's policy;
        for a pose model, (1,17,3) float32 keypoints."""
        if self.is_pose:
            keypoints = np.asarray(image, np.float32)
            expected = (len(self.pose.get("joints", ())), 3)
            if keypoints.shape != expected:
                raise UserError(f"expected keypoints of shape {expected}, got {keypoints.shape}")
            return keypoints[None]
        image = np.asarray(image)
        if image.ndim != 3 or image.shape[2] != 3:
            raise UserError(f"expected an H×W×3 RGB frame, got shape {image.shape}")
        if image.shape[:2] != (self.image_size, self.image_size):
            image = resize_frame(np.ascontiguousarray(image, dtype=np.uint8), self.image_size, self.resize)
        return image.astype(np.float32)[None]

    def step(self, image: np.ndarray, state: np.ndarray | None = None) -> Step:
        """Classify one frame (a pose model: its keypoints) and advance the state (the initial state if None)."""
        state = self.initial_state() if state is None else state
        source = self._inputs["keypoints"] if self.is_pose else self._inputs["image"]
        result = self._invoke(self._serve, **{source: self.prepare(image), self._inputs["state"]: _state(state)})
        return self._step(result, with_probs=True)

    def smooth_step(self, probs: np.ndarray, state: np.ndarray | None = None) -> Step:
        """Advance the set tracker with given probabilities, through the graph's own smoothing step.

        Its state is the set tracker's part alone (the first `smoothing_state_size` numbers).
        """
        if self._smooth is None:
            raise UserError(f"{self.path}: no {SMOOTH_STEP!r} signature in this file")
        state = self.initial_state()[: self.smoothing_state_size] if state is None else state
        probs = np.asarray(probs, np.float32).reshape(1, self.n_outputs)
        result = self._invoke(self._smooth, **{self._outputs["probs"]: probs, self._inputs["state"]: _state(state)})
        return self._step(result, with_probs=False)

    def run(self, frames: Iterable[np.ndarray], state: np.ndarray | None = None) -> Iterator[Step]:
        """Step through `frames` in order, feeding each next_state back, as the app does."""
        for frame in frames:
            result = self.step(frame, state)
            state = result.next_state
            yield result

    def keypoint_outputs(self, keypoints: np.ndarray) -> FrameOutputs:
        """Probabilities of consecutive frames' keypoints, the state carried on from the last call, and the rep
        signal the graph counts on (the same function of the keypoints, and of the weights as the file stores
        them, in NumPy)."""
        probs = []
        for frame in keypoints:
            result = self.step(frame, self._carried)
            self._carried = result.next_state
            probs.append(result.probs)
        weights = self._rep_weights
        signal = None if weights is None else rep_signal(pose_features(keypoints), weights)
        return FrameOutputs(np.stack(probs) if probs else np.empty((0, self.n_outputs), np.float32), signal)

    def keypoint_probabilities(self, keypoints: np.ndarray) -> np.ndarray:
        """(N, K) probabilities of consecutive frames' keypoints, the state carried on from the last call."""
        return self.keypoint_outputs(keypoints).probs

    def probabilities(self, frames: np.ndarray) -> np.ndarray:
        """(N, K) raw probabilities of a batch of frames (the smoothing is left to the caller)."""
        if self.is_pose:
            raise UserError(f"{self.path}: a pose model takes keypoints; open it with open_frame_model for frames")
        # Frame by frame through serving_default, as a phone runs it: the graph has batch 1 in its constants
        # (Flatten's reshape, the smoothing step), and a batched copy of the classifier measured within 5 % of
        # it on CPU; the convolutions cost the time, not the calls.
        state = self.initial_state()
        return np.stack([self.step(frame, state).probs for frame in frames]) if len(frames) else np.empty((0, self.n_outputs), np.float32)

    def _invoke(self, runner, **inputs: np.ndarray) -> dict[str, np.ndarray]:
        if self._invoked:
            return runner(**inputs)
        with native_output_silenced():  # the first run sets up LiteRT's CPU delegate, which it announces
            result = runner(**inputs)
        self._invoked = True
        return result

    def _step(self, result: dict[str, np.ndarray], with_probs: bool) -> Step:
        names = self._outputs
        return Step(
            probs=np.asarray(result[names["probs"]][0], np.float32) if with_probs else None,
            smoothed=np.asarray(result[names["smoothed"]][0], np.float32),
            label=int(result[names["label"]][0]),
            next_state=np.asarray(result[names["next_state"]][0], np.float32),
        )


TFLiteFrameModel = TFLiteModel  # the name `gymnos_edge.inference.open_model` opens .tflite files by


def _require_complete(path: Path, metadata: dict[str, Any]) -> None:
    """A file cut short by an interrupted copy fails in LiteRT with a bare "not a valid Flatbuffer": say why."""
    entry = next((m for m in metadata.get("models", []) if isinstance(m, dict) and m.get("file") == path.name), {})
    expected, actual = entry.get("size_bytes"), path.stat().st_size
    if isinstance(expected, int) and expected != actual:
        raise UserError(
            f"{path}: is {actual:,} bytes but {METADATA_FILE} says it was exported as {expected:,}: the file is "
            f"{'truncated' if actual < expected else 'damaged'} (an interrupted copy?); copy it again or export again"
        )


def _state(state: np.ndarray) -> np.ndarray:
    return np.asarray(state, np.float32).reshape(1, -1)


def load_metadata(path: Path | str) -> dict[str, Any]:
    """The export metadata of a .tflite: `metadata.json` beside it, else the copy embedded in it."""
    path = Path(path)
    sibling = path.with_name(METADATA_FILE)
    if sibling.is_file():
        metadata = read_json(sibling)
        source = str(sibling)
    else:
        metadata = read_embedded_metadata(path)
        source = f"{path} (embedded metadata)"
        if metadata is None:
            raise UserError(f"{path}: no {METADATA_FILE} beside it and none embedded; was it written by gymnos-edge export?")
    return check_export_metadata(metadata, source)


_FIELD_KINDS = {
    "labels": "a non-empty list of text",
    "rest_label": "text",
    "image_size": "an integer",
    "resize": "text",
    "every_s": "a number",
    "initial_state": "a list of numbers",
    "rest_class": "true or false",
    "smoothing": "an object",
    "inputs": "an object",
    "outputs": "an object",
}
_TENSORS = {"inputs": ("state",), "outputs": ("probs", "smoothed", "label", "next_state")}
_FRAME_INPUTS = ("image", "keypoints")  # one of them: what a frame is fed as


def check_export_metadata(metadata: Any, source: str) -> dict[str, Any]:
    """Export metadata as read back, checked field by field before anything relies on it."""
    if not isinstance(metadata, dict):
        raise UserError(f"{source}: expected a JSON object")
    metadata = renamed_legacy_keys(metadata)
    missing = [key for key in _REQUIRED if key not in metadata]
    if missing:
        raise UserError(f"{source}: missing field(s) {', '.join(missing)}")
    check_fields(metadata, _FIELD_KINDS, source)
    problems = [
        f"field {group!r} must name the tensor {name!r}"
        for group, names in _TENSORS.items()
        for name in names
        if not isinstance(metadata[group].get(name), str)
    ]
    if not any(isinstance(metadata["inputs"].get(name), str) for name in _FRAME_INPUTS):
        problems.append("field 'inputs' must name the tensor 'image' (image models) or 'keypoints' (pose models)")
    outputs = len(metadata["labels"]) + int(metadata.get("rest_class", False))
    # A pose model's state also carries the keypoint motion its features need; it says its own size.
    expected = metadata["state_size"] if isinstance(metadata.get("state_size"), int) else state_size(outputs)
    if len(metadata["initial_state"]) != expected:
        problems.append(f"field 'initial_state' must hold {expected} numbers for "
                        f"{outputs} model outputs, got {len(metadata['initial_state'])}")  # fmt: skip
    try:
        SamplingConfig(every_s=metadata["every_s"], image_size=metadata["image_size"], resize=metadata["resize"])
    except (UserError, ValueError) as error:
        problems.append(f"fields 'every_s', 'image_size', 'resize': {error}")
    try:
        SmoothingParams.from_dict(metadata["smoothing"])
    except (UserError, ValueError) as error:
        problems.append(f"field 'smoothing': {error}")
    if problems:
        raise ValidationError(source, problems + ["the file was edited or damaged: restore it, or export again"],
                              count=len(problems))  # fmt: skip
    return metadata


def read_embedded_metadata(path: Path | str) -> dict[str, Any] | None:
    """The "gymnos_edge" metadata entry of a .tflite file, read without loading its weights."""
    from ai_edge_litert import schema_py_generated as schema

    try:
        with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            if not schema.Model.ModelBufferHasIdentifier(data, 0):
                raise UserError(f"{path}: not a .tflite file (no TFL3 identifier)")
            root = schema.Model.GetRootAs(data, 0)
            for m in range(root.MetadataLength()):
                entry = root.Metadata(m)
                if entry.Name().decode() == EMBEDDED_METADATA:
                    return json.loads(bytes(root.Buffers(entry.Buffer()).DataAsNumpy()).decode("utf-8"))
    except (ValueError, IndexError, struct.error, UnicodeDecodeError, json.JSONDecodeError):
        raise UserError(
            f"{path}: the .tflite file is truncated or damaged ({Path(path).stat().st_size:,} bytes, and its contents "
            "point past what is there); copy it again or export again"
        ) from None
    return None
