"""The pose path end to end on tiny demo data: train, cache, predict, export, and the export's parity."""

import json

import numpy as np
import pytest

from gymnos_edge.common.contract import KEYPOINT_UNITS, POSE_JOINTS, Backbone
from gymnos_edge.common.errors import UserError
from gymnos_edge.data.sampler import ResizePolicy, SamplingConfig
from gymnos_edge.export.exporter import ExportOptions, export_run
from gymnos_edge.common.contract import Quantization
from gymnos_edge.export.frames import synthetic_keypoints
from gymnos_edge.features.keypoints import HEAD_FEATURES, MOTION_STATE
from gymnos_edge.sets.smoothing import state_size
from gymnos_edge.training.heads import Head
from gymnos_edge.training.train import TrainConfig, train
from helpers import make_untrained_run

SAMPLING = SamplingConfig(every_s=0.5, image_size=320, resize=ResizePolicy.fit)


def _config(manifest, folder, **changes):
    values = dict(manifest=manifest, out=folder / "runs" / "pose", backbone=Backbone.pose, epochs=3,
                  sampling=SAMPLING, cache_dir=folder / "cache")  # fmt: skip
    return TrainConfig(**{**values, **changes})


@pytest.fixture(scope="module")
def pose_run(tmp_path_factory, demo_manifest, pose_files):
    folder = tmp_path_factory.mktemp("pose")
    # Not the default motion window: the graphs and the Keras model must take the run's own.
    return folder, train(_config(demo_manifest, folder, rep_signal=True, motion_window_s=1.0))


def test_a_pose_run_records_its_estimator_and_features(pose_run, pose_files):
    _, result = pose_run
    meta = result.run.metadata
    assert meta.backbone == "pose" and meta.head == Head.mlp.value and meta.rest_class
    assert meta.pose["joints"] == list(POSE_JOINTS) and meta.pose["model_fingerprint"] == pose_files.fingerprint()
    assert meta.pose["estimator_settings"]["track"] is True and meta.resize == "fit"
    assert int(result.run.load_model().input_shape[-1]) == HEAD_FEATURES
    assert all(0 <= report.balanced_accuracy <= 1 for report in result.reports.values())


@pytest.mark.slow
def test_a_pose_run_learns_a_rep_signal_that_its_model_gives_per_frame(pose_run):
    from gymnos_edge.features.keypoints import pose_features
    from gymnos_edge.features.rep_signal import REP_FEATURES, rep_signal, rep_weights_of
    from gymnos_edge.inference.pose_model import KerasPoseModel

    _, result = pose_run
    meta = result.run.metadata
    weights = rep_weights_of(meta.pose, meta.n_outputs, result.run.folder)
    assert weights.shape == (meta.n_outputs, REP_FEATURES)
    assert np.all(weights[-1] == 0) and np.all(np.abs(weights[:-1]).sum(axis=1) > 0)  # rest counts nothing
    # in the pose signal's own unit, with a band that follows the lifter
    assert (meta.smoothing_params.rep_hysteresis, meta.smoothing_params.rep_gain_tau_s) == (0.8, 2.0)
    keypoints = synthetic_keypoints(12, seed=3)
    outputs = KerasPoseModel(result.run).keypoint_outputs(keypoints)
    np.testing.assert_allclose(outputs.rep_signal, rep_signal(pose_features(keypoints), weights), atol=1e-6)


def test_the_feature_cache_is_keyed_by_the_pose_model(pose_run, demo_manifest):
    folder, _ = pose_run
    again = train(_config(demo_manifest, folder, out=folder / "runs" / "again", head=Head.linear))
    assert again.frames_computed == 0  # same estimator, same frames: all from the cache
    assert again.head_fit["linear"]["l2"] > 0
    untracked = train(_config(demo_manifest, folder, out=folder / "runs" / "untracked", track=False, epochs=1))
    assert untracked.frames_computed > 0  # other estimator settings, other keypoints


def test_the_features_job_finds_the_pose_cache_that_train_filled(pose_run, demo_manifest):
    from gymnos_edge.training.features_job import Engine, FeaturesConfig, compute_features

    folder, _ = pose_run
    config = FeaturesConfig(demo_manifest, sampling=SAMPLING, backbone=Backbone.pose, cache_dir=folder / "cache")
    found = compute_features(config)
    assert found.stats.spans_computed == 0 and found.stats.spans_cached > 0  # the same keys as train's
    assert found.frames > 0 and found.stats.frames_computed == 0
    with pytest.raises(UserError, match="computed here"):
        compute_features(FeaturesConfig(demo_manifest, sampling=SAMPLING, backbone=Backbone.pose, engine=Engine.ray))


def test_pose_options_are_checked(demo_manifest, tmp_path):
    with pytest.raises(UserError, match="does not fit the pose backbone"):
        _config(demo_manifest, tmp_path, head=Head.flatten)
    with pytest.raises(UserError, match="would distort the body"):
        _config(demo_manifest, tmp_path, sampling=SamplingConfig(every_s=0.5, image_size=320))
    with pytest.raises(UserError, match="--rep-signal counts reps on body pose"):
        TrainConfig(manifest=demo_manifest, rep_signal=True)
    # Left unsaid, reps are counted on the body where there is one, on the probabilities where there is not.
    assert _config(demo_manifest, tmp_path).rep_signal is True
    assert _config(demo_manifest, tmp_path, rep_signal=False).rep_signal is False
    assert TrainConfig(manifest=demo_manifest).rep_signal is False


def test_predict_runs_the_estimator_then_the_head(pose_run, demo_manifest):
    from gymnos_edge.data.manifest import load_manifest
    from gymnos_edge.inference.open_model import open_frame_model
    from gymnos_edge.inference.predict import predict_video

    _, result = pose_run
    model = open_frame_model(result.run.folder)
    video = load_manifest(demo_manifest).videos[0]
    first = predict_video(video, model)
    assert first.probs.shape[1] == 3 and np.allclose(first.probs.sum(axis=1), 1, atol=1e-5)
    np.testing.assert_array_equal(predict_video(video, model).probs, first.probs)  # reset per video


def test_a_pose_model_fed_other_estimator_files_is_refused(pose_run, tmp_path, pose_files):
    from gymnos_edge.inference.open_model import open_frame_model

    _, result = pose_run
    (tmp_path / "pose_detection.tflite").write_bytes(pose_files.detector.read_bytes())
    (tmp_path / "pose_landmark_full.tflite").write_bytes(b"other")
    with pytest.raises(UserError, match="not the ones this model was trained with"):
        open_frame_model(result.run.folder, pose_model=tmp_path)


def test_a_pose_run_of_other_pose_features_is_refused_not_misread(pose_run, tmp_path):
    import json
    import shutil

    from gymnos_edge.training.run_folder import load_run

    _, result = pose_run
    older = tmp_path / "older"
    shutil.copytree(result.run.folder, older)
    metadata = json.loads((older / "metadata.json").read_text())
    metadata["preprocessing"] = "per joint: (x, y − hip midpoint) / torso length"  # features before a change
    (older / "metadata.json").write_text(json.dumps(metadata))
    with pytest.raises(UserError, match="other pose features.*train it again"):
        load_run(older)


def test_a_pose_model_computes_motion_over_its_own_run_s_window(pose_run):
    from gymnos_edge.features.keypoints import MOTION_TAU_S, head_inputs
    from gymnos_edge.inference.pose_model import KerasPoseModel
    from gymnos_edge.training.head_fit import predict_probs

    _, result = pose_run
    run = result.run
    assert run.metadata.pose["motion_tau_s"] == run.metadata.motion_tau_s == 1.0 != MOTION_TAU_S
    keypoints = synthetic_keypoints(30, seed=4)
    head = run.load_model()
    own = predict_probs(head, head_inputs(keypoints, SAMPLING.every_s, 1.0))
    default = predict_probs(head, head_inputs(keypoints, SAMPLING.every_s))
    model = KerasPoseModel(run)
    np.testing.assert_allclose(model.keypoint_probabilities(keypoints), own, atol=1e-6)
    assert not np.allclose(own, default, atol=1e-4)  # the window matters, so taking the default would show


def test_motion_window_is_checked(demo_manifest, tmp_path):
    with pytest.raises(UserError, match="--motion-window 0: give seconds"):
        _config(demo_manifest, tmp_path, motion_window_s=0)
    with pytest.raises(UserError, match="--motion-window .* needs --backbone pose"):
        TrainConfig(manifest=demo_manifest, motion_window_s=1.0)


# Its users are marked slow: the fast tier trains and predicts with the pose model, exports none.
@pytest.fixture(scope="module")
def pose_export(pose_run):
    folder, result = pose_run
    options = ExportOptions(quantizations=(Quantization.fp32, Quantization.fp16), coreml=True,
                            out=folder / "export")  # fmt: skip
    return result.run, export_run(result.run.folder, options)


@pytest.mark.slow
def test_the_pose_export_validates_itself(pose_export):
    _, exported = pose_export
    assert exported.validations and all(v.ok for v in exported.validations)
    metadata = json.loads((exported.folder / "metadata.json").read_text())
    assert metadata["input"] == "keypoints" and metadata["joints"] == list(POSE_JOINTS)
    assert metadata["keypoint_units"] == KEYPOINT_UNITS  # what the app checks before it feeds the model
    assert metadata["inputs"] == {"keypoints": "keypoints", "state": "state_in"}
    n = len(metadata["labels"]) + 1
    assert metadata["state_size"] == state_size(n) + MOTION_STATE == len(metadata["initial_state"])
    assert metadata["state_layout"] == {"set_tracker": state_size(n), "motion": MOTION_STATE}


@pytest.mark.slow
def test_tflite_replays_python_exactly_along_a_keypoint_sequence(pose_export):
    from gymnos_edge.inference.litert_model import TFLiteModel
    from gymnos_edge.inference.pose_model import KerasPoseModel

    run, exported = pose_export
    model = TFLiteModel(exported.folder / "model_fp32.tflite")
    assert model.is_pose and model.labels == run.metadata.labels
    keypoints = synthetic_keypoints(40, seed=11)
    reference = KerasPoseModel(run)
    expected = np.concatenate([reference.keypoint_probabilities(keypoints[:13]),
                               reference.keypoint_probabilities(keypoints[13:])])  # fmt: skip
    model.reset()
    np.testing.assert_allclose(model.keypoint_probabilities(keypoints), expected, atol=1e-5)
    with pytest.raises(UserError, match="keypoints of shape"):
        model.step(np.zeros((17, 2), np.float32))


@pytest.mark.slow
@pytest.mark.parametrize("quantization", ["fp32", "fp16"])
def test_tflite_counts_reps_on_the_rep_signal_as_python_does(pose_export, quantization):
    from gymnos_edge.inference.litert_model import TFLiteModel
    from gymnos_edge.sets.smoothing import smooth_sequence, state_index

    run, exported = pose_export
    model = TFLiteModel(exported.folder / f"model_{quantization}.tflite")  # fp16: its weights in half precision
    keypoints = synthetic_keypoints(60, seed=5)
    state, states = model.initial_state(), []
    for frame in keypoints:
        result = model.step(frame, state)
        state = result.next_state
        states.append(state[: model.smoothing_state_size])
    model.reset()
    outputs = model.keypoint_outputs(keypoints)
    expected = smooth_sequence(outputs.probs, model.smoothing, model.rest_class, outputs.rep_signal).states
    np.testing.assert_allclose(np.stack(states), expected, atol=1e-5)
    baseline = state_index(model.n_outputs, "rep_baseline")
    log_odds = smooth_sequence(outputs.probs, model.smoothing, model.rest_class).states
    assert not np.allclose(expected[:, baseline], log_odds[:, baseline], atol=1e-2)  # it is not the log-odds


@pytest.mark.slow
def test_the_core_ml_pose_package_has_the_expected_spec(pose_export):
    from gymnos_edge.export.coreml import quiet_coremltools
    from gymnos_edge.export.coreml.spec import spec_problems

    _, exported = pose_export
    metadata = json.loads((exported.folder / "metadata.json").read_text())
    assert spec_problems(exported.folder / "GymnosEdge.mlpackage", metadata) == []
    spec = quiet_coremltools().utils.load_spec(str(exported.folder / "GymnosEdge.mlpackage"))
    assert [f.name for f in spec.description.input] == ["keypoints", "state_in"]
    assert json.loads(spec.description.metadata.userDefined["joints"]) == list(POSE_JOINTS)


def test_int8_is_refused_for_a_pose_model(pose_run):
    _, result = pose_run
    with pytest.raises(UserError, match="int8 buys nothing"):
        export_run(result.run.folder, ExportOptions(quantizations=(Quantization.int8,), coreml=False, validate=False))


@pytest.mark.slow
def test_the_cli_trains_and_evaluates_a_pose_model(demo_manifest, pose_files, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from gymnos_edge.cli.app import app

    monkeypatch.setenv("GYMNOS_EDGE_CACHE", str(tmp_path / "cache"))  # no pose files there: --pose-model gives them
    runner = CliRunner()
    models = str(pose_files.detector.parent)
    out = tmp_path / "runs" / "cli"
    result = runner.invoke(app, ["features", str(demo_manifest), "--backbone", "pose", "--every", "0.5",
                                 "--image-size", "320", "--pose-model", models])  # fmt: skip
    assert result.exit_code == 0, result.output
    printed = " ".join(result.output.split())
    assert "0 cached" in printed and "Pose keypoints" in printed
    assert f"Next: gymnos-edge train {demo_manifest} --backbone pose --image-size 320 --every 0.5 --pose-model" in printed
    result = runner.invoke(app, ["train", str(demo_manifest), "--backbone", "pose", "--head", "linear", "--every", "0.5",
                                 "--image-size", "320", "--out", str(out), "--pose-model", models])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "balanced" in result.output and "Linear head: L2" in result.output
    assert "rep_signal" in json.loads((out / "metadata.json").read_text())["pose"]  # by default reps on the body
    odds_out = tmp_path / "runs" / "log_odds"
    result = runner.invoke(app, ["train", str(demo_manifest), "--backbone", "pose", "--head", "linear", "--every", "0.5",
                                 "--image-size", "320", "--out", str(odds_out), "--pose-model", models,
                                 "--no-rep-signal"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "rep_signal" not in json.loads((odds_out / "metadata.json").read_text())["pose"]  # reps on the log-odds
    exported = tmp_path / "export" / "cli"
    result = runner.invoke(app, ["export", str(odds_out), "--tflite", "--quantize", "fp32", "--out", str(exported)])
    assert result.exit_code == 0, result.output  # and it validated itself: counting on the log-odds in the graph
    assert "rep_signal" not in json.loads((exported / "metadata.json").read_text())["pose"]
    result = runner.invoke(app, ["evaluate", str(demo_manifest), "--model", str(out), "--split", "all",
                                 "--pose-model", models])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (out / "report" / "evaluation_all.json").is_file()
    result = runner.invoke(app, ["train", str(demo_manifest), "--backbone", "pose", "--head", "gap"])
    assert result.exit_code == 1 and "does not fit the pose backbone" in result.output


@pytest.mark.slow
def test_bench_measures_a_pose_export_beside_its_estimator(pose_export):
    from gymnos_edge.bench.runner import BenchConfig, run_bench

    run, exported = pose_export
    result = run_bench(BenchConfig(export_dir=exported.folder, run=run.folder, split="all", threads=(1,), warmup=1,
                                   runs=3))  # fmt: skip
    rows = {row.format: row for row in result.rows}
    assert set(rows) == {"blazepose", "keras", "tflite-fp32", "tflite-fp16", "coreml"}
    assert rows["blazepose"].p50_ms > 0 and rows["tflite-fp32"].p50_ms > 0 and rows["keras"].status == "ok"
    assert rows["tflite-fp32"].label_agreement == 100.0  # the same model, fed the same keypoints
    assert rows["tflite-fp32"].frame_accuracy == rows["keras"].frame_accuracy
    assert any("BlazePose estimator" in note for note in result.notes)


@pytest.mark.slow
def test_bench_shows_an_image_and_a_pose_export_side_by_side(pose_run, pose_export, demo_manifest, monkeypatch):
    from typer.testing import CliRunner

    from gymnos_edge.cli.app import app

    folder, _ = pose_run
    monkeypatch.chdir(folder)  # bench finds each export's run as runs/<name>
    _, pose_exported = pose_export
    image_run = make_untrained_run(folder / "runs" / "image", manifest=demo_manifest, every_s=0.5)
    image_exported = export_run(image_run.folder, ExportOptions(coreml=False, out=folder / "export" / "image",
                                                                validate=False))  # fmt: skip
    result = CliRunner().invoke(app, ["bench", str(image_exported.folder), str(pose_exported.folder), "--split", "all",
                                      "--threads", "1", "--runs", "2", "--warmup", "0"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Side by side" in result.output and "blazepose" in result.output
    assert (image_exported.folder / "bench.json").is_file() and (pose_exported.folder / "bench.json").is_file()
