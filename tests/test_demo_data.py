import hashlib

import pandas as pd
import pytest

from gymnos_edge.data.demo import DemoConfig, make_demo_data
from gymnos_edge.data.manifest import require_valid
from gymnos_edge.data.video import probe_video


def _digest(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_demo_data_is_deterministic_per_seed(tmp_path):
    config = DemoConfig(seed=7, videos_per_gym=1, gyms=2, reps_per_set=(1, 1), rest_s=(0.5, 0.5))
    first = _digest(make_demo_data(tmp_path / "a", config).parent)
    again = _digest(make_demo_data(tmp_path / "b", config).parent)
    other = _digest(make_demo_data(tmp_path / "c", DemoConfig(**{**config.__dict__, "seed": 8})).parent)
    assert first == again
    assert first != other


def test_demo_manifest_is_valid_with_groups_and_rotated_videos(demo_manifest):
    check = require_valid(demo_manifest)
    rows = pd.read_csv(demo_manifest)
    assert set(rows["group"]) == {"gym_a", "gym_b"}
    assert set(rows["label"]) == {"squat", "overhead_press"}
    rotations = {probe_video(v).rotation for v in check.manifest.videos}
    assert rotations == {0, 90}  # some stored as an upright iPhone stores them
    assert all(probe_video(v).height > probe_video(v).width for v in check.manifest.videos)
    assert rows.groupby("video").size().max() >= 2  # some videos hold several sets


def test_demo_manifest_gives_the_true_reps_of_every_set(demo_manifest):
    spans = require_valid(demo_manifest).manifest.spans
    sets = [s for s in spans if s.label != "rest"]
    assert sets and all(s.reps == 2 for s in sets)  # the fixture draws two reps a set
    assert all(s.reps is None for s in spans if s.label == "rest")
    assert "reps" in pd.read_csv(demo_manifest).columns


def test_every_figure_stands_out_from_its_gym_wall():
    """Arms of the wall's brightness make the pose detector miss the whole figure (measured: 24 % of
    a press's joints seen on a brown skin before a brick wall, 100 % with a contrasting one)."""
    import numpy as np

    from gymnos_edge.data.demo import _MIN_CONTRAST, _draw_look, _luminance, wall_luminance

    for gym in range(3):
        wall = wall_luminance(gym)
        for seed in range(20):
            look = _draw_look(np.random.default_rng(seed), gym)
            assert abs(_luminance(look.skin) - wall) >= _MIN_CONTRAST
