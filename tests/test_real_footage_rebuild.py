"""benchmarks/real_footage/rebuild_media.py: clips taken out of a repository by commit and path, checked by blob id."""

import csv
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks" / "real_footage"))

import rebuild_media  # noqa: E402

COLUMNS = "clip_id,repository,commit,path,blob,bytes,licence,source_group,label,reps,view,start,end,notes".split(",")


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout.strip()


def _commit(repo: Path, path: str, data: bytes) -> tuple[str, str]:
    (repo / path).write_bytes(data)
    _git(repo, "add", path)
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "clip")
    return _git(repo, "rev-parse", "HEAD"), _git(repo, "rev-parse", f"HEAD:{path}")


def test_one_path_holding_two_clips_at_two_commits_gives_two_files(tmp_path):
    repo = tmp_path / "repos" / "owner+clips"
    repo.mkdir(parents=True)
    _git(repo, "init", "-q")
    first, first_blob = _commit(repo, "squat.mp4", b"first clip")
    second, second_blob = _commit(repo, "squat.mp4", b"second, other clip")
    rows = [
        {"clip_id": "a", "repository": "owner/clips", "commit": first, "path": "squat.mp4", "blob": first_blob,
         "bytes": "10", "source_group": "gym_a", "label": "squat", "reps": "2"},
        {"clip_id": "b", "repository": "owner/clips", "commit": second, "path": "squat.mp4", "blob": second_blob,
         "bytes": "18", "source_group": "gym_b", "label": "rest", "start": "0", "end": "1.5"},
    ]  # fmt: skip
    sources = tmp_path / "sources.csv"
    with sources.open("w", newline="") as f:
        writer = csv.DictWriter(f, COLUMNS)
        writer.writeheader()
        writer.writerows({column: row.get(column, "") for column in COLUMNS} for row in rows)
    out = tmp_path / "media"
    assert rebuild_media.main(["--repos", str(tmp_path / "repos"), "--out", str(out), "--sources", str(sources)]) == 0
    manifest = list(csv.DictReader((out / "manifest.csv").open()))
    assert [row["video"] for row in manifest] == [
        f"videos/owner+clips@{first[:8]}__squat.mp4",
        f"videos/owner+clips@{second[:8]}__squat.mp4",
    ]
    assert [(out / row["video"]).read_bytes() for row in manifest] == [b"first clip", b"second, other clip"]
    assert [row["group"] for row in manifest] == ["gym_a", "gym_b"] and manifest[1]["end"] == "1.5"


def test_a_clip_whose_bytes_differ_from_the_recorded_blob_is_refused(tmp_path):
    repo = tmp_path / "repos" / "owner+clips"
    repo.mkdir(parents=True)
    _git(repo, "init", "-q")
    commit, _ = _commit(repo, "press.mp4", b"the clip")
    sources = tmp_path / "sources.csv"
    with sources.open("w", newline="") as f:
        writer = csv.DictWriter(f, COLUMNS)
        writer.writeheader()
        writer.writerow({c: "" for c in COLUMNS} | {"clip_id": "p", "repository": "owner/clips", "commit": commit,
                         "path": "press.mp4", "blob": "0" * 40, "label": "overhead_press", "source_group": "g"})  # fmt: skip
    out = tmp_path / "media"
    assert rebuild_media.main(["--repos", str(tmp_path / "repos"), "--out", str(out), "--sources", str(sources)]) == 1
    assert not list((out / "videos").iterdir())
