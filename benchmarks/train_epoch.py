"""Why features are cached: an original-style epoch vs an epoch over cached backbone features.

(a) original style: every epoch decodes the frames, runs the frozen backbone and trains the head;
(b) gymnos-edge: the backbone ran once (feature cache), an epoch trains the head on cached features.
Also: the extractor's frames/s (decode + backbone, as `train` runs it) vs a bare backbone forward
on frames already in memory. Same frames, one run, seed architecture.

Run: .venv/bin/python benchmarks/train_epoch.py [--image-size 224] [--frames 96]
Goals: (a)/(b) ≥ 100×; extractor ≥ 0.9× of the bare forward.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

import gymnos_edge  # noqa: F401  (first, so TensorFlow loads quietly)
import keras
from gymnos_edge.data.demo import DemoConfig, make_demo_data
from gymnos_edge.common.contract import FRAME_BATCH as FEATURE_BATCH
from gymnos_edge.features.extraction import FeatureCache, SpanRequest, extract_features
from gymnos_edge.data.manifest import require_valid
from gymnos_edge.training.heads import Head
from gymnos_edge.training.classifier import build_backbone, build_head, vgg16_features
from gymnos_edge.data.sampler import SamplingConfig, sample_frames
from gymnos_edge.training.train import TrainConfig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--frames", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=TrainConfig.batch_size, help="as `train` uses it")
    args = parser.parse_args()
    sampling = SamplingConfig(every_s=0.2, image_size=args.image_size)

    with tempfile.TemporaryDirectory() as folder:
        check = require_valid(make_demo_data(Path(folder) / "demo", DemoConfig(videos_per_gym=2)))
        requests, total = [], 0
        for span in check.manifest.spans:
            start, end = check.span_bounds(span)
            take = min(end - start, (args.frames - total) * sampling.every_s)
            if take <= 0:
                break
            requests.append(SpanRequest(span.video, start, start + take))
            total += int(take / sampling.every_s)
        labels = sorted({s.label for s in check.manifest.spans})

        backbone = build_backbone(args.image_size, "none")
        features_of = vgg16_features(backbone)
        head = build_head(tuple(backbone.output.shape[1:]), len(labels))
        head.compile(optimizer=keras.optimizers.Adam(1e-4), loss="sparse_categorical_crossentropy")

        batch = args.batch_size
        frames = [f for r in requests for _, f in sample_frames(r.video, sampling, r.start_s, r.end_s)]
        frames = frames[: max(batch, len(frames) // batch * batch)]  # whole batches: no padding in either epoch
        targets = np.arange(len(frames)) % len(labels)
        for size in (FEATURE_BATCH, batch):  # build both batch shapes before timing
            features_of(np.zeros((size, args.image_size, args.image_size, 3), np.float32))

        # Extractor as `train` runs it: decode on a thread + backbone, into an empty cache.
        started = time.perf_counter()
        entries, _ = extract_features(requests, features_of, sampling, "bench", FeatureCache(Path(folder) / "c"))
        extractor_s = time.perf_counter() - started
        extracted = sum(len(e.timestamps) for e in entries)

        # Bare forward on the same frames, already decoded in memory, in the extractor's batch size.
        stacked = np.stack(frames).astype(np.float32)
        forward_batch = FEATURE_BATCH
        features_of(np.zeros((forward_batch, *stacked.shape[1:]), np.float32))
        started = time.perf_counter()
        for first in range(0, len(stacked), forward_batch):
            chunk = np.zeros((forward_batch, *stacked.shape[1:]), np.float32)
            part = stacked[first : first + forward_batch]
            chunk[: len(part)] = part
            features_of(chunk)
        bare_s = time.perf_counter() - started

        # (a) original-style epoch: decode + backbone + head step for every batch.
        started = time.perf_counter()
        decoded = [f for r in requests for _, f in sample_frames(r.video, sampling, r.start_s, r.end_s)][: len(frames)]
        for first in range(0, len(decoded), batch):
            part = np.stack(decoded[first : first + batch]).astype(np.float32)
            chunk = np.zeros((batch, *part.shape[1:]), np.float32)  # one shape: no retracing to pay for
            chunk[: len(part)] = part
            head.train_on_batch(features_of(chunk)[: len(part)], targets[first : first + batch])
        original_epoch_s = time.perf_counter() - started

        # (b) epoch over cached features, averaged over a multi-epoch fit as `train` runs it.
        cached = np.concatenate([e.features for e in entries]).astype(np.float32)[: len(frames)]
        head.fit(cached, targets[: len(cached)], batch_size=batch, epochs=1, verbose=0)  # warm-up
        epochs = 5
        started = time.perf_counter()
        head.fit(cached, targets[: len(cached)], batch_size=batch, epochs=epochs, verbose=0)
        cached_epoch_s = (time.perf_counter() - started) / epochs

        # (b') the same with the light head (--head gap), for comparison.
        light = build_head(tuple(backbone.output.shape[1:]), len(labels), Head.gap)
        light.compile(optimizer=keras.optimizers.Adam(1e-4), loss="sparse_categorical_crossentropy")
        light.fit(cached, targets[: len(cached)], batch_size=batch, epochs=1, verbose=0)
        started = time.perf_counter()
        light.fit(cached, targets[: len(cached)], batch_size=batch, epochs=epochs, verbose=0)
        light_epoch_s = (time.perf_counter() - started) / epochs

    print(f"frames: {len(frames)} at {args.image_size}×{args.image_size}, flatten head, random backbone, batch {batch}")
    print(f"(a) original-style epoch : {original_epoch_s:8.2f} s")
    print(f"(b) cached-feature epoch : {cached_epoch_s:8.3f} s")
    print(f"speed-up (a)/(b)         : {original_epoch_s / cached_epoch_s:8.0f}×   (goal ≥ 100×)")
    print(f"(b') cached, --head gap  : {light_epoch_s:8.3f} s   speed-up {original_epoch_s / light_epoch_s:.0f}×")
    print(f"extractor                : {extracted / extractor_s:8.1f} frames/s (decode + backbone + cache write)")
    print(f"bare backbone forward    : {len(frames) / bare_s:8.1f} frames/s (frames already in memory)")
    print(f"extractor / bare         : {(extracted / extractor_s) / (len(frames) / bare_s):8.2f}    (goal ≥ 0.9)")


if __name__ == "__main__":
    main()
