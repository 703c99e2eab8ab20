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
"""

from __future__ import annotations

import json
import mmap
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

import numpy as np

from gymnos_edge.common.errors import UserError
from gymnos_edge.common.jsonfile import read_json
from gymnos_edge.common.quiet_tensorflow import native_output_silenced
from gymnos_edge.data.sampler import ResizePolicy, SamplingConfig, resize_frame
from gymnos_edge.sets.smoothing import SmoothingParams

SERVING = "serving_default"
SMOOTH_STEP = "smooth_step"
METADATA_FILE = "metadata.json"
METADATA_NAME = "gymnos_edge"  # name of the metadata entry embedded in every exported .tflite
_REQUIRED = ("labels", "rest_label", "image_size", "resize", "interval_s", "initial_state", "smoothing", "inputs", "outputs")


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
        try:
            with native_output_silenced():  # LiteRT announces its CPU delegate when it sets up a signature
                self._interpreter = Interpreter(model_path=str(self.path), num_threads=num_threads)
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

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(self.metadata["labels"])

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
        return SamplingConfig(every_s=float(self.metadata["interval_s"]), image_size=self.image_size, resize=self.resize)

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

    def prepare(self, image: np.ndarray) -> np.ndarray:
        """(1,S,S,3) float32 RGB in 0..255 from an H×W×3 RGB frame, resized by the model's policy."""
        image = np.asarray(image)
        if image.ndim != 3 or image.shape[2] != 3:
            raise UserError(f"expected an H×W×3 RGB frame, got shape {image.shape}")
        if image.shape[:2] != (self.image_size, self.image_size):
            image = resize_frame(np.ascontiguousarray(image, dtype=np.uint8), self.image_size, self.resize)
        return image.astype(np.float32)[None]

    def step(self, image: np.ndarray, state: np.ndarray | None = None) -> Step:
        """Classify one frame and advance the set tracker from `state` (the initial state if None)."""
        state = self.initial_state() if state is None else state
        result = self._invoke(self._serve, **{self._inputs["image"]: self.prepare(image), self._inputs["state"]: _state(state)})
        return self._step(result, with_probs=True)

    def smooth_step(self, probs: np.ndarray, state: np.ndarray | None = None) -> Step:
        """Advance the set tracker with given probabilities, through the graph's own smoothing step."""
        if self._smooth is None:
            raise UserError(f"{self.path}: no {SMOOTH_STEP!r} signature in this file")
        state = self.initial_state() if state is None else state
        probs = np.asarray(probs, np.float32).reshape(1, self.n_outputs)
        result = self._invoke(self._smooth, **{self._outputs["probs"]: probs, self._inputs["state"]: _state(state)})
        return self._step(result, with_probs=False)

    def run(self, frames: Iterable[np.ndarray], state: np.ndarray | None = None) -> Iterator[Step]:
        """Step through `frames` in order, feeding each next_state back, as the app does."""
        for frame in frames:
            result = self.step(frame, state)
            state = result.next_state
            yield result

    def probabilities(self, frames: np.ndarray) -> np.ndarray:
        """(N, K) raw probabilities of a batch of frames (the smoothing is left to the caller)."""
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
    missing = [key for key in _REQUIRED if key not in metadata]
    if missing:
        raise UserError(f"{source}: missing field(s) {', '.join(missing)}")
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
                if entry.Name().decode() == METADATA_NAME:
                    return json.loads(bytes(root.Buffers(entry.Buffer()).DataAsNumpy()).decode("utf-8"))
    except (ValueError, IndexError, OSError, struct.error, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UserError(f"{path}: not a readable .tflite file ({type(error).__name__})") from None
    return None
