"""Scale-out: backbone features through Ray (local cluster) vs the local path, and 1 vs 2 Ray workers.

Same frames for every engine, each into an empty cache, VGG16 at 224 px (random weights: the
speed is the same). A Ray run pays a start-up (workers importing TensorFlow, building the
backbone) before its first frame; to measure the throughput apart from it, every Ray
configuration runs twice, on a small and on a large set of frames, and the throughput is
(large − small frames) / (large − small seconds): the start-up cancels out, and is reported
on its own. The local path builds its backbone before the clock starts.

Run: .venv/bin/python benchmarks/scale_out.py [--frames 480] [--small 96] [--image-size 224]
Goals: Ray (as many workers as cores) ≥ 0.8× the local path's frames/s; 2 workers faster than 1.
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
import time
from pathlib import Path

import numpy as np

import gymnos_edge  # noqa: F401  (first, so TensorFlow loads quietly)
import ray
from gymnos_edge.data.demo import DemoConfig, make_demo_data
from gymnos_edge.data.manifest import require_valid
from gymnos_edge.data.sampler import SamplingConfig, sample_frames
from gymnos_edge.data.video_writer import write_video
from gymnos_edge.features.extraction import FeatureCache, SpanRequest
from gymnos_edge.features.ray_engine import RayOptions
from gymnos_edge.training.classifier import build_backbone
from gymnos_edge.training.features_job import Engine, backbone_features


def spans_for(check, frames: int, every_s: float) -> list[SpanRequest]:
    requests, total = [], 0
    for span in check.manifest.spans:
        start, end = check.span_bounds(span)
        take = min(end - start, (frames - total) * every_s)
        if take <= 0:
            break
        requests.append(SpanRequest(span.video, start, start + take))
        total += int(round(take / every_s))
    return requests


def phone_clip(folder: Path, seconds: int = 4, fps: int = 30) -> Path:
    """1080p at 30 fps, as a phone films: what decoding costs per sampled frame on real footage."""
    rng = np.random.default_rng(0)
    base = rng.integers(0, 255, (1920, 1080, 3), dtype=np.uint8)
    frames = (np.roll(base, 8 * i, axis=0) for i in range(seconds * fps))
    return write_video(folder / "phone.mp4", frames, fps, crf=35)


def timed(backbone, requests, sampling, folder: Path, engine: Engine, options: RayOptions) -> tuple[int, float]:
    started = time.perf_counter()
    result = backbone_features(backbone, requests, sampling, FeatureCache(folder), engine, options)
    return result.stats.frames_computed, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=480)
    parser.add_argument("--small", type=int, default=96, help="frames of the short runs that measure start-up")
    parser.add_argument("--image-size", type=int, default=224)
    args = parser.parse_args()
    sampling = SamplingConfig(every_s=0.2, image_size=args.image_size)
    cores = os.cpu_count() or 1

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        check = require_valid(make_demo_data(root / "demo", DemoConfig(videos_per_gym=4)))
        large, small = spans_for(check, args.frames, 0.2), spans_for(check, args.small, 0.2)
        backbone = build_backbone(args.image_size, "none")

        started = time.perf_counter()
        decoded = sum(1 for r in large for _ in sample_frames(r.video, sampling, r.start_s, r.end_s))
        decode_fps = decoded / (time.perf_counter() - started)
        phone = phone_clip(root)
        started = time.perf_counter()
        decoded = sum(1 for _ in sample_frames(phone, sampling))
        phone_fps = decoded / (time.perf_counter() - started)

        backbone_features(backbone, small[:1], sampling, FeatureCache(root / "warm"))  # compile before timing
        local_frames, local_s = timed(backbone, large, sampling, root / "local", Engine.local, RayOptions())
        local_fps = local_frames / local_s

        started = time.perf_counter()
        ray.init(num_cpus=cores, include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR)
        ray_start_s = time.perf_counter() - started
        rows = {}
        for workers in sorted({1, cores}):
            options = RayOptions(workers=workers)
            n_small, t_small = timed(backbone, small, sampling, root / f"ray{workers}-small", Engine.ray, options)
            n_large, t_large = timed(backbone, large, sampling, root / f"ray{workers}-large", Engine.ray, options)
            fps = (n_large - n_small) / (t_large - t_small)
            rows[workers] = (fps, t_small - n_small / fps, n_large / t_large)
        ray.shutdown()

    print(f"frames: {local_frames} at {args.image_size}×{args.image_size}, every 0.2 s, random VGG16, {cores} cores")
    print(f"decode only (sampler, one core)  : {decode_fps:8.1f} frames/s; 1080p 30 fps phone-like: {phone_fps:.1f}")
    print(f"local path                       : {local_fps:8.1f} frames/s")
    print(f"Ray start (ray.init, once)       : {ray_start_s:8.1f} s")
    for workers, (fps, startup_s, end_to_end) in rows.items():
        print(f"Ray, {workers} worker(s)                : {fps:8.1f} frames/s after a {startup_s:4.1f} s start-up "
              f"({end_to_end:.1f} frames/s end to end for {local_frames} frames)")  # fmt: skip
    best = rows[cores][0]
    print(f"Ray ({cores} workers) / local          : {best / local_fps:8.2f}    (goal ≥ 0.8)")
    if cores > 1:
        print(f"speed-up 1 → {cores} workers           : {rows[cores][0] / rows[1][0]:8.2f}×")
    print(f"per worker ({cores} workers)           : {best / cores:8.1f} frames/s")


if __name__ == "__main__":
    main()
