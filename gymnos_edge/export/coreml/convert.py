"""Core ML conversion: an ML Program for iOS 16 with the smoothing step inside, in float32.

- coremltools 9 is tested up to TensorFlow 2.12 and Keras 2: given this Keras 3
  model directly it kept two of the four outputs. The wrapper is traced into a
  `tf.function` instead and its concrete function converted, which keeps every
  output in order (renamed afterwards from Identity, Identity_1, …).
- The Caffe preprocessing is folded into the image input: Core ML hands the
  model the camera frame's channels in BGR order and adds the per-channel bias
  (−mean, in B, G, R order) itself, so the wrapper is built without the
  `CaffePreprocessing` layer and the app passes a plain CVPixelBuffer.
- The classifier computes in float16 (Neural Engine); every op of the smoothing
  step is excluded from that by name and stays float32, like the state it reads.
- "state" is a reserved word in Core ML's program text (stateful models), so
  the state input is "state_in", the same name in every format.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np

from gymnos_edge.common.contract import IMAGE, KEYPOINTS, LABEL, NEXT_STATE, OUTPUTS, PROBS, SMOOTHED, STATE
from gymnos_edge.common.errors import UserError
from gymnos_edge.export.coreml import quiet_coremltools
from gymnos_edge.export.formats import COREML_PALETTE_BITS
from gymnos_edge.features.keypoints import MOTION_TAU_S
from gymnos_edge.export.wrapper import (
    SMOOTHING_LAYER,
    build_pose_wrapper,
    build_wrapper,
    classes_of,
    image_size_of,
    pose_state_size,
)
from gymnos_edge.sets.smoothing import SmoothingParams, state_size
from gymnos_edge.training.classifier import CAFFE_BGR_MEAN

AUTHOR = "gymnos-edge"
LICENSE = "Apache-2.0"
_WEIGHT_THRESHOLD = 2048  # compress only tensors this large: never the smoothing step's constants
_DTYPES = {PROBS: np.float32, SMOOTHED: np.float32, LABEL: np.int32, NEXT_STATE: np.float32}

_DESCRIPTIONS = {
    IMAGE: "Camera frame brought to the model's square input by metadata.json's resize policy; Core ML "
    "converts its pixel format and subtracts the ImageNet mean itself.",
    KEYPOINTS: "Body keypoints of this frame in metadata.json's joint order: x, y in frame heights (pixel x and "
    "y divided by the frame's height; origin top-left), confidence 0..1; (0, 0, 0) for a joint not found. "
    "Normalised inside the model.",
    STATE: "State from the previous frame's next_state; metadata.json's initial_state for the first frame.",
    PROBS: "Raw class probabilities of this frame, in labels order.",
    SMOOTHED: "Exponential moving average of the probabilities (what the label decisions use).",
    LABEL: "Label to show: index into labels, or K (the number of labels) for rest.",
    NEXT_STATE: "State to feed with the next frame.",
}


@dataclass(frozen=True)
class CoreMLCompression:
    """Optional weight compression; the two kinds cannot be combined before iOS 18."""

    palettize_bits: int | None = None
    quantize_weights: str | None = None  # "int8"

    def __post_init__(self) -> None:
        if self.palettize_bits is not None and self.quantize_weights is not None:
            raise UserError("choose one Core ML weight compression: --palettize or --quantize-weights, not both")
        if self.palettize_bits is not None and self.palettize_bits not in COREML_PALETTE_BITS:
            bits = ", ".join(map(str, COREML_PALETTE_BITS))
            raise UserError(f"--palettize takes {bits} bits, got {self.palettize_bits}")
        if self.quantize_weights not in (None, "int8"):
            raise UserError(f"--quantize-weights takes int8, got {self.quantize_weights!r}")

    @property
    def key(self) -> str:
        """Short name for metadata.json: fp16, palettized4, int8."""
        if self.palettize_bits is not None:
            return f"palettized{self.palettize_bits}"
        return self.quantize_weights or "fp16"

    @property
    def name(self) -> str:
        if self.palettize_bits is not None:
            return f"palettized {self.palettize_bits}-bit weights"
        if self.quantize_weights is not None:
            return f"{self.quantize_weights} weights"
        return "float16 weights"


def convert_coreml(
    classifier: keras.Model,
    params: SmoothingParams,
    metadata: dict[str, Any],
    compression: CoreMLCompression = CoreMLCompression(),
    rest_class: bool = False,
    pose: bool = False,
    rep_weights: np.ndarray | None = None,
    motion_tau_s: float = MOTION_TAU_S,
):
    """The `coremltools.models.MLModel` of `classifier` + smoothing step, described by `metadata`.

    With `pose`, `classifier` is a pose run's head and the model takes keypoints (reps counted on
    the rep signal of `rep_weights` when given).
    """
    import tensorflow as tf

    if pose:
        return _convert_pose(classifier, params, metadata, rest_class, rep_weights, motion_tau_s)
    ct = quiet_coremltools()
    size, n = image_size_of(classifier), classes_of(classifier)
    wrapper = build_wrapper(classifier, params, preprocessing=False, rest_class=rest_class)

    @tf.function(
        input_signature=[
            tf.TensorSpec((1, size, size, 3), tf.float32, name=IMAGE),
            tf.TensorSpec((1, state_size(n)), tf.float32, name=STATE),
        ]
    )
    def serve(image, state_in):
        return list(wrapper([image, state_in], training=False))

    inputs = [
        ct.ImageType(
            name=IMAGE,
            shape=(1, size, size, 3),
            color_layout=ct.colorlayout.BGR,
            bias=[-mean for mean in CAFFE_BGR_MEAN],  # B, G, R: the order of color_layout
            scale=1.0,
        ),
        ct.TensorType(name=STATE, shape=(1, state_size(n)), dtype=np.float32),
    ]
    mlmodel = _convert_traced(serve, inputs, ct.transform.FP16ComputePrecision(op_selector=_in_float16))
    with contextlib.redirect_stderr(io.StringIO()):
        mlmodel = _compress(mlmodel, compression)
    _describe(mlmodel, metadata)
    return mlmodel


def _convert_pose(
    head: keras.Model, params: SmoothingParams, metadata: dict[str, Any], rest_class: bool, rep_weights: np.ndarray | None,
    motion_tau_s: float,
):
    """Keypoints in: a multi-array input, float32 throughout (the head is tiny; exact beats fast here)."""
    import tensorflow as tf

    ct = quiet_coremltools()
    n = classes_of(head)
    wrapper = build_pose_wrapper(head, params, rest_class=rest_class, rep_weights=rep_weights, motion_tau_s=motion_tau_s)
    joints = len(metadata["joints"])

    @tf.function(
        input_signature=[
            tf.TensorSpec((1, joints, 3), tf.float32, name=KEYPOINTS),
            tf.TensorSpec((1, pose_state_size(n)), tf.float32, name=STATE),
        ]
    )
    def serve(keypoints, state_in):
        return list(wrapper([keypoints, state_in], training=False))

    inputs = [
        ct.TensorType(name=KEYPOINTS, shape=(1, joints, 3), dtype=np.float32),
        ct.TensorType(name=STATE, shape=(1, pose_state_size(n)), dtype=np.float32),
    ]
    mlmodel = _convert_traced(serve, inputs, ct.precision.FLOAT32)
    _describe(mlmodel, metadata)
    return mlmodel


def _convert_traced(serve, inputs: list, compute_precision):
    """The ML Program of a traced wrapper, its outputs renamed from Identity, Identity_1, … to OUTPUTS."""
    ct = quiet_coremltools()
    concrete = serve.get_concrete_function()
    traced = [tensor.name.split(":")[0] for tensor in concrete.outputs]  # in OUTPUTS order
    with contextlib.redirect_stderr(io.StringIO()):  # coremltools draws progress bars for every pass
        mlmodel = ct.convert(
            [concrete],
            source="tensorflow",
            convert_to="mlprogram",
            minimum_deployment_target=ct.target.iOS16,
            inputs=inputs,
            outputs=[ct.TensorType(name=name, dtype=_DTYPES[output]) for name, output in zip(traced, OUTPUTS)],
            compute_precision=compute_precision,
            skip_model_load=sys.platform != "darwin",
        )
    spec = mlmodel.get_spec()
    for name, output in zip(traced, OUTPUTS):
        ct.utils.rename_feature(spec, name, output)
    return ct.models.MLModel(spec, weights_dir=mlmodel.weights_dir, skip_model_load=sys.platform != "darwin")


def _in_float16(op) -> bool:
    """Only the classifier computes in float16; the smoothing step and its state stay float32."""
    return SMOOTHING_LAYER not in op.name


def _compress(mlmodel, compression: CoreMLCompression):
    quiet_coremltools()
    from coremltools.optimize import coreml as optimize

    if compression.palettize_bits is not None:
        # Uniform lookup tables: k-means would need scikit-learn, which gymnos-edge does not install.
        op = optimize.OpPalettizerConfig(
            mode="uniform", nbits=compression.palettize_bits, weight_threshold=_WEIGHT_THRESHOLD
        )
        return optimize.palettize_weights(mlmodel, optimize.OptimizationConfig(global_config=op))
    if compression.quantize_weights is not None:
        op = optimize.OpLinearQuantizerConfig(
            mode="linear_symmetric", dtype=compression.quantize_weights, weight_threshold=_WEIGHT_THRESHOLD
        )
        return optimize.linear_quantize_weights(mlmodel, optimize.OptimizationConfig(global_config=op))
    return mlmodel


def _describe(mlmodel, metadata: dict[str, Any]) -> None:
    labels = metadata["labels"]
    mlmodel.short_description = (
        f"Workout exercise classifier ({', '.join(labels)}) with set tracking built in: "
        f"feed one frame every {metadata['every_s']:g} s and the previous next_state."
    )
    mlmodel.author = AUTHOR
    mlmodel.license = LICENSE
    mlmodel.version = str(metadata["package_version"])
    inputs = {feature.name for feature in mlmodel.get_spec().description.input}
    for name, text in _DESCRIPTIONS.items():
        if name in (IMAGE, KEYPOINTS, STATE):
            if name in inputs:
                mlmodel.input_description[name] = text
        else:
            mlmodel.output_description[name] = text
    for key, value in user_metadata(metadata).items():
        mlmodel.user_defined_metadata[key] = value


def user_metadata(metadata: dict[str, Any]) -> dict[str, str]:
    """The export metadata as Core ML's string-to-string user-defined metadata."""
    keys = (
        "backbone", "input", "labels", "rest_label", "image_size", "resize", "preprocessing", "every_s",
        "state_size", "state_layout", "initial_state", "smoothing", "joints", "inputs", "outputs", "run",
        "package_version", "created",
    )  # fmt: skip
    return {
        key: value if isinstance(value, str) else json.dumps(value) for key, value in metadata.items() if key in keys
    }


def save_coreml(mlmodel, path: Path) -> Path:
    mlmodel.save(str(path))
    return path
