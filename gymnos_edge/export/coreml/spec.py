"""What a saved Core ML package must look like for the app, read from its spec: checkable on any OS.

An image package takes a BGR image with the negated Caffe mean as its bias and
keeps every smoothing op in float32; a pose package takes keypoints and runs in
float32 throughout. Both are ML Programs an iPhone on iOS 16 can load.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from gymnos_edge.common.contract import IMAGE, KEYPOINTS, OUTPUTS, STATE
from gymnos_edge.export.coreml import quiet_coremltools
from gymnos_edge.export.wrapper import SMOOTHING_LAYER, pose_state_size
from gymnos_edge.sets.smoothing import state_size
from gymnos_edge.training.classifier import CAFFE_BGR_MEAN

IOS16_SPEC_VERSION = 7  # Core ML specification version of iOS 16 / macOS 13


def spec_problems(path: Path | str, metadata: dict[str, Any]) -> list[str]:
    """What in the saved package differs from what the app expects (checkable on any OS)."""
    ct = quiet_coremltools()
    spec = ct.utils.load_spec(str(path))
    size, n = int(metadata["image_size"]), len(metadata["labels"]) + int(bool(metadata.get("rest_class", False)))
    problems = []
    if metadata.get("input") == KEYPOINTS:
        return _pose_spec_problems(spec, metadata, n)
    if spec.specificationVersion > IOS16_SPEC_VERSION:
        problems.append(f"specification version {spec.specificationVersion} needs a newer OS than iOS 16")
    if spec.WhichOneof("Type") != "mlProgram":
        problems.append(f"not an ML Program but {spec.WhichOneof('Type')}")
    inputs = {feature.name: feature for feature in spec.description.input}
    outputs = [feature.name for feature in spec.description.output]
    if list(inputs) != [IMAGE, STATE]:
        problems.append(f"inputs are {list(inputs)}, expected {[IMAGE, STATE]}")
    else:
        image = inputs[IMAGE].type
        if image.WhichOneof("Type") != "imageType":
            problems.append("input image is not an image")
        elif (image.imageType.width, image.imageType.height) != (size, size):
            problems.append(f"image is {image.imageType.width}×{image.imageType.height}, expected {size}×{size}")
        elif image.imageType.colorSpace != ct.proto.FeatureTypes_pb2.ImageFeatureType.BGR:
            problems.append("image colour space is not BGR, so the Caffe preprocessing would be wrong")
        state = inputs[STATE].type.multiArrayType
        if list(state.shape) != [1, state_size(n)]:
            problems.append(f"state_in has shape {list(state.shape)}, expected [1, {state_size(n)}]")
        if state.dataType != ct.proto.FeatureTypes_pb2.ArrayFeatureType.FLOAT32:
            problems.append("state_in is not float32")
    if outputs != list(OUTPUTS):
        problems.append(f"outputs are {outputs}, expected {list(OUTPUTS)}")
    stored = dict(spec.description.metadata.userDefined)
    if json.loads(stored.get("labels", "null")) != list(metadata["labels"]):
        problems.append(f"labels in the model's metadata are {stored.get('labels')}, expected {metadata['labels']}")
    problems += [f"smoothing op {name} computes in float16" for name in float16_smoothing_ops(spec)]
    bias = preprocessing_bias(spec)
    if bias is None or not np.allclose(bias, [-mean for mean in CAFFE_BGR_MEAN], atol=1e-3):
        problems.append(f"image bias is {bias}, expected the negated Caffe BGR mean {CAFFE_BGR_MEAN}")
    return problems


def _pose_spec_problems(spec, metadata: dict[str, Any], n: int) -> list[str]:
    """A pose package: keypoints (1, J, 3) and state_in (1, N+10+M) in float32, joint order in its metadata."""
    ct = quiet_coremltools()
    float32 = ct.proto.FeatureTypes_pb2.ArrayFeatureType.FLOAT32
    problems = []
    if spec.specificationVersion > IOS16_SPEC_VERSION:
        problems.append(f"specification version {spec.specificationVersion} needs a newer OS than iOS 16")
    if spec.WhichOneof("Type") != "mlProgram":
        problems.append(f"not an ML Program but {spec.WhichOneof('Type')}")
    inputs = {feature.name: feature for feature in spec.description.input}
    expected = {KEYPOINTS: [1, len(metadata["joints"]), 3], STATE: [1, pose_state_size(n)]}
    if list(inputs) != list(expected):
        problems.append(f"inputs are {list(inputs)}, expected {list(expected)}")
    else:
        for name, shape in expected.items():
            array = inputs[name].type.multiArrayType
            if list(array.shape) != shape:
                problems.append(f"{name} has shape {list(array.shape)}, expected {shape}")
            if array.dataType != float32:
                problems.append(f"{name} is not float32")
    outputs = [feature.name for feature in spec.description.output]
    if outputs != list(OUTPUTS):
        problems.append(f"outputs are {outputs}, expected {list(OUTPUTS)}")
    stored = dict(spec.description.metadata.userDefined)
    for key in ("labels", "joints"):
        if json.loads(stored.get(key, "null")) != list(metadata[key]):
            problems.append(f"{key} in the model's metadata are {stored.get(key)}, expected {metadata[key]}")
    if any(op for block in _blocks(spec) for op in block.operations
           if any(o.type.tensorType.dataType == ct.proto.MIL_pb2.DataType.FLOAT16 for o in op.outputs)):  # fmt: skip
        problems.append("some ops compute in float16; a pose model runs in float32 throughout")
    return problems


def float16_smoothing_ops(spec) -> list[str]:
    """Names of smoothing ops whose outputs are float16 (there should be none)."""
    ct = quiet_coremltools()
    fp16 = ct.proto.MIL_pb2.DataType.FLOAT16
    found = []
    for block in _blocks(spec):
        for op in block.operations:
            name = op.attributes["name"].immediateValue.tensor.strings.values[0] if "name" in op.attributes else ""
            if SMOOTHING_LAYER in name and any(o.type.tensorType.dataType == fp16 for o in op.outputs):
                found.append(name)
    return found


def preprocessing_bias(spec) -> list[float] | None:
    """The per-channel bias Core ML adds to the image before the first layer, in B, G, R order."""
    for block in _blocks(spec):
        constants = {op.outputs[0].name: op.attributes["val"] for op in block.operations if op.type == "const"}
        for op in block.operations:
            if op.type == "add" and any(o.name == f"{IMAGE}__biased__" for o in op.outputs):
                argument = op.inputs["y"].arguments[0]
                value = constants[argument.name] if argument.name else argument.value
                return list(value.immediateValue.tensor.floats.values)
    return None


def _blocks(spec):
    for function in spec.mlProgram.functions.values():
        yield from function.block_specializations.values()
