"""Writing H.264 videos (demo data, annotated predictions), optionally tagged as an upright phone would."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Iterable

import cv2
import imageio_ffmpeg
import numpy as np

from gymnos_edge.common.atomic import atomic_path
from gymnos_edge.common.errors import UserError

# Byte-identical output for identical frames: no encoder banner, no creation time, one thread.
_REPRODUCIBLE = ["-threads", "1", "-fflags", "+bitexact", "-flags:v", "+bitexact", "-map_metadata", "-1"]


def write_video(
    path: Path | str,
    frames: Iterable[np.ndarray],
    fps: float,
    stored_rotation: int = 0,
    crf: int = 28,
) -> Path:
    """Encode RGB frames (H×W×3 uint8, even sides) to an .mp4, atomically.

    With `stored_rotation=90` the frames are stored as an iPhone held upright
    stores them: landscape pixels plus a tag saying "rotate 90° clockwise to
    display". Readers that honour the tag (OpenCV does) get the frames back upright.
    """
    path = Path(path)
    if stored_rotation not in (0, 90, 180, 270):
        raise ValueError("stored_rotation must be 0, 90, 180 or 270")
    undo = {90: cv2.ROTATE_90_COUNTERCLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_CLOCKWISE}
    with atomic_path(path) as temporary:
        encoded = temporary.with_name(temporary.name + ".enc.mp4")  # a temporary too, swept if the writer dies
        try:
            writer = None
            for frame in frames:
                stored = cv2.rotate(frame, undo[stored_rotation]) if stored_rotation else frame
                if writer is None:
                    height, width = stored.shape[:2]
                    writer = imageio_ffmpeg.write_frames(
                        str(encoded),
                        (width, height),
                        fps=fps,
                        codec="libx264",
                        macro_block_size=1,
                        ffmpeg_log_level="error",
                        output_params=["-crf", str(crf), "-preset", "medium", *_REPRODUCIBLE],
                    )
                    writer.send(None)
                writer.send(np.ascontiguousarray(stored))
            if writer is None:
                raise UserError(f"{path}: no frames to write")
            writer.close()
            _tag_rotation(encoded, temporary, stored_rotation)
        finally:
            encoded.unlink(missing_ok=True)
    return path


def _tag_rotation(source: Path, target: Path, stored_rotation: int) -> None:
    # ffmpeg's display rotation counts counter-clockwise; phone metadata counts clockwise.
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error"]
    if stored_rotation:
        command += ["-display_rotation", str(-stored_rotation)]
    command += ["-i", str(source), "-c", "copy", *_REPRODUCIBLE[2:], "-f", "mp4", str(target)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"ffmpeg could not write {target}: {result.stderr.strip()}")
