"""Frames for int8 calibration and for validation: from a manifest's spans, or synthetic.

Frames are spread evenly over every labelled span, so calibration sees each
exercise, gym and person in the manifest rather than the first minutes of the
first video.
"""

from __future__ import annotations

import math
from dataclasses import replace
from itertools import islice
from pathlib import Path

import numpy as np

from gymnos_edge.common.errors import UserError
from gymnos_edge.data.manifest import require_valid
from gymnos_edge.data.sampler import SamplingConfig, sample_frames
from gymnos_edge.features.keypoints import PARTNER


def manifest_frames(manifest: Path | str, sampling: SamplingConfig, count: int) -> np.ndarray:
    """Up to `count` (S,S,3) uint8 RGB frames, sampled and resized as the model was trained."""
    check = require_valid(manifest)
    spans = check.manifest.spans
    per_span = max(1, math.ceil(count / len(spans)))
    frames: list[np.ndarray] = []
    for span in spans:
        start, end = check.span_bounds(span)
        # A wider interval than training's, so the frames of a long span cover all of it.
        every = max(sampling.every_s, (end - start) / per_span)
        config = replace(sampling, every_s=every)
        frames += [frame for _, frame in islice(sample_frames(span.video, config, start, end), per_span)]
    if not frames:
        raise UserError(f"{manifest}: no frame could be sampled from its spans")
    picks = np.unique(np.linspace(0, len(frames) - 1, min(count, len(frames))).round().astype(int))
    return np.stack([frames[i] for i in picks])


def synthetic_frames(size: int, count: int, seed: int = 0) -> np.ndarray:
    """Deterministic stand-ins for camera frames: smooth gradients, blocks of colour and noise.

    Used to validate an export whose run has no manifest at hand; they span the
    0..255 range of real pixels, which is what a numeric comparison needs.
    """
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size] / max(1, size - 1)
    frames = np.empty((count, size, size, 3), np.uint8)
    for i in range(count):
        angle = rng.uniform(0, 2 * np.pi)
        ramp = (np.cos(angle) * x + np.sin(angle) * y + 1.5) / 3.0
        image = ramp[..., None] * rng.uniform(60, 255, 3) + rng.normal(0, 12, (size, size, 3))
        top, left = rng.integers(0, size // 2, 2)
        image[top : top + size // 3, left : left + size // 4] = rng.uniform(0, 255, 3)
        frames[i] = np.clip(image, 0, 255).astype(np.uint8)
    return frames


# A person standing facing the camera, in frame units (x, y of each of POSE_JOINTS).
_STANDING = np.array([
    (0.50, 0.20), (0.52, 0.18), (0.48, 0.18), (0.54, 0.19), (0.46, 0.19),
    (0.61, 0.28), (0.39, 0.28), (0.63, 0.38), (0.37, 0.38), (0.62, 0.47), (0.38, 0.47),
    (0.55, 0.50), (0.45, 0.50), (0.56, 0.65), (0.44, 0.65), (0.56, 0.80), (0.44, 0.80),
], np.float32)  # fmt: skip


def synthetic_keypoints(count: int, seed: int = 0) -> np.ndarray:
    """A deterministic (count, 17, 3) keypoint sequence for validating a pose model's export.

    A body that moves, bends its knees and raises its arms, drifts and changes size, with
    confidences on both sides of the seen/unseen threshold, joints missing, frames where the
    estimator named left and right the other way round, and frames with nobody: every branch of
    the features and the motion state is exercised.
    """
    rng = np.random.default_rng(seed)
    keypoints = np.zeros((count, len(_STANDING), 3), np.float32)
    for t in range(count):
        phase = 2 * np.pi * t / 12.0
        body = _STANDING.copy()
        depth = 0.06 * (1 - np.cos(phase))
        body[:13, 1] += depth  # a squat: everything above the knees goes down
        body[13:15, 1] += depth / 3
        body[7:11, 1] -= 0.25 * max(0.0, np.sin(phase)) * np.array([0.6, 0.6, 1, 1])  # and the arms go up
        scale, shift = rng.uniform(0.6, 1.2), rng.uniform(-0.15, 0.15, 2)
        body = (body - 0.5) * scale + 0.5 + shift + rng.normal(0, 0.004, body.shape)
        confidence = rng.uniform(0.2, 1.0, len(body))
        keypoints[t, :, :2], keypoints[t, :, 2] = body, confidence
        missing = rng.random(len(body)) < 0.1
        keypoints[t, missing] = 0.0
        if t % 5 == 2:
            keypoints[t] = keypoints[t, PARTNER]  # the same positions, left and right named as from behind
        if t % 9 == 4:
            keypoints[t] = 0.0  # nobody in the frame
    return keypoints
