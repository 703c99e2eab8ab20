"""The BlazePose model files: taken once from the mediapipe wheel on PyPI, checked by sha256, cached.

The pose path needs two .tflite files that MediaPipe publishes under Apache-2.0
(docs/pose.md): the person detector and the full landmark model. The only place
they are still distributed is inside the mediapipe wheels (0.10.30 and later
ship none), so on first use the pinned wheel is downloaded with `pip download`
(the user's own index and proxy settings apply), the two files are read out of
it with zipfile and checked against their sha256, and the wheel is thrown away.
Nothing of mediapipe is installed or imported.

    $GYMNOS_EDGE_CACHE/pose/  (default ~/.cache/gymnos-edge/pose/)
        pose_detection.tflite, pose_landmark_full.tflite, LICENSE.mediapipe

`--pose-model DIR` uses files the user already has instead (same names).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from gymnos_edge.common.atomic import write_bytes
from gymnos_edge.common.errors import UserError

MEDIAPIPE_VERSION = "0.10.14"
# One fixed wheel, whatever the machine: every wheel of a version carries the same model files.
WHEEL_PLATFORM = ("--python-version", "3.11", "--platform", "manylinux_2_17_x86_64")
DETECTOR_FILE = "pose_detection.tflite"
LANDMARK_FILE = "pose_landmark_full.tflite"
LICENSE_FILE = "LICENSE.mediapipe"


@dataclass(frozen=True)
class WheelMember:
    """A file inside the wheel and what it must hash to."""

    member: str
    name: str
    sha256: str | None  # None: kept for the record, not checked (the licence text)


WHEEL_MEMBERS = (
    WheelMember(
        "mediapipe/modules/pose_detection/pose_detection.tflite",
        DETECTOR_FILE,
        "9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c",
    ),
    WheelMember(
        "mediapipe/modules/pose_landmark/pose_landmark_full.tflite",
        LANDMARK_FILE,
        "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f",
    ),
    WheelMember(f"mediapipe-{MEDIAPIPE_VERSION}.dist-info/LICENSE", LICENSE_FILE, None),
)


@dataclass(frozen=True)
class PoseModelFiles:
    """The detector and landmark files one estimator runs, and where they came from."""

    detector: Path
    landmark: Path
    source: str

    def fingerprint(self) -> str:
        """A hash of both files' contents: the estimator's identity in cache keys and run metadata."""
        digest = hashlib.sha256()
        for path in (self.detector, self.landmark):
            digest.update(sha256_of(path).encode())
        return digest.hexdigest()[:16]


def default_pose_dir() -> Path:
    """`$GYMNOS_EDGE_CACHE/pose`, else `~/.cache/gymnos-edge/pose` (beside the feature cache)."""
    return Path(os.environ.get("GYMNOS_EDGE_CACHE", Path.home() / ".cache" / "gymnos-edge")) / "pose"


def sha256_of(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def pose_model_files(folder: Path | str | None = None) -> PoseModelFiles:
    """The model files in `folder` (`--pose-model DIR`), else the cached ones, downloading them once."""
    if folder is not None:
        folder = Path(folder)
        missing = [name for name in (DETECTOR_FILE, LANDMARK_FILE) if not (folder / name).is_file()]
        if missing:
            raise UserError(
                f"{folder}: no {' or '.join(missing)} there; --pose-model takes a folder holding "
                f"{DETECTOR_FILE} and {LANDMARK_FILE} (from the mediapipe {MEDIAPIPE_VERSION} wheel)"
            )
        return PoseModelFiles(folder / DETECTOR_FILE, folder / LANDMARK_FILE, f"local folder {folder}")
    cache = default_pose_dir()
    if not _cached(cache):
        download_pose_models(cache)
    return PoseModelFiles(cache / DETECTOR_FILE, cache / LANDMARK_FILE, f"mediapipe {MEDIAPIPE_VERSION} wheel (PyPI)")


def _cached(folder: Path) -> bool:
    return all(
        (folder / m.name).is_file() and (m.sha256 is None or sha256_of(folder / m.name) == m.sha256)
        for m in WHEEL_MEMBERS
    )


def download_pose_models(folder: Path | str) -> Path:
    """Fetch the pinned mediapipe wheel from PyPI and write the checked model files into `folder`."""
    folder = Path(folder)
    with tempfile.TemporaryDirectory(prefix="gymnos-edge-wheel-") as temporary:
        command = [
            sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", *WHEEL_PLATFORM,
            "--retries", "1", "--timeout", "20", "--disable-pip-version-check", "--quiet",
            f"mediapipe=={MEDIAPIPE_VERSION}", "--dest", temporary,
        ]  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True)
        wheels = sorted(Path(temporary).glob("mediapipe-*.whl"))
        if result.returncode != 0 or not wheels:
            reason = _last_line(result.stderr) or f"pip exited with status {result.returncode}"
            raise UserError(
                f"could not download the pose models (the mediapipe {MEDIAPIPE_VERSION} wheel from PyPI: {reason}); "
                f"with internet access run the command again, or pass --pose-model DIR holding {DETECTOR_FILE} "
                f"and {LANDMARK_FILE}"
            )
        extract_pose_models(wheels[0], folder)
    return folder


def extract_pose_models(wheel: Path | str, folder: Path | str) -> Path:
    """Write the model files (and the licence) out of a mediapipe wheel, refusing any that hash wrong."""
    folder = Path(folder)
    try:
        with zipfile.ZipFile(wheel) as archive:
            contents = {m.name: archive.read(m.member) for m in WHEEL_MEMBERS}
    except (zipfile.BadZipFile, KeyError) as error:
        raise UserError(f"{wheel}: not a mediapipe {MEDIAPIPE_VERSION} wheel with the pose models ({error})") from None
    for m in WHEEL_MEMBERS:
        if m.sha256 is not None and hashlib.sha256(contents[m.name]).hexdigest() != m.sha256:
            raise UserError(f"{wheel}: {m.member} does not have the expected sha256; the download is corrupt or altered")
    for name, data in contents.items():
        write_bytes(folder / name, data)
    return folder


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:200] if lines else ""


def main() -> None:
    """`python -m gymnos_edge.features.pose_models`: fetch the files into the cache (CI, Makefile)."""
    try:
        files = pose_model_files()
    except UserError as error:
        sys.stderr.write(f"error: {error}\n")
        raise SystemExit(1) from None
    sys.stdout.write(f"{files.detector.parent}: {DETECTOR_FILE}, {LANDMARK_FILE} (fingerprint {files.fingerprint()})\n")


if __name__ == "__main__":
    main()
