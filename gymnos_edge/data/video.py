"""Opening phone videos with OpenCV, upright, and reading what a manifest needs to know about them."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import cv2

from gymnos_edge.common.errors import UserError


@dataclass(frozen=True)
class VideoInfo:
    """What a video holds, as it is displayed (after its rotation metadata is applied)."""

    path: Path
    width: int
    height: int
    fps: float
    frame_count: int
    duration_s: float
    rotation: int  # degrees clockwise stored in the file's metadata (90 for an upright iPhone)


@contextlib.contextmanager
def open_video(path: Path | str) -> Iterator[cv2.VideoCapture]:
    """An upright `VideoCapture`: OpenCV applies the rotation tag itself, so nobody rotates twice."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: video not found; check the path (it is relative to the manifest's folder)")
    capture = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    try:
        if not capture.isOpened():
            raise UserError(f"{path}: cannot be opened as a video; is it a complete .mp4/.mov file?")
        capture.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
        yield capture
    finally:
        capture.release()


def probe_video(path: Path | str) -> VideoInfo:
    """Read the header and the first frame; a file that cannot give one frame is corrupt."""
    path = Path(path)
    with open_video(path) as capture:
        ok, frame = capture.read()
        if not ok or frame is None:
            raise UserError(f"{path}: no frame could be decoded; the file is corrupt or empty — re-export it")
        fps = float(capture.get(cv2.CAP_PROP_FPS)) or 0.0
        frame_count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        duration = frame_count / fps if fps > 0 and frame_count > 0 else 0.0
        return VideoInfo(
            path=path,
            width=int(frame.shape[1]),
            height=int(frame.shape[0]),
            fps=fps,
            frame_count=frame_count,
            duration_s=duration,
            rotation=int(capture.get(cv2.CAP_PROP_ORIENTATION_META)) % 360,
        )
