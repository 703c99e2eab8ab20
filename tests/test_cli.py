from typer.testing import CliRunner

from gymnos_edge import __version__
from gymnos_edge.cli import app

runner = CliRunner()


def test_version_and_help_list_every_command():
    assert __version__ in runner.invoke(app, ["--version"]).output
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("demo-data", "manifest"):
        assert command in result.output


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
