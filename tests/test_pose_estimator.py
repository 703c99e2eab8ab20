"""The BlazePose estimator on real model files (fetched once from PyPI) and real tiny videos."""

import numpy as np
import pytest

from gymnos_edge.common.contract import POSE_JOINTS
from gymnos_edge.common.errors import UserError
from gymnos_edge.data.manifest import load_manifest
from gymnos_edge.data.sampler import SamplingConfig, sample_frames
from gymnos_edge.features.pose_estimator import BlazePoseEstimator, EstimatorSettings, anchor_centres

JOINT = {name: i for i, name in enumerate(POSE_JOINTS)}
EVERY = SamplingConfig(every_s=0.5, image_size=320, resize="fit")


@pytest.fixture(scope="module")
def estimator(pose_files):
    return BlazePoseEstimator(pose_files, EstimatorSettings(track=True))


@pytest.fixture(scope="module")
def demo_frames(demo_manifest):
    video = load_manifest(demo_manifest).videos[0]
    return np.stack([frame for _, frame in sample_frames(video, EVERY)])


def test_anchor_layout_matches_the_detector():
    centres = anchor_centres()
    assert centres.shape == (28 * 28 * 2 + 14 * 14 * 2 + 7 * 7 * 6, 2)
    assert centres.min() > 0 and centres.max() < 1


def test_nobody_gives_zeros_not_an_error(estimator):
    estimator.reset()
    keypoints = estimator.estimate(np.zeros((240, 320, 3), np.uint8))
    assert keypoints.shape == (17, 3) and keypoints.dtype == np.float32 and np.all(keypoints == 0)


def test_the_demo_figure_is_found_upright_and_inside_the_frame(estimator, demo_frames):
    estimator.reset()
    keypoints = estimator.estimate_batch(demo_frames)
    found = keypoints[:, :, 2].max(axis=1) > 0
    assert found.mean() >= 0.7  # the demo's rests include leaving the frame
    body = keypoints[found]
    y = lambda name: body[:, JOINT[name], 1]  # noqa: E731
    assert np.all(y("nose") < y("left_hip")) and np.all(y("left_hip") < y("left_ankle"))
    aspect = demo_frames.shape[2] / demo_frames.shape[1]  # x in frame heights runs 0..width/height
    assert np.all((body[:, :, 0] > -0.1) & (body[:, :, 0] < aspect + 0.1))
    assert np.all((body[:, :, 1] > -0.1) & (body[:, :, 1] < 1.1))


def test_keypoints_keep_the_body_shape_in_a_wider_frame(estimator, demo_frames):
    """The same pixels with black borders that make the portrait frame 1.5 times as wide (still no wider than
    high, so the detector sees the same letterboxed image): in frame heights the body only moves sideways; in
    0..1 of the width it would look a third narrower."""
    frame = demo_frames[len(demo_frames) // 2]
    height, width = frame.shape[:2]
    assert 1.5 * width <= height
    pad = width // 4
    wide = np.zeros((height, width + 2 * pad, 3), np.uint8)
    wide[:, pad : pad + width] = frame
    estimator.reset()
    narrow_points = estimator.estimate(frame)
    estimator.reset()
    wide_points = estimator.estimate(wide)
    seen = (narrow_points[:, 2] > 0.5) & (wide_points[:, 2] > 0.5)
    assert seen.sum() >= 8
    np.testing.assert_allclose(wide_points[seen, 0] - pad / height, narrow_points[seen, 0], atol=0.01)
    np.testing.assert_allclose(wide_points[seen, 1], narrow_points[seen, 1], atol=0.01)


def test_tracking_is_reproducible_after_reset_and_threads_do_not_matter(pose_files, estimator, demo_frames):
    estimator.reset()
    first = estimator.estimate_batch(demo_frames[:6])
    estimator.reset()
    np.testing.assert_array_equal(estimator.estimate_batch(demo_frames[:6]), first)
    two_threads = BlazePoseEstimator(pose_files, EstimatorSettings(track=True), num_threads=2)
    np.testing.assert_array_equal(two_threads.estimate_batch(demo_frames[:6]), first)


def test_fingerprint_covers_files_and_settings(pose_files, estimator):
    untracked = BlazePoseEstimator(pose_files, EstimatorSettings(track=False))
    assert estimator.fingerprint() != untracked.fingerprint()
    assert pose_files.fingerprint() in estimator.fingerprint()
    assert BlazePoseEstimator(pose_files, EstimatorSettings(track=True)).fingerprint() == estimator.fingerprint()


def test_bad_frames_are_clear_errors(estimator):
    with pytest.raises(UserError, match="uint8 RGB"):
        estimator.estimate(np.zeros((10, 10), np.uint8))
    with pytest.raises(UserError, match="uint8 RGB"):
        estimator.estimate(np.zeros((10, 10, 3), np.float32))
