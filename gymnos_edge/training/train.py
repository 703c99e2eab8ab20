"""`train`: manifest in, run folder out — features cached, head fitted, report written."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable

import numpy as np

from gymnos_edge.common.atomic import require_replaceable, write_json
from gymnos_edge.training.frame_scores import ClassificationReport, classification_report
from gymnos_edge.common.errors import UserError
from gymnos_edge.features.extraction import FeatureCache, SpanRequest, estimated_frames
from gymnos_edge.data.manifest import ManifestCheck, require_valid
from gymnos_edge.training.heads import Head
from gymnos_edge.training.classifier import PREPROCESSING, build_backbone, build_classifier, build_head
from gymnos_edge.training.features_job import backbone_features
from gymnos_edge.training.run_folder import METADATA_FILE, Run, RunMetadata, save_run
from gymnos_edge.data.sampler import SamplingConfig
from gymnos_edge.sets.smoothing import SmoothingParams
from gymnos_edge.data.splits import SplitPlan, missing_classes, plan_splits


@dataclass(frozen=True)
class TrainConfig:
    manifest: Path
    out: Path | None = None  # default: runs/<manifest folder>-<time>
    weights: str = "imagenet"
    head: Head = Head.seed
    epochs: int = 30
    batch_size: int = 64  # head steps are cheap on cached features; fewer Adam updates of 25 M weights
    learning_rate: float = 1e-4
    patience: int = 5
    sampling: SamplingConfig = field(default_factory=SamplingConfig)
    holdout_group: str | None = None
    seed: int = 0
    force: bool = False  # replace an existing run folder (never a folder that is not a run)
    cache_dir: Path | None = None  # default: features.default_cache_dir()

    def run_folder(self) -> Path:
        if self.out is not None:
            return Path(self.out)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        return Path("runs") / f"{Path(self.manifest).resolve().parent.name}-{stamp}"


@dataclass
class TrainCallbacks:
    """Hooks for a user interface; the library itself prints nothing."""

    on_plan: Callable[[SplitPlan, int], None] = lambda plan, frames: None
    on_frames: Callable[[int], None] = lambda n: None
    on_epoch: Callable[[int, dict], None] = lambda epoch, logs: None


@dataclass(frozen=True)
class TrainResult:
    run: Run
    reports: dict[str, ClassificationReport]
    extraction_seconds: float
    frames_computed: int
    seconds_per_epoch: float
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class _SplitData:
    features: np.ndarray
    labels: np.ndarray


def train(config: TrainConfig, callbacks: TrainCallbacks = TrainCallbacks()) -> TrainResult:
    import keras

    check = require_valid(config.manifest)  # every manifest problem before any heavy work
    manifest = check.manifest
    labels = manifest.labels
    if len(labels) < 2:
        raise UserError(f"{manifest.path}: need at least 2 labels to train a classifier, found {list(labels)}")
    plan = plan_splits(manifest, config.holdout_group, seed=config.seed)
    warnings = list(plan.warnings) + missing_classes(plan, manifest)
    folder = config.run_folder()
    require_replaceable(folder, config.force, METADATA_FILE, "run folder")

    backbone = build_backbone(config.sampling.image_size, config.weights, config.seed, len(labels))
    requests = [SpanRequest(s.video, *check.span_bounds(s)) for s in manifest.spans]
    callbacks.on_plan(plan, estimated_frames(requests, config.sampling))
    features = backbone_features(
        backbone, requests, config.sampling, FeatureCache(config.cache_dir), on_frames=callbacks.on_frames
    )
    entries, stats, fingerprint = features.entries, features.stats, features.fingerprint
    data = _split_data(check, plan, entries, labels)
    _require_frames(data, labels, manifest.path)

    keras.utils.set_random_seed(config.seed)
    head = build_head(tuple(data["train"].features.shape[1:]), len(labels), config.head)
    head.compile(
        optimizer=keras.optimizers.Adam(config.learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    has_val = "val" in data
    fit_started = time.perf_counter()
    history = head.fit(
        data["train"].features.astype(np.float32),
        data["train"].labels,
        validation_data=(data["val"].features.astype(np.float32), data["val"].labels) if has_val else None,
        epochs=config.epochs,
        batch_size=config.batch_size,
        class_weight=_class_weights(data["train"].labels, len(labels)),
        callbacks=[
            keras.callbacks.EarlyStopping(
                monitor="val_loss" if has_val else "loss", patience=config.patience, restore_best_weights=True
            ),
            keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: callbacks.on_epoch(epoch, dict(logs))),
        ],
        shuffle=True,
        verbose=0,
    )
    epochs_run = len(history.history["loss"])
    seconds_per_epoch = (time.perf_counter() - fit_started) / max(1, epochs_run)

    reports = {
        split: classification_report(split_data.labels, _predict(head, split_data.features), labels)
        for split, split_data in data.items()
    }
    classifier = build_classifier(backbone, head, config.sampling.image_size)
    metrics = {
        "note": "frame-level scores; 'train' frames were seen in training, 'val' chose the stopping epoch, "
        "'test' was never used for any decision",
        "split_method": plan.method,
        "warnings": warnings,
        "splits": {split: report.to_dict() for split, report in reports.items()},
        "epochs_run": epochs_run,
        "seconds_per_epoch": seconds_per_epoch,
        "history": {k: [float(v) for v in values] for k, values in history.history.items()},
    }
    metadata = RunMetadata(
        name=folder.name,
        labels=labels,
        image_size=config.sampling.image_size,
        resize=config.sampling.resize.value,
        every_s=config.sampling.every_s,
        preprocessing=PREPROCESSING,
        head=Head(config.head).value,
        weights=str(config.weights),
        weights_fingerprint=fingerprint,
        smoothing=SmoothingParams(interval_s=config.sampling.every_s).to_dict(),
        manifest=str(manifest.path.resolve()),
        splits=_split_summary(plan, data, manifest),
        metrics={s: {"accuracy": r.accuracy, "frames": r.frames} for s, r in reports.items()},
    )

    def write_report(folder: Path) -> None:
        from gymnos_edge.training.plots import plot_confusions, plot_curves

        folder.mkdir(parents=True, exist_ok=True)
        write_json(folder / "metrics.json", metrics)
        plot_confusions(reports, labels, folder / "confusion.png")
        plot_curves(history.history, folder / "curves.png")

    run = save_run(folder, classifier, metadata, extra_files={"report": write_report})
    return TrainResult(
        run=run,
        reports=reports,
        extraction_seconds=stats.seconds,
        frames_computed=stats.frames_computed,
        seconds_per_epoch=seconds_per_epoch,
        warnings=tuple(warnings),
    )


def _split_data(check: ManifestCheck, plan: SplitPlan, entries, labels) -> dict[str, _SplitData]:
    index = {label: i for i, label in enumerate(labels)}
    grouped: dict[str, tuple[list, list]] = {}
    for span, entry in zip(check.manifest.spans, entries):
        if len(entry.timestamps) == 0:
            continue
        features, targets = grouped.setdefault(plan.by_video[span.video], ([], []))
        features.append(entry.features)
        targets.append(np.full(len(entry.timestamps), index[span.label], np.int64))
    return {
        split: _SplitData(np.concatenate(grouped[split][0]), np.concatenate(grouped[split][1]))
        for split in ("train", "val", "test")
        if split in grouped
    }


def _require_frames(data: dict[str, _SplitData], labels, manifest_path: Path) -> None:
    if "train" not in data:
        raise UserError(f"{manifest_path}: the train split has no frames; check the spans and the split column")
    counts = np.bincount(data["train"].labels, minlength=len(labels))
    empty = [label for label, count in zip(labels, counts) if count == 0]
    if empty:
        raise UserError(
            f"{manifest_path}: no training frames for label(s) {', '.join(empty)}; "
            "add spans for them in training videos (or move a video into the train split)"
        )


def _class_weights(targets: np.ndarray, n_classes: int) -> dict[int, float]:
    """Inverse frequency, so a class filmed for longer does not dominate."""
    counts = np.bincount(targets, minlength=n_classes).astype(np.float64)
    return {i: float(len(targets) / (n_classes * c)) if c else 0.0 for i, c in enumerate(counts)}


def _predict(head, features: np.ndarray) -> np.ndarray:
    return np.argmax(head.predict(features.astype(np.float32), batch_size=256, verbose=0), axis=1)


def _split_summary(plan: SplitPlan, data: dict[str, _SplitData], manifest) -> dict:
    summary: dict = {"method": plan.method, "assignment": {str(v): s for v, s in plan.by_video.items()}}
    for split in ("train", "val", "test"):
        videos = plan.videos(split)
        if videos:
            summary[split] = {
                "videos": len(videos),
                "frames": int(len(data[split].labels)) if split in data else 0,
                "groups": sorted({manifest.spans_of(v)[0].group or "" for v in videos} - {""}),
            }
    return summary
