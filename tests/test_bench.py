"""`bench` on tiny exported models: schema, failed rows, hand-checked accuracy columns."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from gymnos_edge.bench.accuracy import SplitFrames, accuracy_of
from gymnos_edge.bench.runner import BenchConfig, run_bench
from gymnos_edge.cli.app import app
from gymnos_edge.common.errors import UserError
from gymnos_edge.export.exporter import ExportOptions, export_run
from gymnos_edge.common.contract import Quantization
from gymnos_edge.sets.smoothing import SmoothingParams
from helpers import make_untrained_run

runner = CliRunner()


# Its users are marked slow: an export and a benchmark of every format cost a minute or more.
@pytest.fixture(scope="module")
def exported(tmp_path_factory, demo_manifest):
    root = tmp_path_factory.mktemp("bench")
    run = make_untrained_run(root / "runs" / "tiny", manifest=demo_manifest, every_s=0.5)
    options = ExportOptions(quantizations=(Quantization.fp32, Quantization.dynamic), coreml=True,
                            out=root / "export" / "tiny", validate=False)  # fmt: skip
    return run, export_run(run.folder, options).folder


def _bench(run, folder, **overrides):
    config = BenchConfig(export_dir=folder, run=run.folder, split="all", threads=(1,), warmup=1, runs=3)
    return run_bench(BenchConfig(**{**config.__dict__, **overrides}))


@pytest.mark.slow
def test_every_format_gets_a_row_with_figures(exported):
    run, folder = exported
    result = _bench(run, folder, threads=(1, 2))
    by_format = {}
    for row in result.rows:
        by_format.setdefault(row.format, []).append(row)
    assert set(by_format) == {"keras", "tflite-fp32", "tflite-dynamic", "coreml"}
    assert [r.threads for r in by_format["tflite-fp32"]] == [1, 2]
    for row in by_format["keras"] + by_format["tflite-fp32"] + by_format["tflite-dynamic"]:
        assert row.status == "ok"
        assert 0 < row.p50_ms <= row.p90_ms and row.fps == pytest.approx(1000 / row.p50_ms)
        assert row.size_mb > 0 and row.peak_rss_mb > 0 and row.init_ms >= 0
        assert 0 <= row.frame_accuracy <= 100 and 0 <= row.set_f1_50 <= 100
    assert by_format["tflite-fp32"][0].label_agreement == 100.0  # float32 export: the same model
    keras_row, fp32_row = by_format["keras"][0], by_format["tflite-fp32"][0]
    assert keras_row.rep_mae >= 0 and 0 <= keras_row.rep_obo <= 1  # the demo manifest counts every set's reps
    assert fp32_row.rep_agreement == 100.0 and fp32_row.rep_mae == keras_row.rep_mae
    assert by_format["tflite-fp32"][0].frame_accuracy == by_format["keras"][0].frame_accuracy
    assert by_format["coreml"][0].status.startswith("needs macOS")
    assert by_format["tflite-dynamic"][0].size_mb < by_format["tflite-fp32"][0].size_mb
    assert result.frames > 0 and result.videos == 4
    data = json.loads(json.dumps(result.to_dict()))
    assert {"machine", "settings", "split", "rows", "notes"} <= set(data)
    assert "ai-edge-litert" in data["machine"]["versions"]


@pytest.mark.slow
def test_a_corrupt_model_gives_a_failed_row_and_the_others_still_run(exported, tmp_path):
    run, folder = exported
    copy = tmp_path / "export"
    shutil.copytree(folder, copy)
    (copy / "model_dynamic.tflite").write_bytes(b"this is not a flatbuffer")
    result = _bench(run, copy)
    statuses = {row.format: row.status for row in result.rows}
    assert statuses["tflite-dynamic"].startswith("failed")
    assert statuses["tflite-fp32"] == "ok" and statuses["keras"] == "ok"


@pytest.mark.slow
def test_bad_inputs_are_clear(exported, tmp_path, make_video):
    run, folder = exported
    with pytest.raises(UserError, match="no such export folder"):
        _bench(run, tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="no metadata.json"):
        _bench(run, tmp_path / "empty")
    make_video("v.mp4")
    other = tmp_path / "other.csv"
    other.write_text("video,label\nv.mp4,deadlift\n")
    with pytest.raises(UserError, match="not one of the model's labels"):
        _bench(run, folder, manifest=other)


class _TableModel:
    """A stand-in whose probabilities are a fixed table: the accuracy arithmetic can be done by hand."""

    labels = ("a", "b")
    rest_class = False
    smoothing = SmoothingParams(every_s=1.0, tau_s=0.0, min_set_s=1.0, min_rest_s=1.0)

    def __init__(self, table):
        self.table = np.asarray(table, np.float32)

    def probabilities(self, frames):
        return self.table[: len(frames)]

    def reset(self):
        pass


def test_accuracy_columns_on_a_hand_made_case():
    truth = np.array([0, 0, 0, 0, 2, 2, 1, 1, 1, 1])  # 4 × a, 2 × rest, 4 × b
    frames = SplitFrames([Path("v.mp4")], [np.arange(10.0)], [np.zeros((10, 4, 4, 3))], [truth], ["g"])
    reference = _TableModel([[0.9, 0.1]] * 6 + [[0.1, 0.9]] * 4)
    model = _TableModel([[0.9, 0.1]] * 3 + [[0.2, 0.8]] + [[0.9, 0.1]] * 2 + [[0.1, 0.9]] * 4)
    reference_figures, reference_probs = accuracy_of(reference, frames, None)
    figures, _ = accuracy_of(model, frames, reference_probs)
    # labelled frames: 8; the model misses frame 3 (a → b): 7/8. Rest frames are not scored.
    assert figures["frame_accuracy"] == pytest.approx(87.5)
    assert reference_figures["frame_accuracy"] == pytest.approx(100.0)
    assert figures["label_agreement"] == pytest.approx(90.0)  # 9 of 10 frames agree with the reference
    # tau 0, one-step minimums: shown labels a a a b a a b b b b → 3 flips in 10 s
    assert figures["flips_per_min"] == pytest.approx(3 / (10 / 60))
    assert figures["rep_mae"] is None and figures["rep_agreement"] is None  # no true reps in this manifest


@pytest.mark.slow
def test_bench_command_writes_json_and_plot(exported, tmp_path):
    run, folder = exported
    out = tmp_path / "bench"
    result = runner.invoke(app, ["bench", str(folder), "--run", str(run.folder), "--split", "all", "--threads", "1",
                                 "--runs", "2", "--warmup", "0", "--out", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "tflite-dynamic" in result.output and "macOS" in result.output
    assert json.loads((out / "bench.json").read_text())["rows"]
    assert (out / "bench.png").stat().st_size > 0
    bad = runner.invoke(app, ["bench", str(folder), "--threads", "zero"])
    assert bad.exit_code == 2


def test_goals_are_judged_from_the_rows():
    from gymnos_edge.bench.goals import check_goals
    from gymnos_edge.bench.rows import BenchRow

    def row(fmt, p50, agreement=None, f1=None):
        return BenchRow(fmt, fmt, 1.0, threads=1, p50_ms=p50, label_agreement=agreement, set_f1_50=f1)

    goals = {g.name.split(" (")[0]: g for g in check_goals((row("keras", 90, None, 80.0), row("tflite-fp32", 100),
                                                           row("tflite-int8", 25, 99.5, 79.5)))}  # fmt: skip
    assert goals["int8 p50 / fp32 p50"].value == pytest.approx(0.25) and goals["int8 p50 / fp32 p50"].holds
    assert goals["int8 label agreement with Keras"].holds
    assert goals["|int8 − Keras| set F1@50"].value == pytest.approx(0.5) and goals["|int8 − Keras| set F1@50"].holds
    slow = check_goals((row("tflite-fp32", 100), row("tflite-int8", 40, 90.0, None)))
    assert [g.holds for g in slow] == [False, False, None, None]
    counted = {g.name: g for g in check_goals((BenchRow("tflite-int8", "x", 1.0, threads=1, rep_agreement=96.0),))}
    assert counted["int8 rep counts equal to Keras's (% of sets)"].holds
    assert check_goals((row("keras", 90, None, 80.0), row("tflite-fp32", 100))) == ()  # no int8 (a pose export)
