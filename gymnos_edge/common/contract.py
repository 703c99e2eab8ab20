"""Names every stage and every consumer must agree on, written once.

Kept free of any ML framework so that the CLI, the phone-side metadata readers
and the benchmarks can import it cheaply.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path

# The reserved label of "not exercising". In a manifest, time no span covers is rest; a span may
# also say `rest` explicitly. A model may have a trained rest output (the last one, index K
# after the K exercises); either way the state machine's label K means rest.
REST_LABEL = "rest"


class Gaps(str, Enum):
    """What training makes of the time inside a listed video that no span covers."""

    rest = "rest"  # frames of the trained rest class (the rule evaluate uses for the truth)
    ignore = "ignore"  # left out: for partly annotated videos


# ---------------------------------------------------------------- folders
# Every output goes under the working folder unless the user says otherwise.
RUNS_DIR = Path("runs")  # runs/NAME/: one trained model each
LATEST = "latest"  # runs/latest: a link to the newest run
DEFAULT_RUN = RUNS_DIR / LATEST
EXPORT_DIR = Path("export")  # export/NAME/: the phone models of run NAME
PREDICTIONS_DIR = RUNS_DIR / "predict"  # runs/predict/VIDEO/: what `predict` writes by default
METADATA_FILE = "metadata.json"  # in a run folder and in an export folder: the one source of truth
LABELS_FILE = "labels.txt"  # in an export folder: one label per line, index order
EXPORT_REPORT_FILE = "export_report.json"



def prediction_folder(video: Path | str) -> Path:
    """Under the working folder, never beside the video: videos often sit on read-only or shared drives."""
    return PREDICTIONS_DIR / Path(video).stem


def export_folder(run_name: str) -> Path:
    return EXPORT_DIR / run_name


FRAME_BATCH = 16  # frames per classifier call on desktops: one batch shape, so compiled graphs are reused

# ---------------------------------------------------------------- exported graphs
# Feature names shared by every format. Core ML reserves "state" as a keyword of its
# program text (stateful models, iOS 18) and renames such inputs, so the state is "state_in".
IMAGE = "image"
STATE = "state_in"
PROBS = "probs"
SMOOTHED = "smoothed"
LABEL = "label"
NEXT_STATE = "next_state"
OUTPUTS = (PROBS, SMOOTHED, LABEL, NEXT_STATE)
SERVING = "serving_default"  # TFLite signature: image + state → all outputs
SMOOTH_STEP = "smooth_step"  # TFLite signature: probs + state → the state machine alone
EMBEDDED_METADATA = "gymnos_edge"  # name of the metadata entry embedded in every exported .tflite
