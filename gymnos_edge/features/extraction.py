"""Backbone features, computed once per sampled frame and cached on disk.

The backbone is frozen, so its output for a frame never changes: training the
head on cached features is what turns minutes per epoch into seconds. A cache
entry's key covers everything that could change the features — the video
file's identity (size and modification time), the span, the sampling settings
and a fingerprint of the backbone's weights — so a stale entry is never served.
Entries are written atomically, one per span, so an interrupted extraction
resumes from the spans already done.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np

from gymnos_edge.common.contract import FRAME_BATCH
from gymnos_edge.common.atomic import atomic_path
from gymnos_edge.common.errors import UserError
from gymnos_edge.data.sampler import SamplingConfig, sample_frames



@dataclass(frozen=True)
class SpanRequest:
    """Frames wanted from one video span."""

    video: Path
    start_s: float
    end_s: float


@dataclass(frozen=True)
class SpanFeatures:
    timestamps: np.ndarray  # (N,) seconds
    features: np.ndarray  # (N, *feature_shape) float16


def cache_key(request: SpanRequest, sampling: SamplingConfig, backbone_fingerprint: str) -> str:
    stat = request.video.stat()
    identity = {
        "video": str(request.video.resolve()),
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "start": round(request.start_s, 6),
        "end": round(request.end_s, 6),
        "sampling": sampling.to_dict(),
        "backbone": backbone_fingerprint,
    }
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:32]


def default_cache_dir() -> Path:
    """`$GYMNOS_EDGE_CACHE/features`, else `~/.cache/gymnos-edge/features`."""
    return Path(os.environ.get("GYMNOS_EDGE_CACHE", Path.home() / ".cache" / "gymnos-edge")) / "features"


class FeatureCache:
    """A folder of `<key>.npz` files, one per (span, sampling, backbone)."""

    def __init__(self, folder: Path | str | None = None):
        self.folder = Path(folder) if folder is not None else default_cache_dir()

    def path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.npz"

    def load(self, key: str) -> SpanFeatures | None:
        return _read(self.path(key))

    def save(self, key: str, entry: SpanFeatures) -> None:
        _write(self.path(key), entry)

    def part_path(self, key: str, first_s: float, end_s: float) -> Path:
        """Where one stretch of a long span waits until the whole span can become its entry."""
        return self.folder / key[:2] / f"{key}.part-{first_s:.6f}-{end_s:.6f}.npz"

    def save_part(self, key: str, first_s: float, end_s: float, entry: SpanFeatures) -> None:
        _write(self.part_path(key, first_s, end_s), entry)

    def merge_parts(self, key: str, bounds: list[tuple[float, float]]) -> SpanFeatures:
        """Join a span's parts, in order, into its entry; the parts are removed once it is written."""
        paths = [self.part_path(key, first, end) for first, end in bounds]
        entry = self.load(key)  # another run on the same cache may have joined them first
        if entry is not None:
            for path in paths:
                path.unlink(missing_ok=True)
            return entry
        parts = [_read(path) for path in paths]
        broken = [path for path, part in zip(paths, parts) if part is None]
        if broken:
            for path in broken:
                path.unlink(missing_ok=True)
            raise UserError(f"{broken[0]}: missing or unreadable part of a cache entry; run again to recompute it")
        filled = [part for part in parts if part is not None and len(part.timestamps)]
        entry = span_features([t for part in filled for t in part.timestamps], [part.features for part in filled])
        self.save(key, entry)
        for path in paths:
            path.unlink(missing_ok=True)
        return entry


def _write(path: Path, entry: SpanFeatures) -> None:
    with atomic_path(path) as temporary:
        with open(temporary, "wb") as handle:
            np.savez(handle, timestamps=entry.timestamps, features=entry.features)


def _read(path: Path) -> SpanFeatures | None:
    if not path.is_file():
        return None
    try:
        with np.load(path) as data:
            return SpanFeatures(data["timestamps"], data["features"])
    except (OSError, ValueError, KeyError):
        return None  # unreadable: recompute rather than fail


@dataclass(frozen=True)
class ExtractionStats:
    spans_cached: int
    spans_computed: int
    frames_computed: int
    seconds: float


def estimated_frames(requests: Iterable[SpanRequest], sampling: SamplingConfig) -> int:
    return sum(max(1, int((r.end_s - r.start_s) / sampling.every_s)) for r in requests)


def extract_features(
    requests: list[SpanRequest],
    feature_fn: Callable[[np.ndarray], np.ndarray],
    sampling: SamplingConfig,
    backbone_fingerprint: str,
    cache: FeatureCache,
    on_frames: Callable[[int], None] = lambda n: None,
    *,
    start_span: Callable[[], None] = lambda: None,
    pad_batches: bool = True,
    dtype: str = "float16",
) -> tuple[list[SpanFeatures], ExtractionStats]:
    """Features of every requested span, from the cache where possible.

    `feature_fn` maps a (B, H, W, 3) float32 RGB batch to backbone outputs.
    Frames are decoded on a background thread while the backbone runs. A
    backbone that keeps state from frame to frame (a tracking pose estimator)
    gets `start_span()` before each span's frames, fed in time order, and
    `pad_batches=False`: padding frames would be wasted work on it, where a
    compiled graph gains from one batch shape. Features are stored as `dtype`.
    """
    import time

    start = time.perf_counter()
    keys = [cache_key(request, sampling, backbone_fingerprint) for request in requests]
    unique = dict(zip(keys, requests))  # identical spans (a manifest repeating a row) are decoded once
    entries: dict[str, SpanFeatures] = {}
    missing: list[tuple[str, SpanRequest]] = []
    for key, request in unique.items():
        entry = cache.load(key)
        if entry is None:
            missing.append((key, request))
        else:
            entries[key] = entry
            on_frames(len(entry.timestamps))
    frames_computed = 0
    for key, request in missing:
        start_span()
        entry = _compute_span(request, feature_fn, sampling, on_frames, pad_batches, dtype)
        cache.save(key, entry)
        entries[key] = entry
        frames_computed += len(entry.timestamps)
    stats = ExtractionStats(
        spans_cached=len(unique) - len(missing),
        spans_computed=len(missing),
        frames_computed=frames_computed,
        seconds=time.perf_counter() - start,
    )
    return [entries[key] for key in keys], stats


def _compute_span(
    request: SpanRequest,
    feature_fn: Callable[[np.ndarray], np.ndarray],
    sampling: SamplingConfig,
    on_frames: Callable[[int], None],
    pad_batches: bool,
    dtype: str,
) -> SpanFeatures:
    stamps: list[float] = []
    chunks: list[np.ndarray] = []
    for batch_stamps, batch in _prefetched_batches(request, sampling):
        chunks.append(batch_features(batch, feature_fn, pad_batches, dtype))
        stamps.extend(batch_stamps)
        on_frames(len(batch_stamps))
    return span_features(stamps, chunks, dtype)


def batch_features(
    batch: np.ndarray, feature_fn: Callable[[np.ndarray], np.ndarray], pad: bool = True, dtype: str = "float16"
) -> np.ndarray:
    """Features of at most `FRAME_BATCH` float32 frames, as stored (`dtype`)."""
    count = len(batch)
    if pad and count < FRAME_BATCH:  # one batch shape, so the backbone's compiled graph is reused
        batch = np.concatenate([batch, np.zeros((FRAME_BATCH - count, *batch.shape[1:]), batch.dtype)])
    return np.asarray(feature_fn(batch))[:count].astype(dtype)


def span_features(stamps: list[float], chunks: list[np.ndarray], dtype: str = "float16") -> SpanFeatures:
    if not chunks:
        return SpanFeatures(np.zeros(0, np.float64), np.zeros((0,), dtype))
    return SpanFeatures(np.asarray(stamps, np.float64), np.concatenate(chunks))


def _prefetched_batches(request: SpanRequest, sampling: SamplingConfig) -> Iterator[tuple[list[float], np.ndarray]]:
    """Decode on a thread so the backbone never waits for the video decoder."""
    batches: queue.Queue = queue.Queue(maxsize=2)
    failure: list[BaseException] = []

    def decode() -> None:
        try:
            stamps, frames = [], []
            for stamp, frame in sample_frames(request.video, sampling, request.start_s, request.end_s):
                stamps.append(stamp)
                frames.append(frame)
                if len(frames) == FRAME_BATCH:
                    batches.put((stamps, np.stack(frames).astype(np.float32)))
                    stamps, frames = [], []
            if frames:
                batches.put((stamps, np.stack(frames).astype(np.float32)))
        except BaseException as error:  # re-raised on the consuming thread
            failure.append(error)
        finally:
            batches.put(None)

    worker = threading.Thread(target=decode, daemon=True)
    worker.start()
    while (item := batches.get()) is not None:
        yield item
    worker.join()
    if failure:
        raise failure[0]
