"""benchmarks/real_clips.py end to end on tiny demo data (pose only: the VGG16 path is the one `train` tests)."""

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))


@pytest.mark.slow
def test_leave_one_group_out_scores_every_group(demo_manifest, pose_files, tmp_path):
    import real_clips

    out = tmp_path / "result.json"
    real_clips.main([str(demo_manifest), "--heads", "pose:linear", "--every", "0.5", "--speed-frames", "8",
                     "--cache", str(tmp_path / "cache"), "--pose-model", str(pose_files.detector.parent),
                     "--out", str(out)])  # fmt: skip
    result = json.loads(out.read_text())
    (scores,) = result["results"]
    assert scores["key"] == "pose:linear" and set(scores["per_group"]) == {"gym_a", "gym_b"}
    assert 0 <= scores["balanced_accuracy"] <= 1 and scores["clips"] >= 4
    assert result["fps"]["pose"] > 0
