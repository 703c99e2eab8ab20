"""`bench`: size, speed and set-level accuracy of every exported model, side by side.

Latency is measured one frame at a time in a process per model and thread
count (so peak memory and crashes stay with their row), and cross-checked
against LiteRT's own benchmark tool when the installed wheel ships it.
Accuracy runs every model over the same decoded frames of a manifest split and
compares frame labels, agreement with the Keras model, and — what a user sees
— the sets after smoothing.

A pose export is measured the same way on the keypoints the BlazePose
estimator finds in those frames (found once, fed to every format), and the
estimator gets a latency row of its own: a pose model's cost per frame is the
estimator's plus its graph's.
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from gymnos_edge import __version__
from gymnos_edge.common.errors import UserError
from gymnos_edge.common.jsonfile import read_json
from gymnos_edge.evaluation.evaluate import VideoResult, score, truth_at, videos_of_split
from gymnos_edge.data.manifest import require_valid
from gymnos_edge.inference.predict import prediction_from_probs
from gymnos_edge.data.sampler import sample_frames

OFFICIAL_TOOL = "ai_edge_litert.tools.benchmark_litert_model"


@dataclass(frozen=True)
class BenchConfig:
    export_dir: Path
    run: Path | None = None  # the Keras reference; default runs/<run named in metadata.json>
    manifest: Path | None = None  # default: the run's training manifest
    split: str = "test"
    threads: tuple[int, ...] = (1, 2)
    warmup: int = 3
    runs: int = 20
    pose_model: Path | None = None  # BlazePose files for a pose export; default the cache


@dataclass(frozen=True)
class BenchRow:
    format: str
    file: str
    size_mb: float | None
    threads: int | None = None
    init_ms: float | None = None
    first_ms: float | None = None
    p50_ms: float | None = None
    p90_ms: float | None = None
    fps: float | None = None
    peak_rss_mb: float | None = None
    official_p50_ms: float | None = None
    frame_accuracy: float | None = None
    label_agreement: float | None = None
    set_f1_50: float | None = None
    flips_per_min: float | None = None
    status: str = "ok"


@dataclass(frozen=True)
class Goal:
    """One of the product's stated goals, checked on this run's figures."""

    name: str
    value: float | None
    target: str
    holds: bool | None  # None: the rows it needs were not measured


def check_goals(rows: tuple[BenchRow, ...]) -> tuple[Goal, ...]:
    """int8 p50 ≤ 0.3× fp32 p50, int8 label agreement ≥ 99 %, int8 set F1@50 within 1 point of Keras."""

    def first(fmt: str, threads: int | None = None) -> BenchRow | None:
        return next((r for r in rows if r.format == fmt and r.status == "ok" and r.threads == (threads or r.threads)), None)

    keras, int8 = first("keras"), first("tflite-int8")
    goals = []
    for threads in sorted({r.threads for r in rows if r.threads}):
        fp32_t, int8_t = first("tflite-fp32", threads), first("tflite-int8", threads)
        ratio = int8_t.p50_ms / fp32_t.p50_ms if fp32_t and int8_t else None
        goals.append(Goal(f"int8 p50 / fp32 p50 ({threads} thread{'s' if threads > 1 else ''})", ratio, "≤ 0.30",
                          None if ratio is None else ratio <= 0.30))  # fmt: skip
    agreement = int8.label_agreement if int8 else None
    goals.append(Goal("int8 label agreement with Keras (%)", agreement, "≥ 99", None if agreement is None else agreement >= 99))
    delta = abs(int8.set_f1_50 - keras.set_f1_50) if int8 and keras else None
    goals.append(Goal("|int8 − Keras| set F1@50 (points)", delta, "≤ 1", None if delta is None else delta <= 1))
    return tuple(goals)


@dataclass(frozen=True)
class BenchResult:
    rows: tuple[BenchRow, ...]
    split: str
    videos: int
    frames: int
    machine: dict
    settings: dict
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict:
        return {
            "machine": self.machine,
            "settings": self.settings,
            "split": self.split,
            "videos": self.videos,
            "frames": self.frames,
            "notes": list(self.notes),
            "rows": [asdict(r) for r in self.rows],
            "goals": [asdict(g) for g in self.goals],
        }

    @property
    def goals(self) -> tuple[Goal, ...]:
        return check_goals(self.rows)


def read_export(export_dir: Path) -> dict:
    metadata_path = export_dir / "metadata.json"
    if not export_dir.is_dir():
        raise UserError(f"{export_dir}: no such export folder; run `gymnos-edge export --tflite` first")
    if not metadata_path.is_file():
        raise UserError(f"{export_dir}: no metadata.json; is this a folder written by `gymnos-edge export`?")
    metadata = read_json(metadata_path)
    if not isinstance(metadata, dict) or not metadata.get("models"):
        raise UserError(f"{metadata_path}: lists no models; the export folder is empty")
    return metadata


def machine_info() -> dict:
    import importlib.metadata as meta
    import os

    versions = {}
    for package in ("ai-edge-litert", "tensorflow-cpu", "tensorflow", "keras", "coremltools", "numpy"):
        try:
            versions[package] = meta.version(package)
        except meta.PackageNotFoundError:
            continue
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "gymnos_edge": __version__,
        "versions": versions,
    }


def measure_latency(model: Path, threads: int, warmup: int, runs: int) -> dict:
    """The latency worker's JSON, or a UserError carrying why the model could not run."""
    command = [sys.executable, "-m", "gymnos_edge.bench.latency_worker", str(model), "--threads", str(threads),
               "--warmup", str(warmup), "--runs", str(runs)]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
        raise UserError(lines[-1][:200] if lines else f"exit status {result.returncode}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def official_p50(model: Path, threads: int, warmup: int, runs: int) -> float | None:
    """Median latency from LiteRT's own benchmark tool, or None when the wheel lacks it or it fails."""
    if importlib_missing(OFFICIAL_TOOL):
        return None
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "result.json"
        command = [sys.executable, "-m", OFFICIAL_TOOL, f"--model={model}", "--signature=serving_default",
                   f"--num_threads={threads}", f"--warmup_runs={warmup}", f"--num_runs={runs}",
                   f"--result_json={report}"]  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0 or not report.is_file():
            return None
        return float(json.loads(report.read_text())["latency"]["median_ms"])


@dataclass(frozen=True)
class _Frames:
    """Decoded frames of every video of the split, shared by all models so they see the same pixels."""

    videos: list[Path]
    times: list[np.ndarray]
    frames: list[np.ndarray]
    truth: list[np.ndarray]
    groups: list[str]


def load_frames(manifest: Path, split: str, labels: tuple[str, ...], run_metadata, sampling) -> tuple[_Frames, str]:
    check = require_valid(manifest, expected_labels=labels)
    assignment = run_metadata.splits.get("assignment", {}) if run_metadata else {}
    chosen = split
    videos = videos_of_split(check, split, assignment)
    if not videos and split == "test":
        chosen, videos = "val", videos_of_split(check, "val", assignment)
    if not videos:
        raise UserError(f"{manifest}: no videos in split {split!r}; pass --split val or --split all")
    times, frames, truth, groups = [], [], [], []
    for video in videos:
        sampled = list(sample_frames(video, sampling))
        stamps = np.array([t for t, _ in sampled])
        times.append(stamps)
        frames.append(np.stack([f for _, f in sampled]).astype(np.float32))
        truth.append(truth_at(stamps, check, video, list(labels)))
        groups.append(check.manifest.spans_of(video)[0].group or "(none)")
    return _Frames(videos, times, frames, truth, groups), chosen


def accuracy_of(
    model, data: _Frames, reference: list[np.ndarray] | None, keypoints: list[np.ndarray] | None = None
) -> tuple[dict, list[np.ndarray]]:
    """Frame accuracy, agreement with the reference's frame labels, set F1@50 and flips/min after smoothing.

    A pose model is given each video's `keypoints` (found once for every format) instead of its frames.
    """
    probs = []
    for index, frames in enumerate(data.frames):
        model.reset()
        if keypoints is None:
            probs.append(model.probabilities(frames))
        else:
            probs.append(model.keypoint_probabilities(keypoints[index]))
    results = [
        VideoResult(video, group, truth, prediction_from_probs(video, model.labels, times, p, model.smoothing, model.rest_class))
        for video, group, truth, times, p in zip(data.videos, data.groups, data.truth, data.times, probs)
    ]
    smoothed = score(results, "bench").smoothed
    labelled = np.concatenate([t != len(model.labels) for t in data.truth])
    raw = np.concatenate([np.argmax(p, axis=1) for p in probs])
    truth = np.concatenate(data.truth)
    figures = {
        "frame_accuracy": float(np.mean(raw[labelled] == truth[labelled]) * 100) if labelled.any() else None,
        "set_f1_50": smoothed.f1_at(0.5),
        "flips_per_min": smoothed.flips_per_minute,
        "label_agreement": None,
    }
    if reference is not None:
        reference_labels = np.concatenate([np.argmax(p, axis=1) for p in reference])
        figures["label_agreement"] = float(np.mean(raw == reference_labels) * 100)
    return figures, probs


def keypoints_of(estimator, data: _Frames) -> tuple[list[np.ndarray], list[float]]:
    """Every video's keypoints (tracking restarted per video) and the estimator's time per frame (ms)."""
    import time

    found, timings = [], []
    for frames in data.frames:
        estimator.reset()
        video = []
        for frame in frames:
            started = time.perf_counter()
            video.append(estimator.estimate(frame.astype(np.uint8)))
            timings.append((time.perf_counter() - started) * 1000.0)
        found.append(np.stack(video))
    return found, timings


def run_bench(config: BenchConfig, on_step: Callable[[str], None] = lambda s: None) -> BenchResult:
    from gymnos_edge.inference.open_model import KerasFrameModel, open_frame_model
    from gymnos_edge.training.run_folder import load_run
    from gymnos_edge.inference.litert_model import TFLiteModel

    metadata = read_export(config.export_dir)
    run_folder = config.run or Path("runs") / metadata.get("run", "latest")
    run = load_run(run_folder)
    if tuple(run.metadata.labels) != tuple(metadata["labels"]):
        raise UserError(f"{run_folder}: its labels {list(run.metadata.labels)} differ from the export's {metadata['labels']}")
    manifest = config.manifest or (Path(run.metadata.manifest) if run.metadata.manifest else None)
    if manifest is None:
        raise UserError("no manifest to measure accuracy on; pass --manifest")
    pose = run.metadata.is_pose
    frame_model = open_frame_model(run.folder, config.pose_model) if pose else KerasFrameModel(run)
    keras_model = frame_model.model if pose else frame_model
    on_step("decoding frames")
    data, split = load_frames(manifest, config.split, keras_model.labels, run.metadata, keras_model.sampling)
    notes = []
    keypoints = None
    rows = []
    if pose:
        on_step("BlazePose keypoints")
        keypoints, timings = keypoints_of(frame_model.estimator, data)
        rows.append(_estimator_row(timings, frame_model.estimator))
        notes.append("pose models: a frame costs the BlazePose estimator's time plus the model's; on an iPhone "
                     "Vision's body pose request takes the estimator's place")  # fmt: skip
    if split != config.split:
        notes.append(f"split {config.split!r} has no videos; measured on {split!r}")
    if any(m.get("runtime") == "coreml" for m in metadata["models"]):
        notes.append("Core ML runs only on Apple platforms: measure it with Xcode's performance report on a device")
    if importlib_missing(OFFICIAL_TOOL):
        notes.append("LiteRT's benchmark tool is not in the installed ai-edge-litert wheel: no cross-check column")

    on_step("Keras reference")
    reference_figures, reference = accuracy_of(keras_model, data, None, keypoints)
    for threads in config.threads:
        latency = measure_latency(run.folder, threads, config.warmup, config.runs)
        rows.append(_row("keras", run.model_path, threads, latency, None, reference_figures, "ok"))

    for entry in metadata["models"]:
        path = config.export_dir / entry["file"]
        fmt = entry.get("format", entry["file"])
        if entry.get("runtime") == "coreml" or path.suffix == ".mlpackage":
            rows.append(BenchRow(fmt, entry["file"], _size_mb(path), status="needs macOS"))
            continue
        on_step(fmt)
        try:
            figures, _ = accuracy_of(TFLiteModel(path), data, reference, keypoints)
        except UserError as error:
            rows.append(BenchRow(fmt, entry["file"], _size_mb(path), status=f"failed: {error}"))
            continue
        for threads in config.threads:
            try:
                latency = measure_latency(path, threads, config.warmup, config.runs)
            except UserError as error:
                rows.append(BenchRow(fmt, entry["file"], _size_mb(path), threads, status=f"failed: {error}"))
                continue
            official = official_p50(path, threads, config.warmup, config.runs)
            rows.append(_row(fmt, path, threads, latency, official, figures, "ok"))
    return BenchResult(
        rows=tuple(rows),
        split=split,
        videos=len(data.videos),
        frames=int(sum(len(t) for t in data.times)),
        machine=machine_info(),
        settings={k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(config).items()} | {"manifest": str(manifest)},
        notes=tuple(notes),
    )


def _estimator_row(timings: list[float], estimator) -> BenchRow:
    """The estimator's own row: measured on the split's frames, one at a time, in their order (tracking as set)."""
    from gymnos_edge.common.contract import POSE_JOINTS

    files = estimator.files
    size = sum(p.stat().st_size for p in (files.detector, files.landmark)) / 1e6
    p50, p90 = float(np.percentile(timings, 50)), float(np.percentile(timings, 90))
    seen = f"{len(POSE_JOINTS)} joints"
    return BenchRow("blazepose", f"{files.detector.name} + {files.landmark.name} ({seen})", size, threads=1,
                    p50_ms=p50, p90_ms=p90, fps=1000.0 / p50)  # fmt: skip


def importlib_missing(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is None


def _size_mb(path: Path) -> float | None:
    from gymnos_edge.export.artifacts import size_of

    return size_of(path) / 1e6 if path.exists() else None


def _row(fmt: str, path: Path, threads: int, latency: dict, official: float | None, figures: dict, status: str) -> BenchRow:
    return BenchRow(
        format=fmt,
        file=path.name,
        size_mb=_size_mb(path),
        threads=threads,
        init_ms=latency["init_ms"],
        first_ms=latency["first_ms"],
        p50_ms=latency["p50_ms"],
        p90_ms=latency["p90_ms"],
        fps=latency["fps"],
        peak_rss_mb=latency["peak_rss_mb"],
        official_p50_ms=official,
        status=status,
        **figures,
    )
