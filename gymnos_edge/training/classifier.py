"""The classifier: VGG16 convolutional base, frozen, under a small trainable head.

Preprocessing travels inside the model (first layer), so every consumer feeds
plain RGB pixels in [0, 255] and nobody re-implements it by hand.
"""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import keras
import numpy as np

from gymnos_edge.common.errors import UserError
from gymnos_edge.training.heads import Head

# VGG16's ImageNet training used Caffe's convention: BGR channel order, mean subtracted, no scaling.
CAFFE_BGR_MEAN = (103.939, 116.779, 123.68)
PREPROCESSING = "caffe: RGB→BGR, subtract ImageNet mean (B 103.939, G 116.779, R 123.68), no scaling"
IMAGENET_NOTOP_URL = (
    "https://storage.googleapis.com/tensorflow/keras-applications/vgg16/"
    "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
)


@keras.saving.register_keras_serializable(package="gymnos_edge")
class CaffePreprocessing(keras.layers.Layer):
    """RGB [0, 255] → BGR minus the ImageNet mean, the input VGG16's weights expect."""

    def call(self, images):
        bgr = keras.ops.flip(images, axis=-1)
        return bgr - keras.ops.convert_to_tensor(CAFFE_BGR_MEAN, dtype=images.dtype)


@dataclass(frozen=True)
class ModelSpec:
    labels: tuple[str, ...]
    image_size: int = 224
    head: Head = Head.flatten
    weights: str = "imagenet"  # "imagenet", "none", or a path to a .h5 / .weights.h5 file
    rest_class: bool = False  # a trained rest output after the exercises

    @property
    def n_classes(self) -> int:
        """Outputs of the classifier: the exercises, plus rest when it is trained."""
        return len(self.labels) + int(self.rest_class)


def build_backbone(image_size: int, weights: str, seed: int = 0, n_classes: int | None = None) -> keras.Model:
    """VGG16 without its top, frozen; the source of the cached features.

    A weights file may hold the backbone alone or a whole classifier of this
    architecture; `n_classes` lets the latter be checked against the labels.
    """
    keras.utils.set_random_seed(seed)
    use_imagenet = weights == "imagenet"
    try:
        vgg = keras.applications.VGG16(
            include_top=False, weights="imagenet" if use_imagenet else None, input_shape=(image_size, image_size, 3)
        )
    except Exception as error:  # keras raises several kinds on a failed download
        if not use_imagenet:
            raise
        raise UserError(
            f"could not download the ImageNet weights for VGG16 ({type(error).__name__}); with internet access "
            f"run the command again, or fetch {IMAGENET_NOTOP_URL} into ~/.keras/models/ or pass "
            "--weights PATH to it, or use --weights none to train on a randomly initialised backbone"
        ) from None
    backbone = keras.Model(vgg.input, vgg.output, name="backbone")
    if weights not in ("imagenet", "none"):
        _load_backbone_weights(backbone, Path(weights), image_size, n_classes)
    backbone.trainable = False
    return backbone


def vgg16_features(backbone: keras.Model) -> Callable[[np.ndarray], np.ndarray]:
    """A batch of RGB frames → the backbone's feature maps, preprocessed as the classifier preprocesses them.

    Training, the features job and every Ray worker build their extractor here, so all of them
    fill the cache with the same numbers.
    """
    return keras.Sequential([CaffePreprocessing(), backbone]).predict_on_batch


def _load_backbone_weights(backbone: keras.Model, path: Path, image_size: int, n_classes: int | None) -> None:
    if not path.is_file():
        raise UserError(f"{path}: weights file not found; give a .h5 or .weights.h5 file, 'imagenet' or 'none'")
    try:
        _quietly(backbone.load_weights, str(path))
        return
    except Exception as error:
        reason = str(error).splitlines()[0][:200]
    classes = classifier_classes(path)
    if classes is None:
        raise UserError(
            f"{path}: cannot load VGG16 backbone weights from it ({reason}); it must hold VGG16's "
            "convolutional weights without the top (the Keras 'notop' file) or a gymnos-edge classifier's weights"
        ) from None
    if n_classes is not None and classes != n_classes:
        raise UserError(
            f"{path}: holds a classifier for {classes} classes but the manifest has {n_classes} labels; use weights "
            "trained on the same labels, a backbone-only file, 'imagenet' or 'none'"
        )
    for head in (Head.flatten, Head.gap):  # the heads whose weights a 1024-unit kernel identifies
        donor = build_classifier(backbone, build_head(tuple(backbone.output.shape[1:]), classes, head), image_size)
        try:
            _quietly(donor.load_weights, str(path))  # fills `backbone` in place: the donor shares it
            return
        except Exception:
            continue
    raise UserError(f"{path}: holds {classes}-class classifier weights of another architecture; cannot reuse them")


def classifier_classes(path: Path) -> int | None:
    """Classes of the classifier whose weights a file holds (its last (1024, K) kernel), or None."""
    import h5py

    kernels: list[tuple[int, ...]] = []
    try:
        with h5py.File(path, "r") as handle:
            handle.visititems(
                lambda name, item: kernels.append(item.shape)
                if isinstance(item, h5py.Dataset) and len(item.shape) == 2 and item.shape[0] == 1024
                else None
            )
    except OSError:
        return None
    return kernels[-1][1] if kernels else None


def _quietly(load, path: str) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        load(path)


MLP_UNITS = 64


def build_head(
    feature_shape: tuple[int, ...],
    n_classes: int,
    head: Head = Head.flatten,
    feature_mean: np.ndarray | None = None,
    feature_variance: np.ndarray | None = None,
) -> keras.Model:
    """The trainable part; softmax because exactly one exercise is shown at a time.

    `linear` is one Dense layer (over the pooled map for image features) whose weights come from
    `gymnos_edge.training.logistic`; `mlp` standardises its inputs with the training frames'
    mean and variance, kept in the model so that every consumer feeds the raw features.
    """
    features = keras.Input(shape=feature_shape, name="features")
    pooled = features
    if len(feature_shape) > 1:
        pooled = keras.layers.Flatten()(features) if head is Head.flatten else keras.layers.GlobalAveragePooling2D()(features)
    if head is Head.linear:
        return keras.Model(features, keras.layers.Dense(n_classes, activation="softmax", name="probs")(pooled), name="head")
    if head is Head.mlp:
        mean = np.zeros(feature_shape, np.float32) if feature_mean is None else feature_mean
        variance = np.ones(feature_shape, np.float32) if feature_variance is None else feature_variance
        pooled = keras.layers.Normalization(mean=mean, variance=variance, name="standardise")(pooled)
        hidden = keras.layers.Dense(MLP_UNITS, activation="relu", name="dense")(pooled)
        hidden = keras.layers.Dropout(0.3, name="dropout")(hidden)
    else:
        hidden = keras.layers.Dense(1024, activation="relu", name="dense")(pooled)
        hidden = keras.layers.Dropout(0.5, name="dropout")(hidden)
    probs = keras.layers.Dense(n_classes, activation="softmax", name="probs")(hidden)
    return keras.Model(features, probs, name="head")


def build_classifier(backbone: keras.Model, head: keras.Model, image_size: int) -> keras.Model:
    """RGB pixels in, class probabilities out: preprocessing → backbone → head."""
    images = keras.Input(shape=(image_size, image_size, 3), name="image")
    probs = head(backbone(CaffePreprocessing(name="preprocessing")(images)))
    return keras.Model(images, probs, name="classifier")


def build_model(spec: ModelSpec, seed: int = 0) -> keras.Model:
    """The whole classifier for `spec`, ready to train or to count parameters."""
    if spec.n_classes < 2:
        raise UserError(f"need at least 2 labels to classify, got {list(spec.labels)}")
    backbone = build_backbone(spec.image_size, spec.weights, seed, spec.n_classes)
    head = build_head(tuple(backbone.output.shape[1:]), spec.n_classes, Head(spec.head))
    return build_classifier(backbone, head, spec.image_size)


def split_classifier(model: keras.Model) -> tuple[keras.Model, keras.Model]:
    """(backbone, head) of a classifier built by `build_classifier`."""
    return model.get_layer("backbone"), model.get_layer("head")


def weights_fingerprint(model: keras.Model) -> str:
    """A hash of every weight: the backbone's identity in cache keys, whatever its origin."""
    digest = hashlib.sha256()
    for weight in model.weights:
        digest.update(np.ascontiguousarray(keras.ops.convert_to_numpy(weight)).tobytes())
    return digest.hexdigest()[:16]


def load_classifier(path: Path | str) -> keras.Model:
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: model file not found")
    if not zipfile.is_zipfile(path):
        raise UserError(f"{path}: the model file is corrupt or truncated (not a complete .keras archive); "
                        "copy it again or train again")  # fmt: skip
    try:
        return keras.models.load_model(path, compile=False)
    except Exception as error:
        raise UserError(f"{path}: the model file is corrupt, or not a model of this gymnos-edge "
                        f"({str(error).splitlines()[0][:200]}); train again") from None  # fmt: skip
