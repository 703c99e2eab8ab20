"""Sampler throughput vs a bare OpenCV read loop, and peak memory for a 10 s vs a 10 min 1080p video.

Run: .venv/bin/python benchmarks/decode.py
Goals: the sampler's overhead over a bare read stays small; peak RSS does not grow with length.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import imageio_ffmpeg
import numpy as np

from gymnos_edge.data.sampler import SamplingConfig, sample_frames
from gymnos_edge.data.video_writer import write_video

_MEASURE = """
import sys, json, time
from gymnos_edge.bench.latency_worker import peak_rss_mb
from gymnos_edge.data.sampler import SamplingConfig, sample_frames
start = time.perf_counter()
count = sum(1 for _ in sample_frames(sys.argv[1], SamplingConfig(every_s=0.2, image_size=224)))
print(json.dumps({"frames": count, "seconds": time.perf_counter() - start,
                  "peak_rss_mb": peak_rss_mb()}))
"""


def make_clip(folder: Path, seconds: int = 10, fps: int = 30) -> Path:
    rng = np.random.default_rng(0)
    base = rng.integers(0, 255, (1920, 1080, 3), dtype=np.uint8)
    frames = (np.roll(base, 8 * i, axis=0) for i in range(seconds * fps))
    return write_video(folder / "clip_10s.mp4", frames, fps, stored_rotation=90, crf=35)


def loop_clip(clip: Path, times: int) -> Path:
    target = clip.with_name(f"clip_{10 * times}s.mp4")
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-stream_loop", str(times - 1),
               "-i", str(clip), "-c", "copy", str(target)]  # fmt: skip
    subprocess.run(command, check=True)
    return target


def bare_read(path: Path) -> tuple[int, float]:
    """Every frame decoded and converted, as a naive loop would; the floor the sampler builds on."""
    start = time.perf_counter()
    capture = cv2.VideoCapture(str(path))
    count = 0
    while True:
        ok, _ = capture.read()
        if not ok:
            break
        count += 1
    return count, time.perf_counter() - start


def sampler_read(path: Path) -> tuple[int, float]:
    start = time.perf_counter()
    count = sum(1 for _ in sample_frames(path, SamplingConfig(every_s=0.2, image_size=224)))
    return count, time.perf_counter() - start


def measure_in_child(path: Path) -> dict:
    result = subprocess.run([sys.executable, "-c", _MEASURE, str(path)], capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        clip = make_clip(Path(folder))
        long_clip = loop_clip(clip, 60)
        bare_frames, bare_s = bare_read(clip)
        sampled, sampler_s = sampler_read(clip)
        short = measure_in_child(clip)
        long = measure_in_child(long_clip)
    print(f"bare OpenCV read : {bare_frames} frames decoded in {bare_s:.2f} s ({bare_frames / bare_s:.0f} video frames/s)")
    print(f"sampler (0.2 s)  : {sampled} frames out in {sampler_s:.2f} s; walks the same video at "
          f"{bare_frames / sampler_s:.0f} video frames/s")  # fmt: skip
    print(f"ratio sampler time / bare read time: {sampler_s / bare_s:.2f}  (goal: close to or below 1)")
    print(f"peak RSS 10 s: {short['peak_rss_mb']:.0f} MB, 10 min: {long['peak_rss_mb']:.0f} MB, "
          f"ratio {long['peak_rss_mb'] / short['peak_rss_mb']:.2f}  (goal: ≈ 1, memory flat in length)")  # fmt: skip


if __name__ == "__main__":
    main()
