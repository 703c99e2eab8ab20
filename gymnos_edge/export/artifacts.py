"""What an export folder holds besides the models, and the metadata every consumer reads.

    export/<run>/model_<quantization>.tflite   one per TFLite variant
    export/<run>/GymnosEdge.mlpackage          Core ML
    export/<run>/labels.txt                    one label per line, index order
    export/<run>/metadata.json                 the one source of truth for the app and the benchmark
    export/<run>/export_report.json            how each model was made and how it validated

`metadata.json` is what the iPhone app decodes (`ModelMetadata.swift`); each
.tflite also embeds a copy of its part, so a lone file still describes itself.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from gymnos_edge import __version__
from gymnos_edge.common.atomic import write_json, write_text
from gymnos_edge.export.formats import ExportFormat
from gymnos_edge.export.wrapper import pose_state_size
from gymnos_edge.features.keypoints import MOTION_STATE, motion_initial_state
from gymnos_edge.training.run_folder import RunMetadata
from gymnos_edge.common.contract import (
    KEYPOINT_UNITS,
    KEYPOINTS,
    EXPORT_REPORT_FILE as REPORT_FILE,
    IMAGE,
    LABEL,
    LABELS_FILE,
    METADATA_FILE,
    NEXT_STATE,
    PROBS,
    REST_LABEL,
    SMOOTHED,
    STATE,
)
from gymnos_edge.sets.smoothing import initial_state, state_fields, state_size

RUN_FOLDER_KEY = "run_folder"

KEYPOINTS_INPUT = (
    "float32 (1, 17, 3): per joint of `joints`, x and y in frame heights (`keypoint_units`: pixel x and y both "
    "divided by the camera frame's height, so x runs 0..width/height; origin top-left, y down; "
    "left/right = the person's own sides) and a confidence in 0..1; a joint not found is (0, 0, 0). The "
    "normalisation (hip-centred, torso-scaled) and the motion features are inside the graph"
)
IMAGE_INPUT = {
    "tflite": "float32 (1, S, S, 3), RGB 0..255; the Caffe preprocessing is inside the graph",
    "coreml": "image S×S (any pixel format); Core ML feeds it as BGR and subtracts the Caffe mean itself",
}


@dataclass(frozen=True)
class ExportedModel:
    """One file of an export, as listed in metadata.json's `models`."""

    format: str
    runtime: str
    file: str
    size_bytes: int
    quantization: str
    conversion_s: float
    validation: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def base_metadata(run: RunMetadata) -> dict[str, Any]:
    """Everything a consumer needs to feed a model and read its outputs, shared by every format."""
    n = run.n_outputs
    params = run.smoothing_params
    if run.is_pose:
        return _pose_metadata(run)
    return {
        "backbone": run.backbone,
        "input": IMAGE,
        "labels": list(run.labels),
        "rest_label": REST_LABEL,
        "rest_class": run.rest_class,
        "image_size": run.image_size,
        "resize": run.sampling.resize.value,
        "preprocessing": run.preprocessing,
        "mirrored": run.mirrored,
        "image_input": IMAGE_INPUT,
        "every_s": params.every_s,
        "state_size": state_size(n),
        "initial_state": initial_state(n, run.rest_class).tolist(),
        "state_fields": state_fields(n),  # where next_state holds the shown label, the live rep count, …
        "smoothing": params.to_dict(),
        "smoothing_derived": params.derived(),
        "inputs": {"image": IMAGE, "state": STATE},
        "outputs": {"probs": PROBS, "smoothed": SMOOTHED, "label": LABEL, "next_state": NEXT_STATE},
        "run": run.name,
        "package_version": __version__,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def _pose_metadata(run: RunMetadata) -> dict[str, Any]:
    """A pose model's metadata: keypoints in, the set tracker's state followed by the motion's."""
    n = run.n_outputs
    params = run.smoothing_params
    tracker = initial_state(n, run.rest_class)
    return {
        "backbone": run.backbone,
        "input": KEYPOINTS,
        "labels": list(run.labels),
        "rest_label": REST_LABEL,
        "rest_class": run.rest_class,
        "joints": list(run.pose["joints"]),
        "keypoints_input": KEYPOINTS_INPUT,
        "keypoint_units": KEYPOINT_UNITS,
        "image_size": run.image_size,
        "resize": run.sampling.resize.value,
        "preprocessing": run.preprocessing,
        "every_s": params.every_s,
        "state_size": pose_state_size(n),
        "state_layout": {"set_tracker": len(tracker), "motion": MOTION_STATE},
        "initial_state": tracker.tolist() + motion_initial_state().tolist(),
        "smoothing": params.to_dict(),
        "smoothing_derived": params.derived(),
        "pose": run.pose,
        "inputs": {"keypoints": KEYPOINTS, "state": STATE},
        "outputs": {"probs": PROBS, "smoothed": SMOOTHED, "label": LABEL, "next_state": NEXT_STATE},
        "run": run.name,
        "package_version": __version__,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def model_metadata(base: dict[str, Any], fmt: ExportFormat) -> dict[str, Any]:
    """The metadata embedded in one model file: the shared part plus what that file is."""
    return {**base, "format": fmt.key, "quantization": fmt.quantization, "model_file": fmt.file}


def export_metadata(base: dict[str, Any], models: list[ExportedModel], run_folder: Path) -> dict[str, Any]:
    """metadata.json: `model_file` names the Core ML package when there is one (what the app loads).

    `run_folder` is the trained run's absolute path, so `bench` finds its Keras reference even
    when the export folder has been copied elsewhere.
    """
    coreml = [m.file for m in models if m.runtime == "coreml"]
    return {**base, "model_file": (coreml or [m.file for m in models])[0], "models": [m.to_dict() for m in models],
            RUN_FOLDER_KEY: str(Path(run_folder).resolve())}  # fmt: skip


def write_artifacts(folder: Path, metadata: dict[str, Any], report: dict[str, Any]) -> None:
    write_text(folder / LABELS_FILE, "".join(f"{label}\n" for label in metadata["labels"]))
    write_json(folder / METADATA_FILE, metadata)
    write_json(folder / REPORT_FILE, report)


def size_of(path: Path) -> int:
    """Bytes of a file, or of every file in a package folder."""
    if path.is_dir():
        return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    return path.stat().st_size
