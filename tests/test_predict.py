"""`predict` end to end on a real demo video with a tiny model."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from gymnos_edge.cli.app import app
from gymnos_edge.common.errors import UserError
from gymnos_edge.inference.open_model import open_frame_model
from gymnos_edge.data.manifest import load_manifest
from gymnos_edge.inference.predict import predict_video, prediction_from_probs
from gymnos_edge.sets.smoothing import SmoothingParams, smooth_sequence
from gymnos_edge.data.video import probe_video

runner = CliRunner()


def test_predict_command_writes_the_timeline_and_annotated_video(tiny_run, demo_manifest, tmp_path):
    video = load_manifest(demo_manifest).videos[0]
    out = tmp_path / "timeline"
    annotated = tmp_path / "annotated.mp4"
    result = runner.invoke(app, ["predict", str(video), "--model", str(tiny_run.folder), "--out", str(out),
                                 "--annotate", str(annotated)])  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads((out / "timeline.json").read_text())
    frames = pd.read_csv(out / "timeline.csv")
    duration = probe_video(video).duration_s
    assert len(frames) == pytest.approx(duration / tiny_run.metadata.every_s, abs=2)
    np.testing.assert_allclose(frames[["raw_overhead_press", "raw_squat"]].sum(axis=1), 1.0, atol=1e-4)
    assert set(frames["label"]) <= {"overhead_press", "squat", "rest"}
    assert {"sets", "rests", "smoothing"} <= set(data)
    assert all(isinstance(s["reps"], int) and s["reps"] >= 0 for s in data["sets"])
    assert (frames.loc[frames["label"] == "rest", "reps"] == 0).all() and "rep(s) in all" in result.output
    assert (out / "timeline.png").stat().st_size > 0
    info = probe_video(annotated)
    assert info.height > info.width  # upright, like the source
    assert info.duration_s == pytest.approx(duration, abs=0.2)


def test_prediction_matches_the_reference_smoothing(tiny_run, demo_manifest):
    video = load_manifest(demo_manifest).videos[1]
    model = open_frame_model(tiny_run.folder)
    prediction = predict_video(video, model)
    reference = smooth_sequence(prediction.probs, model.smoothing)
    np.testing.assert_array_equal(prediction.shown, reference.labels)
    assert np.all(np.diff(prediction.times) > 0)


def test_sets_come_from_the_smoothed_labels():
    probs = np.array([[0.05, 0.95]] * 20 + [[0.95, 0.05]] * 20, np.float32)
    params = SmoothingParams(every_s=0.5, tau_s=0.5, min_set_s=1.0, min_rest_s=1.0)
    prediction = prediction_from_probs(None, ("a", "b"), np.arange(40) * 0.5, probs, params)
    assert [s.label for s in prediction.timeline.sets] == ["b", "a"]
    assert prediction.timeline.sets[0].start_s == 0.0


def test_bad_model_paths_are_clear(tmp_path, make_video):
    with pytest.raises(UserError, match="no such run folder"):
        open_frame_model(tmp_path / "nothing")
    (tmp_path / "run").mkdir()
    with pytest.raises(UserError, match="no metadata.json"):
        open_frame_model(tmp_path / "run")
    with pytest.raises(UserError, match="Apple"):
        open_frame_model(tmp_path / "m.mlpackage")
    result = runner.invoke(app, ["predict", str(make_video()), "--model", str(tmp_path / "run")])
    assert result.exit_code == 1 and "metadata.json" in result.output


@pytest.mark.slow
def test_predict_with_an_exported_tflite_shows_what_the_phone_shows(tiny_run, demo_manifest, tmp_path):
    from gymnos_edge.export.exporter import ExportOptions, export_run
    from gymnos_edge.common.contract import Quantization
    from gymnos_edge.data.sampler import sample_frames
    from gymnos_edge.inference.litert_model import TFLiteModel

    folder = export_run(tiny_run.folder, ExportOptions(quantizations=(Quantization.fp32,), coreml=False,
                                                       out=tmp_path / "export", validate=False)).folder  # fmt: skip
    model_file = folder / "model_fp32.tflite"
    video = load_manifest(demo_manifest).videos[0]
    result = runner.invoke(app, ["predict", str(video), "--model", str(model_file), "--out", str(tmp_path / "t")])
    assert result.exit_code == 0, result.output
    shown = pd.read_csv(tmp_path / "t" / "timeline.csv")["label"].tolist()
    phone = TFLiteModel(model_file)
    frames = [frame for _, frame in sample_frames(video, phone.sampling)]
    on_device = [phone.label_name(step.label) for step in phone.run(frames)]  # the graph's own state machine
    assert shown == on_device
    keras_prediction = predict_video(video, open_frame_model(tiny_run.folder))
    np.testing.assert_array_equal(predict_video(video, open_frame_model(model_file)).shown, keras_prediction.shown)


def test_the_timeline_marks_every_counted_rep_and_the_video_shows_the_running_count():
    from gymnos_edge.inference.timeline_files import rep_ticks, shown_text

    # a clear squat set with 3 reps of 2.4 s between two unsure stretches (2 classes, no rest output)
    t = np.arange(36) * 0.2
    squat = 0.75 + 0.2 * (1 - np.cos(2 * np.pi * t / 2.4)) / 2
    probs = np.concatenate([np.tile([0.36, 0.64], (10, 1)), np.stack([squat, 1 - squat], 1), np.tile([0.36, 0.64], (15, 1))])
    times = np.arange(len(probs)) * 0.2
    prediction = prediction_from_probs(Path("clip.mp4"), ("squat", "overhead_press"), times, probs.astype(np.float32),
                                       SmoothingParams())  # fmt: skip
    assert [(s.label, s.reps) for s in prediction.timeline.sets] == [("squat", 3)]
    ticks = rep_ticks(prediction)
    assert [text for _, text in ticks][-1].endswith("3") and len(ticks) >= 2
    last_shown = int(np.flatnonzero(prediction.shown == 0)[-1])
    assert shown_text(prediction, last_shown).startswith("squat · 3 reps")
    assert shown_text(prediction, 0) == "rest"
