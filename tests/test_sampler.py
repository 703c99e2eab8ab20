import numpy as np
import pytest

from gymnos_edge.common.errors import UserError
from gymnos_edge.data.sampler import ResizePolicy, SamplingConfig, resize_frame, sample_frames
from gymnos_edge.data.sampler import sample_frames_continued, span_chunks
from gymnos_edge.data.video import probe_video
from helpers import make_variable_rate_video, marker_frames


def _is_upright(frame: np.ndarray) -> bool:
    h, w = frame.shape[:2]
    top_left_red = frame[h // 10, w // 10, 0] > 200 and frame[h // 10, w // 10, 1] < 60
    bottom_right_green = frame[-h // 20, -w // 20, 1] > 200 and frame[-h // 20, -w // 20, 0] < 60
    return bool(top_left_red and bottom_right_green)


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_frames_come_out_upright_exactly_once(make_video, rotation):
    path = make_video(f"r{rotation}.mp4", rotation=rotation)
    info = probe_video(path)
    assert info.rotation == rotation
    assert (info.width, info.height) == (64, 96)  # displayed size: portrait whatever the stored pixels
    config = SamplingConfig(every_s=0.5, image_size=64, resize=ResizePolicy.squash)
    frames = [f for _, f in sample_frames(path, config)]
    assert frames and all(_is_upright(f) for f in frames)


def test_rotated_file_really_stores_landscape_pixels(make_video):
    import cv2

    path = make_video("stored.mp4", rotation=90)
    capture = cv2.VideoCapture(str(path))
    capture.set(cv2.CAP_PROP_ORIENTATION_AUTO, 0)
    ok, raw = capture.read()
    assert ok and raw.shape[:2] == (64, 96)  # what a naive reader sees: landscape, needs the tag


def test_constant_rate_timestamps_follow_the_interval(make_video):
    path = make_video(seconds=3.0, fps=15)
    stamps = [t for t, _ in sample_frames(path, SamplingConfig(every_s=0.2, image_size=32))]
    assert len(stamps) == 15
    np.testing.assert_allclose(np.diff(stamps), 0.2, atol=1 / 15 + 1e-6)
    assert stamps[0] == 0.0


def test_span_bounds_are_respected(make_video):
    path = make_video(seconds=4.0, fps=10)
    stamps = [t for t, _ in sample_frames(path, SamplingConfig(every_s=0.5, image_size=32), 1.0, 2.6)]
    assert stamps == pytest.approx([1.0, 1.5, 2.0, 2.5])


def test_variable_rate_video_is_sampled_by_presentation_time(make_video, tmp_path):
    source = make_video("cfr.mp4", seconds=3.0, fps=30)
    vfr = make_variable_rate_video(source, tmp_path / "vfr.mp4")
    stamps = np.array([t for t, _ in sample_frames(vfr, SamplingConfig(every_s=0.2, image_size=32))])
    # 30 frames in the first second, then the other 60 frames at 10 fps: 6 s more.
    duration = 1.0 + 60 / 10
    assert len(stamps) == pytest.approx(duration / 0.2, abs=1)
    gaps = np.diff(stamps)
    assert np.all(gaps > 0.2 - 1e-3) and np.all(gaps < 0.2 + 0.1 + 1e-3)


@pytest.mark.parametrize("rates", [None, (30, 10), (10, 30)], ids=["constant", "fast-then-slow", "slow-then-fast"])
def test_a_span_cut_into_stretches_samples_the_frames_of_one_pass(make_video, tmp_path, rates):
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 255, (48, 64, 3), dtype=np.uint8) for _ in range(120)]  # every frame differs
    video = make_video("noise.mp4", fps=30, frames=frames)
    if rates:  # a seek by time then lands early, or late: OpenCV counts frames at the average rate
        video = make_variable_rate_video(video, tmp_path / "vfr.mp4", rates)
    for every, start, end, steps in ((0.2, 0.0, 9.0, 4), (0.05, 1.3, 4.7, 16), (0.13, 2.0, 9.0, 3)):
        config = SamplingConfig(every_s=every, image_size=32)
        one_pass = list(sample_frames(video, config, start, end))
        stretches = span_chunks(start, end, every, steps)
        assert len(stretches) > 2 and stretches[0][0] == start and stretches[-1][1] == end
        cut = [frame for index, (first, last) in enumerate(stretches)
               for frame in (sample_frames if index == 0 else sample_frames_continued)(video, config, first, last)]  # fmt: skip
        assert [t for t, _ in cut] == [t for t, _ in one_pass]
        assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(cut, one_pass))


def test_resize_policies_keep_or_fill_the_square():
    frame = np.zeros((200, 100, 3), np.uint8)
    frame[:, :] = (255, 255, 255)
    squash = resize_frame(frame, 50, ResizePolicy.squash)
    crop = resize_frame(frame, 50, ResizePolicy.crop)
    letterbox = resize_frame(frame, 50, ResizePolicy.letterbox)
    assert squash.shape == crop.shape == letterbox.shape == (50, 50, 3)
    assert squash.min() == 255 and crop.min() == 255
    assert letterbox[25, 0].max() == 0 and letterbox[25, 25].min() == 255  # black bars left and right


def test_fit_keeps_the_frame_shape_for_the_pose_estimator():
    frame = np.zeros((100, 40, 3), np.uint8)
    assert resize_frame(frame, 50, ResizePolicy.fit).shape == (50, 20, 3)
    assert resize_frame(frame, 200, ResizePolicy.fit).shape == (200, 80, 3)
    assert resize_frame(frame, 100, ResizePolicy.fit) is frame


def test_memory_is_flat_one_frame_at_a_time(make_video):
    path = make_video(seconds=2.0)
    frames = sample_frames(path, SamplingConfig(image_size=32))
    first = next(frames)
    assert first[1].shape == (32, 32, 3)  # a generator: later frames are not decoded yet


def test_missing_and_corrupt_videos_are_user_errors(tmp_path):
    with pytest.raises(UserError, match="not found"):
        probe_video(tmp_path / "nope.mp4")
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(500))
    with pytest.raises(UserError, match="broken.mp4"):
        probe_video(broken)


def test_bad_sampling_settings_are_rejected():
    with pytest.raises(UserError, match="interval"):
        SamplingConfig(every_s=0)
    with pytest.raises(UserError, match="image size"):
        SamplingConfig(image_size=8)


def test_marker_frames_helper_is_asymmetric():
    frame = marker_frames(1)[0]
    assert _is_upright(frame) and not _is_upright(np.rot90(frame, 2))
