import pytest
from typer.testing import CliRunner

from gymnos_edge import __version__
from gymnos_edge.cli.app import app
from helpers import run_cli

runner = CliRunner()


def test_version_and_help_list_every_command():
    assert __version__ in runner.invoke(app, ["--version"]).output
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("demo-data", "manifest", "features", "train", "predict", "evaluate", "export", "bench"):
        assert command in result.output


@pytest.mark.slow
def test_demo_data_then_manifest_check(tmp_path):
    result = runner.invoke(app, ["demo-data", str(tmp_path / "demo"), "--videos-per-gym", "1"])
    assert result.exit_code == 0, result.output
    manifest = tmp_path / "demo" / "manifest.csv"
    result = runner.invoke(app, ["manifest", "check", str(manifest)])
    assert result.exit_code == 0, result.output
    assert "is valid" in result.output and "gym_a" in result.output


def test_manifest_check_lists_problems_and_fails_without_traceback(tmp_path):
    manifest = tmp_path / "m.csv"
    manifest.write_text("video,label,start,end\nmissing.mp4,squat,0,1\nother.mp4,squat,5,1\n")
    result = runner.invoke(app, ["manifest", "check", str(manifest)])
    assert result.exit_code == 1
    assert "line 3: start (5 s) must be before end" in result.output
    assert "Traceback" not in result.output and result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.slow
def test_train_command_end_to_end_and_runs_latest(demo_manifest, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GYMNOS_EDGE_CACHE", str(tmp_path / "cache"))
    args = ["train", str(demo_manifest), "--weights", "none", "--image-size", "32", "--every", "0.5", "--epochs", "2"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "val" in result.output and "accuracy" in result.output
    assert (tmp_path / "runs" / "latest" / "model.keras").is_file()


def test_features_command_fills_the_cache_then_finds_it_complete(demo_manifest, tmp_path, monkeypatch):
    monkeypatch.setenv("GYMNOS_EDGE_CACHE", str(tmp_path / "cache"))
    args = ["features", str(demo_manifest), "--weights", "none", "--image-size", "32", "--every", "0.5"]
    from gymnos_edge.common.contract import Gaps
    from gymnos_edge.data.manifest import require_valid
    from gymnos_edge.training.plan import training_spans

    spans = len({(s.request.video, s.request.start_s, s.request.end_s)  # what train reads, rest gaps included
                 for s in training_spans(require_valid(demo_manifest), Gaps.rest)[0]})  # fmt: skip
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    printed = " ".join(first.output.split())
    assert f"0 cached, {spans} computed" in printed and "frames/s" in printed
    assert f"Next: gymnos-edge train {demo_manifest} --weights none --image-size 32 --every 0.5" in printed
    again = runner.invoke(app, args)
    assert again.exit_code == 0 and f"{spans} cached, 0 computed" in " ".join(again.output.split())


def test_engine_ray_without_ray_names_the_install_command(demo_manifest, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed
    result = runner.invoke(app, ["features", str(demo_manifest), "--weights", "none", "--engine", "ray"])
    assert result.exit_code == 1
    assert "pip install 'gymnos-edge[ray]'" in result.output and "Traceback" not in result.output


def test_a_ray_address_where_nothing_listens_fails_at_once(demo_manifest):
    import socket

    pytest.importorskip("ray", reason="Ray is in the dev extra")
    with socket.socket() as unused:  # a loopback port that was free a moment ago
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    args = ["features", str(demo_manifest), "--engine", "ray", "--ray-address", f"127.0.0.1:{port}"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert "no Ray cluster there" in result.output and "ray start --head" in result.output


@pytest.mark.slow
def test_imagenet_download_failure_is_one_clear_sentence(demo_manifest, tmp_path):
    result = run_cli("train", str(demo_manifest), "--image-size", "32", "--out", str(tmp_path / "run"),
                     KERAS_HOME=str(tmp_path / "keras"), GYMNOS_EDGE_CACHE=str(tmp_path / "cache"))  # fmt: skip
    assert result.returncode == 1
    assert "could not download the ImageNet weights" in result.stderr and "--weights none" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / "run").exists()


@pytest.mark.slow
def test_tensorflow_start_up_chatter_stays_off_the_terminal():
    import subprocess
    import sys

    env = {k: v for k, v in __import__("os").environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    result = subprocess.run([sys.executable, "-c", "import gymnos_edge, keras, tensorflow; print('ok')"],
                            capture_output=True, text=True, env=env, timeout=120)  # fmt: skip
    assert result.returncode == 0 and result.stdout.strip() == "ok"
    assert result.stderr == ""
