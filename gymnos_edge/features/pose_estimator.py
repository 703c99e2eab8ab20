"""BlazePose, single person, run directly on the LiteRT interpreter: RGB frames in, COCO-17 keypoints out.

MediaPipe's own runtime is not used (docs/pose.md): its model graph is
re-implemented here from the two model files alone, in numpy and OpenCV.

1. Detector (224×224 RGB in [-1, 1], the frame letterboxed): 2254 SSD anchors,
   each a box plus 4 keypoints and a score. The best detection is refined by
   weighted non-maximum suppression; its keypoints 0 (mid-hip) and 1 (a point
   giving scale and rotation) define the region of interest.
2. Landmark model (256×256 RGB in [0, 1]) on that rotated square crop: 39
   points of (x, y, z, visibility, presence) in crop pixels, a pose-presence
   probability and a 64×64 heatmap per point that refines x and y.
3. The points are projected back into the frame (the 17 COCO joints returned in
   frame heights, `KEYPOINT_UNITS`). Points 33 and 34 give the next
   frame's region when tracking, so the detector runs only when the pose is lost.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np

from gymnos_edge.common.contract import KEYPOINT_UNITS, POSE_JOINTS
from gymnos_edge.common.errors import UserError
from gymnos_edge.common.quiet_tensorflow import native_output_silenced
from gymnos_edge.features.keypoints import in_frame_heights
from gymnos_edge.features.pose_models import PoseModelFiles

# BlazePose's 33-landmark topology → the COCO keypoints, in the order of POSE_JOINTS.
BLAZEPOSE_FOR_JOINT = {
    "nose": 0, "left_eye": 2, "right_eye": 5, "left_ear": 7, "right_ear": 8,
    "left_shoulder": 11, "right_shoulder": 12, "left_elbow": 13, "right_elbow": 14,
    "left_wrist": 15, "right_wrist": 16, "left_hip": 23, "right_hip": 24,
    "left_knee": 25, "right_knee": 26, "left_ankle": 27, "right_ankle": 28,
}  # fmt: skip
COCO_FROM_BLAZEPOSE = np.array([BLAZEPOSE_FOR_JOINT[name] for name in POSE_JOINTS], np.int64)

_DETECTOR_SIZE = 224
_LANDMARK_SIZE = 256
_POINTS = 39  # 33 body landmarks and 6 auxiliary points (33/34: the tracking region)
_BODY_POINTS = 33
_ROI_SCALE = 1.25
_NMS_IOU = 0.3
_HEATMAP_KERNEL = 7
_HEATMAP_MIN = 0.5
_STRIDES = (8, 16, 32, 32, 32)  # MediaPipe's pose_detection anchor options: 2 anchors per layer and cell


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -80.0, 80.0)))


def anchor_centres() -> np.ndarray:
    """(2254, 2) anchor centres (x, y) in [0, 1]; the anchors' size is fixed, so only centres matter.

    Consecutive layers of one stride share a feature map, stacking their anchors per cell:
    28·28·2 + 14·14·2 + 7·7·6.
    """
    centres = []
    layer = 0
    while layer < len(_STRIDES):
        stride, per_cell = _STRIDES[layer], 0
        while layer < len(_STRIDES) and _STRIDES[layer] == stride:
            per_cell += 2
            layer += 1
        cells = math.ceil(_DETECTOR_SIZE / stride)
        rows, cols = np.meshgrid(np.arange(cells), np.arange(cells), indexing="ij")
        grid = np.stack([(cols + 0.5) / cells, (rows + 0.5) / cells], axis=-1).reshape(-1, 2)
        centres.append(np.repeat(grid, per_cell, axis=0))
    return np.concatenate(centres).astype(np.float32)


@dataclass(frozen=True)
class EstimatorSettings:
    """Everything besides the model files that changes the keypoints (hence part of the cache key)."""

    track: bool = True  # derive a frame's region from the previous frame's landmarks, as MediaPipe does for video
    min_detection_score: float = 0.5
    min_presence: float = 0.5
    refine_with_heatmap: bool = True

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "EstimatorSettings":
        return cls(**{k: v for k, v in values.items() if k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Roi:
    """A rotated square of the frame, in pixels; angle in radians, clockwise on screen (y points down)."""

    cx: float
    cy: float
    size: float
    angle: float

    @staticmethod
    def from_alignment_points(centre: np.ndarray, scale_point: np.ndarray) -> "Roi":
        """From the body centre and the scale/rotation point, in pixels (not normalised coordinates,
        which would skew the angle of a non-square frame)."""
        dx, dy = float(scale_point[0] - centre[0]), float(scale_point[1] - centre[1])
        angle = math.pi / 2 - math.atan2(-dy, dx)
        angle = (angle + math.pi) % (2 * math.pi) - math.pi
        return Roi(float(centre[0]), float(centre[1]), 2.0 * math.hypot(dx, dy) * _ROI_SCALE, angle)

    def crop_to_frame(self, out_size: int) -> np.ndarray:
        """2×3 affine map from a crop pixel index to a frame pixel index (pixel i has centre i + 0.5)."""
        c, s = math.cos(self.angle), math.sin(self.angle)
        rotation = np.array([[c, -s], [s, c]])
        step = self.size / out_size
        offset = np.array([self.cx, self.cy]) - rotation @ np.array([self.size / 2, self.size / 2])
        offset = offset + step * rotation @ np.array([0.5, 0.5]) - 0.5
        return np.hstack([step * rotation, offset[:, None]])

    def project(self, uv: np.ndarray) -> np.ndarray:
        """Crop-normalised (u, v) in [0, 1] → frame pixels."""
        c, s = math.cos(self.angle), math.sin(self.angle)
        local = (uv - 0.5) * self.size
        return np.stack(
            [c * local[:, 0] - s * local[:, 1] + self.cx, s * local[:, 0] + c * local[:, 1] + self.cy], axis=1
        )


class BlazePoseEstimator:
    """Single-person keypoints from RGB uint8 frames of any size.

    `estimate` gives (17, 3) float32 in the order of `POSE_JOINTS`: x, y in 0..1
    of the frame and the landmark's visibility in 0..1; all zeros when nobody is
    found. With tracking, results depend on the frames before, so call `reset`
    at the start of every video (or span). Outputs do not depend on `num_threads`.
    """

    def __init__(self, files: PoseModelFiles, settings: EstimatorSettings = EstimatorSettings(), num_threads: int = 1):
        from ai_edge_litert.interpreter import Interpreter

        self.files = files
        self.settings = settings
        try:
            with native_output_silenced():  # LiteRT announces its CPU delegate
                self._detector = Interpreter(model_path=str(files.detector), num_threads=num_threads)
                self._detector.allocate_tensors()
                self._landmarker = Interpreter(model_path=str(files.landmark), num_threads=num_threads)
                self._landmarker.allocate_tensors()
                self._detector.invoke()  # the first run sets up the delegate, which LiteRT announces
                self._landmarker.invoke()
        except (ValueError, RuntimeError) as error:
            raise UserError(f"{files.detector.parent}: LiteRT cannot load the pose models ({str(error)[:200]})") from None
        self._detector_input = self._input(self._detector, (1, _DETECTOR_SIZE, _DETECTOR_SIZE, 3), files.detector)
        by_width = {int(d["shape"][-1]): d["index"] for d in self._detector.get_output_details()}
        if set(by_width) != {12, 1}:
            raise UserError(f"{files.detector}: not the BlazePose detector (outputs {sorted(by_width)})")
        self._boxes, self._scores = by_width[12], by_width[1]
        self._anchors = anchor_centres().astype(np.float64)
        self._landmark_input = self._input(self._landmarker, (1, _LANDMARK_SIZE, _LANDMARK_SIZE, 3), files.landmark)
        # Output order is not guaranteed by the file: tell them apart by shape.
        by_shape = {tuple(int(v) for v in d["shape"]): d["index"] for d in self._landmarker.get_output_details()}
        try:
            self._points = by_shape[(1, _POINTS * 5)]
            self._presence = by_shape[(1, 1)]
            self._heatmap = by_shape[(1, 64, 64, _POINTS)]
        except KeyError:
            raise UserError(f"{files.landmark}: not a BlazePose landmark model (outputs {list(by_shape)})") from None
        self._tracked: Roi | None = None
        self._fingerprint: str | None = None

    @staticmethod
    def _input(interpreter, shape: tuple[int, ...], path: Path) -> int:
        details = interpreter.get_input_details()[0]
        if tuple(details["shape"]) != shape:
            raise UserError(f"{path}: input shape {tuple(details['shape'])}, expected {shape}")
        return details["index"]

    def reset(self) -> None:
        """Forget the tracked region: the next frame starts from the detector."""
        self._tracked = None

    def fingerprint(self) -> str:
        """Model files and settings: what the cached keypoints depend on."""
        if self._fingerprint is None:
            settings = ",".join(f"{k}={v}" for k, v in sorted(self.settings.to_dict().items()))
            self._fingerprint = f"blazepose-{self.files.fingerprint()}-{KEYPOINT_UNITS}-{settings}"
        return self._fingerprint

    def estimate(self, frame: np.ndarray) -> np.ndarray:
        """(17, 3) float32 keypoints of one H×W×3 uint8 RGB frame, x and y in frame heights (`KEYPOINT_UNITS`);
        zeros when no person is found."""
        landmarks = self.landmarks(frame)
        keypoints = np.zeros((len(POSE_JOINTS), 3), np.float32)
        if landmarks is not None:
            chosen = landmarks[COCO_FROM_BLAZEPOSE]
            keypoints[:, :2] = chosen[:, :2]
            keypoints[:, 2] = np.clip(chosen[:, 3], 0.0, 1.0)
            height, width = np.asarray(frame).shape[:2]
            keypoints = in_frame_heights(keypoints, width, height)
        return keypoints

    def estimate_batch(self, frames: np.ndarray) -> np.ndarray:
        """(N, 17, 3) keypoints of frames in time order (tracking carries from one to the next)."""
        return np.stack([self.estimate(np.asarray(f, np.uint8)) for f in frames]) if len(frames) else np.zeros(
            (0, len(POSE_JOINTS), 3), np.float32
        )

    def landmarks(self, frame: np.ndarray) -> np.ndarray | None:
        """(33, 5) BlazePose landmarks: x, y in 0..1 of the frame, z, visibility, presence; None if nobody."""
        frame = np.asarray(frame)
        if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
            raise UserError(f"expected an H×W×3 uint8 RGB frame, got {frame.dtype} {frame.shape}")
        if self.settings.track and self._tracked is not None:
            found = self._landmarks(frame, self._tracked)
            if found is not None:
                return found
            self._tracked = None
        roi = self._detect(frame)
        return None if roi is None else self._landmarks(frame, roi)

    def _detect(self, frame: np.ndarray) -> Roi | None:
        height, width = frame.shape[:2]
        side = float(max(height, width))
        pad_x, pad_y = (side - width) / 2.0, (side - height) / 2.0
        k = side / _DETECTOR_SIZE
        # Letterbox: centred, black border (−1 after scaling), as the detector was trained.
        to_frame = np.array([[k, 0.0, 0.5 * k - pad_x - 0.5], [0.0, k, 0.5 * k - pad_y - 0.5]])
        image = cv2.warpAffine(frame, to_frame, (_DETECTOR_SIZE, _DETECTOR_SIZE),
                               flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_CONSTANT)  # fmt: skip
        self._detector.set_tensor(self._detector_input, (image.astype(np.float32) * (2.0 / 255.0) - 1.0)[None])
        self._detector.invoke()
        scores = _sigmoid(np.clip(self._detector.get_tensor(self._scores)[0, :, 0], -100.0, 100.0))
        keep = np.nonzero(scores >= self.settings.min_detection_score)[0]
        if keep.size == 0:
            return None
        raw = self._detector.get_tensor(self._boxes)[0][keep].astype(np.float64)
        scores, anchors = scores[keep].astype(np.float64), self._anchors[keep]
        decoded = raw / _DETECTOR_SIZE  # offsets from the anchor centre, in detector pixels
        decoded[:, 0:2] += anchors
        decoded[:, 4::2] += anchors[:, 0:1]
        decoded[:, 5::2] += anchors[:, 1:2]
        keypoints = _weighted_nms_keypoints(decoded, scores)
        pixels = keypoints * side - np.array([pad_x, pad_y])
        roi = Roi.from_alignment_points(pixels[0], pixels[1])
        return roi if np.isfinite(roi.size) and roi.size >= 1.0 else None

    def _landmarks(self, frame: np.ndarray, roi: Roi) -> np.ndarray | None:
        height, width = frame.shape[:2]
        crop = cv2.warpAffine(frame, roi.crop_to_frame(_LANDMARK_SIZE), (_LANDMARK_SIZE, _LANDMARK_SIZE),
                              flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_CONSTANT)  # fmt: skip
        self._landmarker.set_tensor(self._landmark_input, (crop.astype(np.float32) * (1.0 / 255.0))[None])
        self._landmarker.invoke()
        presence = float(self._landmarker.get_tensor(self._presence).reshape(-1)[0])  # already a probability
        if not presence >= self.settings.min_presence:
            return None
        raw = self._landmarker.get_tensor(self._points).reshape(_POINTS, 5).astype(np.float64)
        uv = raw[:, 0:2] / _LANDMARK_SIZE
        if self.settings.refine_with_heatmap:
            uv = refine_with_heatmap(uv, self._landmarker.get_tensor(self._heatmap)[0])
        pixels = roi.project(uv)
        landmarks = np.empty((_POINTS, 5), np.float64)
        landmarks[:, 0] = pixels[:, 0] / width
        landmarks[:, 1] = pixels[:, 1] / height
        landmarks[:, 2] = raw[:, 2] / _LANDMARK_SIZE * roi.size / width
        landmarks[:, 3:5] = _sigmoid(raw[:, 3:5])  # visibility and presence are logits
        if self.settings.track:
            self._tracked = Roi.from_alignment_points(pixels[33], pixels[34])
        return landmarks[:_BODY_POINTS].astype(np.float32)


def _weighted_nms_keypoints(decoded: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """(4, 2) keypoints of the best detection, averaged over the boxes overlapping it by score (one person)."""
    boxes = np.stack([decoded[:, 0] - decoded[:, 2] / 2, decoded[:, 1] - decoded[:, 3] / 2,
                      decoded[:, 0] + decoded[:, 2] / 2, decoded[:, 1] + decoded[:, 3] / 2], axis=1)  # fmt: skip
    best = int(np.argmax(scores))
    top = boxes[best]
    width = np.clip(np.minimum(boxes[:, 2], top[2]) - np.maximum(boxes[:, 0], top[0]), 0, None)
    height = np.clip(np.minimum(boxes[:, 3], top[3]) - np.maximum(boxes[:, 1], top[1]), 0, None)
    inter = width * height
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    union = area + area[best] - inter
    iou = np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)
    group = iou > _NMS_IOU
    group[best] = True
    weights = scores[group]
    return ((decoded[group, 4:12] * weights[:, None]).sum(axis=0) / weights.sum()).reshape(4, 2)


def refine_with_heatmap(uv: np.ndarray, heatmap: np.ndarray) -> np.ndarray:
    """Move each point to the confidence-weighted mean of its heatmap window when that window is sure enough."""
    rows_total, cols_total, count = heatmap.shape
    refined = uv.copy()
    radius = (_HEATMAP_KERNEL - 1) // 2
    for i in range(count):
        col, row = int(uv[i, 0] * cols_total), int(uv[i, 1] * rows_total)
        if uv[i, 0] < 0 or uv[i, 1] < 0 or col >= cols_total or row >= rows_total:
            continue
        r0, r1 = max(0, row - radius), min(rows_total, row + radius + 1)
        c0, c1 = max(0, col - radius), min(cols_total, col + radius + 1)
        confidence = _sigmoid(heatmap[r0:r1, c0:c1, i].astype(np.float64))
        total = confidence.sum()
        if total <= 0 or confidence.max() < _HEATMAP_MIN:
            continue
        rows, cols = np.mgrid[r0:r1, c0:c1]
        refined[i, 0] = (cols * confidence).sum() / total / cols_total
        refined[i, 1] = (rows * confidence).sum() / total / rows_total
    return refined
