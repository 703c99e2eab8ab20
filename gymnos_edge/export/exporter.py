"""`export_run`: a trained run in, a validated export folder out, all or nothing.

Every file is written into a temporary sibling of the output folder, each model
is loaded back and validated there, and only then is the folder renamed into
place; a failed conversion or validation leaves nothing behind.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from gymnos_edge import __version__
from gymnos_edge.common.atomic import atomic_path, require_replaceable, require_writable_folder
from gymnos_edge.common.errors import UserError
from gymnos_edge.export.artifacts import (
    METADATA_FILE,
    ExportedModel,
    base_metadata,
    export_metadata,
    model_metadata,
    size_of,
    write_artifacts,
)
from gymnos_edge.export.coreml.convert import CoreMLCompression
from gymnos_edge.export.formats import ExportFormat, Runtime, coreml_format, tflite_format
from gymnos_edge.export.frames import manifest_frames, synthetic_frames, synthetic_keypoints
from gymnos_edge.export.validate import Reference, Validation, reference_vectors, validate_coreml, validate_tflite
from gymnos_edge.common.contract import DEFAULT_RUN, EXPORT_DIR, Quantization
from gymnos_edge.training.run_folder import Run, RunMetadata, load_run

_POSE_SEQUENCE = 36


@dataclass(frozen=True)
class ExportOptions:
    """What to export and how; the defaults are what `gymnos-edge export` does with no flags."""

    quantizations: tuple[Quantization, ...] = (Quantization.fp32,)
    coreml: bool = True
    out: Path | None = None
    calibration: Path | None = None  # manifest for int8 calibration; default the run's training manifest
    calibration_frames: int = 100
    validation_frames: int = 16
    validate: bool = True
    force: bool = False
    compression: CoreMLCompression = field(default_factory=CoreMLCompression)
    num_threads: int | None = None

    def __post_init__(self) -> None:
        quantizations = tuple(dict.fromkeys(Quantization(tflite_format(q).quantization) for q in self.quantizations))
        object.__setattr__(self, "quantizations", quantizations)
        if not quantizations and not self.coreml:
            raise UserError("nothing to export: choose --tflite and/or --coreml")
        if self.calibration_frames < 1 or self.validation_frames < 1:
            raise UserError("calibration and validation need at least one frame each")

    @property
    def formats(self) -> tuple[ExportFormat, ...]:
        return tuple(tflite_format(q) for q in self.quantizations) + ((coreml_format(),) if self.coreml else ())


@dataclass(frozen=True)
class ExportResult:
    folder: Path
    metadata: dict[str, Any]
    models: tuple[ExportedModel, ...]
    validations: tuple[Validation, ...]


class ExportValidationError(UserError):
    """An exported model strayed from the Keras model or the reference; nothing was written."""

    def __init__(self, validations: tuple[Validation, ...]):
        self.validations = validations
        failed = [f"{v.format}: " + "; ".join(c.detail for c in v.checks if not c.ok) for v in validations if not v.ok]
        super().__init__("export failed its self-validation, nothing was written:\n  " + "\n  ".join(failed))


def default_out(metadata: RunMetadata) -> Path:
    return EXPORT_DIR / metadata.name


def export_run(
    run: Path | str = DEFAULT_RUN,
    options: ExportOptions = ExportOptions(),
    progress: Callable[[str], None] = lambda message: None,
) -> ExportResult:
    """Convert, write and validate every format `options` asks for; raise UserError on any failure."""
    loaded = load_run(run)
    meta = loaded.metadata
    out = Path(options.out) if options.out is not None else default_out(meta)
    require_replaceable(out, options.force, METADATA_FILE, "export folder")
    require_writable_folder(out, "--out")
    formats = options.formats
    if meta.is_pose:
        _check_pose_formats(options)
        # A sequence long enough for the motion state to build up and for every synthetic case to occur.
        validation_frames = synthetic_keypoints(max(options.validation_frames, _POSE_SEQUENCE))
        calibration, frames_source, notes = None, "synthetic keypoint", ()
    else:
        calibration, validation_frames, frames_source, notes = _frames(loaded, options, formats, progress)
    progress("Loading the trained model")
    classifier = loaded.load_model()
    _check_model(classifier, meta)
    make_reference = _pose_reference if meta.is_pose else _reference
    reference = make_reference(classifier, meta, validation_frames, frames_source, notes) if options.validate else None
    base = base_metadata(meta)
    models: list[ExportedModel] = []
    validations: list[Validation] = []
    with atomic_path(out, directory=True) as folder:
        for fmt in formats:
            progress(f"Converting {fmt.key}")
            start = time.perf_counter()
            path = _convert(fmt, classifier, meta, base, folder, calibration, options)
            seconds = time.perf_counter() - start
            validation = None
            if reference is not None:
                progress(f"Validating {fmt.file}")
                validation = _validate(fmt, path, reference, base, options)
                validations.append(validation)
            models.append(
                ExportedModel(
                    format=fmt.key,
                    runtime=fmt.runtime.value,
                    file=fmt.file,
                    size_bytes=size_of(path),
                    quantization=_quantization_name(fmt, options),
                    conversion_s=round(seconds, 2),
                    validation=validation.to_dict() if validation else None,
                )
            )
        if any(not v.ok for v in validations):
            raise ExportValidationError(tuple(validations))
        metadata = export_metadata(base, models, loaded.folder)
        report = _report(loaded, out, options, models, calibration, frames_source, notes)
        write_artifacts(folder, metadata, report)
    return ExportResult(out, metadata, tuple(models), tuple(validations))


def _frames(
    run: Run, options: ExportOptions, formats: tuple[ExportFormat, ...], progress: Callable[[str], None]
) -> tuple[np.ndarray | None, np.ndarray, str, tuple[str, ...]]:
    """(calibration frames or None, validation frames, where they came from, notes)."""
    meta = run.metadata
    needs_calibration = any(fmt.needs_calibration for fmt in formats)
    manifest = options.calibration
    if manifest is not None and not Path(manifest).is_file():
        raise UserError(f"{manifest}: calibration manifest not found")
    if manifest is None and meta.manifest and Path(meta.manifest).is_file():
        manifest = Path(meta.manifest)
    if manifest is None:
        if needs_calibration:
            trained = f"the run's training manifest {meta.manifest} is not there" if meta.manifest else "the run names no manifest"
            raise UserError(f"int8 quantization calibrates on real frames, but {trained}; pass --calibration MANIFEST")
        return None, synthetic_frames(meta.image_size, options.validation_frames), "synthetic", ()
    count = options.calibration_frames if needs_calibration else options.validation_frames
    progress(f"Sampling {count} frames from {manifest}")
    try:
        frames = manifest_frames(manifest, meta.sampling, count)
    except UserError as error:
        if needs_calibration or options.calibration is not None:
            raise
        note = f"validated on synthetic frames: {manifest} could not be used ({str(error).splitlines()[0]})"
        return None, synthetic_frames(meta.image_size, options.validation_frames), "synthetic", (note,)
    picks = np.unique(np.linspace(0, len(frames) - 1, min(options.validation_frames, len(frames))).round().astype(int))
    return (frames if needs_calibration else None), frames[picks], f"{Path(manifest).name}", ()


def _check_pose_formats(options: ExportOptions) -> None:
    if Quantization.int8 in options.quantizations:
        raise UserError("a pose model's head is a few kB and reads keypoints, not pixels: int8 buys nothing; "
                        "export it with --quantize fp32, fp16 or dynamic")  # fmt: skip
    if options.compression.key != "fp16":
        raise UserError("a pose model's head is a few kB: Core ML weight compression buys nothing; drop "
                        "--palettize / --quantize-weights")  # fmt: skip


def _check_model(classifier, meta: RunMetadata) -> None:
    from gymnos_edge.export.wrapper import classes_of, image_size_of

    if meta.is_pose:
        from gymnos_edge.features.keypoints import HEAD_FEATURES

        if classes_of(classifier) != meta.n_outputs or int(classifier.input_shape[-1]) != HEAD_FEATURES:
            raise UserError(
                f"model.keras reads {classifier.input_shape[-1]} features into {classes_of(classifier)} classes, but "
                f"a pose run's head reads {HEAD_FEATURES} into {meta.n_outputs}; the run folder is inconsistent"
            )
        return
    if classes_of(classifier) != meta.n_outputs or image_size_of(classifier) != meta.image_size:
        raise UserError(
            f"model.keras takes {image_size_of(classifier)}px images into {classes_of(classifier)} classes, but the "
            f"run's metadata says {meta.image_size}px and {len(meta.labels)} labels; the run folder is inconsistent"
        )


def _reference(classifier, meta: RunMetadata, frames: np.ndarray, source: str, notes: tuple[str, ...]) -> Reference:
    probs = np.asarray(classifier.predict_on_batch(frames.astype(np.float32)), np.float32)
    params = meta.smoothing_params
    vectors, vector_notes = reference_vectors(meta.n_outputs, params, meta.rest_class)
    return Reference(frames, probs, params, vectors, source, notes + vector_notes, meta.rest_class)


def _pose_reference(head, meta: RunMetadata, keypoints: np.ndarray, source: str, notes: tuple[str, ...]) -> Reference:
    """The pose graph's reference: features, motion, head and rep signal in NumPy/Keras along the keypoint sequence."""
    from gymnos_edge.features.keypoints import motion_alpha, motion_initial_state, motion_sequence, pose_features

    features = pose_features(keypoints)
    inputs, final_motion = motion_sequence(features, motion_alpha(meta.every_s, meta.motion_tau_s))
    probs = np.asarray(head.predict_on_batch(inputs), np.float32)
    params = meta.smoothing_params
    vectors, vector_notes = reference_vectors(meta.n_outputs, params, meta.rest_class)
    return Reference(keypoints, probs, params, vectors, source, notes + vector_notes, meta.rest_class,
                     extra_state=motion_initial_state(), final_extra_state=final_motion, rep_features=features,
                     rep_weights=_rep_weights(meta))  # fmt: skip


def _rep_weights(meta: RunMetadata) -> np.ndarray | None:
    from gymnos_edge.features.rep_signal import rep_weights_of

    return rep_weights_of(meta.pose, meta.n_outputs, meta.name) if meta.is_pose else None


def _convert(
    fmt: ExportFormat,
    classifier,
    meta: RunMetadata,
    base: dict[str, Any],
    folder: Path,
    calibration: np.ndarray | None,
    options: ExportOptions,
) -> Path:
    path = folder / fmt.file
    if fmt.runtime is Runtime.tflite:
        from gymnos_edge.export.tflite.convert import convert_tflite

        data = convert_tflite(
            classifier, meta.smoothing_params, fmt.quantization, calibration, model_metadata(base, fmt), meta.rest_class,
            pose=meta.is_pose, rep_weights=_rep_weights(meta), motion_tau_s=meta.motion_tau_s,
        )
        path.write_bytes(data)
    else:
        from gymnos_edge.export.coreml.convert import convert_coreml, save_coreml

        mlmodel = convert_coreml(
            classifier, meta.smoothing_params, model_metadata(base, fmt), options.compression, meta.rest_class,
            pose=meta.is_pose, rep_weights=_rep_weights(meta), motion_tau_s=meta.motion_tau_s,
        )
        save_coreml(mlmodel, path)
    return path


def _validate(fmt: ExportFormat, path: Path, reference: Reference, base: dict[str, Any], options: ExportOptions) -> Validation:
    if fmt.runtime is Runtime.tflite:
        return validate_tflite(path, fmt, reference, options.num_threads)
    return validate_coreml(path, fmt, reference, model_metadata(base, fmt))


def _quantization_name(fmt: ExportFormat, options: ExportOptions) -> str:
    if fmt.runtime is Runtime.coreml:
        return options.compression.key
    return fmt.quantization


def _report(
    run: Run,
    out: Path,
    options: ExportOptions,
    models: list[ExportedModel],
    calibration: np.ndarray | None,
    frames_source: str,
    notes: tuple[str, ...],
) -> dict[str, Any]:
    return {
        "run": run.metadata.name,
        "run_folder": str(run.folder),
        "out": str(out),
        "package_version": __version__,
        "tools": _tool_versions(),
        "validated": options.validate,
        "validation_frames": frames_source,
        "calibration": None if calibration is None else {
            "manifest": str(options.calibration or run.metadata.manifest), "frames": int(len(calibration))
        },  # fmt: skip
        "models": [m.to_dict() for m in models],
        "notes": list(notes),
    }


def _tool_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in ("tensorflow", "tensorflow-cpu", "keras", "ai-edge-litert", "coremltools"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            continue
    return found
