"""LiteRT (TFLite) conversion of the wrapper graph, with the smoothing step kept in float32.

Two signatures, built-in ops only:

    serving_default  image (1,S,S,3) float32 RGB 0..255, state_in (1,N+10) → probs, smoothed, label, next_state
                     (a pose model: keypoints (1,17,3), state_in (1,N+10+M))
    smooth_step      probs (1,K), state_in (1,N+10) → smoothed, label, next_state

`smooth_step` lets the shared smoothing vectors replay through the very file a
phone runs. How each quantization keeps the state machine exact:

- fp16: the converter's float16 mode rounds *every* float constant, the
  thresholds and the EMA weight included (0.7 becomes 0.7002). Instead the
  float32 model's convolution and dense weights are stored as float16 behind
  DEQUANTIZE ops (what that mode emits), and every other constant stays float32.
- dynamic: only tensors of 1024 elements or more are quantized, which the
  smoothing step never has.
- int8: calibrated by the converter, then quantized with the quantization
  debugger's `denylisted_nodes` naming every tensor computed from the state or
  the probabilities, so the step runs in float32 after a DEQUANTIZE of `probs`.

The same list keeps the Caffe preprocessing (channel flip, mean subtraction) in
float32, so the image is quantized once, as the first convolution's input. Left
to the converter, the flip becomes an int8 REVERSE_V2 whose output is given
other quantization parameters than its input (the range of the subtraction
after it), while the kernel copies the bytes unchanged: the backbone then sees
a rescaled, shifted image (1.48 × (pixel − 83) on the demo data), and a trained
model's probabilities move by up to 0.5. Two elementwise ops on one frame cost
nothing in float32.
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path
from typing import Any, Callable, Iterator

import keras
import numpy as np

from gymnos_edge.common.contract import IMAGE, KEYPOINTS, PROBS, SERVING, SMOOTH_STEP, STATE, Quantization
from gymnos_edge.common.errors import UserError
from gymnos_edge.common.quiet_tensorflow import native_output_silenced
from gymnos_edge.export.tflite.flatbuffer import (
    embed_metadata,
    preprocessing_tensor_names,
    smoothing_tensor_names,
    weights_to_float16,
)
from gymnos_edge.features.keypoints import MOTION_TAU_S
from gymnos_edge.export.wrapper import SMOOTHING_LAYER, build_pose_wrapper, build_wrapper, classes_of
from gymnos_edge.sets.smoothing import STATE_EXTRA, SmoothingParams, initial_state, state_size

_CALIBRATION_PROBS = 16  # smooth_step samples; that signature is denylisted whole, so a few suffice


def convert_tflite(
    classifier: keras.Model,
    params: SmoothingParams,
    quantization: Quantization | str,
    calibration: np.ndarray | None = None,
    metadata: dict[str, Any] | None = None,
    rest_class: bool = False,
    pose: bool = False,
    rep_weights: np.ndarray | None = None,
    motion_tau_s: float = MOTION_TAU_S,
) -> bytes:
    """The .tflite bytes of `classifier` + smoothing step, quantized as asked.

    `calibration` is (N, S, S, 3) RGB frames, needed for int8 only. `metadata`
    (JSON-able) is embedded in the file under the name "gymnos_edge". With `pose`,
    `classifier` is a pose run's head and the graph takes keypoints, counting reps on the rep
    signal of `rep_weights` (its run's `pose.rep_signal`) when given.
    """
    quantization = Quantization(quantization)
    if pose and quantization is Quantization.int8:
        raise UserError("a pose head is a few kB and its inputs are keypoints, not pixels: int8 buys nothing; "
                        "export it as fp32, fp16 or dynamic")  # fmt: skip
    if quantization is Quantization.int8 and (calibration is None or len(calibration) == 0):
        raise UserError("int8 quantization needs calibration frames; give a manifest with --calibration")
    if pose:
        wrapper = build_pose_wrapper(classifier, params, rest_class=rest_class, rep_weights=rep_weights,
                                     motion_tau_s=motion_tau_s)  # fmt: skip
    else:
        wrapper = build_wrapper(classifier, params, rest_class=rest_class)
    with tempfile.TemporaryDirectory(prefix="gymnos-edge-savedmodel-") as folder:
        _write_saved_model(wrapper, Path(folder))
        model = _convert(Path(folder), quantization, calibration, initial_state(classes_of(classifier), rest_class))
    if metadata is not None:
        model = embed_metadata(model, metadata)
    return bytes(model)


def _write_saved_model(wrapper: keras.Model, folder: Path) -> None:
    import tensorflow as tf

    n = int(wrapper.outputs[0].shape[-1])
    smoothing = wrapper.get_layer(SMOOTHING_LAYER)
    source, state = (tf.TensorSpec(tuple(tensor.shape), tf.float32, name=tensor.name) for tensor in wrapper.inputs)
    probs_spec = tf.TensorSpec((1, n), tf.float32, name=PROBS)
    tracker_spec = tf.TensorSpec((1, state_size(n)), tf.float32, name=STATE)

    def run(source_input, state_in):
        probs, smoothed, label, next_state = wrapper([source_input, state_in], training=False)
        return {"probs": probs, "smoothed": smoothed, "label": label, "next_state": next_state}

    # The signature's input names are its function's argument names: one function per kind of input.
    if source.name == KEYPOINTS:

        def serve(keypoints, state_in):
            return run(keypoints, state_in)

    else:

        def serve(image, state_in):
            return run(image, state_in)

    def smooth(probs, state_in):
        smoothed, label, next_state = smoothing(state_in, probs)
        return {"smoothed": smoothed, "label": label, "next_state": next_state}

    archive = keras.export.ExportArchive()
    archive.track(wrapper)
    archive.add_endpoint(SERVING, serve, input_signature=[source, state])
    archive.add_endpoint(SMOOTH_STEP, smooth, input_signature=[probs_spec, tracker_spec])
    archive.write_out(str(folder), verbose=False)


def _convert(saved_model: Path, quantization: Quantization, calibration: np.ndarray | None, start: np.ndarray) -> bytes:
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_saved_model(str(saved_model), signature_keys=[SERVING, SMOOTH_STEP])
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if quantization is Quantization.fp32:
        return converter.convert()
    if quantization is Quantization.fp16:
        return weights_to_float16(converter.convert())
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if quantization is Quantization.dynamic:
        return converter.convert()
    converter.representative_dataset = _representative(calibration, start)
    # The MLIR quantizer prints its settings straight to the process's stdout and stderr.
    with warnings.catch_warnings(), native_output_silenced(1, 2):
        # The debugger checks its model with TensorFlow's own, deprecated, interpreter; the export is not run on it.
        warnings.filterwarnings("ignore", message=".*tf.lite.Interpreter is deprecated", category=UserWarning)
        debugger = tf.lite.experimental.QuantizationDebugger(converter=converter)
        calibrated = debugger.calibrated_model
        debugger.options = tf.lite.experimental.QuantizationDebugOptions(
            denylisted_nodes=smoothing_tensor_names(calibrated) + preprocessing_tensor_names(calibrated)
        )
        return debugger.get_nondebug_quantized_model()


def _representative(frames: np.ndarray, start: np.ndarray) -> Callable[[], Iterator[tuple[str, dict[str, np.ndarray]]]]:
    """Calibration samples for both signatures, as the converter wants them for multi-signature models."""
    state = start[None]
    n = len(start) - STATE_EXTRA

    def samples() -> Iterator[tuple[str, dict[str, np.ndarray]]]:
        for frame in frames:
            yield SERVING, {IMAGE: np.asarray(frame, np.float32)[None], STATE: state}
        rng = np.random.default_rng(0)
        for _ in range(_CALIBRATION_PROBS):
            yield SMOOTH_STEP, {PROBS: rng.dirichlet(np.ones(n)).astype(np.float32)[None], STATE: state}

    return samples
