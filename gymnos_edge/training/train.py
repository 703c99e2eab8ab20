"""`train`: manifest in, run folder out — plan, extract, fit, package.

Each step is a function of the one before: `plan_training` checks everything
it can before heavy work, `extract_training_data` reads the backbone's cached
features (computing what is missing), `fit_and_score` fits the head and scores
every split, `package_run` writes the run folder. The two backbones (vgg16,
pose; see `gymnos_edge.training.backends`) feed the same heads, rest class,
smoothing and sets.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable

import numpy as np

from gymnos_edge.common.atomic import write_json
from gymnos_edge.common.contract import RUNS_DIR, Backbone, Gaps
from gymnos_edge.common.errors import UserError
from gymnos_edge.data.sampler import ResizePolicy, SamplingConfig
from gymnos_edge.data.splits import SplitPlan
from gymnos_edge.features.extraction import ExtractionStats
from gymnos_edge.features.keypoints import MOTION_TAU_S
from gymnos_edge.sets.smoothing import SmoothingParams
from gymnos_edge.training.backends import Backend, pose_backend, vgg16_backend
from gymnos_edge.training.frame_scores import ClassificationReport, classification_report
from gymnos_edge.training.head_fit import FitSettings, FittedHead, HeadData, fit_head, predict_labels
from gymnos_edge.training.heads import DEFAULT_HEAD, HEADS_OF, Head
from gymnos_edge.training.plan import TrainingPlan, plan_training, require_coverage
from gymnos_edge.training.run_folder import Run, RunMetadata, save_run
from gymnos_edge.training.streams import streamed

POSE_SAMPLING = SamplingConfig(every_s=0.2, image_size=512, resize=ResizePolicy.fit)


def sampling_for(
    backbone: Backbone, every_s: float = 0.2, image_size: int | None = None, resize: ResizePolicy | None = None
) -> SamplingConfig:
    """The frames a backbone samples: what is given, else its defaults (VGG16 224 px squashed, pose 512 px fitted)."""
    defaults = POSE_SAMPLING if Backbone(backbone) is Backbone.pose else SamplingConfig()
    return SamplingConfig(every_s=every_s, image_size=image_size or defaults.image_size, resize=resize or defaults.resize)


def require_pose_for_motion_window(backbone: Backbone) -> None:
    if Backbone(backbone) is not Backbone.pose:
        raise UserError("--motion-window is the time constant of the pose path's motion features; it needs "
                        "--backbone pose")  # fmt: skip


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
    # pose: count reps on the body's main movement per exercise (`features.rep_signal`) rather than on the
    # probabilities' log-odds, which a confident model holds flat through a set (docs/pose.md). None: on for
    # pose, off for vgg16 (which has no body to measure)
    rep_signal: bool | None = None
    motion_window_s: float = MOTION_TAU_S  # pose: time constant of the motion features (`features.keypoints`)

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
        if not (isinstance(self.motion_window_s, (int, float)) and 0 < self.motion_window_s <= 60):
            raise UserError(f"--motion-window {self.motion_window_s}: give seconds between 0 and 60 (default "
                            f"{MOTION_TAU_S:g})")  # fmt: skip
        if self.motion_window_s != MOTION_TAU_S:
            require_pose_for_motion_window(backbone)
        if self.rep_signal and backbone is not Backbone.pose:
            raise UserError("--rep-signal counts reps on body pose; it needs --backbone pose")
        object.__setattr__(self, "rep_signal", counts_reps_on_body(backbone, self.rep_signal))

    def run_folder(self) -> Path:
        if self.out is not None:
            return Path(self.out)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        return RUNS_DIR / f"{Path(self.manifest).resolve().parent.name}-{stamp}"


def counts_reps_on_body(backbone: Backbone | str, rep_signal: bool | None = None) -> bool:
    """Whether a run counts reps on the body's movement: as asked, else wherever there is a body (pose)."""
    return Backbone(backbone) is Backbone.pose if rep_signal is None else bool(rep_signal)


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


def backend_of(config: TrainConfig, n_classes: int) -> Backend:
    if config.backbone is Backbone.pose:
        return pose_backend(config.pose_model, config.track, config.sampling.every_s, config.rep_signal,
                            config.motion_window_s)  # fmt: skip
    return vgg16_backend(config.sampling.image_size, config.weights, config.seed, n_classes)


def train(config: TrainConfig, callbacks: TrainCallbacks = TrainCallbacks()) -> TrainResult:
    plan = plan_training(config)
    backend = backend_of(config, len(plan.extraction.classes))
    callbacks.on_plan(plan.splits, plan.extraction.estimated_frames)
    data = extract_training_data(plan, backend, callbacks.on_frames)
    settings = FitSettings(config.epochs, config.batch_size, config.learning_rate, config.patience, config.seed)
    scored = fit_and_score(data, plan.extraction.classes, Head(config.head), settings, callbacks.on_epoch)
    run = package_run(config, plan, backend, data, scored)
    return TrainResult(
        run=run,
        reports=scored.reports,
        extraction_seconds=data.stats.seconds,
        frames_computed=data.stats.frames_computed,
        seconds_per_epoch=scored.head.seconds_per_epoch,
        warnings=plan.warnings,
        head_fit=scored.head.summary,
    )


@dataclass(frozen=True)
class TrainingData:
    """Head inputs and targets of every split, and the frames the head trains on."""

    splits: dict[str, HeadData]  # scored; "train" and "val" are always there
    fit: HeadData  # the train split plus the backbone's extra copies of it (none for VGG16)
    stats: ExtractionStats
    fitted_metadata: dict  # what the backbone learnt from the training sets (pose: the rep signal)


def extract_training_data(plan: TrainingPlan, backend: Backend, on_frames: Callable[[int], None]) -> TrainingData:
    extraction = plan.extraction
    features = backend.extract(extraction.requests, extraction.sampling, plan.cache, on_frames)
    splits = _split_data(plan, features.entries, backend)
    _require_frames(splits, extraction.classes, extraction.check.manifest.path)
    exercises = len(extraction.check.manifest.labels)
    sets = [(entry.features, span.target) for span, entry in zip(extraction.spans, features.entries)
            if span.target < exercises and len(entry.timestamps) and plan.splits.by_video[span.request.video] == "train"]  # fmt: skip
    fitted = backend.fitted_metadata([s for s, _ in sets], [t for _, t in sets], len(extraction.classes))
    augmented = _with_augmented(splits["train"], plan, features.entries, backend)
    return TrainingData(splits, augmented, features.stats, fitted)


@dataclass(frozen=True)
class ScoredHead:
    head: FittedHead
    reports: dict[str, ClassificationReport]  # frame-level scores of every split


def fit_and_score(
    data: TrainingData,
    classes: tuple[str, ...],
    head: Head,
    settings: FitSettings,
    on_epoch: Callable[[int, dict], None],
) -> ScoredHead:
    fitted = fit_head(head, data.fit, data.splits["val"], len(classes), settings, on_epoch)
    reports = {
        split: classification_report(split_data.labels, predict_labels(fitted.model, split_data.features), classes)
        for split, split_data in data.splits.items()
    }
    return ScoredHead(fitted, reports)


def package_run(
    config: TrainConfig, plan: TrainingPlan, backend: Backend, data: TrainingData, scored: ScoredHead
) -> Run:
    """The run folder: the backbone's model around the head, its metadata, and the report."""
    fitted, reports, classes = scored.head, scored.reports, plan.extraction.classes
    manifest = plan.extraction.check.manifest
    metrics = {
        "note": "frame-level scores; 'train' frames were seen in training, 'val' chose the stopping epoch, "
        "'test' was never used for any decision",
        "split_method": plan.splits.method,
        "warnings": list(plan.warnings),
        "splits": {split: report.to_dict() for split, report in reports.items()},
        "epochs_run": fitted.epochs_run,
        "seconds_per_epoch": fitted.seconds_per_epoch,
        "history": fitted.history,
        "head_fit": fitted.summary,
    }
    metadata = RunMetadata(
        name=plan.folder.name,
        labels=manifest.labels,
        image_size=config.sampling.image_size,
        resize=config.sampling.resize.value,
        every_s=config.sampling.every_s,
        head=Head(config.head).value,
        smoothing=SmoothingParams(every_s=config.sampling.every_s, **backend.smoothing).to_dict(),
        manifest=str(manifest.path.resolve()),
        rest_class=plan.extraction.rest_class,
        splits=_split_summary(plan, data.splits),
        metrics={
            s: {"accuracy": r.accuracy, "balanced_accuracy": r.balanced_accuracy, "frames": r.frames}
            for s, r in reports.items()
        },
        backbone=config.backbone.value,
        **{**backend.describe, **data.fitted_metadata},
    )

    def write_report(folder: Path) -> None:
        from gymnos_edge.training.plots import plot_confusions, plot_curves

        folder.mkdir(parents=True, exist_ok=True)
        write_json(folder / "metrics.json", metrics)
        plot_confusions(reports, classes, folder / "confusion.png")
        if fitted.history:
            plot_curves(fitted.history, folder / "curves.png")

    return save_run(plan.folder, backend.package(fitted.model), metadata, extra_files={"report": write_report})


def training_group(manifest, video: Path) -> str:
    """The group a video trains in: its `group`, else a group of its own."""
    return manifest.spans_of(video)[0].group or str(video)


def _split_data(plan: TrainingPlan, entries, backend: Backend) -> dict[str, HeadData]:
    manifest = plan.extraction.check.manifest
    grouped: dict[str, tuple[list, list, list]] = {}
    spans = plan.extraction.spans
    inputs = streamed(spans, [entry.features for entry in entries], backend.head_inputs)
    for span, entry, span_inputs in zip(spans, entries, inputs):
        if len(entry.timestamps) == 0:
            continue
        features, targets, groups = grouped.setdefault(plan.splits.by_video[span.request.video], ([], [], []))
        features.append(span_inputs)
        targets.append(np.full(len(entry.timestamps), span.target, np.int64))
        groups.extend([training_group(manifest, span.request.video)] * len(entry.timestamps))
    return {
        split: HeadData(np.concatenate(grouped[split][0]), np.concatenate(grouped[split][1]), tuple(grouped[split][2]))
        for split in ("train", "val", "test")
        if split in grouped
    }


def _with_augmented(train: HeadData, plan: TrainingPlan, entries, backend: Backend) -> HeadData:
    """The training frames plus the backbone's extra copies of every training span (none for VGG16)."""
    manifest = plan.extraction.check.manifest
    features, targets, groups = [train.features], [train.labels], list(train.groups)
    spans, raw = plan.extraction.spans, [entry.features for entry in entries]
    for augment in backend.augmentations:
        for span, entry, inputs in zip(spans, entries, streamed(spans, raw, augment)):
            if len(entry.timestamps) == 0 or plan.splits.by_video[span.request.video] != "train":
                continue
            features.append(inputs)
            targets.append(np.full(len(inputs), span.target, np.int64))
            groups.extend([training_group(manifest, span.request.video)] * len(inputs))
    if len(features) == 1:
        return train
    return HeadData(np.concatenate(features), np.concatenate(targets), tuple(groups))


def _require_frames(data: dict[str, HeadData], labels, manifest_path: Path) -> None:
    if "train" not in data:
        raise UserError(f"{manifest_path}: the train split has no frames; check the spans and the split column")
    counts = {split: Counter(labels[i] for i in d.labels) for split, d in data.items()}
    require_coverage(counts, labels, manifest_path, "frames")


def _split_summary(plan: TrainingPlan, data: dict[str, HeadData]) -> dict:
    splits, manifest = plan.splits, plan.extraction.check.manifest
    summary: dict = {"method": splits.method, "assignment": {str(v): s for v, s in splits.by_video.items()}}
    for split in ("train", "val", "test"):
        videos = splits.videos(split)
        if videos:
            summary[split] = {
                "videos": len(videos),
                "frames": int(len(data[split].labels)) if split in data else 0,
                "groups": sorted({manifest.spans_of(v)[0].group or "" for v in videos} - {""}),
            }
    return summary
