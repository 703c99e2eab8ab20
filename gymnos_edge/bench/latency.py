"""Latency rows from outside the model's process: the latency worker, and LiteRT's own benchmark tool.

Each model and thread count runs in a process of its own (`latency_worker`), so
peak memory and crashes stay with their row; LiteRT's tool, when the installed
wheel ships it, gives a cross-check of the median.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from gymnos_edge.common.errors import UserError

OFFICIAL_TOOL = "ai_edge_litert.tools.benchmark_litert_model"


def measure_latency(model: Path, threads: int, warmup: int, runs: int) -> dict:
    """The latency worker's JSON, or a UserError carrying why the model could not run."""
    command = [sys.executable, "-m", "gymnos_edge.bench.latency_worker", str(model), "--threads", str(threads),
               "--warmup", str(warmup), "--runs", str(runs)]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
        raise UserError(lines[-1][:200] if lines else f"exit status {result.returncode}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def has_official_tool() -> bool:
    return importlib.util.find_spec(OFFICIAL_TOOL) is not None


def official_p50(model: Path, threads: int, warmup: int, runs: int) -> float | None:
    """Median latency from LiteRT's own benchmark tool, or None when the wheel lacks it or it fails."""
    if not has_official_tool():
        return None
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "result.json"
        command = [sys.executable, "-m", OFFICIAL_TOOL, f"--model={model}", "--signature=serving_default",
                   f"--num_threads={threads}", f"--warmup_runs={warmup}", f"--num_runs={runs}",
                   f"--result_json={report}"]  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0 or not report.is_file():
            return None
        return float(json.loads(report.read_text())["latency"]["median_ms"])
