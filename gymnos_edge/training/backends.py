"""What each backbone brings to training: its cached features, its head inputs, the model a run saves.

- `vgg16`: frozen ImageNet VGG16 feature maps of the whole (squared) frame,
  extracted through `features_job.backbone_features`, the path of the `features` command.
- `pose`: BlazePose keypoints of the whole frame (its shape kept), turned into
  position- and size-free pose features plus their recent motion
  (`gymnos_edge.features.keypoints`); training also sees every training span
  mirrored left to right.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from gymnos_edge.common.contract import POSE_JOINTS
from gymnos_edge.data.sampler import SamplingConfig
from gymnos_edge.features.extraction import FeatureCache, SpanRequest, extract_features
from gymnos_edge.features.keypoints import MOTION_TAU_S
from gymnos_edge.features.pose_estimator import EstimatorSettings
from gymnos_edge.training.features_job import BackboneFeatures, backbone_features

Extract = Callable[[list[SpanRequest], SamplingConfig, FeatureCache, Callable[[int], None]], BackboneFeatures]


@dataclass(frozen=True)
class Backend:
    """One backbone as training, and the benchmarks timing it, run it."""

    fingerprint: str
    features: Callable[[np.ndarray], np.ndarray]  # one batch of frames → their features
    extract: Extract  # every request's features, from the cache where possible
    head_inputs: Callable[[np.ndarray], np.ndarray]  # a stretch of video's cached features → its head inputs
    package: Callable[[object], object]  # the fitted head → the model saved in the run
    describe: dict = field(default_factory=dict)  # run metadata of this backbone
    start_span: Callable[[], None] = lambda: None
    pad_batches: bool = True
    # Extra training copies: each maps a stretch of video's cached features to the head inputs of one copy.
    augmentations: tuple[Callable[[np.ndarray], np.ndarray], ...] = ()
    # Run metadata learnt from the training sets (each exercise set's cached features, its target, the outputs).
    fitted_metadata: Callable[[list[np.ndarray], list[int], int], dict] = lambda sets, targets, n_outputs: {}
    smoothing: dict = field(default_factory=dict)  # the smoothing defaults this backbone's runs start from


def vgg16_backend(image_size: int, weights: str, seed: int, n_classes: int) -> Backend:
    """`n_classes` checks a weights file that holds a whole classifier against the classes to train."""
    from gymnos_edge.training.classifier import PREPROCESSING, build_backbone, build_classifier
    from gymnos_edge.training.classifier import vgg16_features, weights_fingerprint

    backbone = build_backbone(image_size, weights, seed, n_classes)
    fingerprint = weights_fingerprint(backbone)
    return Backend(
        fingerprint=fingerprint,
        features=vgg16_features(backbone),
        extract=lambda requests, sampling, cache, on_frames: backbone_features(
            backbone, requests, sampling, cache, on_frames=on_frames
        ),
        head_inputs=lambda features: features,
        package=lambda head: build_classifier(backbone, head, image_size),
        describe={"preprocessing": PREPROCESSING, "weights": str(weights), "weights_fingerprint": fingerprint},
    )


# The pose rep signal is in within-set standard deviations (`features.rep_signal`), not log-odds. Its band
# follows the lifter: 0.8 of the signal's recent mean swing (over about a rep), because lifters in gyms the
# model never saw move less along a direction learnt elsewhere (real footage: a fixed band of 0.5 counts
# sets of 19 and 12 fast squats as 0 and 1, this band as 17 and 11; docs/smoothing.md, "Counting reps").
POSE_REP_SMOOTHING = {"rep_hysteresis": 0.8, "rep_gain_tau_s": 2.0}


def pose_backend(pose_model: Path | None, track: bool, every_s: float, with_rep_signal: bool = False,
                 motion_tau_s: float = MOTION_TAU_S) -> Backend:  # fmt: skip
    """With `with_rep_signal`, the run also learns the rep signal its reps are then counted on."""
    from gymnos_edge.features.keypoints import head_inputs, mirrored, pose_features
    from gymnos_edge.features.pose_estimator import BlazePoseEstimator
    from gymnos_edge.features.rep_signal import fit_rep_projection
    from gymnos_edge.features.pose_models import pose_model_files

    files = pose_model_files(pose_model)
    estimator = BlazePoseEstimator(files, EstimatorSettings(track=track))
    fingerprint = estimator.fingerprint()

    def features(frames: np.ndarray) -> np.ndarray:
        return estimator.estimate_batch(frames.astype(np.uint8))

    def extract(requests, sampling, cache, on_frames) -> BackboneFeatures:
        entries, stats = extract_features(requests, features, sampling, fingerprint, cache, on_frames,
                                          start_span=estimator.reset, pad_batches=False, dtype="float32")  # fmt: skip
        return BackboneFeatures(entries, stats, fingerprint)

    describe = pose_description(files, estimator.settings, motion_tau_s)

    def fitted_metadata(sets: list[np.ndarray], targets: list[int], n_outputs: int) -> dict:
        projection = fit_rep_projection([pose_features(keypoints) for keypoints in sets], targets, n_outputs)
        return {"pose": {**describe["pose"], "rep_signal": projection.to_dict()}}

    return Backend(
        fingerprint=fingerprint,
        features=features,
        extract=extract,
        head_inputs=lambda keypoints: head_inputs(keypoints, every_s, motion_tau_s),  # the motion state runs on: stretches, not spans
        package=lambda head: head,
        describe=describe,
        start_span=estimator.reset,
        pad_batches=False,
        augmentations=(lambda keypoints: head_inputs(mirrored(keypoints), every_s, motion_tau_s),),
        **({"fitted_metadata": fitted_metadata, "smoothing": POSE_REP_SMOOTHING}
           if with_rep_signal else {}),
    )


def pose_description(files, settings: EstimatorSettings, motion_tau_s: float = MOTION_TAU_S) -> dict:
    """The run metadata of a pose model: how its keypoints were made and how they become features."""
    from gymnos_edge.features.keypoints import HEAD_FEATURES, MIN_CONFIDENCE, NORMALISATION

    return {
        "preprocessing": NORMALISATION,
        "weights": f"BlazePose detector + full landmark model ({files.source})",
        "weights_fingerprint": files.fingerprint(),
        "pose": {
            "estimator": "blazepose-full",
            "estimator_settings": settings.to_dict(),
            "model_fingerprint": files.fingerprint(),
            "joints": list(POSE_JOINTS),
            "keypoints": "x, y in frame heights (both divided by the frame's height; origin top-left), "
                         "confidence 0..1; missing joint (0, 0, 0)",
            "min_confidence": MIN_CONFIDENCE,
            "motion_tau_s": motion_tau_s,
            "head_features": HEAD_FEATURES,
        },
    }
