"""`features`: the backbone's features of every span of a manifest, into the cache, here or on a Ray cluster.

The spans come from `plan_extraction`, and `train` fills the cache of its
backbone the same way (VGG16 through `backbone_features`, pose through its
backend's `extract`), so a cache computed ahead (on a cluster, say) is exactly
the one `train` reads: same keys, same format. Body-pose keypoints are computed
here only: the estimator follows the person from frame to frame through each
span, which the Ray engine's chunks of a span would cut (docs/architecture.md).
Keras loads only when a function runs: the CLI imports the configs.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np

from gymnos_edge.common.contract import Backbone, Gaps
from gymnos_edge.common.errors import UserError
from gymnos_edge.data.sampler import SamplingConfig
from gymnos_edge.features.extraction import ExtractionStats, FeatureCache, SpanFeatures, SpanRequest, extract_features
from gymnos_edge.features.ray_engine import RayOptions, extract_features_ray, require_ray
from gymnos_edge.training.plan import plan_extraction

if TYPE_CHECKING:
    import keras


class Engine(str, Enum):
    """Where the backbone runs."""

    local = "local"  # this process: decoding on a thread, the backbone on every core
    ray = "ray"  # a Ray cluster (or a local Ray): decode tasks and a pool of backbone actors


@dataclass(frozen=True)
class FeaturesConfig:
    manifest: Path
    weights: str = "imagenet"  # VGG16 only
    sampling: SamplingConfig = field(default_factory=SamplingConfig)  # `train.sampling_for(backbone)` as train has it
    seed: int = 0  # of a random backbone (weights "none"), as `train` uses it
    backbone: Backbone = Backbone.vgg16
    pose_model: Path | None = None  # pose: folder with the BlazePose files; default: the cache, downloaded once
    track: bool = True  # pose: as `train --track`
    gaps: Gaps = Gaps.rest  # as `train --gaps`: uncovered time is rest, and its frames are cached too
    cache_dir: Path | None = None  # default: features.default_cache_dir()
    engine: Engine = Engine.local
    ray: RayOptions = field(default_factory=RayOptions)  # used by Engine.ray only


@dataclass
class FeaturesCallbacks:
    """Hooks for a user interface; the library itself prints nothing."""

    on_plan: Callable[[int, int], None] = lambda spans, frames: None
    on_frames: Callable[[int], None] = lambda n: None


@dataclass(frozen=True)
class BackboneFeatures:
    entries: list[SpanFeatures]  # one per request, in order
    stats: ExtractionStats
    fingerprint: str  # of the backbone's weights: part of every cache key


@dataclass(frozen=True)
class FeaturesResult:
    stats: ExtractionStats
    frames: int  # every span's frames, cached or computed
    cache_folder: Path
    fingerprint: str
    engine: Engine

    @property
    def frames_per_s(self) -> float:
        return self.stats.frames_computed / self.stats.seconds if self.stats.seconds > 0 else 0.0


@dataclass(frozen=True)
class BackboneFactory:
    """Builds the frozen feature model inside a Ray worker, from the weights this process loaded.

    The weights travel with the factory, so workers need neither the ImageNet
    download nor the weights file, and the fingerprint check makes sure every
    worker computes what the cache keys name.
    """

    image_size: int
    weights: tuple[np.ndarray, ...]
    fingerprint: str

    @classmethod
    def of(cls, backbone: keras.Model) -> BackboneFactory:
        from gymnos_edge.training.classifier import weights_fingerprint

        return cls(int(backbone.input_shape[1]), tuple(backbone.get_weights()), weights_fingerprint(backbone))

    def __call__(self, threads: int) -> Callable[[np.ndarray], np.ndarray]:
        import tensorflow as tf

        from gymnos_edge.training.classifier import build_backbone, vgg16_features, weights_fingerprint

        with contextlib.suppress(RuntimeError):  # TensorFlow already started in this process: keep its pools
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(threads)
        backbone = build_backbone(self.image_size, "none")
        backbone.set_weights(list(self.weights))
        if weights_fingerprint(backbone) != self.fingerprint:
            raise RuntimeError("the backbone rebuilt in a worker does not match the one sent to it")
        return vgg16_features(backbone)


def backbone_features(
    backbone: keras.Model,
    requests: list[SpanRequest],
    sampling: SamplingConfig,
    cache: FeatureCache,
    engine: Engine = Engine.local,
    ray: RayOptions = RayOptions(),
    on_frames: Callable[[int], None] = lambda n: None,
) -> BackboneFeatures:
    """Every request's VGG16 features, from the cache where possible, the rest computed by `engine`."""
    from gymnos_edge.training.classifier import vgg16_features, weights_fingerprint

    fingerprint = weights_fingerprint(backbone)
    if Engine(engine) is Engine.ray:
        factory = BackboneFactory.of(backbone)
        entries, stats = extract_features_ray(requests, factory, sampling, fingerprint, cache, ray, on_frames)
    else:
        entries, stats = extract_features(requests, vgg16_features(backbone), sampling, fingerprint, cache, on_frames)
    return BackboneFeatures(entries, stats, fingerprint)


def compute_features(config: FeaturesConfig, callbacks: FeaturesCallbacks = FeaturesCallbacks()) -> FeaturesResult:
    """Compute (or complete) the feature cache of a manifest, with the backbone `train` would build."""
    pose = Backbone(config.backbone) is Backbone.pose
    if pose and Engine(config.engine) is Engine.ray:
        raise UserError(
            "--engine ray computes VGG16 features; body-pose keypoints are computed here (--engine local): the "
            "estimator follows the person frame by frame through each span, which Ray's chunks would cut"
        )
    if Engine(config.engine) is Engine.ray:
        require_ray(config.ray.address)  # before any heavy work
    plan = plan_extraction(config.manifest, config.gaps, config.sampling)
    cache = FeatureCache(config.cache_dir)
    if pose:
        from gymnos_edge.training.train import TrainConfig, backend_of

        # Built as `train` builds it (and its checks, such as the estimator's whole frames), so the keys agree.
        train_config = TrainConfig(manifest=config.manifest, backbone=Backbone.pose, sampling=plan.sampling,
                                   gaps=config.gaps, pose_model=config.pose_model, track=config.track)  # fmt: skip
        extract = backend_of(train_config, len(plan.classes)).extract
    else:
        from gymnos_edge.training.classifier import build_backbone

        backbone = build_backbone(plan.sampling.image_size, config.weights, config.seed, len(plan.classes))

        def extract(requests, sampling, cache, on_frames) -> BackboneFeatures:
            return backbone_features(backbone, requests, sampling, cache, config.engine, config.ray, on_frames)

    callbacks.on_plan(len(plan.spans), plan.estimated_frames)  # once the backbone is built: its errors come first
    features = extract(plan.requests, plan.sampling, cache, callbacks.on_frames)
    return FeaturesResult(
        stats=features.stats,
        frames=sum(len(entry.timestamps) for entry in features.entries),
        cache_folder=cache.folder,
        fingerprint=features.fingerprint,
        engine=Engine(config.engine),
    )
