"""LiteRT (TFLite) conversion of the wrapper graph, with the smoothing step kept in float32.

Two signatures, built-in ops only:

    serving_default  image (1,S,S,3) float32 RGB 0..255, state_in (1,N+9) → probs, smoothed, label, next_state
                     (a pose model: keypoints (1,17,3), state_in (1,N+9+M))
    smooth_step      probs (1,K), state_in (1,N+9) → smoothed, label, next_state

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

import json
import tempfile
import warnings
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import keras
import numpy as np

from gymnos_edge.common.errors import UserError
from gymnos_edge.common.quiet_tensorflow import native_output_silenced
from gymnos_edge.export.formats import Quantization
from gymnos_edge.common.contract import EMBEDDED_METADATA, IMAGE, KEYPOINTS, PROBS, SERVING, SMOOTH_STEP, STATE
from gymnos_edge.export.wrapper import SMOOTHING_LAYER, build_pose_wrapper, build_wrapper, classes_of
from gymnos_edge.sets.smoothing import STATE_EXTRA, SmoothingParams, initial_state, state_size

_WEIGHT_INPUT = {"CONV_2D": 1, "DEPTHWISE_CONV_2D": 1, "FULLY_CONNECTED": 1, "BATCH_MATMUL": 1, "TRANSPOSE_CONV": 1}
_DEQUANTIZE_FLOAT16_VERSION = 3  # the DEQUANTIZE kernel version that reads float16
_CALIBRATION_PROBS = 16  # smooth_step samples; that signature is denylisted whole, so a few suffice


def convert_tflite(
    classifier: keras.Model,
    params: SmoothingParams,
    quantization: Quantization | str,
    calibration: np.ndarray | None = None,
    metadata: dict[str, Any] | None = None,
    rest_class: bool = False,
    pose: bool = False,
) -> bytes:
    """The .tflite bytes of `classifier` + smoothing step, quantized as asked.

    `calibration` is (N, S, S, 3) RGB frames, needed for int8 only. `metadata`
    (JSON-able) is embedded in the file under the name "gymnos_edge". With `pose`,
    `classifier` is a pose run's head and the graph takes keypoints.
    """
    quantization = Quantization(quantization)
    if pose and quantization is Quantization.int8:
        raise UserError("a pose head is a few kB and its inputs are keypoints, not pixels: int8 buys nothing; "
                        "export it as fp32, fp16 or dynamic")  # fmt: skip
    if quantization is Quantization.int8 and (calibration is None or len(calibration) == 0):
        raise UserError("int8 quantization needs calibration frames; give a manifest with --calibration")
    wrapper = (build_pose_wrapper if pose else build_wrapper)(classifier, params, rest_class=rest_class)
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


def smoothing_tensor_names(model: bytes) -> list[str]:
    """Every tensor computed from a signature's state or probabilities input, or from its probs output.

    That is exactly the smoothing step (in `smooth_step`, the whole signature),
    found from the graph rather than from names that converters like to change.
    """
    return _tensors_reached(model, inputs=(STATE, PROBS), outputs=(PROBS,))


def preprocessing_tensor_names(model: bytes) -> list[str]:
    """Every tensor computed from a signature's image input before a convolution or dense layer reads it.

    That is the Caffe preprocessing inside the graph, found, like the smoothing
    step, from the graph rather than from the converter's names. In a quantized
    file the walk also stops at the QUANTIZE of the preprocessed image.
    """
    from ai_edge_litert import schema_py_generated as schema

    stops = {getattr(schema.BuiltinOperator, name) for name in (*_WEIGHT_INPUT, "QUANTIZE")}
    return _tensors_reached(model, inputs=(IMAGE,), stops=stops)


def _tensors_reached(
    model: bytes, inputs: tuple[str, ...], outputs: tuple[str, ...] = (), stops: set[int] = frozenset()
) -> list[str]:
    """Names of the tensors that operators compute from the named signature inputs/outputs, in every
    signature; an operator of a `stops` kind neither joins nor passes the walk on."""
    from ai_edge_litert import schema_py_generated as schema

    root = schema.Model.GetRootAs(model, 0)
    names: set[str] = set()
    for s in range(root.SignatureDefsLength()):
        signature = root.SignatureDefs(s)
        subgraph = root.Subgraphs(signature.SubgraphIndex())
        reached = {
            entry.TensorIndex()
            for entry in _entries(signature.Inputs, signature.InputsLength())
            if entry.Name().decode() in inputs
        }
        reached |= {
            entry.TensorIndex()
            for entry in _entries(signature.Outputs, signature.OutputsLength())
            if entry.Name().decode() in outputs
        }
        for o in range(subgraph.OperatorsLength()):  # operators are stored in execution order
            operator = subgraph.Operators(o)
            if _builtin(root, operator) in stops or not reached.intersection(operator.InputsAsNumpy().tolist()):
                continue
            outputs_of = operator.OutputsAsNumpy().tolist()
            reached.update(outputs_of)
            names.update(subgraph.Tensors(t).Name().decode() for t in outputs_of)
    return sorted(names)


def _builtin(root: Any, operator: Any) -> int:
    code = root.OperatorCodes(operator.OpcodeIndex())
    return max(code.BuiltinCode(), code.DeprecatedBuiltinCode())


def _entries(getter: Callable[[int], Any], count: int) -> Iterable[Any]:
    return (getter(i) for i in range(count))


def weights_to_float16(model: bytes) -> bytes:
    """Store the weights of convolutions and dense layers as float16 behind DEQUANTIZE ops.

    The pattern is the one the converter's float16 mode writes, so CPU kernels
    expand the weights to float32 once at load and GPU delegates use them as is;
    unlike that mode, no other constant is touched.
    """
    from ai_edge_litert import schema_py_generated as schema
    from ai_edge_litert.tools import flatbuffer_utils

    model_object = flatbuffer_utils.read_model_from_bytearray(model)
    names = {getattr(schema.BuiltinOperator, name): index for name, index in _WEIGHT_INPUT.items()}
    dequantize = _operator_code(model_object, schema.BuiltinOperator.DEQUANTIZE, _DEQUANTIZE_FLOAT16_VERSION)
    users = _buffer_users(model_object)
    for subgraph in model_object.subgraphs:
        converted: set[int] = set()
        expansions = []
        for operator in subgraph.operators:
            code = flatbuffer_utils.get_builtin_code_from_operator_code(model_object.operatorCodes[operator.opcodeIndex])
            if code not in names or len(operator.inputs) <= names[code]:
                continue
            index = operator.inputs[names[code]]
            tensor = subgraph.tensors[index]
            buffer = model_object.buffers[tensor.buffer]
            if index in converted or tensor.type != schema.TensorType.FLOAT32 or buffer.data is None:
                continue
            half = np.frombuffer(bytes(buffer.data), dtype="<f4").astype("<f2")
            model_object.buffers.append(_buffer(half.view(np.uint8)))
            stored = schema.TensorT()
            stored.name, stored.shape, stored.type = tensor.name + b"_fp16", list(tensor.shape), schema.TensorType.FLOAT16
            stored.buffer = len(model_object.buffers) - 1
            subgraph.tensors.append(stored)
            users[tensor.buffer] -= 1
            if users[tensor.buffer] == 0:
                buffer.data = None
            tensor.buffer = 0  # now computed at load time, from the float16 copy
            expansion = schema.OperatorT()
            expansion.opcodeIndex, expansion.inputs, expansion.outputs = dequantize, [len(subgraph.tensors) - 1], [index]
            expansions.append(expansion)
            converted.add(index)
        subgraph.operators = expansions + subgraph.operators
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model_object))


def _operator_code(model_object: Any, builtin: int, version: int) -> int:
    from ai_edge_litert import schema_py_generated as schema
    from ai_edge_litert.tools import flatbuffer_utils

    for index, code in enumerate(model_object.operatorCodes):
        if flatbuffer_utils.get_builtin_code_from_operator_code(code) == builtin:
            code.version = max(code.version, version)
            return index
    code = schema.OperatorCodeT()
    code.builtinCode, code.deprecatedBuiltinCode, code.version = builtin, min(builtin, 127), version
    model_object.operatorCodes.append(code)
    return len(model_object.operatorCodes) - 1


def _buffer_users(model_object: Any) -> dict[int, int]:
    users: dict[int, int] = {}
    for subgraph in model_object.subgraphs:
        for tensor in subgraph.tensors:
            users[tensor.buffer] = users.get(tensor.buffer, 0) + 1
    return users


def _buffer(data: np.ndarray) -> Any:
    from ai_edge_litert import schema_py_generated as schema

    buffer = schema.BufferT()
    buffer.data = np.ascontiguousarray(data, dtype=np.uint8)
    return buffer


def embed_metadata(model: bytes, metadata: dict[str, Any]) -> bytes:
    """Add `metadata` as JSON under the model's metadata entry "gymnos_edge", so a lone file describes itself.

    Runtimes ignore metadata entries they do not know.
    """
    from ai_edge_litert import schema_py_generated as schema
    from ai_edge_litert.tools import flatbuffer_utils

    model_object = flatbuffer_utils.read_model_from_bytearray(model)
    payload = json.dumps(metadata, sort_keys=False).encode("utf-8")
    model_object.buffers.append(_buffer(np.frombuffer(payload, np.uint8)))
    entry = schema.MetadataT()
    entry.name, entry.buffer = EMBEDDED_METADATA.encode(), len(model_object.buffers) - 1
    model_object.metadata = [m for m in (model_object.metadata or []) if m.name != entry.name] + [entry]
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model_object))


def operator_names(model: bytes) -> set[str]:
    """Names of the builtin operators the model uses, e.g. to prove it needs no Select TF ops."""
    from ai_edge_litert import schema_py_generated as schema

    by_code = {value: name for name, value in vars(schema.BuiltinOperator).items() if not name.startswith("_")}
    root = schema.Model.GetRootAs(model, 0)
    names = set()
    for i in range(root.OperatorCodesLength()):
        code = root.OperatorCodes(i)
        builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
        names.add(code.CustomCode().decode() if code.CustomCode() else by_code.get(builtin, str(builtin)))
    return names
