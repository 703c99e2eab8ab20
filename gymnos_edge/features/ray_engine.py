"""Backbone features on a Ray cluster: the cache entries `extract_features` writes, from many workers.

A Ray Data pipeline over the spans that miss the cache. Long spans are cut into
stretches of `chunk_frames` sampling instants (`span_chunks`), so one long video
does not keep one worker busy while the others wait; CPU tasks decode the
frames; an actor pool runs the backbone and writes every result into the cache
under the key, in the format and with the atomic writes of the local path. The
workers write the cache and this process reads it, so the cache folder must be
one folder that every node sees at the same path (a shared file system), and
the videos must be readable at their manifest paths on every node: both are
checked on every node before any work starts.

Ray does the retrying: a worker that dies is restarted and its stretch computed
again. Writes are atomic, so neither a retry nor an interrupted run leaves half
an entry, and the next run resumes from the entries and parts already written.
"""

from __future__ import annotations

import logging
import re
import socket
import time
import uuid
from collections import Counter
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from gymnos_edge.common.atomic import write_bytes
from gymnos_edge.common.errors import UserError, ValidationError
from gymnos_edge.data.sampler import SamplingConfig, sample_frames, sample_frames_continued, span_chunks
from gymnos_edge.common.contract import FRAME_BATCH as BATCH
from gymnos_edge.features.extraction import (
    ExtractionStats,
    FeatureCache,
    SpanFeatures,
    SpanRequest,
    batch_features,
    cache_key,
    span_features,
)

INSTALL = "pip install 'gymnos-edge[ray]'"
# Decoding a stretch costs a fraction of running the backbone on it: decode tasks reserve no CPU
# slot (the actors hold those) and are capped instead, so they fill the gaps between batches.
DECODE_CPUS = 0

# Called once inside each worker with the CPU threads it may use; returns the feature function
# (a (B, S, S, 3) float32 RGB batch in, backbone outputs out). It must pickle: it travels to workers.
BackboneFactory = Callable[[int], Callable[[np.ndarray], np.ndarray]]


@dataclass(frozen=True)
class RayOptions:
    address: str | None = None  # None: start a local Ray (or use the one this process already started)
    workers: int | None = None  # backbone actors; None: one per GPU, else one per `cpus_per_worker` CPUs
    cpus_per_worker: int = 1
    gpus_per_worker: float | None = None  # None: 1 when the cluster has GPUs, else 0
    chunk_frames: int = 4 * BATCH  # sampling instants per task: whole batches, so they match the local path's

    def __post_init__(self) -> None:
        problems = []
        if self.workers is not None and self.workers < 1:
            problems.append(f"workers must be ≥ 1, got {self.workers}")
        if self.cpus_per_worker < 1:
            problems.append(f"cpus per worker must be ≥ 1, got {self.cpus_per_worker}")
        if self.gpus_per_worker is not None and self.gpus_per_worker < 0:
            problems.append(f"gpus per worker must be ≥ 0, got {self.gpus_per_worker}")
        if self.chunk_frames < 1:
            problems.append(f"chunk frames must be ≥ 1, got {self.chunk_frames}")
        if problems:
            raise ValidationError("Ray options", problems)


@dataclass(frozen=True)
class _Chunk:
    key: str
    video: str
    first_s: float
    end_s: float
    continued: bool  # not the span's first stretch: decoded as the continuation of one pass
    part: bool  # one of several stretches: written as a part, joined into the entry at the end


def require_ray(address: str | None = None) -> None:
    """Fail before any heavy work when Ray Data is not installed, or nothing listens at `address`."""
    try:
        import ray  # noqa: F401
        import ray.data  # noqa: F401  (needs pyarrow)
    except ImportError:
        raise UserError(f"--engine ray needs Ray Data, an optional dependency: {INSTALL}") from None
    if address is not None:
        _require_listening(address)


def extract_features_ray(
    requests: list[SpanRequest],
    factory: BackboneFactory,
    sampling: SamplingConfig,
    backbone_fingerprint: str,
    cache: FeatureCache,
    options: RayOptions = RayOptions(),
    on_frames: Callable[[int], None] = lambda n: None,
) -> tuple[list[SpanFeatures], ExtractionStats]:
    """What `extract_features` returns, with the missing spans computed on a Ray cluster.

    `factory` must build the backbone whose weights `backbone_fingerprint` names.
    """
    require_ray()
    started = time.perf_counter()
    keys = [cache_key(request, sampling, backbone_fingerprint) for request in requests]
    results: list[SpanFeatures | None] = [cache.load(key) for key in keys]
    for entry in results:
        if entry is not None:
            on_frames(len(entry.timestamps))
    todo = {key: request for key, request, entry in zip(keys, requests, results) if entry is None}
    frames_computed = 0
    if todo:
        with _ray_session(options.address) as ray:
            _check_nodes(ray, cache.folder, sorted({str(r.video.resolve()) for r in todo.values()}))
            frames_computed = _run(ray, todo, factory, sampling, cache, options, on_frames)
        computed = {key: cache.load(key) for key in todo}
        unreadable = [key for key, entry in computed.items() if entry is None]
        if unreadable:
            raise UserError(
                f"{cache.path(unreadable[0])}: this machine cannot read {len(unreadable)} cache entries the Ray "
                "workers wrote; the cache folder must be the same shared folder on every node"
            )
        results = [entry if entry is not None else computed[key] for key, entry in zip(keys, results)]
    stats = ExtractionStats(
        spans_cached=len(requests) - sum(1 for key in keys if key in todo),
        spans_computed=sum(1 for key in keys if key in todo),
        frames_computed=frames_computed,
        seconds=time.perf_counter() - started,
    )
    return [entry for entry in results if entry is not None], stats


def _run(ray, todo: dict[str, SpanRequest], factory, sampling, cache, options, on_frames) -> int:
    """Compute every missing span; returns the frames computed."""
    plans = {key: span_chunks(r.start_s, r.end_s, sampling.every_s, options.chunk_frames) for key, r in todo.items()}
    chunks = [
        _Chunk(key, str(todo[key].video.resolve()), first, end, index > 0, len(bounds) > 1)
        for key, bounds in plans.items()
        for index, (first, end) in enumerate(bounds)
        if len(bounds) == 1 or not cache.part_path(key, first, end).is_file()  # parts of an interrupted run stay
    ]
    pending = {key: 0 for key in plans} | Counter(chunk.key for chunk in chunks)
    merge = ray.remote(num_cpus=0, max_retries=3)(_merge_parts)
    merges = [merge.remote(str(cache.folder), key, plans[key]) for key, count in pending.items() if count == 0]
    workers, cpus, gpus = _pool(ray, options)
    frames = 0
    if chunks:
        data = ray.data.from_items([vars(c) for c in chunks], override_num_blocks=len(chunks))
        data = data.map(
            _decode,
            fn_kwargs={"sampling": sampling},
            num_cpus=DECODE_CPUS,
            compute=ray.data.TaskPoolStrategy(size=max(2, int(ray.cluster_resources().get("CPU", 1)))),
        )
        data = data.map(
            _BackboneWorker,
            # In a list, the reference reaches the actors unresolved: each fetches the one stored copy.
            fn_constructor_kwargs={"factory": [ray.put(factory)], "threads": cpus, "folder": str(cache.folder)},
            compute=ray.data.ActorPoolStrategy(size=workers),
            num_cpus=cpus,
            num_gpus=gpus,
        )
        try:
            for row in data.iter_rows():
                frames += int(row["frames"])
                on_frames(int(row["frames"]))
                key = row["key"]
                pending[key] -= 1
                if pending[key] == 0 and len(plans[key]) > 1:
                    merges.append(merge.remote(str(cache.folder), key, plans[key]))
        except Exception as error:
            raise _user_error_in(error) or error
    try:
        ray.get(merges)
    except Exception as error:
        raise _user_error_in(error) or error
    return frames


def _pool(ray, options: RayOptions) -> tuple[int, int, float]:
    """(actors, CPUs each, GPUs each), checked against what the cluster has."""
    resources = ray.cluster_resources()
    cluster_cpus, cluster_gpus = resources.get("CPU", 0.0), resources.get("GPU", 0.0)
    gpus = options.gpus_per_worker if options.gpus_per_worker is not None else (1.0 if cluster_gpus >= 1 else 0.0)
    cpus = options.cpus_per_worker
    if options.workers is not None:
        workers = options.workers
    elif gpus > 0:
        workers = max(1, int(cluster_gpus // gpus))
    else:
        workers = max(1, int(cluster_cpus // cpus))
    problems = []
    if workers * cpus > cluster_cpus:
        problems.append(f"{workers} worker(s) × {cpus} CPU(s) need {workers * cpus} CPUs; it has {cluster_cpus:g}")
    if workers * gpus > cluster_gpus:
        problems.append(f"{workers} worker(s) × {gpus:g} GPU(s) need {workers * gpus:g} GPUs; it has {cluster_gpus:g}")
    if problems:
        raise UserError(
            "the Ray cluster is too small for the backbone workers: " + "; ".join(problems)
            + ": lower --workers, --cpus-per-worker or --gpus-per-worker, or add nodes"
        )  # fmt: skip
    return workers, cpus, gpus


def _decode(row: dict, sampling: SamplingConfig) -> dict:
    sample = sample_frames_continued if row["continued"] else sample_frames
    stamps, frames = [], []
    for stamp, frame in sample(Path(row["video"]), sampling, row["first_s"], row["end_s"]):
        stamps.append(stamp)
        frames.append(frame)
    size = sampling.image_size
    return {
        **row,
        "stamps": np.asarray(stamps, np.float64),
        "frames": np.stack(frames) if frames else np.zeros((0, size, size, 3), np.uint8),
    }


class _BackboneWorker:
    """One actor of the pool: the backbone, built once, then stretch after stretch into the cache."""

    def __init__(self, factory: list, threads: int, folder: str):
        import ray

        self.features_of = ray.get(factory[0])(threads)
        self.cache = FeatureCache(folder)

    def __call__(self, row: dict) -> dict:
        frames = row["frames"]
        chunks = [
            batch_features(frames[first : first + BATCH].astype(np.float32), self.features_of)
            for first in range(0, len(frames), BATCH)
        ]
        entry = span_features(list(row["stamps"]), chunks)
        try:
            if row["part"]:
                self.cache.save_part(row["key"], row["first_s"], row["end_s"], entry)
            else:
                self.cache.save(row["key"], entry)
        except OSError as error:
            raise UserError(_cannot_write(self.cache.folder, error)) from None
        return {"key": row["key"], "frames": len(frames)}


def _merge_parts(folder: str, key: str, bounds: list[tuple[float, float]]) -> int:
    try:
        return len(FeatureCache(folder).merge_parts(key, bounds).timestamps)
    except OSError as error:
        raise UserError(_cannot_write(Path(folder), error)) from None


def _cannot_write(folder: Path, error: OSError) -> str:
    reason = f"{type(error).__name__}: {error.strerror or error}"
    return (
        f"{folder}: the Ray worker on {socket.gethostname()} cannot write the feature cache ({reason}); the cache "
        "folder must be one shared folder that every node can write at the same path (set GYMNOS_EDGE_CACHE)"
    )


def _probe(folder: str, videos: list[str], token: str) -> dict:
    """Run on one node: can it write the cache, and does it see the videos?"""
    host = socket.gethostname()
    mark = Path(folder) / f".node-check-{token}-{uuid.uuid4().hex[:8]}"
    problems = []
    try:
        write_bytes(mark, host.encode())
    except OSError as error:
        problems.append(_cannot_write(Path(folder), error))
        mark = None
    missing = [video for video in videos if not Path(video).is_file()]
    if missing:
        problems.append(
            f"the Ray worker on {host} cannot read {len(missing)} of the {len(videos)} videos, e.g. {missing[0]}; "
            "every node must see the videos at the paths this machine sees them"
        )
    return {"host": host, "mark": str(mark) if mark else None, "problems": problems}


def _check_nodes(ray, folder: Path, videos: list[str]) -> None:
    """Every node can write the cache, this process sees what they write, and they all see the videos."""
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    probe = ray.remote(num_cpus=0)(_probe)
    token = uuid.uuid4().hex[:8]
    nodes = [node for node in ray.nodes() if node.get("Alive")]
    reports = ray.get([
        probe.options(scheduling_strategy=NodeAffinitySchedulingStrategy(node["NodeID"], soft=False)).remote(
            str(folder), videos, token
        )
        for node in nodes
    ])  # fmt: skip
    problems = [problem for report in reports for problem in report["problems"]]
    for report in reports:
        if report["mark"] is None:
            continue
        mark = Path(report["mark"])
        if not mark.is_file():
            problems.append(
                f"{folder}: the Ray worker on {report['host']} wrote into this folder but this machine does not "
                "see what it wrote: the cache folder must be one shared folder mounted at the same path on every "
                "node (set GYMNOS_EDGE_CACHE)"
            )
        with suppress(OSError):
            mark.unlink()
    if problems:
        raise ValidationError(f"Ray cluster ({len(nodes)} node(s))", problems)


@contextmanager
def _ray_session(address: str | None) -> Iterator:
    """Ray, connected: to `address`, to the Ray this process already runs, or to a new local one."""
    import ray

    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False  # the caller shows progress through `on_frames`
    context.print_on_execution_start = False
    logging.getLogger("ray.data").setLevel(logging.ERROR)
    if ray.is_initialized():
        yield ray
        return
    try:
        if address is None:
            ray.init(include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR)
        else:
            _require_listening(address)  # Ray itself would retry an unreachable address for minutes
            ray.init(address=address, log_to_driver=False, logging_level=logging.ERROR)
    except ConnectionError as error:
        raise UserError(_no_cluster(address, str(error).splitlines()[0])) from None
    try:
        yield ray
    finally:
        ray.shutdown()


def _require_listening(address: str) -> None:
    host, _, port = address.rpartition(":")
    if "://" in address or not host or not port.isdigit():
        return  # "auto", or a scheme Ray resolves itself
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except OSError as error:
        raise UserError(_no_cluster(address, error.strerror or str(error))) from None


def _no_cluster(address: str, reason: str) -> str:
    return (
        f"--ray-address {address}: no Ray cluster there ({reason}); start one with `ray start --head` "
        "(README, 'More than one machine'), or leave --ray-address out to start a local Ray"
    )


def _user_error_in(error: BaseException) -> UserError | None:
    """The `UserError` a worker raised, out of the exceptions Ray wraps it in."""
    seen, stack = set(), [error]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, UserError) and not hasattr(current, "cause"):
            return current
        stack.extend([current.__cause__, current.__context__, getattr(current, "cause", None)])
    found = re.findall(r"UserError: (.+)", str(error))
    return UserError(found[-1]) if found else None
