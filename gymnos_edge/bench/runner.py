"""`bench`: size, speed and set-level accuracy of every exported model, side by side.

Latency is measured one frame at a time in a process per model and thread
count (`latency`), accuracy on the decoded frames of a manifest split
(`accuracy`); this module finds the export and its Keras reference, runs both
passes over every model and gathers the rows.

A pose export is measured the same way on the keypoints the BlazePose
estimator finds in those frames (found once, fed to every format), and the
estimator gets a latency row of its own: a pose model's cost per frame is the
estimator's plus its graph's.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

from gymnos_edge.bench.accuracy import NO_FIGURES, accuracy_of, keypoints_of, load_frames
from gymnos_edge.bench.latency import has_official_tool, measure_latency, official_p50
from gymnos_edge.bench.result import BenchResult, machine_info
from gymnos_edge.bench.rows import BenchRow, estimator_row, measured_row, size_mb
from gymnos_edge.common.contract import LATEST, RUNS_DIR
from gymnos_edge.common.errors import UserError
from gymnos_edge.common.jsonfile import read_json
from gymnos_edge.data.sampler import SamplingConfig
from gymnos_edge.export.artifacts import RUN_FOLDER_KEY
from gymnos_edge.inference.litert_model import check_export_metadata


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


def read_export(export_dir: Path) -> dict:
    metadata_path = export_dir / "metadata.json"
    if not export_dir.is_dir():
        raise UserError(f"{export_dir}: no such export folder; run `gymnos-edge export --tflite` first")
    if not metadata_path.is_file():
        raise UserError(f"{export_dir}: no metadata.json; is this a folder written by `gymnos-edge export`?")
    metadata = check_export_metadata(read_json(metadata_path), str(metadata_path))
    if not isinstance(metadata.get("models"), list) or not metadata["models"]:
        raise UserError(f"{metadata_path}: lists no models; the export folder is empty")
    if not all(isinstance(m, dict) and isinstance(m.get("file"), str) for m in metadata["models"]):
        raise UserError(f"{metadata_path}: field 'models' must list objects that name their 'file'; export again")
    return metadata


def run_bench(config: BenchConfig, on_step: Callable[[str], None] = lambda s: None) -> BenchResult:
    """Every exported model, next to the Keras reference when its run folder can be found.

    Without the run (an export folder copied to another machine), the exported files are still
    measured; the notes say which rows and columns are missing and why.
    """
    from gymnos_edge.inference.open_model import KerasFrameModel, open_frame_model
    from gymnos_edge.inference.litert_model import TFLiteModel

    metadata = read_export(config.export_dir)
    notes = []
    run = _reference_run(config, metadata, notes)
    if run is not None and tuple(run.metadata.labels) != tuple(metadata["labels"]):
        raise UserError(
            f"{run.folder}: its labels {list(run.metadata.labels)} differ from the export's {metadata['labels']}"
        )
    pose = run is not None and run.metadata.is_pose
    manifest = config.manifest or (Path(run.metadata.manifest) if run and run.metadata.manifest else None)
    data, split = None, config.split
    if manifest is None:
        notes.append("no accuracy columns: no manifest to measure on; pass --manifest")
    elif run is None and metadata.get("input") == "keypoints":
        notes.append("no accuracy columns: a pose export needs its run folder for the estimator; pass --run")
    else:
        on_step("decoding frames")
        sampling = SamplingConfig(every_s=metadata["every_s"], image_size=metadata["image_size"],
                                  resize=metadata["resize"])  # fmt: skip
        data, split = load_frames(manifest, config.split, tuple(metadata["labels"]), run.metadata if run else None,
                                  sampling)  # fmt: skip
    if split != config.split:
        notes.append(f"split {config.split!r} has no videos; measured on {split!r}")
    if any(m.get("runtime") == "coreml" for m in metadata["models"]):
        notes.append("Core ML runs only on Apple platforms: measure it with Xcode's performance report on a device")
    if not has_official_tool():
        notes.append("LiteRT's benchmark tool is not in the installed ai-edge-litert wheel: no cross-check column")

    rows = []
    reference = None
    keypoints = None
    if run is not None:
        frame_model = open_frame_model(run.folder, config.pose_model) if pose else KerasFrameModel(run)
        keras_model = frame_model.model if pose else frame_model
        if pose and data:
            on_step("BlazePose keypoints")
            keypoints, timings = keypoints_of(frame_model.estimator, data)
            rows.append(estimator_row(timings, frame_model.estimator))
            notes.append("pose models: a frame costs the BlazePose estimator's time plus the model's; on an iPhone "
                         "Vision's body pose request takes the estimator's place")  # fmt: skip
        on_step("Keras reference")
        reference_figures, reference = accuracy_of(keras_model, data, None, keypoints) if data else (NO_FIGURES, None)
        for threads in config.threads:
            latency = measure_latency(run.folder, threads, config.warmup, config.runs)
            rows.append(measured_row("keras", run.model_path, threads, latency, None, reference_figures))

    for entry in metadata["models"]:
        path = config.export_dir / entry["file"]
        fmt = entry.get("format", entry["file"])
        if entry.get("runtime") == "coreml" or path.suffix == ".mlpackage":
            rows.append(BenchRow(fmt, entry["file"], size_mb(path), status="needs macOS"))
            continue
        on_step(fmt)
        try:
            model = TFLiteModel(path)
            figures = accuracy_of(model, data, reference, keypoints)[0] if data else NO_FIGURES
        except UserError as error:
            rows.append(BenchRow(fmt, entry["file"], size_mb(path), status=f"failed: {error}"))
            continue
        for threads in config.threads:
            try:
                latency = measure_latency(path, threads, config.warmup, config.runs)
            except UserError as error:
                rows.append(BenchRow(fmt, entry["file"], size_mb(path), threads, status=f"failed: {error}"))
                continue
            official = official_p50(path, threads, config.warmup, config.runs)
            rows.append(measured_row(fmt, path, threads, latency, official, figures))
    return BenchResult(
        rows=tuple(rows),
        split=split,
        videos=len(data.videos) if data else 0,
        frames=int(sum(len(t) for t in data.times)) if data else 0,
        machine=machine_info(),
        settings={k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(config).items()}
        | {"manifest": str(manifest) if manifest else None},
        notes=tuple(notes),
    )


def _reference_run(config: BenchConfig, metadata: dict, notes: list[str]):
    """The run to compare against: --run, else the folder the export recorded, else runs/<its name>.

    A run the user named must load; one found by default may be gone (the export was copied
    elsewhere), which leaves out the Keras rows rather than the whole benchmark.
    """
    from gymnos_edge.training.run_folder import load_run

    if config.run is not None:
        return load_run(config.run)
    candidates = [Path(metadata[RUN_FOLDER_KEY])] if isinstance(metadata.get(RUN_FOLDER_KEY), str) else []
    candidates.append(RUNS_DIR / str(metadata.get("run", LATEST)))
    reasons = []
    for folder in candidates:
        try:
            return load_run(folder)
        except UserError as error:
            reasons.append(str(error))
    notes.append(f"no Keras row and no agreement column: {'; '.join(reasons)}; pass --run RUN_FOLDER to add them")
    return None
