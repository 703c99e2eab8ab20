"""`train`: manifest in, run folder out — features cached, head fitted, report written.

Two backbones feed the same heads, rest class, smoothing and sets:

- `vgg16`: frozen ImageNet VGG16 feature maps of the whole (squared) frame.
- `pose`: BlazePose keypoints of the whole frame (its shape kept), turned into
  position- and size-free pose features plus their recent motion
  (`gymnos_edge.features.keypoints`); training also sees every training span
  mirrored left to right.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable

import numpy as np

from gymnos_edge.common.atomic import require_replaceable, require_writable_folder, write_json
from gymnos_edge.common.contract import METADATA_FILE, POSE_JOINTS, REST_LABEL, RUNS_DIR, Backbone, Gaps
from gymnos_edge.common.errors import UserError
from gymnos_edge.data.manifest import SPLITS, ManifestCheck, require_valid
from gymnos_edge.data.sampler import ResizePolicy, SamplingConfig
from gymnos_edge.data.splits import SplitPlan, missing_classes, plan_splits
from gymnos_edge.features.extraction import FeatureCache, SpanRequest, estimated_frames, extract_features
from gymnos_edge.features.pose_estimator import EstimatorSettings
from gymnos_edge.sets.smoothing import SmoothingParams
from gymnos_edge.training.frame_scores import ClassificationReport, classification_report
from gymnos_edge.training.head_fit import FitSettings, HeadData, fit_head, predict_labels
from gymnos_edge.training.heads import DEFAULT_HEAD, HEADS_OF, Head
from gymnos_edge.training.run_folder import Run, RunMetadata, save_run

POSE_SAMPLING = SamplingConfig(every_s=0.2, image_size=512, resize=ResizePolicy.fit)


@dataclass(frozen=True)
class TrainConfig:
    manifest: Path
    out: Path | None = None  # default: runs/<manifest folder>-<time>
    backbone: Backbone = Backbone.vgg16
    weights: str = "imagenet"  # VGG16 only
    head: Head | None = None  # default: seed for vgg16, mlp for pose
    epochs: int = 30
    batch_size: int = 64  # head steps are cheap on cached features; fewer Adam updates of 25 M weights
    learning_rate: float | None = None  # default: 1e-4 for VGG16's heads, 1e-3 for the small pose head
    patience: int = 5
    sampling: SamplingConfig | None = None  # default: 224 px squashed for vgg16, 512 px fitted for pose
    holdout_group: str | None = None
    gaps: Gaps = Gaps.rest
    seed: int = 0
    force: bool = False  # replace an existing run folder (never a folder that is not a run)
    cache_dir: Path | None = None  # default: features.default_cache_dir()
    pose_model: Path | None = None  # folder with the BlazePose files; default: the cache, downloaded once
    track: bool = True  # pose: follow the person from frame to frame (the detector runs only when lost)

    def __post_init__(self) -> None:
        backbone = Backbone(self.backbone)
        object.__setattr__(self, "backbone", backbone)
        head = DEFAULT_HEAD[backbone] if self.head is None else Head(self.head)
        if head not in HEADS_OF[backbone]:
            choices = ", ".join(h.value for h in HEADS_OF[backbone])
            raise UserError(f"--head {head.value} does not fit the {backbone.value} backbone; choose {choices}")
        object.__setattr__(self, "head", head)
        if self.learning_rate is None:
            object.__setattr__(self, "learning_rate", 1e-3 if head is Head.mlp else 1e-4)
        sampling = self.sampling or (POSE_SAMPLING if backbone is Backbone.pose else SamplingConfig())
        if backbone is Backbone.pose and sampling.resize is not ResizePolicy.fit:
            raise UserError(
                f"--resize {sampling.resize.value} would distort the body the pose estimator sees; the pose "
                "backbone takes whole frames (--resize fit)"
            )
        object.__setattr__(self, "sampling", sampling)

    def run_folder(self) -> Path:
        if self.out is not None:
            return Path(self.out)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        return RUNS_DIR / f"{Path(self.manifest).resolve().parent.name}-{stamp}"


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
    head_fit: dict = field(default_factory=dict)  # the linear head: the L2 strength chosen and its fold scores


@dataclass(frozen=True)
class TrainingSpan:
    """Frames of one stretch of video, all with one target: an exercise, or rest (index K)."""

    request: SpanRequest
    target: int


def training_spans(check: ManifestCheck, gaps: Gaps) -> tuple[list[TrainingSpan], bool]:
    """Every span to train on and whether the model gets a rest class.

    Exercise spans train their label; explicit `rest` spans, and with `gaps=rest` the time no
    span covers, train the rest class (index K, after the K exercises).
    """
    labels = check.manifest.labels
    index = {label: i for i, label in enumerate(labels)}
    rest = len(labels)
    spans = [
        TrainingSpan(SpanRequest(s.video, *check.span_bounds(s)), rest if s.label == REST_LABEL else index[s.label])
        for s in check.manifest.spans
    ]
    if gaps == Gaps.rest:
        for video in check.manifest.videos:
            spans.extend(TrainingSpan(SpanRequest(video, a, b), rest) for a, b in check.gaps(video))
    return spans, any(span.target == rest for span in spans)


@dataclass(frozen=True)
class Backend:
    """What one backbone brings to training: cached features, head inputs, the model to save."""

    fingerprint: str
    features: Callable[[np.ndarray], np.ndarray]
    head_inputs: Callable[[np.ndarray], np.ndarray]  # one span's cached features → its head inputs
    package: Callable[[object], object]  # the fitted head → the model saved in the run
    describe: dict = field(default_factory=dict)  # run metadata of this backbone
    start_span: Callable[[], None] = lambda: None
    pad_batches: bool = True
    dtype: str = "float16"
    augment: Callable[[np.ndarray], list[np.ndarray]] = lambda features: []  # extra training copies of a span


def vgg16_backend(config: TrainConfig, n_classes: int) -> Backend:
    import keras

    from gymnos_edge.training.classifier import PREPROCESSING, CaffePreprocessing, build_backbone, build_classifier
    from gymnos_edge.training.classifier import weights_fingerprint

    backbone = build_backbone(config.sampling.image_size, config.weights, config.seed, n_classes)
    fingerprint = weights_fingerprint(backbone)
    feature_model = keras.Sequential([CaffePreprocessing(), backbone])
    return Backend(
        fingerprint=fingerprint,
        features=feature_model.predict_on_batch,
        head_inputs=lambda features: features,
        package=lambda head: build_classifier(backbone, head, config.sampling.image_size),
        describe={"preprocessing": PREPROCESSING, "weights": str(config.weights), "weights_fingerprint": fingerprint},
    )


def pose_backend(config: TrainConfig) -> Backend:
    from gymnos_edge.features.keypoints import head_inputs, mirrored
    from gymnos_edge.features.pose_estimator import BlazePoseEstimator
    from gymnos_edge.features.pose_models import pose_model_files

    files = pose_model_files(config.pose_model)
    estimator = BlazePoseEstimator(files, EstimatorSettings(track=config.track))
    every = config.sampling.every_s
    return Backend(
        fingerprint=estimator.fingerprint(),
        features=lambda frames: estimator.estimate_batch(frames.astype(np.uint8)),
        head_inputs=lambda keypoints: head_inputs(keypoints, every),
        package=lambda head: head,
        describe=pose_description(files, estimator.settings),
        start_span=estimator.reset,
        pad_batches=False,
        dtype="float32",
        augment=lambda keypoints: [head_inputs(mirrored(keypoints), every)],
    )


def pose_description(files, settings: EstimatorSettings) -> dict:
    """The run metadata of a pose model: how its keypoints were made and how they become features."""
    from gymnos_edge.features.keypoints import HEAD_FEATURES, MIN_CONFIDENCE, MOTION_TAU_S, NORMALISATION

    return {
        "preprocessing": NORMALISATION,
        "weights": f"BlazePose detector + full landmark model ({files.source})",
        "weights_fingerprint": files.fingerprint(),
        "pose": {
            "estimator": "blazepose-full",
            "estimator_settings": settings.to_dict(),
            "model_fingerprint": files.fingerprint(),
            "joints": list(POSE_JOINTS),
            "keypoints": "x, y in 0..1 of the frame (origin top-left), confidence 0..1; missing joint (0, 0, 0)",
            "min_confidence": MIN_CONFIDENCE,
            "motion_tau_s": MOTION_TAU_S,
            "head_features": HEAD_FEATURES,
        },
    }


def train(config: TrainConfig, callbacks: TrainCallbacks = TrainCallbacks()) -> TrainResult:
    check = require_valid(config.manifest)  # every manifest problem before any heavy work
    manifest = check.manifest
    labels = manifest.labels
    spans, rest_class = training_spans(check, Gaps(config.gaps))
    classes = list(labels) + ([REST_LABEL] if rest_class else [])
    if len(classes) < 2:
        raise UserError(
            f"{manifest.path}: need at least 2 classes to train a classifier, found {classes}; add spans of another "
            f"exercise, or leave time between sets uncovered (or label it {REST_LABEL!r}) to train rest"
        )
    classes_of: dict[Path, set[str]] = {v: set() for v in manifest.videos}
    for span in spans:
        classes_of[span.request.video].add(classes[span.target])
    plan = plan_splits(manifest, config.holdout_group, seed=config.seed, classes_of=classes_of)
    warnings = list(plan.warnings) + missing_classes(plan, manifest, classes_of)
    folder = config.run_folder()
    require_replaceable(folder, config.force, METADATA_FILE, "run folder")
    require_writable_folder(folder, "--out")
    cache = FeatureCache(config.cache_dir)
    require_writable_folder(cache.folder, "the feature cache (GYMNOS_EDGE_CACHE)")
    span_counts = {split: Counter(s.label for s in manifest.spans if plan.by_video[s.video] == split)
                   for split in SPLITS}  # fmt: skip
    _require_coverage(span_counts, labels, manifest.path, "spans")  # before the backbone sees a frame

    backend = pose_backend(config) if config.backbone is Backbone.pose else vgg16_backend(config, len(classes))
    requests = [span.request for span in spans]
    callbacks.on_plan(plan, estimated_frames(requests, config.sampling))
    entries, stats = extract_features(
        requests,
        backend.features,
        config.sampling,
        backend.fingerprint,
        cache,
        callbacks.on_frames,
        start_span=backend.start_span,
        pad_batches=backend.pad_batches,
        dtype=backend.dtype,
    )
    data = _split_data(plan, spans, entries, backend, manifest)
    _require_frames(data, classes, manifest.path)
    fitted = fit_head(
        config.head,
        _with_augmented(data["train"], plan, spans, entries, backend, manifest),
        data.get("val"),
        len(classes),
        FitSettings(config.epochs, config.batch_size, config.learning_rate, config.patience, config.seed),
        callbacks.on_epoch,
    )
    reports = {
        split: classification_report(split_data.labels, predict_labels(fitted.model, split_data.features), classes)
        for split, split_data in data.items()
    }
    metrics = {
        "note": "frame-level scores; 'train' frames were seen in training, 'val' chose the stopping epoch, "
        "'test' was never used for any decision",
        "split_method": plan.method,
        "warnings": warnings,
        "splits": {split: report.to_dict() for split, report in reports.items()},
        "epochs_run": fitted.epochs_run,
        "seconds_per_epoch": fitted.seconds_per_epoch,
        "history": fitted.history,
        "head_fit": fitted.summary,
    }
    metadata = RunMetadata(
        name=folder.name,
        labels=labels,
        image_size=config.sampling.image_size,
        resize=config.sampling.resize.value,
        every_s=config.sampling.every_s,
        head=Head(config.head).value,
        smoothing=SmoothingParams(interval_s=config.sampling.every_s).to_dict(),
        manifest=str(manifest.path.resolve()),
        rest_class=rest_class,
        splits=_split_summary(plan, data, manifest),
        metrics={
            s: {"accuracy": r.accuracy, "balanced_accuracy": r.balanced_accuracy, "frames": r.frames}
            for s, r in reports.items()
        },
        backbone=config.backbone.value,
        **backend.describe,
    )

    def write_report(folder: Path) -> None:
        from gymnos_edge.training.plots import plot_confusions, plot_curves

        folder.mkdir(parents=True, exist_ok=True)
        write_json(folder / "metrics.json", metrics)
        plot_confusions(reports, classes, folder / "confusion.png")
        if fitted.history:
            plot_curves(fitted.history, folder / "curves.png")

    run = save_run(folder, backend.package(fitted.model), metadata, extra_files={"report": write_report})
    return TrainResult(
        run=run,
        reports=reports,
        extraction_seconds=stats.seconds,
        frames_computed=stats.frames_computed,
        seconds_per_epoch=fitted.seconds_per_epoch,
        warnings=tuple(warnings),
        head_fit=fitted.summary,
    )


def _group_of(manifest, video: Path) -> str:
    return manifest.spans_of(video)[0].group or str(video)


def _split_data(plan: SplitPlan, spans: list[TrainingSpan], entries, backend: Backend, manifest) -> dict[str, HeadData]:
    grouped: dict[str, tuple[list, list, list]] = {}
    for span, entry in zip(spans, entries):
        if len(entry.timestamps) == 0:
            continue
        features, targets, groups = grouped.setdefault(plan.by_video[span.request.video], ([], [], []))
        features.append(backend.head_inputs(entry.features))
        targets.append(np.full(len(entry.timestamps), span.target, np.int64))
        groups.extend([_group_of(manifest, span.request.video)] * len(entry.timestamps))
    return {
        split: HeadData(np.concatenate(grouped[split][0]), np.concatenate(grouped[split][1]), tuple(grouped[split][2]))
        for split in ("train", "val", "test")
        if split in grouped
    }


def _with_augmented(train: HeadData, plan: SplitPlan, spans, entries, backend: Backend, manifest) -> HeadData:
    """The training frames plus the backbone's extra copies of every training span (none for VGG16)."""
    features, targets, groups = [train.features], [train.labels], list(train.groups)
    for span, entry in zip(spans, entries):
        if len(entry.timestamps) == 0 or plan.by_video[span.request.video] != "train":
            continue
        for copy in backend.augment(entry.features):
            features.append(copy)
            targets.append(np.full(len(copy), span.target, np.int64))
            groups.extend([_group_of(manifest, span.request.video)] * len(copy))
    if len(features) == 1:
        return train
    return HeadData(np.concatenate(features), np.concatenate(targets), tuple(groups))


def _require_coverage(counts: dict[str, Counter], labels, manifest_path: Path, unit: str) -> None:
    """Train needs every label and val needs something, or the run would be saved half-trained.

    Checked on spans before any feature is extracted; `_require_frames` checks the frames they gave.
    """
    if sum(counts.get("train", Counter()).values()) == 0:
        raise UserError(f"{manifest_path}: the train split has no {unit}; check the spans and the split column")
    empty = [label for label in labels if counts["train"][label] == 0]
    if empty:
        raise UserError(
            f"{manifest_path}: no training {unit} for label(s) {', '.join(empty)}; "
            "add spans for them in training videos (or move a video into the train split)"
        )
    if sum(counts.get("val", Counter()).values()) == 0:
        raise UserError(
            f"{manifest_path}: the val split has no {unit}, and it is what chooses the epoch and checks the model; "
            "give some videos split 'val', or leave out the split column to split automatically"
        )


def _require_frames(data: dict[str, HeadData], labels, manifest_path: Path) -> None:
    if "train" not in data:
        raise UserError(f"{manifest_path}: the train split has no frames; check the spans and the split column")
    counts = {split: Counter(labels[i] for i in d.labels) for split, d in data.items()}
    _require_coverage(counts, labels, manifest_path, "frames")


def _split_summary(plan: SplitPlan, data: dict[str, HeadData], manifest) -> dict:
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
