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
KEYPOINTS = "keypoints"  # pose models: (1, 17, 3) raw keypoints instead of an image
STATE = "state_in"
PROBS = "probs"
SMOOTHED = "smoothed"
LABEL = "label"
NEXT_STATE = "next_state"
OUTPUTS = (PROBS, SMOOTHED, LABEL, NEXT_STATE)
SERVING = "serving_default"  # TFLite signature: image + state → all outputs
SMOOTH_STEP = "smooth_step"  # TFLite signature: probs + state → the state machine alone
EMBEDDED_METADATA = "gymnos_edge"  # name of the metadata entry embedded in every exported .tflite


class Quantization(str, Enum):
    """How a TFLite file's classifier numbers are stored (its metadata's `quantization`); the smoothing step
    always stays float32."""

    fp32 = "fp32"
    fp16 = "fp16"  # the weights of convolutions, dense layers and matrix products in half precision
    dynamic = "dynamic"
    int8 = "int8"


class Backbone(str, Enum):
    """What turns a frame into the features a head classifies."""

    vgg16 = "vgg16"  # frozen ImageNet VGG16 convolutions over the whole image
    pose = "pose"  # 2-D body keypoints from a pose estimator, normalised for position and body size


# Keypoint coordinates in frame heights: pixel x and y both divided by the frame's height, so x runs
# 0..width/height and y 0..1. In the 0..1-of-each-side coordinates estimators report (BlazePose, Vision),
# a body's width against its torso reads 3.2 times larger in a 9:16 portrait frame than in a 16:9
# landscape one; in frame heights it keeps its shape whatever the camera's orientation.
KEYPOINT_UNITS = "frame_heights"

# The joints of a pose model's `keypoints` input, in order: the 17 COCO keypoints. Each row is
# (x, y, confidence) with x, y in frame heights (`KEYPOINT_UNITS`; origin top-left, y down) and
# left/right the person's own sides; a joint that was not found is (0, 0, 0). Every estimator maps
# to this order and these units.
POSE_JOINTS = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
    "left_wrist", "right_wrist", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle",
)  # fmt: skip

# The same joints as the iPhone's Vision framework names them (VNHumanBodyPoseObservation.JointName);
# Vision's two extra joints, neck and root, have no COCO counterpart and are not used.
VISION_JOINTS = {
    "nose": "nose", "left_eye": "leftEye", "right_eye": "rightEye", "left_ear": "leftEar", "right_ear": "rightEar",
    "left_shoulder": "leftShoulder", "right_shoulder": "rightShoulder", "left_elbow": "leftElbow",
    "right_elbow": "rightElbow", "left_wrist": "leftWrist", "right_wrist": "rightWrist", "left_hip": "leftHip",
    "right_hip": "rightHip", "left_knee": "leftKnee", "right_knee": "rightKnee", "left_ankle": "leftAnkle",
    "right_ankle": "rightAnkle",
}  # fmt: skip
