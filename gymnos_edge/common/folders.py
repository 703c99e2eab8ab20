"""Where commands write by default, defined once: runs/NAME, runs/latest, runs/predict/VIDEO, export/NAME."""

from __future__ import annotations

from pathlib import Path

RUNS = Path("runs")
LATEST = "latest"  # runs/latest: a link to the newest run
EXPORTS = Path("export")
PREDICTIONS = RUNS / "predict"


def latest_run() -> Path:
    return RUNS / LATEST


def prediction_folder(video: Path | str) -> Path:
    """Under the working folder, never beside the video: videos often sit on read-only or shared drives."""
    return PREDICTIONS / Path(video).stem


def export_folder(run_name: str) -> Path:
    return EXPORTS / run_name
