"""Hostile input and real machines: no crash, no data loss, no silent garbage.

One section per kind of trouble. Videos are tiny real files made here, then broken the way
real files break (cut short, renamed, with a damaged header); anything that could crash the
interpreter runs in a subprocess, so a segfault fails its test instead of ending the run.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import cv2
import imageio_ffmpeg
import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from gymnos_edge.cli.app import app
from gymnos_edge.common.errors import UserError, ValidationError
from gymnos_edge.data.manifest import check_manifest, load_manifest, require_valid
from gymnos_edge.data.video_writer import write_video
from helpers import LABELS, REPO, marker_frames, run_cli, tiny_train_config, write_manifest

runner = CliRunner()


def noisy_frames(count: int, height: int = 64, width: int = 48) -> list[np.ndarray]:
    """Frames that do not compress away, so most of a file is frames and a cut removes some."""
    rng = np.random.default_rng(0)
    return [rng.integers(0, 255, (height, width, 3), dtype=np.uint8) for _ in range(count)]


def ffmpeg(*args: str) -> None:
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", *args], check=True)


# --- MP4 surgery: the header fields real broken files get wrong -------------------------------------------------

_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts"}


def _boxes(data: bytes, kind: bytes, start: int = 0, end: int | None = None):
    end = len(data) if end is None else end
    while start + 8 <= end:
        size, name = struct.unpack(">I4s", data[start : start + 8])
        if size < 8:
            return
        if name == kind:
            yield start
        if name in _CONTAINERS:
            yield from _boxes(data, kind, start + 8, start + size)
        start += size


def with_zero_frame_durations(source: Path, target: Path) -> Path:
    data = bytearray(source.read_bytes())
    for box in _boxes(bytes(data), b"stts"):
        for entry in range(struct.unpack(">I", data[box + 12 : box + 16])[0]):
            offset = box + 16 + 8 * entry
            data[offset + 4 : offset + 8] = bytes(4)  # sample delta 0
    target.write_bytes(bytes(data))
    return target


def with_zero_timescale(source: Path, target: Path) -> Path:
    """A media header whose time scale is 0: no frame rate can be read from it."""
    data = bytearray(source.read_bytes())
    for box in _boxes(bytes(data), b"mdhd"):
        offset = box + 12 + (16 if data[box + 8] == 1 else 8)
        data[offset : offset + 4] = bytes(4)
    target.write_bytes(bytes(data))
    return target


# === 1. Paths that are not valid UTF-8 ===========================================================================

LATIN1_FOLDER = os.fsdecode(b"caf\xe9")  # "café" written by a Latin-1 system: not UTF-8


@pytest.fixture
def latin1_folder(tmp_path) -> Path:
    folder = tmp_path / LATIN1_FOLDER
    try:
        folder.mkdir()
    except (UnicodeEncodeError, OSError):
        pytest.skip("this file system refuses names that are not UTF-8")
    write_video(folder / "squat.mp4", marker_frames(30), 15)
    write_manifest(folder, "video,label,start,end\nsquat.mp4,squat,0,1\nsquat.mp4,overhead_press,1,2\n")
    return folder


def test_manifest_check_opens_videos_in_a_folder_named_in_latin1(latin1_folder):
    result = run_cli("manifest", "check", str(latin1_folder / "manifest.csv"))
    assert result.returncode == 0, result.stderr  # -11 was OpenCV's segfault
    assert "is valid" in result.stdout and "Traceback" not in result.stderr


@pytest.mark.slow
def test_predict_a_video_in_a_folder_named_in_latin1(latin1_folder, tiny_run, tmp_path):
    result = run_cli("predict", str(latin1_folder / "squat.mp4"), "--model", str(tiny_run.folder),
                     "--out", str(latin1_folder / "timeline"))  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads((latin1_folder / "timeline" / "timeline.json").read_text())["frames"]


# === 3. Broken videos ============================================================================================


@pytest.fixture
def broken_videos(tmp_path) -> Path:
    folder = tmp_path / "broken"
    folder.mkdir()
    whole = write_video(folder / "whole.mp4", noisy_frames(60), 15)  # 4 s
    ffmpeg("-i", str(whole), "-c", "copy", "-movflags", "+faststart", str(folder / "faststart.mp4"))
    data = (folder / "faststart.mp4").read_bytes()
    (folder / "truncated.mp4").write_bytes(data[: len(data) // 2])  # header intact, half the frames gone
    for suffix in ("png", "jpg"):
        cv2.imwrite(str(folder / f"picture.{suffix}"), noisy_frames(1)[0])
        (folder / f"picture.{suffix}").rename(folder / f"{suffix}.mp4")
    with_zero_timescale(whole, folder / "zero_fps.mp4")
    with_zero_frame_durations(whole, folder / "zero_durations.mp4")
    return folder


@pytest.mark.parametrize(
    "video, problem",
    [
        ("truncated.mp4", "truncated"),
        ("png.mp4", "single picture"),
        ("jpg.mp4", "single picture"),
        ("zero_fps.mp4", "no usable frame rate"),
        ("zero_durations.mp4", "do not advance in time"),
    ],
)
def test_manifest_check_refuses_a_broken_video(broken_videos, video, problem):
    check = check_manifest(load_manifest(write_manifest(broken_videos, f"video,label\n{video},squat\n")))
    assert len(check.problems) == 1 and problem in check.problems[0], check.problems
    assert check.problems[0].startswith(f"line 2: {video}: ")


def test_the_end_of_a_variable_rate_clip_is_its_last_frame_not_frames_over_fps(tmp_path):
    source = write_video(tmp_path / "source.mp4", noisy_frames(40), 30)
    variable = tmp_path / "variable.mp4"
    # 30 frames at 30 fps, then 10 frames half a second apart (a phone in low light): 6 s in all.
    ffmpeg("-i", str(source), "-vf", "setpts='if(lt(N,30),N/30,1+(N-30)/2)/TB'", "-fps_mode", "vfr",
           "-c:v", "libx264", "-crf", "30", str(variable))  # fmt: skip
    check = require_valid(write_manifest(tmp_path, "video,label,start,end\nvariable.mp4,squat,0,6\n"))
    assert check.videos[variable.resolve()].duration_s == pytest.approx(6.0, abs=0.05)


def test_probing_reads_only_the_end_of_a_long_video(tmp_path, monkeypatch):
    from gymnos_edge.data import video as video_module

    long = write_video(tmp_path / "long.mp4", marker_frames(600, 32, 32), 30)  # 20 s
    grabbed = []
    real = video_module.open_video

    class Counting:
        def __init__(self, capture):
            self.capture = capture

        def grab(self):
            grabbed.append(1)
            return self.capture.grab()

        def __getattr__(self, name):
            return getattr(self.capture, name)

    def counting_open(path):
        import contextlib

        @contextlib.contextmanager
        def wrapped():
            with real(path) as capture:
                yield Counting(capture)

        return wrapped()

    monkeypatch.setattr(video_module, "open_video", counting_open)
    assert video_module.probe_video(long).duration_s == pytest.approx(20.0, abs=0.05)
    assert len(grabbed) < 100  # about the last second, not 600 frames


def test_train_refuses_a_split_without_frames_before_extracting_anything(tmp_path, make_video):
    for name in ("a.mp4", "b.mp4", "c.mp4"):
        make_video(name, seconds=2.0)
    manifest = write_manifest(tmp_path, "video,label,split\na.mp4,squat,train\nb.mp4,overhead_press,train\n"
                                        "c.mp4,squat,test\n")  # fmt: skip
    config = tiny_train_config(manifest, tmp_path)
    with pytest.raises(UserError, match="the val split has no spans"):
        from gymnos_edge.training.train import train

        train(config)
    assert not config.out.exists() and not (tmp_path / "cache").exists()


# === 4. File system problems =====================================================================================


def unwritable_folder(tmp_path: Path) -> Path:
    """A folder this process cannot write in, even as root (who ignores permission bits)."""
    folder = tmp_path / "read_only"
    folder.mkdir()
    folder.chmod(0o555)
    for candidate in (folder, Path("/sys")):
        try:
            (candidate / "gymnos-edge-probe").touch()
        except OSError:
            return candidate
        (candidate / "gymnos-edge-probe").unlink()
    pytest.skip("no unwritable folder on this machine")


def test_train_refuses_an_unwritable_out_before_any_heavy_work(tmp_path, demo_manifest):
    config = tiny_train_config(demo_manifest, tmp_path)
    target = unwritable_folder(tmp_path) / "run"
    from gymnos_edge.training.train import TrainConfig, train

    with pytest.raises(UserError, match="--out .*cannot write"):
        train(TrainConfig(**{**config.__dict__, "out": target}))
    assert not (tmp_path / "cache").exists()


@pytest.mark.parametrize(
    "window, backbone, problem",
    [("abc", "pose", "give seconds (for example 2) or auto"), ("0", "pose", "give seconds between 0 and 60"),
     ("auto", "vgg16", "needs --backbone pose"), ("1", "vgg16", "needs --backbone pose")],
)  # fmt: skip
def test_a_bad_motion_window_is_one_message_before_any_work(tmp_path, demo_manifest, window, backbone, problem):
    out = tmp_path / "run"
    result = runner.invoke(app, ["train", str(demo_manifest), "--backbone", backbone, "--motion-window", window,
                                 "--out", str(out), "--weights", "none"])  # fmt: skip
    assert result.exit_code == 1, result.output
    assert "--motion-window" in result.output and problem in " ".join(result.output.split())
    assert isinstance(result.exception, SystemExit) and not out.exists()  # a message, no traceback, nothing written


def test_out_paths_through_a_file_are_one_clear_message(tmp_path, demo_manifest, tiny_run):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("not a folder")
    video = str(load_manifest(demo_manifest).videos[0])
    commands = [
        ["export", str(tiny_run.folder), "--tflite", "--no-validate", "--out", str(a_file / "export")],
        ["predict", video, "--model", str(tiny_run.folder), "--out", str(a_file)],
        ["predict", video, "--model", str(tiny_run.folder), "--out", str(tmp_path / "t"), "--annotate",
         str(a_file / "annotated.mp4")],
        ["evaluate", str(demo_manifest), "--model", str(tiny_run.folder), "--split", "all", "--out",
         str(a_file / "evaluation.json")],
    ]  # fmt: skip
    for command in commands:
        result = runner.invoke(app, command)
        assert result.exit_code == 1, (command, result.output)
        assert "notes.txt" in result.output and ("is a file" in result.output), (command, result.output)
        assert not isinstance(result.exception, OSError)


def test_predict_writes_under_runs_predict_not_beside_the_video(tmp_path, demo_manifest, tiny_run, monkeypatch):
    video = load_manifest(demo_manifest).videos[0]
    monkeypatch.chdir(tmp_path)
    before = set(video.parent.iterdir())
    result = runner.invoke(app, ["predict", str(video), "--model", str(tiny_run.folder)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "runs" / "predict" / video.stem / "timeline.json").is_file()
    assert set(video.parent.iterdir()) == before


def test_a_late_file_system_error_is_one_message_naming_the_file(capsys):
    from gymnos_edge.cli.support import user_errors

    @user_errors
    def command():
        raise OSError(errno.ENOSPC, "No space left on device", "/data/runs/x/model.keras")

    with pytest.raises(typer.Exit) as caught:
        command()
    assert caught.value.exit_code == 1
    err = capsys.readouterr().err
    assert "/data/runs/x/model.keras: No space left on device" in err and "Traceback" not in err


def test_debug_variable_shows_the_traceback_behind_a_user_error(capsys, monkeypatch):
    from gymnos_edge.cli.support import user_errors

    @user_errors
    def command():
        raise UserError("manifest.csv: line 3: label is empty")

    for value, shown in (("", False), ("1", True)):
        monkeypatch.setenv("GYMNOS_EDGE_DEBUG", value)
        with pytest.raises(typer.Exit):
            command()
        err = capsys.readouterr().err
        assert "line 3: label is empty" in err
        assert ("Traceback" in err) == shown and ("test_hostile_inputs.py" in err) == shown


# === 5. Every file read back is validated =======================================================================


def _run_metadata(**overrides) -> dict:
    from gymnos_edge.training.classifier import PREPROCESSING
    from gymnos_edge.training.run_folder import RunMetadata
    from gymnos_edge.sets.smoothing import SmoothingParams

    metadata = RunMetadata(name="r", labels=LABELS, image_size=32, resize="squash", every_s=0.5,
                           preprocessing=PREPROCESSING, head="gap", weights="none", weights_fingerprint="-",
                           smoothing=SmoothingParams(every_s=0.5).to_dict())  # fmt: skip
    values = metadata.to_dict()
    for key, value in overrides.items():
        if key in values["smoothing"]:
            values["smoothing"][key] = value
        else:
            values[key] = value
    return values


@pytest.mark.parametrize("field, value", [("image_size", "big"), ("labels", "squat"), ("tau_s", "abc"),
                                          ("every_s", None), ("resize", "wide")])  # fmt: skip
def test_run_metadata_of_the_wrong_type_names_the_field(tmp_path, field, value):
    from gymnos_edge.training.run_folder import load_run

    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "model.keras").write_bytes(b"")
    (folder / "metadata.json").write_text(json.dumps(_run_metadata(**{field: value})))
    with pytest.raises(UserError) as caught:
        load_run(folder)
    assert str(folder / "metadata.json") in str(caught.value) and field in str(caught.value)


@pytest.mark.parametrize("field, value", [("image_size", "big"), ("labels", "squat"), ("smoothing", {"tau_s": "abc"}),
                                          ("initial_state", [0.5]), ("outputs", {"probs": 3})])  # fmt: skip
def test_export_metadata_of_the_wrong_type_names_the_field(tmp_path, field, value):
    from gymnos_edge.export.artifacts import base_metadata
    from gymnos_edge.inference.litert_model import load_metadata
    from gymnos_edge.training.run_folder import RunMetadata

    metadata = base_metadata(RunMetadata.from_dict(_run_metadata()))
    metadata[field] = {**metadata[field], **value} if isinstance(value, dict) else value
    (tmp_path / "metadata.json").write_text(json.dumps(metadata))
    (tmp_path / "model_fp32.tflite").write_bytes(b"")
    with pytest.raises(UserError, match=field):
        load_metadata(tmp_path / "model_fp32.tflite")


def test_a_corrupt_model_keras_says_corrupt(tmp_path, tiny_run):
    from gymnos_edge.inference.open_model import open_frame_model

    copy = tmp_path / "copy"
    shutil.copytree(tiny_run.folder, copy)
    data = (copy / "model.keras").read_bytes()
    (copy / "model.keras").write_bytes(data[: len(data) // 2])
    with pytest.raises(UserError, match="model.keras: the model file is corrupt or truncated"):
        open_frame_model(copy)


def test_a_truncated_tflite_says_it_is_truncated(tmp_path):
    from gymnos_edge.export.artifacts import base_metadata
    from gymnos_edge.inference.litert_model import TFLiteModel
    from gymnos_edge.training.run_folder import RunMetadata

    model = tmp_path / "model_fp32.tflite"
    model.write_bytes(b"\x00\x10\x00\x00TFL3" + bytes(500))  # its root table lies past the end: cut short
    metadata = base_metadata(RunMetadata.from_dict(_run_metadata()))
    metadata["models"] = [{"file": model.name, "size_bytes": 4096}]
    (tmp_path / "metadata.json").write_text(json.dumps(metadata))
    with pytest.raises(UserError, match="truncated"):
        TFLiteModel(model)
    (tmp_path / "metadata.json").unlink()  # a lone file: only its own contents to go by
    with pytest.raises(UserError, match="truncated or damaged"):
        TFLiteModel(model)


# === 6. A killed process leaves nothing behind for good ==========================================================

_WRITER = textwrap.dedent("""
    import sys, time
    from gymnos_edge.common.atomic import atomic_path
    with atomic_path(sys.argv[1], directory=sys.argv[2] == "folder") as temporary:
        if sys.argv[2] == "file":
            temporary.write_text("half written")
        else:
            (temporary / "model.keras").write_text("half written")
        print("ready", flush=True)
        time.sleep(600)
""")


def _killed_writer(target: Path, kind: str) -> int:
    process = subprocess.Popen([sys.executable, "-c", _WRITER, str(target), kind], stdout=subprocess.PIPE,
                               text=True, env={**os.environ, "PYTHONPATH": str(REPO)})  # fmt: skip
    assert process.stdout.readline().strip() == "ready"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    return process.pid


def test_temporaries_of_a_killed_writer_are_removed_by_the_next_write(tmp_path):
    from gymnos_edge.common.atomic import STALE_AFTER_S, write_json

    pids = [_killed_writer(tmp_path / "result.json", "file"), _killed_writer(tmp_path / "run", "folder")]
    leftovers = sorted(tmp_path.iterdir())
    assert len(leftovers) == 2 and all(any(f"tmp-{pid}-" in p.name for pid in pids) for p in leftovers)
    young = _killed_writer(tmp_path / "young.json", "file")  # died just now: kept, it might be a slow writer
    old = time.time() - 2 * STALE_AFTER_S
    for path in leftovers:
        os.utime(path, (old, old))
    write_json(tmp_path / "other.json", {"ok": True})
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names[-1] == "other.json" and len(names) == 2 and f"tmp-{young}-" in names[0]


def test_a_live_writer_s_temporary_is_never_removed(tmp_path):
    from gymnos_edge.common.atomic import STALE_AFTER_S, remove_stale_temporaries

    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        temporary = tmp_path / f".model.keras.tmp-{sleeper.pid}-abcd1234"
        temporary.write_text("being written")
        old = time.time() - 2 * STALE_AFTER_S
        os.utime(temporary, (old, old))
        assert remove_stale_temporaries(tmp_path) == [] and temporary.exists()
    finally:
        sleeper.kill()
        sleeper.wait()
    assert remove_stale_temporaries(tmp_path) == [temporary]


# === 7. Labels ===================================================================================================


def test_labels_with_control_characters_blanks_or_a_rest_look_alike_are_refused(tmp_path, make_video):
    make_video("a.mp4", seconds=4.0)
    rows = [{"video": "a.mp4", "label": label, "start": i, "end": i + 0.5}
            for i, label in enumerate(["squat\n", "squ\x07at", " squat", "squat ", "Rest", "REST"])]  # fmt: skip
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(rows))
    with pytest.raises(ValidationError) as caught:
        load_manifest(path)
    problems = caught.value.problems
    for entry, words in ((1, "line break"), (2, "control character"), (3, "blanks"), (4, "blanks"),
                         (5, "reserved for rests"), (6, "reserved for rests")):  # fmt: skip
        assert any(p.startswith(f"entry {entry}: ") and words in p for p in problems), (entry, problems)
    csv = write_manifest(tmp_path, "video,label,start,end\na.mp4,squat ,0,1\n")
    with pytest.raises(ValidationError, match="line 2: label 'squat ' has blanks"):
        load_manifest(csv)


def test_rest_itself_is_a_label_a_manifest_may_use(tmp_path, make_video):
    make_video("a.mp4", seconds=4.0)
    manifest = load_manifest(write_manifest(tmp_path, "video,label,start,end\na.mp4,squat,0,2\na.mp4,rest,2,4\n"))
    assert manifest.labels == ("squat",) and manifest.has_rest_spans  # rest is a span label, never an exercise


# === 8. Manifests at scale =======================================================================================


def test_thousands_of_overlapping_rows_check_quickly_with_a_capped_list(tmp_path, make_video):
    make_video("a.mp4", seconds=4.0)
    labels = ("squat", "overhead_press")
    rows = "".join(f"a.mp4,{labels[i % 2]},{i * 0.001:.3f},{i * 0.001 + 0.5:.3f}\n" for i in range(3000))
    path = write_manifest(tmp_path, "video,label,start,end\n" + rows)
    started = time.perf_counter()
    check = check_manifest(load_manifest(path))
    assert time.perf_counter() - started < 10
    assert check.count == 2999 and len(check.problems) == 21
    assert check.problems[-1] == "… and 2979 more of the same kind (overlapping spans)"
    assert check.problems[0].startswith("line 3: span of 'overhead_press' overlaps line 2 ('squat')")


def test_repeated_row_problems_are_capped_but_other_kinds_still_listed(tmp_path):
    rows = "".join("a.mp4,squat,-1,2\n" for _ in range(100)) + "a.mp4,,0,1\n"
    with pytest.raises(ValidationError) as caught:
        load_manifest(write_manifest(tmp_path, "video,label,start,end\n" + rows))
    assert caught.value.count == 101 and len(caught.value.problems) == 22
    assert "… and 80 more of the same kind (start)" in caught.value.problems
    assert any("line 102: label is empty" in p for p in caught.value.problems)


def test_identical_spans_are_decoded_and_computed_once(make_video, tmp_path):
    from gymnos_edge.data.sampler import SamplingConfig
    from gymnos_edge.features.extraction import FeatureCache, SpanRequest, extract_features

    video = make_video("clip.mp4", seconds=2.0)
    computed = []

    def features(batch):
        computed.append(len(batch))
        return batch.mean(axis=(1, 2))

    requests = [SpanRequest(video, 0.0, 2.0)] * 200
    entries, stats = extract_features(requests, features, SamplingConfig(every_s=0.5, image_size=32), "fp",
                                      FeatureCache(tmp_path / "cache"))  # fmt: skip
    assert len(computed) == 1 and stats.spans_computed == 1 and stats.frames_computed == 4
    assert len(entries) == 200 and all(e is entries[0] for e in entries)


def test_a_label_missing_from_training_is_refused_before_extraction(tmp_path, make_video):
    from gymnos_edge.training.train import train

    for name in ("a.mp4", "b.mp4", "c.mp4"):
        make_video(name, seconds=2.0)
    manifest = write_manifest(tmp_path, "video,label,split\na.mp4,squat,train\nb.mp4,squat,train\n"
                                        "c.mp4,overhead_press,val\n")  # fmt: skip
    config = tiny_train_config(manifest, tmp_path)
    with pytest.raises(UserError, match="no training spans for label.s. overhead_press"):
        train(config)
    assert not (tmp_path / "cache").exists()


# === 9. Strict fields ============================================================================================


def _json_manifest(folder: Path, rows: list[dict]) -> Path:
    path = folder / "manifest.json"
    path.write_text(json.dumps(rows))  # NaN stays NaN: json writes it as the bare word
    return path


def test_json_nan_times_and_non_text_labels_are_errors(tmp_path):
    rows = [
        {"video": "a.mp4", "label": "squat", "start": float("nan"), "end": 2},
        {"video": "a.mp4", "label": ["squat"]},
        {"video": "a.mp4", "label": 7},
        {"video": "a.mp4", "label": True},
        {"video": "a.mp4", "label": "squat", "end": True},
    ]
    with pytest.raises(ValidationError) as caught:
        load_manifest(_json_manifest(tmp_path, rows))
    text = "\n".join(caught.value.problems)
    assert "entry 1: start must be a finite number of seconds, got nan" in text
    assert 'entry 2: label must be text in quotes, got ["squat"]' in text
    assert "entry 3: label must be text in quotes, got 7" in text
    assert "entry 4: label must be text in quotes, got true" in text
    assert "entry 5: end must be a number of seconds, got true" in text


def test_unknown_columns_suggest_the_known_one(tmp_path):
    with pytest.raises(ValidationError, match="unknown column 'begin' — did you mean 'start'"):
        load_manifest(write_manifest(tmp_path, "video,label,begin,end\na.mp4,squat,0,1\n"))
    with pytest.raises(ValidationError, match="unknown column 'lable' — did you mean 'label'"):
        load_manifest(_json_manifest(tmp_path, [{"video": "a.mp4", "label": "squat", "lable": "squat"}]))


def test_json_keys_match_columns_without_case_like_csv_headers(tmp_path, make_video):
    make_video("a.mp4", seconds=4.0)
    path = _json_manifest(tmp_path, [{"Video": "a.mp4", "LABEL": "squat", "Start": 0.5, "end": 2}])
    span = require_valid(path).manifest.spans[0]
    assert (span.video_ref, span.label, span.start_s, span.end_s) == ("a.mp4", "squat", 0.5, 2.0)


def test_exact_duplicate_rows_are_flagged(tmp_path):
    path = write_manifest(tmp_path, "video,label,start,end\na.mp4,squat,0,1\nb.mp4,squat,0,1\na.mp4,squat,0,1\n")
    with pytest.raises(ValidationError, match="line 4: repeats line 2 exactly"):
        load_manifest(path)


def test_a_rotation_tag_that_is_not_a_multiple_of_90_is_flagged(tmp_path, make_video):
    source = make_video("upright.mp4")
    ffmpeg("-display_rotation", "45", "-i", str(source), "-c", "copy", str(tmp_path / "tilted.mp4"))
    check = check_manifest(load_manifest(write_manifest(tmp_path, "video,label\ntilted.mp4,squat\n")))
    assert len(check.problems) == 1 and "not a multiple of 90°" in check.problems[0]


# === 10. Exit codes and copied export folders ====================================================================


def _fake_export(folder: Path, run_folder: Path, model_bytes: bytes = b"not a flatbuffer") -> Path:
    from gymnos_edge.export.artifacts import base_metadata, export_metadata, ExportedModel
    from gymnos_edge.training.run_folder import RunMetadata

    folder.mkdir(parents=True)
    (folder / "model_fp32.tflite").write_bytes(model_bytes)
    model = ExportedModel("tflite-fp32", "tflite", "model_fp32.tflite", len(model_bytes), "fp32", 0.0)
    metadata = export_metadata(base_metadata(RunMetadata.from_dict(_run_metadata())), [model], run_folder)
    (folder / "metadata.json").write_text(json.dumps(metadata))
    return folder


def test_bench_fails_when_every_model_failed_and_benches_without_the_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    export = _fake_export(tmp_path / "copied" / "export", tmp_path / "gone" / "runs" / "r")
    result = runner.invoke(app, ["bench", str(export), "--threads", "1", "--runs", "1", "--warmup", "0"])
    assert result.exit_code == 1, result.output
    assert "every exported model failed" in result.output
    assert "no Keras row" in result.output and "no such run folder" in result.output
    assert json.loads((export / "bench.json").read_text())["rows"][0]["status"].startswith("failed")


def test_export_metadata_records_the_run_folder_and_bench_finds_it_from_anywhere(tmp_path, monkeypatch):
    from gymnos_edge.bench.runner import BenchConfig, _reference_run

    run = tmp_path / "work" / "runs" / "r"
    run.mkdir(parents=True)
    (run / "metadata.json").write_text(json.dumps(_run_metadata()))
    (run / "model.keras").write_bytes(b"")
    export = _fake_export(tmp_path / "elsewhere" / "export", run)
    metadata = json.loads((export / "metadata.json").read_text())
    assert metadata["run_folder"] == str(run.resolve())
    monkeypatch.chdir(tmp_path)  # no runs/r here
    notes: list[str] = []
    assert _reference_run(BenchConfig(export_dir=export), metadata, notes).folder == run.resolve() and not notes


# === 11. Installs where users are ================================================================================


def test_tensorflow_is_the_cpu_wheel_on_linux_and_the_full_one_on_macos():
    pyproject = (REPO / "pyproject.toml").read_text()
    assert "\"tensorflow-cpu>=2.21; sys_platform == 'linux'\"" in pyproject
    assert "\"tensorflow>=2.21; sys_platform == 'darwin'\"" in pyproject
    ci = (REPO / ".ci" / "run").read_text()
    assert ".ci/check_platforms.sh" in ci and ci.index("check_platforms") < ci.index("make test")


# === 12. The phone sees what training saw ========================================================================


def test_frames_are_recorded_as_unmirrored_and_the_app_feeds_them_so(tiny_run):
    from gymnos_edge.export.artifacts import base_metadata

    assert json.loads((tiny_run.folder / "metadata.json").read_text())["mirrored"] is False
    assert base_metadata(tiny_run.metadata)["mirrored"] is False
    camera = (REPO / "ios_demo" / "GymnosEdgeDemo" / "Sources" / "CameraSession.swift").read_text()
    assert "connection.isVideoMirrored = false" in camera and "isVideoMirrored = true" not in camera
