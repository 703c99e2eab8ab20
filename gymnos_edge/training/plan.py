"""What training reads, decided and checked before a backbone sees a frame.

`plan_extraction` picks the spans a backbone must see (rest gaps included) and
the classes they train; the `features` command fills the cache from that plan,
so it computes exactly what `train` later reads. `plan_training` adds what only
a run needs: splits, the run folder and the checks that would otherwise fail
after minutes of extraction.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gymnos_edge.common.atomic import require_replaceable, require_writable_folder
from gymnos_edge.common.contract import METADATA_FILE, REST_LABEL, Gaps
from gymnos_edge.common.errors import UserError
from gymnos_edge.data.manifest import SPLITS, ManifestCheck, require_valid
from gymnos_edge.data.sampler import SamplingConfig
from gymnos_edge.data.splits import SplitPlan, missing_classes, plan_splits
from gymnos_edge.features.extraction import FeatureCache, SpanRequest, estimated_frames

if TYPE_CHECKING:
    from gymnos_edge.training.train import TrainConfig


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
class ExtractionPlan:
    """The spans a backbone must see, how they are sampled, and the classes they train.

    A span's request and the sampling are its cache key, with the backbone's fingerprint.
    """

    check: ManifestCheck
    spans: tuple[TrainingSpan, ...]
    classes: tuple[str, ...]  # the manifest's labels, then rest when a span trains it
    rest_class: bool
    sampling: SamplingConfig

    @property
    def requests(self) -> list[SpanRequest]:
        return [span.request for span in self.spans]

    @property
    def estimated_frames(self) -> int:
        return estimated_frames(self.requests, self.sampling)


def plan_extraction(manifest: Path, gaps: Gaps, sampling: SamplingConfig) -> ExtractionPlan:
    check = require_valid(manifest)  # every manifest problem before any heavy work
    spans, rest_class = training_spans(check, Gaps(gaps))
    classes = check.manifest.labels + ((REST_LABEL,) if rest_class else ())
    return ExtractionPlan(check, tuple(spans), classes, rest_class, sampling)


@dataclass(frozen=True)
class TrainingPlan:
    """Everything `train` decides before its backbone is built."""

    extraction: ExtractionPlan
    splits: SplitPlan
    warnings: tuple[str, ...]
    folder: Path  # named once: the default name carries the time
    cache: FeatureCache


def plan_training(config: TrainConfig) -> TrainingPlan:
    extraction = plan_extraction(config.manifest, config.gaps, config.sampling)
    manifest, classes = extraction.check.manifest, extraction.classes
    if len(classes) < 2:
        raise UserError(
            f"{manifest.path}: need at least 2 classes to train a classifier, found {list(classes)}; add spans of "
            f"another exercise, or leave time between sets uncovered (or label it {REST_LABEL!r}) to train rest"
        )
    classes_of: dict[Path, set[str]] = {v: set() for v in manifest.videos}
    for span in extraction.spans:
        classes_of[span.request.video].add(classes[span.target])
    splits = plan_splits(manifest, config.holdout_group, seed=config.seed, classes_of=classes_of)
    warnings = tuple(splits.warnings) + tuple(missing_classes(splits, manifest, classes_of))
    folder = config.run_folder()
    require_replaceable(folder, config.force, METADATA_FILE, "run folder")
    require_writable_folder(folder, "--out")
    cache = FeatureCache(config.cache_dir)
    require_writable_folder(cache.folder, "the feature cache (GYMNOS_EDGE_CACHE)")
    span_counts = {split: Counter(s.label for s in manifest.spans if splits.by_video[s.video] == split)
                   for split in SPLITS}  # fmt: skip
    require_coverage(span_counts, manifest.labels, manifest.path, "spans")
    return TrainingPlan(extraction, splits, warnings, folder, cache)


def require_coverage(counts: dict[str, Counter], labels, manifest_path: Path, unit: str) -> None:
    """Train needs every label and val needs something, or the run would be saved half-trained.

    Checked on spans when planning, and again on the frames they gave once extracted.
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
