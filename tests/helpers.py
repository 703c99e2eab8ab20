"""Builders the tests share: tiny frames, videos, runs, models and configs, and the CLI in its own process.

Fixtures stay in conftest.py; what a test imports by name lives here. Ray workers import this
module too (the Ray tests put this folder on their path), so the builders import the heavy
libraries they need when they run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np

from gymnos_edge.sets.smoothing import SmoothingParams

if TYPE_CHECKING:
    import keras

REPO = Path(__file__).resolve().parents[1]
LABELS = ("overhead_press", "squat")
TINY_SIZE = 32  # pixels: the input of every tiny model, trained or not


# ---------------------------------------------------------------- frames and files


def marker_frames(count: int, height: int = 96, width: int = 64) -> list[np.ndarray]:
    """Frames with a red block top-left and a green block bottom-right: any rotation shows."""
    frame = np.full((height, width, 3), 50, np.uint8)
    frame[: height // 4, : width // 3] = (255, 0, 0)
    frame[-height // 6 :, -width // 4 :] = (0, 255, 0)
    return [frame] * count


def random_images(count: int, size: int = TINY_SIZE, seed: int = 0) -> np.ndarray:
    """(count, size, size, 3) uint8 noise: model inputs, calibration frames."""
    return np.random.default_rng(seed).integers(0, 256, (count, size, size, 3), dtype=np.uint8)


def make_variable_rate_video(source: Path, target: Path, rates: tuple[int, int] = (30, 10)) -> Path:
    """Re-time a clip: `rates[0]` fps for the first second, `rates[1]` after, as phones do when the light changes."""
    import imageio_ffmpeg

    first, then = rates
    command = [
        imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-i", str(source),
        "-vf", f"setpts='if(lt(N,{first}),N/{first},1+(N-{first})/{then})/TB'", "-fps_mode", "vfr",
        "-c:v", "libx264", "-crf", "30", str(target),
    ]  # fmt: skip
    subprocess.run(command, check=True)
    return target


def write_manifest(folder: Path, text: str, name: str = "manifest.csv") -> Path:
    path = folder / name
    path.write_text(text)
    return path


# ---------------------------------------------------------------- runs and models


def make_untrained_run(
    folder: Path, image_size: int = TINY_SIZE, head: str = "gap", manifest: Path | str = "", every_s: float = 0.2,
    labels: tuple[str, ...] = LABELS,
):  # fmt: skip
    """A complete run folder around an untrained model (random backbone): what export and bench need."""
    from gymnos_edge.training.classifier import PREPROCESSING, ModelSpec, build_model, weights_fingerprint
    from gymnos_edge.training.run_folder import RunMetadata, save_run

    spec = ModelSpec(labels=labels, image_size=image_size, head=head, weights="none")
    model = build_model(spec)
    metadata = RunMetadata(
        name=folder.name, labels=spec.labels, image_size=image_size, resize="squash", every_s=every_s,
        preprocessing=PREPROCESSING, head=head, weights="none",
        weights_fingerprint=weights_fingerprint(model.get_layer("backbone")),
        smoothing=SmoothingParams(every_s=every_s).to_dict(), manifest=str(manifest),
    )  # fmt: skip
    return save_run(folder, model, metadata)


def tiny_train_config(manifest: Path, folder: Path, epochs: int = 2):
    """Real training, kept tiny: 32 px, a frame every 0.5 s, random backbone, cache under `folder`."""
    from gymnos_edge.data.sampler import SamplingConfig
    from gymnos_edge.training.train import TrainConfig

    return TrainConfig(
        manifest=manifest,
        out=folder / "runs" / "tiny",
        weights="none",
        epochs=epochs,
        sampling=SamplingConfig(every_s=0.5, image_size=TINY_SIZE),
        cache_dir=folder / "cache",
    )


def stub_classifier(n_classes: int, size: int = TINY_SIZE) -> keras.Model:
    """Pixels → Caffe preprocessing → pooled colour → softmax: a classifier in seconds, not minutes."""
    import keras

    from gymnos_edge.training.classifier import CaffePreprocessing

    keras.utils.set_random_seed(0)
    image = keras.Input((size, size, 3), name="image")
    pooled = keras.layers.GlobalAveragePooling2D()(CaffePreprocessing(name="preprocessing")(image))
    probs = keras.layers.Dense(n_classes, activation="softmax", kernel_initializer="random_normal")(pooled)
    return keras.Model(image, probs, name="classifier")


def stub_metadata(
    labels=LABELS, params: SmoothingParams = SmoothingParams(), quantization: str = "fp32", rest_class: bool = False
) -> dict:
    from gymnos_edge.export.artifacts import base_metadata, model_metadata
    from gymnos_edge.export.formats import tflite_format
    from gymnos_edge.training.classifier import PREPROCESSING
    from gymnos_edge.training.run_folder import RunMetadata

    run = RunMetadata(
        name="stub", labels=tuple(labels), image_size=TINY_SIZE, resize="crop", every_s=params.every_s,
        preprocessing=PREPROCESSING, head="gap", weights="none", weights_fingerprint="-", smoothing=params.to_dict(),
        rest_class=rest_class,
    )  # fmt: skip
    return model_metadata(base_metadata(run), tflite_format(quantization))


# ---------------------------------------------------------------- the command line


def run_cli(*args: str, cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess:
    """The real command in its own process, with output that must encode strictly as UTF-8."""
    environment = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONIOENCODING": "utf-8:strict", **env}
    command = [sys.executable, "-m", "gymnos_edge", *args]
    return subprocess.run(command, capture_output=True, text=True, errors="replace", env=environment, cwd=cwd,
                          timeout=300)  # fmt: skip


# ---------------------------------------------------------------- Ray workers that fail on purpose


@dataclass(frozen=True)
class DiesOnce:
    """A backbone factory whose worker kills its own process at its second batch, once in the whole run.

    The marker file, created exclusively, makes exactly one worker die, so the
    restarted one (or any other) runs on.
    """

    factory: Callable[[int], Callable[[np.ndarray], np.ndarray]]
    marker: str

    def __call__(self, threads: int) -> Callable[[np.ndarray], np.ndarray]:
        features_of = self.factory(threads)
        calls = []

        def features(batch: np.ndarray) -> np.ndarray:
            calls.append(len(batch))
            if len(calls) == 2 and _claim(self.marker):
                os.kill(os.getpid(), signal.SIGKILL)
            return features_of(batch)

        return features


@dataclass(frozen=True)
class StallsAfter:
    """A backbone factory whose worker hangs after `batches` batches: its driver is killed while it waits."""

    factory: Callable[[int], Callable[[np.ndarray], np.ndarray]]
    batches: int

    def __call__(self, threads: int) -> Callable[[np.ndarray], np.ndarray]:
        features_of = self.factory(threads)
        calls = []

        def features(batch: np.ndarray) -> np.ndarray:
            calls.append(len(batch))
            if len(calls) > self.batches:
                time.sleep(600)
            return features_of(batch)

        return features


def _claim(marker: str) -> bool:
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    Path(marker).write_text(str(os.getpid()))
    return True
