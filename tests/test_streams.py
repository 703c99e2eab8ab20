"""Back-to-back spans get the head inputs the phone computes: the motion state carried across them."""

from pathlib import Path

import numpy as np

from gymnos_edge.features.extraction import SpanRequest
from gymnos_edge.features.keypoints import head_inputs
from gymnos_edge.training.plan import TrainingSpan
from gymnos_edge.training.streams import back_to_back, streamed


def _span(video: str, start: float, end: float, target: int = 0) -> TrainingSpan:
    return TrainingSpan(SpanRequest(Path(video), start, end), target)


def test_runs_follow_each_video_in_time_order_and_break_at_gaps():
    spans = [
        _span("b.mp4", 0.0, 4.0),
        _span("a.mp4", 3.0, 7.5),  # listed out of order
        _span("a.mp4", 0.0, 3.0),
        _span("a.mp4", 9.0, 12.0),  # a gap before it (a partly annotated video, --gaps ignore)
        _span("b.mp4", 4.0, 6.0),
    ]
    assert sorted(back_to_back(spans)) == sorted([[2, 1], [3], [0, 4]])


def test_streamed_inputs_equal_the_whole_stream_and_differ_from_fresh_spans():
    rng = np.random.default_rng(0)
    keypoints = rng.uniform(0, 1, (30, 17, 3)).astype(np.float32)
    keypoints[:, :, 2] = 1.0
    spans = [_span("v.mp4", 0.0, 2.0), _span("v.mp4", 2.0, 3.4), _span("v.mp4", 3.4, 6.0)]
    pieces = [keypoints[:10], keypoints[10:17], keypoints[17:]]

    def inputs_of(k):
        return head_inputs(k, 0.2)

    joined = np.concatenate(streamed(spans, pieces, inputs_of))
    np.testing.assert_allclose(joined, inputs_of(keypoints), rtol=1e-6, atol=1e-6)
    fresh = np.concatenate([inputs_of(p) for p in pieces])
    assert not np.allclose(joined[10:], fresh[10:])  # the second span remembers the first
    np.testing.assert_allclose(joined[:10], fresh[:10], rtol=1e-6, atol=1e-6)


def test_a_span_without_frames_keeps_its_features_and_does_not_break_the_run():
    spans = [_span("v.mp4", 0.0, 1.0), _span("v.mp4", 1.0, 1.1), _span("v.mp4", 1.1, 2.0)]
    pieces = [np.ones((3, 2)), np.empty((0, 2)), np.ones((2, 2))]
    out = streamed(spans, pieces, lambda f: np.cumsum(f, axis=0))
    assert out[1].shape == (0, 2)
    np.testing.assert_array_equal(out[2][:, 0], [4.0, 5.0])
