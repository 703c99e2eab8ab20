"""`evaluate`: ground truth per frame, split selection, raw vs smoothed scores, tuning on val only."""

import itertools
import json
import re
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from gymnos_edge.cli.app import app
from gymnos_edge.evaluation.evaluate import (
    REP_TUNING_GRID,
    TUNING_GRID,
    VideoResult,
    predict_split,
    score,
    truth_at,
    tune_rep_counting,
    tune_smoothing,
    videos_of_split,
)
from gymnos_edge.inference.open_model import open_frame_model
from gymnos_edge.data.manifest import Manifest, ManifestCheck, Span, load_manifest, require_valid
from gymnos_edge.inference.predict import prediction_from_probs
from gymnos_edge.training.run_folder import load_run
from gymnos_edge.sets.smoothing import SmoothingParams
from gymnos_edge.training.train import train
from gymnos_edge.data.video import VideoInfo
from helpers import LABELS, tiny_train_config

runner = CliRunner()


@pytest.fixture(scope="module")
def trained_run(demo_manifest, tmp_path_factory):
    """A run trained for two epochs on the tiny demo data; tests that change it work on a copy."""
    folder = tmp_path_factory.mktemp("evaluate")
    return train(tiny_train_config(demo_manifest, folder)).run


def _copy_run(run, tmp_path: Path) -> Path:
    return Path(shutil.copytree(run.folder, tmp_path / "run"))


def _span(video: str, label: str, start=None, end=None, group=None, split=None) -> Span:
    return Span("line 2", Path(f"/v/{video}"), video, label, start, end, group, split)


def _with_split_column(manifest_path: Path, splits: dict[str, str], target: Path) -> Path:
    """The demo manifest with a split column (video file name → split), its videos by absolute path."""
    lines = manifest_path.read_text().splitlines()
    rows = [f"{lines[0]},split"]
    for line in lines[1:]:
        video, rest = line.split(",", 1)
        rows.append(f"{(manifest_path.parent / video).resolve()},{rest},{splits[Path(video).name]}")
    target.write_text("\n".join(rows) + "\n")
    return target


def test_truth_is_the_covering_span_else_rest():
    video = Path("/v/a.mp4")
    manifest = Manifest(Path("/v/m.csv"), (_span("a.mp4", "squat", 1.0, 2.0), _span("a.mp4", "overhead_press", 3.0)))
    check = ManifestCheck(manifest, (), {video: VideoInfo(video, 180, 320, 15.0, 75, 5.0, 0)})
    times = np.arange(0.0, 5.0, 0.5)  # 0, 0.5, …, 4.5
    truth = truth_at(times, check, video, list(LABELS))
    # rest (2) before 1 s; squat (1) on [1, 2): the end is excluded; rest; press (0) from 3 s to the video's end
    np.testing.assert_array_equal(truth, [2, 2, 1, 1, 2, 2, 0, 0, 0, 0])


def test_videos_of_split_follow_the_split_column_else_the_run(trained_run, demo_manifest):
    given = Manifest(
        Path("/v/m.csv"),
        (
            _span("a.mp4", "squat", split="train"),
            _span("b.mp4", "squat", split="val"),
            _span("b.mp4", "overhead_press", 5.0, 6.0, split="val"),
            _span("c.mp4", "squat", split="test"),
        ),
    )
    check = ManifestCheck(given, ())
    everything_in_val = {f"/v/{name}": "val" for name in ("a.mp4", "b.mp4", "c.mp4")}
    assert videos_of_split(check, "val", everything_in_val) == [Path("/v/b.mp4")]  # the column wins
    assert videos_of_split(check, "test", {}) == [Path("/v/c.mp4")]
    assert videos_of_split(check, "all", {}) == [Path(f"/v/{n}") for n in ("a.mp4", "b.mp4", "c.mp4")]

    demo = ManifestCheck(load_manifest(demo_manifest), ())
    assignment = trained_run.metadata.splits["assignment"]
    for split in ("train", "val"):
        videos = videos_of_split(demo, split, assignment)
        assert len(videos) == trained_run.metadata.splits[split]["videos"]
        assert all(assignment[str(v)] == split for v in videos)
    assert videos_of_split(demo, "test", assignment) == []


def test_evaluate_command_writes_raw_and_smoothed_scores(trained_run, demo_manifest, tmp_path):
    out = tmp_path / "evaluation.json"
    args = ["evaluate", str(demo_manifest), "--model", str(trained_run.folder), "--split", "val", "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "Split 'val': 2 videos" in result.output
    data = json.loads(out.read_text())
    assignment = trained_run.metadata.splits["assignment"]
    assert data["split"] == "val"
    assert sorted(data["videos"]) == sorted(v for v, s in assignment.items() if s == "val")
    for block in ("raw", "smoothed"):
        scores = data[block]
        assert {"accuracy", "F1@10", "F1@25", "F1@50", "edit", "flips_per_minute", "mean_detection_delay_s",
                "over_segmented", "under_segmented"} <= set(scores)  # fmt: skip
        assert scores["videos"] == len(data["videos"]) == len(scores["per_video"])
        assert [entry["video"] for entry in scores["per_video"]] == data["videos"]
        assert 0 <= scores["accuracy"] <= 100
    groups = {load_manifest(demo_manifest).spans_of(Path(v))[0].group for v in data["videos"]}
    assert set(data["per_group"]) == groups
    assert all(set(g) == {"raw", "smoothed"} for g in data["per_group"].values())


@pytest.mark.slow
def test_tune_picks_a_grid_point_from_val_only_and_leaves_test_alone(trained_run, demo_manifest, tmp_path):
    # A split column: val = gym_a, test = one gym_b video. Tuning must read val only, so the
    # result cannot depend on which video is the test one.
    names = sorted(p.name for p in load_manifest(demo_manifest).videos)
    gym_a, gym_b = [n for n in names if n.startswith("gym_a")], [n for n in names if n.startswith("gym_b")]
    tuned = []
    for test_video in gym_b:
        splits = {**{n: "val" for n in gym_a}, **{n: "train" if n != test_video else "test" for n in gym_b}}
        folder = tmp_path / test_video
        folder.mkdir()
        manifest = _with_split_column(demo_manifest, splits, folder / "manifest.csv")
        run_folder = _copy_run(trained_run, folder)
        args = ["evaluate", str(manifest), "--model", str(run_folder), "--split", "test", "--tune"]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        # The tiny model's scores often tie across the grid, so the sharper check is what was
        # predicted: the progress bar counts the val videos for tuning, then the one test video.
        predicted = int(re.search(r"Videos\D*(\d+)/\d+", result.output).group(1))
        assert predicted == len(gym_a) + 1
        params = load_run(run_folder).metadata.smoothing_params
        tuned.append(params)
        for name, values in TUNING_GRID.items():
            assert getattr(params, name) in values
        assert params.every_s == trained_run.metadata.every_s  # not a tuning knob: it is the sampling
        data = json.loads((run_folder / "report" / "evaluation_test.json").read_text())
        assert [Path(v).name for v in data["videos"]] == [test_video]

    assert tuned[0] == tuned[1]
    # the same choice, worked out here from the val videos alone
    model = open_frame_model(trained_run.folder)
    check = require_valid(manifest, expected_labels=model.labels)
    val = predict_split(check, model, "val", {})
    assert sorted(r.video.name for r in val) == gym_a
    assert tune_smoothing(val, model.smoothing)[0] == tuned[-1]
    # and the test scores are those of the tuned smoothing on the test video
    test = predict_split(check, model, "test", {})
    assert json.loads(json.dumps(score(test, "test", tuned[-1]).to_dict()["smoothed"])) == data["smoothed"]


def test_labels_unknown_to_the_model_are_a_clear_error(trained_run, demo_manifest, tmp_path):
    video = load_manifest(demo_manifest).videos[0]
    manifest = tmp_path / "m.csv"
    manifest.write_text(f"video,label,start,end\n{video},lunge,0,1\n{video},squat,2,3\n")
    result = runner.invoke(app, ["evaluate", str(manifest), "--model", str(trained_run.folder), "--split", "all"])
    assert result.exit_code == 1
    assert "'lunge' is not one of the model's labels" in result.output
    assert "Traceback" not in result.output


def test_without_a_test_split_evaluate_scores_val_like_bench(trained_run, demo_manifest, tmp_path):
    out = tmp_path / "scores.json"
    result = runner.invoke(app, ["evaluate", str(demo_manifest), "--model", str(trained_run.folder), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "scored split 'val'" in result.output
    assert json.loads(out.read_text())["split"] == "val"


def test_an_empty_split_is_a_clear_error(trained_run, demo_manifest, tmp_path):
    lines = demo_manifest.read_text().splitlines()
    only_train = tmp_path / "train_only.csv"
    only_train.write_text("\n".join([lines[0] + ",split"] + [line + ",train" for line in lines[1:]]) + "\n")
    for video in load_manifest(demo_manifest).videos:  # the copy's relative paths must still find the videos
        (tmp_path / "videos").mkdir(exist_ok=True)
        (tmp_path / "videos" / video.name).symlink_to(video)
    result = runner.invoke(app, ["evaluate", str(only_train), "--model", str(trained_run.folder)])
    assert result.exit_code == 1
    assert "no video in split 'val'" in result.output and "--split" in result.output


def test_tune_needs_a_run_folder(demo_manifest, tmp_path):
    exported = tmp_path / "model.tflite"
    exported.write_bytes(b"not read: refused before opening")
    result = runner.invoke(app, ["evaluate", str(demo_manifest), "--model", str(exported), "--tune"])
    assert result.exit_code == 1 and "run folder" in result.output
    result = runner.invoke(app, ["evaluate", str(demo_manifest), "--model", str(tmp_path / "nothing"), "--tune"])
    assert result.exit_code == 1 and "no such run folder" in result.output
    (tmp_path / "not_a_run").mkdir()
    result = runner.invoke(app, ["evaluate", str(demo_manifest), "--model", str(tmp_path / "not_a_run"), "--tune"])
    assert result.exit_code == 1 and "not a gymnos-edge run" in result.output


def test_smoothing_flips_far_less_than_raw_argmax_on_a_noisy_sequence():
    # 30 s squat, 10 s rest, 30 s press at 0.2 s; about one frame in seven leans the wrong way.
    rng = np.random.default_rng(0)
    truth = np.array([1] * 150 + [2] * 50 + [0] * 150)
    lean = rng.uniform(0.75, 1.0, truth.size)
    wrong = rng.random(truth.size) < 0.15
    squat = np.where(truth == 1, lean, np.where(truth == 0, 1 - lean, rng.uniform(0.4, 0.6, truth.size)))
    squat = np.where(wrong & (truth != 2), 1 - squat, squat)
    probs = np.stack([1 - squat, squat], axis=1).astype(np.float32)
    times = np.arange(truth.size) * 0.2
    prediction = prediction_from_probs(Path("/v/a.mp4"), LABELS, times, probs, SmoothingParams())
    results = [VideoResult(Path(f"/v/{name}.mp4"), "gym", truth, prediction) for name in ("a", "b")]
    evaluation = score(results, "val")
    assert evaluation.raw.flips_per_minute > 10 * evaluation.smoothed.flips_per_minute
    assert evaluation.smoothed.f1_at(0.5) > evaluation.raw.f1_at(0.5)
    assert evaluation.smoothed.f1_at(0.5) == 100.0  # both sets found, nothing else
    assert set(evaluation.per_group) == {"gym"}


def test_evaluate_with_tuning_probes_every_video_once(trained_run, demo_manifest, tmp_path, monkeypatch):
    """Tuning predicts val, then the split asked for; the manifest's videos are opened and probed once."""
    import gymnos_edge.data.manifest as manifest_module
    from gymnos_edge.evaluation.evaluate import EvaluateConfig, evaluate_run

    probed = []
    real_probe = manifest_module.probe_video

    def counting_probe(path):
        probed.append(Path(path))
        return real_probe(path)

    monkeypatch.setattr(manifest_module, "probe_video", counting_probe)
    run_folder = _copy_run(trained_run, tmp_path)
    evaluate_run(EvaluateConfig(manifest=demo_manifest, model=run_folder, split="val", tune=True))
    videos = load_manifest(demo_manifest).videos
    assert sorted(probed) == sorted(videos)


def test_tuning_takes_the_soonest_thresholds_within_one_set_of_the_best_f1():
    # Rest-class probabilities: two sets that take 2.4 s to build up, and in the rest between them a
    # 0.8 s blip of an exercise, so thresholds that show sets soonest also show the blip as a set.
    truth = np.array([2] * 20 + [0] * 50 + [2] * 30 + [1] * 50 + [2] * 20)
    since_change = np.zeros(truth.size)
    for t in range(1, truth.size):
        since_change[t] = since_change[t - 1] + 1 if truth[t] == truth[t - 1] else 0
    ramp = np.clip(since_change / 12, 0, 1)[:, None]
    probs = ramp * np.eye(3)[truth] + (1 - ramp) * np.eye(3)[[2] * truth.size]
    probs[82:86] = np.eye(3)[1]
    probs = ((probs + 0.02) / 1.06).astype(np.float32)
    times = np.arange(truth.size) * 0.2
    prediction = prediction_from_probs(Path("/v/a.mp4"), LABELS, times, probs, SmoothingParams(), rest_class=True)
    results = [VideoResult(Path("/v/a.mp4"), "gym", truth, prediction)]
    chosen, chosen_f1 = tune_smoothing(results, SmoothingParams())
    grid = []
    for values in itertools.product(*TUNING_GRID.values()):
        params = replace(SmoothingParams(), **dict(zip(TUNING_GRID, values)))
        if params.exit <= params.enter:
            smoothed = score(results, "val", params).smoothed
            grid.append((params, smoothed.f1_at(0.5), round(smoothed.detection.mean_s / 0.2)))
    best = max(f1 for _, f1, _ in grid)
    one_set = 100 / 2  # two true sets
    assert chosen_f1 == score(results, "val", chosen).smoothed.f1_at(0.5) >= best - one_set
    chosen_delay = next(delay for params, _, delay in grid if params == chosen)
    assert all(delay >= chosen_delay for _, f1, delay in grid if f1 >= best - one_set)
    # the data make the rule matter: the best F1 alone would have shown the sets later
    soonest_best = min(delay for _, f1, delay in grid if f1 == best)
    assert chosen_f1 < best and chosen_delay < soonest_best


def _set_with_a_second_dip_in_every_rep():
    """Rest, a squat set of 5 reps of 2 s whose probability dips deeply and then, 0.8 s later, a little
    again (a wobble at the top of each rep), rest; with the set's true count."""
    rest = np.tile([0.02, 0.02, 0.96], (10, 1))
    p_squat = np.array([0.98, 0.95, 0.8, 0.5, 0.8, 0.97, 0.9, 0.8, 0.9, 0.98])
    rep = np.stack([np.full(10, 0.01), p_squat, 0.99 - p_squat], 1)
    probs = np.concatenate([rest, np.tile(rep, (5, 1)), rest])
    probs = (probs / probs.sum(1, keepdims=True)).astype(np.float32)
    truth = np.array([2] * 10 + [1] * 50 + [2] * 10)
    times = np.arange(truth.size) * 0.2
    prediction = prediction_from_probs(Path("/v/a.mp4"), LABELS, times, probs, SmoothingParams(), rest_class=True)
    return [VideoResult(Path("/v/a.mp4"), "gym", truth, prediction, ((2.0, 12.0, 5),))]


def test_rep_tuning_keeps_the_counter_that_counts_the_true_sets_best():
    results = _set_with_a_second_dip_in_every_rep()
    default = score(results, "val").smoothed.reps
    assert default.counted == (9,)  # the defaults count most wobbles as reps
    chosen = tune_rep_counting(results, SmoothingParams())
    counts = score(results, "val", chosen).smoothed.reps
    assert counts.counted == (5,)
    grid = [replace(SmoothingParams(), **dict(zip(REP_TUNING_GRID, values)))
            for values in itertools.product(*REP_TUNING_GRID.values())]  # fmt: skip
    assert counts.mae == min(score(results, "val", params).smoothed.reps.mae for params in grid)
    # only the counter's knobs move: which label is shown stays as the thresholds decided
    default_counter = {name: getattr(SmoothingParams(), name) for name in REP_TUNING_GRID}
    assert replace(chosen, **default_counter) == SmoothingParams()
    # and tune_smoothing ends with this step
    params, _ = tune_smoothing(results, SmoothingParams())
    assert params == tune_rep_counting(results, replace(params, **default_counter))


def test_rep_tuning_without_true_counts_keeps_the_counter():
    results = [replace(r, true_reps=((2.0, 12.0, None),)) for r in _set_with_a_second_dip_in_every_rep()]
    params = SmoothingParams(rep_tau_s=2.0, rep_hysteresis=0.4, min_rep_s=0.8)
    assert tune_rep_counting(results, params) is params
