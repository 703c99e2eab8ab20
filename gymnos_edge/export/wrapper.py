"""The exported graph: the trained classifier with the smoothing step built in.

A pose model's graph takes raw keypoints and computes the pose features and
their motion itself (`gymnos_edge.features.keypoints`, on `keras.ops`); its
state is the set tracker's followed by the motion's:

    keypoints (1,17,3), state_in (1,N+10+M) → probs, smoothed, label, next_state

The state is an explicit input and output, not a variable inside the model:
stateful Core ML models need iOS 18 and the iPhone 8 stops at iOS 16. The app
feeds back `next_state` with the next frame; `metadata.json` gives the first one.

The step itself is `gymnos_edge.sets.smoothing.step`, built with `keras.ops`; only
`argmax` and `where` are rewritten so that every converter takes them (`GraphOps`).
"""

from __future__ import annotations

import keras
import numpy as np

from gymnos_edge.common.contract import IMAGE, KEYPOINTS, POSE_JOINTS, STATE
from gymnos_edge.features.keypoints import MOTION_STATE, MOTION_TAU_S, motion_alpha, motion_step, pose_features
from gymnos_edge.features.rep_signal import rep_signal
from gymnos_edge.training.classifier import split_classifier
from gymnos_edge.sets.smoothing import STATE_EXTRA, SmoothingParams, step

SMOOTHING_LAYER = "smoothing"
POSE_LAYER = "pose_features"


class GraphOps:
    """`keras.ops` with two ops rewritten so that every converter takes them as they are.

    - `argmax` becomes "first index of the maximum" in plain arithmetic: Keras's
      TensorFlow `argmax` adds a bitwise op for negative zeros that TFLite has no
      built-in kernel for, and coremltools mis-infers the shape of a `select` that
      broadcasts a vector; compare, multiply and min convert everywhere and keep
      NumPy's rule for ties.
    - `where` with two scalar branches gets the condition's shape first: coremltools
      would type that `select` as a scalar, which Core ML's compiler may refuse.
    """

    def __getattr__(self, name: str):
        return getattr(keras.ops, name)

    @staticmethod
    def argmax(x, axis: int = -1):
        ops = keras.ops
        n = x.shape[axis]
        is_top = ops.cast(ops.equal(x, ops.max(x, axis=axis, keepdims=True)), "float32")
        # n where x is not the maximum, its index where it is: the minimum is the first maximum.
        return ops.min(is_top * (ops.arange(n, dtype="float32") - n) + n, axis=axis)

    @staticmethod
    def where(condition, x1, x2):
        if _is_scalar(x1) and _is_scalar(x2):
            x1 = keras.ops.full(condition.shape, x1, dtype="float32")
        return keras.ops.where(condition, x1, x2)


def _is_scalar(value) -> bool:
    return isinstance(value, (int, float, np.number))


GRAPH_OPS = GraphOps()


class SmoothingStep(keras.layers.Layer):
    """(state, probs[, rep_signal]) → (smoothed, label, next_state): one step of the state machine, float32."""

    def __init__(self, params: SmoothingParams, rest_class: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.params = params
        self.rest_class = rest_class

    def call(self, state, probs, rep_signal=None):
        next_state, smoothed, label = step(
            state, probs, self.params, ops=GRAPH_OPS, rest_class=self.rest_class, rep_signal=rep_signal
        )
        return smoothed, label, next_state

    def compute_output_spec(self, state, probs, rep_signal=None):
        return (
            keras.KerasTensor(probs.shape, "float32"),
            keras.KerasTensor(probs.shape[:-1], "int32"),
            keras.KerasTensor(state.shape, "float32"),
        )


def image_size_of(classifier: keras.Model) -> int:
    return int(classifier.input_shape[1])


def classes_of(classifier: keras.Model) -> int:
    return int(classifier.output_shape[-1])


def build_wrapper(
    classifier: keras.Model, params: SmoothingParams, preprocessing: bool = True, rest_class: bool = False
) -> keras.Model:
    """[image (1,S,S,3), state (1,N+10)] → [probs, smoothed, label, next_state], batch of one frame.

    N is the classifier's outputs: K exercises, plus the trained rest class when `rest_class`.

    With `preprocessing=False` the image goes straight to the backbone, for Core ML,
    whose image input does the Caffe mean subtraction and channel order itself.
    """
    size, n = image_size_of(classifier), classes_of(classifier)
    image = keras.Input((size, size, 3), batch_size=1, name=IMAGE)
    state = keras.Input((n + STATE_EXTRA,), batch_size=1, name=STATE)
    if preprocessing:
        probs = classifier(image)
    else:
        backbone, head = split_classifier(classifier)
        probs = head(backbone(image))
    smoothed, label, next_state = SmoothingStep(params, rest_class, name=SMOOTHING_LAYER)(state, probs)
    return keras.Model([image, state], [probs, smoothed, label, next_state], name="gymnos_edge")


class PoseInputs(keras.layers.Layer):
    """(keypoints, state) → (head input, the set tracker's state, next motion state[, rep signal]), float32.

    The rep signal (`features.rep_signal`) comes last, for a run that learnt one; a model without
    one counts its reps on its probabilities' log-odds.
    """

    def __init__(self, n_outputs: int, every_s: float, motion_tau_s: float, rep_weights: np.ndarray | None = None,
                 **kwargs):  # fmt: skip
        super().__init__(**kwargs)
        self.n_outputs = n_outputs
        self.every_s = every_s
        self.motion_tau_s = motion_tau_s
        self.rep_weights = None if rep_weights is None else np.asarray(rep_weights, np.float32)

    def call(self, keypoints, state):
        tracker = state[:, : self.n_outputs + STATE_EXTRA]
        motion = state[:, self.n_outputs + STATE_EXTRA :]
        features = pose_features(keypoints, ops=GRAPH_OPS)
        next_motion, head_input = motion_step(motion, features, np.float32(motion_alpha(self.every_s, self.motion_tau_s)),
                                              ops=GRAPH_OPS)  # fmt: skip
        if self.rep_weights is None:
            return head_input, tracker, next_motion
        return head_input, tracker, next_motion, rep_signal(features, self.rep_weights, ops=GRAPH_OPS)

    def compute_output_spec(self, keypoints, state):
        from gymnos_edge.features.keypoints import HEAD_FEATURES

        batch = state.shape[0]
        specs = (
            keras.KerasTensor((batch, HEAD_FEATURES), "float32"),
            keras.KerasTensor((batch, self.n_outputs + STATE_EXTRA), "float32"),
            keras.KerasTensor((batch, MOTION_STATE), "float32"),
        )
        return specs if self.rep_weights is None else (*specs, keras.KerasTensor((batch, self.n_outputs), "float32"))


def pose_state_size(n_outputs: int) -> int:
    """The set tracker's state, then the motion's."""
    return n_outputs + STATE_EXTRA + MOTION_STATE


def build_pose_wrapper(
    head: keras.Model, params: SmoothingParams, rest_class: bool = False, rep_weights: np.ndarray | None = None,
    motion_tau_s: float = MOTION_TAU_S,
) -> keras.Model:
    """[keypoints (1,17,3), state (1,N+10+M)] → [probs, smoothed, label, next_state], one frame at a time.

    Reps are counted on the rep signal of `rep_weights` (N, REP_FEATURES), else on the log-odds.
    """
    n = classes_of(head)
    keypoints = keras.Input((len(POSE_JOINTS), 3), batch_size=1, name=KEYPOINTS)
    state = keras.Input((pose_state_size(n),), batch_size=1, name=STATE)
    head_input, tracker, next_motion, *signal = PoseInputs(n, params.every_s, motion_tau_s, rep_weights, name=POSE_LAYER)(
        keypoints, state
    )
    probs = head(head_input)
    smoothed, label, next_tracker = SmoothingStep(params, rest_class, name=SMOOTHING_LAYER)(tracker, probs, *signal)
    next_state = keras.layers.Concatenate(axis=-1, name="next_state")([next_tracker, next_motion])
    return keras.Model([keypoints, state], [probs, smoothed, label, next_state], name="gymnos_edge_pose")
