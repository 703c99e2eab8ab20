"""Reads and edits of a .tflite flatbuffer, done on the converter's output rather than through it.

- The tensors of the smoothing step and of the Caffe preprocessing, found by
  walking the graph from the signatures' inputs (what int8 conversion keeps in
  float32; see `convert`).
- Convolution and dense weights stored as float16 behind DEQUANTIZE ops, with
  every other constant left float32 (the fp16 export).
- The export metadata embedded as a metadata entry, and the builtin operators a
  file uses.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Iterable

import numpy as np

from gymnos_edge.common.contract import EMBEDDED_METADATA, IMAGE, PROBS, STATE

_WEIGHT_INPUT = {"CONV_2D": 1, "DEPTHWISE_CONV_2D": 1, "FULLY_CONNECTED": 1, "BATCH_MATMUL": 1, "TRANSPOSE_CONV": 1}
_DEQUANTIZE_FLOAT16_VERSION = 3  # the DEQUANTIZE kernel version that reads float16


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
            code = flatbuffer_utils.get_builtin_code_from_operator_code(
                model_object.operatorCodes[operator.opcodeIndex]
            )
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
            stored.name, stored.shape, stored.type = (
                tensor.name + b"_fp16",
                list(tensor.shape),
                schema.TensorType.FLOAT16,
            )
            stored.buffer = len(model_object.buffers) - 1
            subgraph.tensors.append(stored)
            users[tensor.buffer] -= 1
            if users[tensor.buffer] == 0:
                buffer.data = None
            tensor.buffer = 0  # now computed at load time, from the float16 copy
            expansion = schema.OperatorT()
            expansion.opcodeIndex, expansion.inputs, expansion.outputs = (
                dequantize,
                [len(subgraph.tensors) - 1],
                [index],
            )
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
