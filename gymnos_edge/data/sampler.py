"""Stream upright, resized RGB frames from a video at a fixed interval of presentation time.

Nothing is written to disk and only the current frame is held, so memory stays
flat however long the video is.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import Enum
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np

from gymnos_edge.common.errors import UserError
from gymnos_edge.data.video import open_video

_TIMESTAMP_SLACK_S = 1e-3
# Frames are upright and as a saved video shows the scene, never flipped like a selfie preview:
# a phone must feed its model frames the same way (recorded as `mirrored` in run and export metadata).
FRAMES_MIRRORED = False
_SEEK_BACK_S = 1.0  # first try: a phone video's keyframe interval


class ResizePolicy(str, Enum):
    """How a portrait frame becomes the model's square input; travels with the model."""

    squash = "squash"  # stretch to the square, as the original pipeline did (and Core ML's scaleFill)
    crop = "crop"  # centre crop to a square, then resize
    letterbox = "letterbox"  # fit inside the square, pad with black
    fit = "fit"  # keep the frame's shape, longest side = size: for a pose estimator, whose keypoints are in frame units


@dataclass(frozen=True)
class SamplingConfig:
    every_s: float = 0.2
    image_size: int = 224
    resize: ResizePolicy = ResizePolicy.squash

    def __post_init__(self) -> None:
        if not self.every_s > 0:
            raise UserError(f"sampling interval must be > 0 s, got {self.every_s}")
        if self.image_size < 32:
            raise UserError(f"image size must be ≥ 32 pixels (VGG16 pools 5 times), got {self.image_size}")
        object.__setattr__(self, "resize", ResizePolicy(self.resize))

    def to_dict(self) -> dict:
        values = asdict(self)
        values["resize"] = self.resize.value
        return values


def resize_frame(image: np.ndarray, size: int, policy: ResizePolicy) -> np.ndarray:
    """Bring one H×W×3 frame to size×size by the named policy (any channel order); `fit` keeps its shape."""
    height, width = image.shape[:2]
    if policy is ResizePolicy.fit:
        scale = size / max(height, width)
        if scale == 1:
            return image
        new_w, new_h = max(1, round(width * scale)), max(1, round(height * scale))
        return cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    if policy is ResizePolicy.crop:
        side = min(height, width)
        top, left = (height - side) // 2, (width - side) // 2
        image = image[top : top + side, left : left + side]
    elif policy is ResizePolicy.letterbox:
        scale = size / max(height, width)
        new_w, new_h = max(1, round(width * scale)), max(1, round(height * scale))
        inner = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_AREA)
        canvas = np.zeros((size, size, 3), dtype=np.uint8)
        top, left = (size - new_h) // 2, (size - new_w) // 2
        canvas[top : top + new_h, left : left + new_w] = inner
        return canvas
    return cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA)


def sample_frames(
    path: Path | str,
    config: SamplingConfig = SamplingConfig(),
    start_s: float | None = None,
    end_s: float | None = None,
) -> Iterator[tuple[float, np.ndarray]]:
    """Yield `(timestamp_s, rgb uint8 size×size×3)` every `config.every_s` seconds of the span
    (with the `fit` policy, the frame's own shape inside size×size).

    Frames are picked by presentation timestamp, so variable-frame-rate phone
    videos are sampled evenly in time; frames in between are only grabbed,
    never converted.
    """
    start = 0.0 if start_s is None else float(start_s)
    end = float("inf") if end_s is None else float(end_s)
    with open_video(path) as capture:
        if start > 0:
            capture.set(cv2.CAP_PROP_POS_MSEC, start * 1000.0)
        yield from _picked(capture, config, start, end, capture.grab())


def span_chunks(start_s: float, end_s: float, every_s: float, steps: int) -> list[tuple[float, float]]:
    """Cut a span into stretches of at most `steps` sampling instants each, for parallel workers.

    A stretch starts on one of the span's own instants, computed by the same
    additions `sample_frames` makes, so sampling the stretches one after the
    other (the first with `sample_frames`, the rest with `sample_frames_continued`)
    picks exactly the frames one pass over the whole span picks.
    """
    starts, target, count = [], float(start_s), 0
    while target < end_s:
        if count % steps == 0:
            starts.append(target)
        target += every_s
        count += 1
    if not starts:
        return [(float(start_s), float(end_s))]
    return list(zip(starts, starts[1:] + [float(end_s)]))


def sample_frames_continued(
    path: Path | str, config: SamplingConfig, start_s: float, end_s: float
) -> Iterator[tuple[float, np.ndarray]]:
    """`sample_frames` for a stretch that continues an earlier one: the frames one pass would give.

    Seeking by time is approximate (OpenCV turns the time into a frame number at
    the average frame rate, which is off for variable-rate phone videos), so this
    seeks further and further back until the first frame decoded lies before
    `start_s`; from there every frame is read in order, as in one pass.
    """
    back = _SEEK_BACK_S
    while True:
        seek = max(0.0, start_s - back)
        with open_video(path) as capture:
            if seek > 0:
                capture.set(cv2.CAP_PROP_POS_MSEC, seek * 1000.0)
            grabbed = capture.grab()
            before = grabbed and capture.get(cv2.CAP_PROP_POS_MSEC) / 1000.0 < start_s - _TIMESTAMP_SLACK_S
            if seek == 0 or before:
                yield from _picked(capture, config, float(start_s), float(end_s), grabbed)
                return
        back *= 4


def _picked(
    capture: cv2.VideoCapture, config: SamplingConfig, start: float, end: float, grabbed: bool
) -> Iterator[tuple[float, np.ndarray]]:
    target = start
    while grabbed:
        timestamp = capture.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
        if timestamp >= end - _TIMESTAMP_SLACK_S:
            break
        if timestamp >= target - _TIMESTAMP_SLACK_S:
            ok, bgr = capture.retrieve()
            if not ok:
                break
            small = resize_frame(bgr, config.image_size, config.resize)
            yield timestamp, cv2.cvtColor(small, cv2.COLOR_BGR2RGB)
            while target <= timestamp + _TIMESTAMP_SLACK_S:
                target += config.every_s
        grabbed = capture.grab()


def estimated_samples(path: Path | str, config: SamplingConfig) -> int:
    """How many frames `sample_frames` will yield for the whole video, for progress bars."""
    from gymnos_edge.data.video import probe_video

    return max(1, int(probe_video(path).duration_s / config.every_s) + 1)
