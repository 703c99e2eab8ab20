"""Fitting a head on cached features: Keras heads by gradient descent, the linear head in closed form.

Shared by `train` and the real-footage benchmark, so a benchmark fold fits
exactly what a user's training run fits.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Hashable, Sequence

import numpy as np

from gymnos_edge.training.heads import Head


@dataclass(frozen=True)
class HeadData:
    """Head inputs and targets of one split, and the group (gym, person, else video) of every frame."""

    features: np.ndarray
    labels: np.ndarray
    groups: tuple[Hashable, ...] = ()


@dataclass(frozen=True)
class FitSettings:
    epochs: int = 30
    batch_size: int = 64
    learning_rate: float = 1e-4
    patience: int = 5
    seed: int = 0


@dataclass(frozen=True)
class FittedHead:
    model: object  # keras.Model: features → probabilities
    history: dict[str, list[float]]
    epochs_run: int
    seconds_per_epoch: float
    summary: dict = field(default_factory=dict)  # e.g. the L2 strength cross-validation chose


def class_weights(targets: np.ndarray, n_classes: int) -> dict[int, float]:
    """Inverse frequency, so a class filmed for longer does not dominate."""
    counts = np.bincount(targets, minlength=n_classes).astype(np.float64)
    return {i: float(len(targets) / (n_classes * c)) if c else 0.0 for i, c in enumerate(counts)}


def fit_head(
    head: Head,
    train: HeadData,
    val: HeadData | None,
    n_classes: int,
    settings: FitSettings = FitSettings(),
    on_epoch: Callable[[int, dict], None] = lambda epoch, logs: None,
) -> FittedHead:
    if Head(head) is Head.linear:
        return _fit_linear(train, n_classes, on_epoch)
    return _fit_keras(Head(head), train, val, n_classes, settings, on_epoch)


def _fit_linear(train: HeadData, n_classes: int, on_epoch: Callable[[int, dict], None]) -> FittedHead:
    from gymnos_edge.training.classifier import build_head
    from gymnos_edge.training.logistic import choose_and_fit

    started = time.perf_counter()
    fit = choose_and_fit(pooled(train.features), train.labels, _groups(train), n_classes)
    head = build_head(tuple(train.features.shape[1:]), n_classes, Head.linear)
    head.get_layer("probs").set_weights([fit.weights.astype(np.float32), fit.bias.astype(np.float32)])
    seconds = time.perf_counter() - started
    on_epoch(0, {"cv_balanced_accuracy": fit.cv_balanced_accuracy.get(fit.l2, float("nan"))})
    return FittedHead(head, {}, 1, seconds, {"linear": fit.summary()})


def pooled(features: np.ndarray) -> np.ndarray:
    """What the linear head reads: image feature maps averaged over space, vectors as they are."""
    features = np.asarray(features, np.float32)
    return features.mean(axis=(1, 2)) if features.ndim == 4 else features.reshape(len(features), -1)


def _groups(data: HeadData) -> Sequence[Hashable]:
    return data.groups if len(data.groups) == len(data.labels) else [0] * len(data.labels)


def _fit_keras(
    head: Head, train: HeadData, val: HeadData | None, n_classes: int, settings: FitSettings, on_epoch
) -> FittedHead:
    import keras

    from gymnos_edge.training.classifier import build_head

    keras.utils.set_random_seed(settings.seed)
    features = train.features.astype(np.float32)
    mean = variance = None
    if head is Head.mlp:
        mean, variance = features.mean(axis=0), np.maximum(features.var(axis=0), 1e-6)
    model = build_head(tuple(features.shape[1:]), n_classes, head, mean, variance)
    model.compile(
        optimizer=keras.optimizers.Adam(settings.learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    started = time.perf_counter()
    history = model.fit(
        features,
        train.labels,
        validation_data=(val.features.astype(np.float32), val.labels) if val is not None else None,
        epochs=settings.epochs,
        batch_size=settings.batch_size,
        class_weight=class_weights(train.labels, n_classes),
        callbacks=[
            keras.callbacks.EarlyStopping(
                monitor="val_loss" if val is not None else "loss", patience=settings.patience, restore_best_weights=True
            ),
            keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: on_epoch(epoch, dict(logs))),
        ],
        shuffle=True,
        verbose=0,
    )
    epochs_run = len(history.history["loss"])
    return FittedHead(
        model,
        {k: [float(v) for v in values] for k, values in history.history.items()},
        epochs_run,
        (time.perf_counter() - started) / max(1, epochs_run),
    )


def predict_labels(model, features: np.ndarray) -> np.ndarray:
    return np.argmax(predict_probs(model, features), axis=1)


def predict_probs(model, features: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Probabilities in batches of `batch_size`, the model called eagerly: a head is small, and training
    fits many (one per fold), each of which `predict_on_batch` would trace into a graph of its own."""
    probs = []
    for first in range(0, len(features), batch_size):
        chunk = np.asarray(features[first : first + batch_size], np.float32)
        probs.append(np.asarray(model(chunk, training=False), np.float32))
    return np.concatenate(probs) if probs else np.zeros((0, int(model.output_shape[-1])), np.float32)
