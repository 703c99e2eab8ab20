"""Scale-out: backbone features through Ray (a local cluster) vs the local path, and 1 vs 2 Ray workers.

Same frames for every engine, each run into an empty cache, VGG16 at 224 px (random weights: the
speed is the same). A Ray run pays a start-up before its first frame (workers importing
TensorFlow, building the backbone); the throughput is measured apart from it, from the moment
every worker has delivered its first stretch to the last one (stretches of one batch, so the
window is fine-grained), and the start-up is reported on its own. The local path builds its
backbone before the clock starts. The engines take turns, round after round, so a machine
shared with other work slows them alike; each figure adds up all its rounds.

Run: .venv/bin/python benchmarks/scale_out.py [--frames 240] [--rounds 2] [--image-size 224]
Goals: Ray (one worker per core) ≥ 0.8× the local path's frames/s; 2 workers faster than 1.
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
from gymnos_edge.common.contract import FRAME_BATCH as BATCH
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
    """1080p at 30 fps, smooth shapes drifting as in a phone video: what decoding costs per sampled frame."""
    import cv2

    rng = np.random.default_rng(0)
    base = cv2.resize(rng.integers(0, 255, (48, 27, 3), dtype=np.uint8), (1080, 1920), interpolation=cv2.INTER_CUBIC)
    frames = (np.roll(base, 8 * i, axis=0) for i in range(seconds * fps))
    return write_video(folder / "phone.mp4", frames, fps)


def local_run(backbone, requests, sampling, folder: Path) -> tuple[int, float]:
    started = time.perf_counter()
    result = backbone_features(backbone, requests, sampling, FeatureCache(folder))
    return result.stats.frames_computed, time.perf_counter() - started


def ray_run(backbone, requests, sampling, folder: Path, workers: int) -> tuple[int, float, float]:
    """(frames, seconds) of the steady window, and the seconds until every worker had delivered once."""
    arrivals: list[tuple[float, int]] = []
    started = time.perf_counter()
    backbone_features(backbone, requests, sampling, FeatureCache(folder), Engine.ray,
                      RayOptions(workers=workers, chunk_frames=BATCH),
                      on_frames=lambda n: arrivals.append((time.perf_counter(), n)))  # fmt: skip
    warm_at = arrivals[workers - 1][0]
    steady = arrivals[workers:]
    return sum(n for _, n in steady), steady[-1][0] - warm_at, warm_at - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=240, help="frames per run")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--image-size", type=int, default=224)
    args = parser.parse_args()
    sampling = SamplingConfig(every_s=0.2, image_size=args.image_size)
    cores = os.cpu_count() or 1
    pools = sorted({1, cores})

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        check = require_valid(make_demo_data(root / "demo", DemoConfig(videos_per_gym=4)))
        requests = spans_for(check, args.frames, sampling.every_s)
        backbone = build_backbone(args.image_size, "none")

        phone = phone_clip(root)
        started = time.perf_counter()
        decoded = sum(1 for _ in sample_frames(phone, sampling))
        phone_fps = decoded / (time.perf_counter() - started)

        backbone_features(backbone, requests[:1], sampling, FeatureCache(root / "warm"))  # compile before timing
        started = time.perf_counter()
        ray.init(num_cpus=cores, include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR)
        ray_start_s = time.perf_counter() - started

        local = np.zeros(2)
        steady = {workers: np.zeros(2) for workers in pools}
        startup = {workers: [] for workers in pools}
        for round_ in range(args.rounds):
            local += local_run(backbone, requests, sampling, root / f"local-{round_}")
            for workers in pools:
                frames, seconds, warm_s = ray_run(backbone, requests, sampling, root / f"ray{workers}-{round_}", workers)
                steady[workers] += (frames, seconds)
                startup[workers].append(warm_s)
        ray.shutdown()

    local_fps = local[0] / local[1]
    fps = {workers: frames / seconds for workers, (frames, seconds) in steady.items()}
    print(f"{int(local[0] / args.rounds)} frames at {args.image_size}×{args.image_size} per run, every 0.2 s, "
          f"random VGG16, {cores} cores, {args.rounds} round(s); load average now {os.getloadavg()[0]:.1f}")  # fmt: skip
    print(f"decode only, 1080p 30 fps video  : {phone_fps:8.1f} sampled frames/s on one core")
    print(f"local path                       : {local_fps:8.1f} frames/s")
    print(f"Ray start (ray.init, once)       : {ray_start_s:8.1f} s")
    for workers in pools:
        print(f"Ray, {workers} worker(s)                : {fps[workers]:8.1f} frames/s once every worker has "
              f"delivered (after {np.mean(startup[workers]):.1f} s)")  # fmt: skip
    print(f"Ray ({cores} workers) / local          : {fps[cores] / local_fps:8.2f}    (goal ≥ 0.8)")
    if cores > 1:
        print(f"speed-up 1 → {cores} workers           : {fps[cores] / fps[1]:8.2f}×")
    print(f"per worker ({cores} workers)           : {fps[cores] / cores:8.1f} frames/s")


if __name__ == "__main__":
    main()
