"""Opening phone videos with OpenCV, upright, and reading what a manifest needs to know about them."""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import cv2

from gymnos_edge.common.errors import UserError
from gymnos_edge.common.native_path import native_name

_MIN_FPS = 1.0  # below this the header's frame rate is missing or garbage, not a slow camera
_TAIL_S = 1.0  # how far before the header's end the probe seeks to find the last decodable frame
_TRUNCATION_SLACK_S = 1.0  # a container's duration may run past the last frame (audio, rounding)


@dataclass(frozen=True)
class VideoInfo:
    """What a video holds, as it is displayed (after its rotation metadata is applied)."""

    path: Path
    width: int
    height: int
    fps: float  # from the header; variable-rate phone videos report an average
    frame_count: int  # from the header
    duration_s: float  # what can really be decoded: up to the end of the last decodable frame
    rotation: int  # degrees clockwise stored in the file's metadata (90 for an upright iPhone)


@contextlib.contextmanager
def open_video(path: Path | str) -> Iterator[cv2.VideoCapture]:
    """An upright `VideoCapture`: OpenCV applies the rotation tag itself, so nobody rotates twice."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: video not found; check the path (it is relative to the manifest's folder)")
    with native_name(path) as name:  # OpenCV segfaults on a name that is not UTF-8
        capture = cv2.VideoCapture(name, cv2.CAP_FFMPEG)
        try:
            if not capture.isOpened():
                raise UserError(f"{path}: cannot be opened as a video; is it a complete .mp4/.mov file?")
            capture.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
            yield capture
        finally:
            capture.release()


def probe_video(path: Path | str) -> VideoInfo:
    """Read the header, the first frame and the last ones: a video that cannot be used whole is refused.

    The duration is measured, not trusted: the end of the last decodable frame, found by seeking
    near the header's end and reading on, so a truncated copy, a picture renamed .mp4 or a header
    with no frame rate or no frame durations is caught here rather than read as garbage later.
    """
    path = Path(path)
    with open_video(path) as capture:
        ok, frame = capture.read()
        if not ok or frame is None:
            raise UserError(f"{path}: no frame could be decoded; the file is corrupt or empty — re-export it")
        fps = float(capture.get(cv2.CAP_PROP_FPS) or 0.0)
        frame_count = max(0, int(capture.get(cv2.CAP_PROP_FRAME_COUNT)))  # negative: unknown
        rotation = int(capture.get(cv2.CAP_PROP_ORIENTATION_META)) % 360
    if rotation % 90:
        raise UserError(
            f"{path}: its rotation tag says {rotation}°, which is not a multiple of 90°, so it cannot be shown "
            "upright; re-export it from the phone's Photos app or rotate it with a video editor"
        )
    if not math.isfinite(fps) or fps < _MIN_FPS:
        raise UserError(f"{path}: its header gives no usable frame rate ({fps:g} fps); re-export the video")
    header_s = frame_count / fps
    start = max(0.0, header_s - _TAIL_S)
    stamps = _timestamps(path, start) if start > 0 else []
    if not stamps:  # nothing where the header says the end is: read the whole file
        start, stamps = 0.0, _timestamps(path, 0.0)
    if start == 0 and len(stamps) < 2:
        raise UserError(f"{path}: holds a single picture, not a video (an image renamed .mp4?)")
    if any(later <= earlier for earlier, later in zip(stamps, stamps[1:])):
        raise UserError(
            f"{path}: its frames do not advance in time (zero or negative frame durations in the header); "
            "re-export the video"
        )
    step = stamps[-1] - stamps[-2] if len(stamps) >= 2 else 1.0 / fps
    duration = stamps[-1] + step
    if header_s - duration > max(_TRUNCATION_SLACK_S, 0.05 * header_s):
        raise UserError(
            f"{path}: frames can be decoded only up to {duration:.1f} s but its header says {header_s:.1f} s: "
            "the file is truncated (an interrupted copy or recording?); copy or export it again"
        )
    return VideoInfo(
        path=path,
        width=int(frame.shape[1]),
        height=int(frame.shape[0]),
        fps=fps,
        frame_count=frame_count,
        duration_s=duration,
        rotation=rotation,
    )


def _timestamps(path: Path, start_s: float) -> list[float]:
    """Presentation times (s) of the frames from about `start_s` to the end; only grabbed, never converted."""
    with open_video(path) as capture:
        if start_s > 0:
            capture.set(cv2.CAP_PROP_POS_MSEC, start_s * 1000.0)
        stamps = []
        while capture.grab():
            stamps.append(capture.get(cv2.CAP_PROP_POS_MSEC) / 1000.0)
        return stamps
