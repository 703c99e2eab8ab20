"""Smoothing chosen by leaving each training group out: never from the held-out gyms."""

import json

import pytest

from gymnos_edge.common.contract import REST_LABEL
from gymnos_edge.common.errors import UserError
from gymnos_edge.data.manifest import load_manifest
from gymnos_edge.data.demo import DemoConfig, make_demo_data
from gymnos_edge.evaluation.evaluate import REP_TUNING_GRID, TUNING_GRID
from gymnos_edge.evaluation.group_tuning import (
    MOTION_WINDOW_FILE,
    TUNING_FILE,
    choose_motion_window,
    tune_smoothing_by_groups,
)
from gymnos_edge.features.keypoints import MOTION_WINDOWS
from gymnos_edge.sets.smoothing import SmoothingParams
from gymnos_edge.training.run_folder import load_run
from gymnos_edge.training.train import train
from helpers import tiny_train_config


def test_one_training_group_is_refused_with_what_to_do(demo_manifest, tmp_path):
    config = tiny_train_config(demo_manifest, tmp_path)
    run = train(config).run
    assert len(run.metadata.splits["train"]["groups"]) == 1  # the tiny demo's split trains on one gym of two
    with pytest.raises(UserError, match="--tune-smoothing holds each training group out.*has 1 group") as error:
        tune_smoothing_by_groups(config, run)
    assert f"{run.folder} stays as trained" in str(error.value)  # trained already: the user learns what is left
    with pytest.raises(UserError, match="--motion-window .* needs --backbone pose"):  # an image run has no motion
        choose_motion_window(config, run)


@pytest.mark.slow
def test_train_chooses_motion_window_and_smoothing_on_the_training_gyms_alone(tmp_path, pose_files, monkeypatch):
    from typer.testing import CliRunner

    from gymnos_edge.cli.app import app

    manifest = make_demo_data(tmp_path / "demo", DemoConfig(seed=5, videos_per_gym=1, gyms=3, reps_per_set=(2, 2),
                                                            rest_s=(1.0, 1.5)))  # fmt: skip
    monkeypatch.setenv("GYMNOS_EDGE_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "runs" / "pose"
    args = ["train", str(manifest), "--backbone", "pose", "--epochs", "3", "--every", "0.5", "--image-size", "320",
            "--pose-model", str(pose_files.detector.parent), "--out", str(out), "--tune-smoothing",
            "--motion-window", "auto"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "Smoothing chosen on 2 held-out training groups" in result.output
    assert "Motion window chosen on 2 held-out training groups" in result.output
    run = load_run(out)
    window = json.loads((run.report_folder / MOTION_WINDOW_FILE).read_text())
    scores = {float(tau): value for tau, value in window["balanced_accuracy"].items()}
    assert sorted(scores) == sorted(MOTION_WINDOWS) and all(0 <= value <= 1 for value in scores.values())
    assert window["motion_window_s"] == run.metadata.motion_tau_s  # the run was trained with what was chosen
    assert scores[run.metadata.motion_tau_s] == max(scores.values())
    assert window["groups"] == sorted(run.metadata.splits["train"]["groups"])
    report = json.loads((run.report_folder / TUNING_FILE).read_text())
    assert report["groups"] == sorted(run.metadata.splits["train"]["groups"])
    assert not set(report["groups"]) & set(run.metadata.splits["val"]["groups"])  # the held-out gym chose nothing
    tuned = run.metadata.smoothing_params
    assert tuned.to_dict() == report["params"]
    for key in ("mean_detection_delay_s", "mean_detection_delay_s_before"):  # None when no set was shown
        assert report[key] is None or report[key] >= 0
    assert "sets shown after" in " ".join(result.output.split())  # the output wraps at the terminal width
    for name, values in TUNING_GRID.items():
        assert getattr(tuned, name) in values
    # the rep counter, chosen on the same folds: every training set the demo drew has its count
    training = [s for s in load_manifest(manifest).spans
                if s.group in report["groups"] and s.label != REST_LABEL]  # fmt: skip
    assert report["rep_sets"] == len(training) > 0
    assert report["rep_mae"] <= report["rep_mae_counter_before"]  # the run's counter is kept unless beaten
    assert "Rep counter chosen on the same folds' " in " ".join(result.output.split())
    untouched = SmoothingParams()
    for name, values in REP_TUNING_GRID.items():
        assert getattr(tuned, name) in (*values, getattr(untouched, name))
