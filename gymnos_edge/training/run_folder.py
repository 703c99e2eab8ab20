"""Run folders: a trained model plus the metadata every later command reads.

    runs/NAME/model.keras      VGG16: the full classifier (preprocessing → backbone → head);
                               pose: the head on pose features (the estimator and the features
                               are fixed code, described in metadata.json's `pose`)
    runs/NAME/metadata.json    labels, input size, resize policy, preprocessing, sampling,
                               smoothing, weights, splits, metrics, package version
    runs/NAME/report/          metrics.json, confusion.png, curves.png
    runs/latest                a link to the newest run
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from gymnos_edge import __version__
from gymnos_edge.common.contract import DEFAULT_RUN, LATEST, METADATA_FILE, REST_LABEL, Backbone
from gymnos_edge.common.atomic import atomic_path, write_json
from gymnos_edge.common.errors import UserError
from gymnos_edge.common.jsonfile import check_fields, read_json
from gymnos_edge.data.sampler import FRAMES_MIRRORED, SamplingConfig
from gymnos_edge.features.keypoints import MOTION_TAU_S, NORMALISATION
from gymnos_edge.sets.smoothing import SmoothingParams

MODEL_FILE = "model.keras"


@dataclass(frozen=True)
class RunMetadata:
    """Everything needed to use a trained model correctly; the one source of truth for it."""

    name: str
    labels: tuple[str, ...]
    image_size: int
    resize: str
    every_s: float
    preprocessing: str
    head: str
    weights: str
    weights_fingerprint: str
    smoothing: dict[str, float]
    manifest: str = ""
    rest_class: bool = False  # runs written before the rest class existed had none
    backbone: str = "vgg16"  # runs written before the pose backbone existed were all VGG16
    pose: dict[str, Any] = field(default_factory=dict)  # pose runs: estimator, its settings, joints, features
    splits: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    package_version: str = __version__
    created: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    mirrored: bool = FRAMES_MIRRORED  # the frames the model saw; older runs, without the key, saw the same

    @property
    def n_outputs(self) -> int:
        """Width of the probability vector: the exercises, plus the trained rest class last."""
        return len(self.output_names)

    @property
    def output_names(self) -> tuple[str, ...]:
        """The name of each probability the model outputs, in order."""
        return self.labels + ((REST_LABEL,) if self.rest_class else ())

    @property
    def is_pose(self) -> bool:
        return self.backbone == Backbone.pose.value

    @property
    def motion_tau_s(self) -> float:
        """A pose run's motion time constant (runs that do not say were made with the default)."""
        return float(self.pose.get("motion_tau_s", MOTION_TAU_S))

    @property
    def sampling(self) -> SamplingConfig:
        return SamplingConfig(every_s=self.every_s, image_size=self.image_size, resize=self.resize)

    @property
    def smoothing_params(self) -> SmoothingParams:
        return SmoothingParams.from_dict(self.smoothing)

    def with_smoothing(self, params: SmoothingParams) -> "RunMetadata":
        return replace(self, smoothing=params.to_dict())

    def to_dict(self) -> dict[str, Any]:
        values = asdict(self)
        values["labels"] = list(self.labels)
        return values

    @classmethod
    def from_dict(cls, values: dict[str, Any], source: str = "metadata") -> "RunMetadata":
        known = set(cls.__dataclass_fields__)
        missing = [name for name, f in cls.__dataclass_fields__.items() if name not in values and _required(f)]
        if missing:
            raise UserError(f"{source}: missing field(s) {', '.join(missing)}; was it written by gymnos-edge train?")
        check_fields(values, _FIELD_KINDS, source)
        clean = {k: v for k, v in values.items() if k in known}
        clean["labels"] = tuple(clean["labels"])
        metadata = cls(**clean)
        for fields, rules in (("'every_s', 'image_size', 'resize'", lambda: metadata.sampling),
                              ("'smoothing'", lambda: metadata.smoothing_params)):  # fmt: skip
            try:  # values with rules beyond their type
                rules()
            except (UserError, ValueError) as error:
                raise UserError(
                    f"{source}: field(s) {fields}: {error}; the file was edited or damaged: restore it, or train again"
                ) from None
        return metadata


_FIELD_KINDS = {
    "name": "text",
    "labels": "a non-empty list of text",
    "image_size": "an integer",
    "resize": "text",
    "every_s": "a number",
    "preprocessing": "text",
    "head": "text",
    "weights": "text",
    "weights_fingerprint": "text",
    "smoothing": "an object",
    "manifest": "text",
    "splits": "an object",
    "metrics": "an object",
    "package_version": "text",
    "created": "text",
    "mirrored": "true or false",
    "rest_class": "true or false",
}


def _required(f) -> bool:
    from dataclasses import MISSING

    return f.default is MISSING and f.default_factory is MISSING


@dataclass(frozen=True)
class Run:
    folder: Path
    metadata: RunMetadata

    @property
    def model_path(self) -> Path:
        return self.folder / MODEL_FILE

    @property
    def report_folder(self) -> Path:
        return self.folder / "report"

    def load_model(self):
        from gymnos_edge.training.classifier import load_classifier

        return load_classifier(self.model_path)

    def save_metadata(self, metadata: RunMetadata) -> "Run":
        write_json(self.folder / METADATA_FILE, metadata.to_dict())
        return Run(self.folder, metadata)


def load_run(folder: Path | str = DEFAULT_RUN) -> Run:
    """Open a run folder (default `runs/latest`), checking that it is complete."""
    folder = Path(folder)
    if folder.is_file() and folder.name == MODEL_FILE:
        folder = folder.parent
    if not folder.is_dir():
        hint = "train one first with `gymnos-edge train MANIFEST`" if folder.name == LATEST else "check the path"
        raise UserError(f"{folder}: no such run folder; {hint}")
    meta_path = folder / METADATA_FILE
    if not meta_path.is_file():
        raise UserError(f"{folder}: no {METADATA_FILE} in this folder; it is not a gymnos-edge run")
    values = read_json(meta_path)
    if not isinstance(values, dict):
        raise UserError(f"{meta_path}: expected a JSON object")
    run = Run(folder.resolve(), RunMetadata.from_dict(values, str(meta_path)))
    if not run.model_path.is_file():
        raise UserError(f"{folder}: {MODEL_FILE} is missing; the run is incomplete, train it again")
    if run.metadata.is_pose and run.metadata.preprocessing != NORMALISATION:
        raise UserError(
            f"{meta_path}: this pose model learnt from other pose features than this version computes "
            f"({run.metadata.preprocessing!r}); train it again"
        )
    return run


def save_run(folder: Path | str, model, metadata: RunMetadata, extra_files: dict[str, Any] | None = None) -> Run:
    """Write a whole run folder atomically, then point `runs/latest` (its sibling) at it."""
    folder = Path(folder)
    with atomic_path(folder, directory=True) as temporary:
        model.save(temporary / MODEL_FILE)
        write_json(temporary / METADATA_FILE, metadata.to_dict())
        for relative, writer in (extra_files or {}).items():
            writer(temporary / relative)
    _point_latest(folder)
    return Run(folder.resolve(), metadata)


def _point_latest(folder: Path) -> None:
    link = folder.parent / LATEST
    if link.exists() and not link.is_symlink():
        return  # a real folder named "latest": leave the user's data alone
    temporary = folder.parent / f".{LATEST}.tmp-{os.getpid()}"
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(folder.name)
    os.replace(temporary, link)
