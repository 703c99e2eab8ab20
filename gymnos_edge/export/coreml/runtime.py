"""A saved Core ML package run through Core ML itself, which exists only on Apple platforms."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from gymnos_edge.common.contract import IMAGE, KEYPOINTS, OUTPUTS, STATE
from gymnos_edge.export.coreml import quiet_coremltools


def can_predict() -> bool:
    return sys.platform == "darwin"


def load(path: Path | str):
    """The saved package, loaded for predictions (macOS only)."""
    return quiet_coremltools().models.MLModel(str(path))


def predict(model, image_rgb: np.ndarray, state: np.ndarray, source: str = IMAGE) -> dict[str, np.ndarray]:
    """One step on macOS: `image_rgb` (S,S,3) uint8, or for a pose model (`source` "keypoints") the
    (17,3) keypoints; `state` (N+10,), or (N+10+M,) for a pose model."""
    if source == KEYPOINTS:
        value = np.asarray(image_rgb, np.float32)[None]
    else:
        from PIL import Image

        value = Image.fromarray(np.asarray(image_rgb, np.uint8))
    result = model.predict({source: value, STATE: state[None].astype(np.float32)})
    return {name: np.asarray(result[name]) for name in OUTPUTS}
