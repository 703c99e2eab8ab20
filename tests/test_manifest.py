import json

import pytest

from gymnos_edge.common.errors import UserError, ValidationError
from gymnos_edge.data.manifest import check_manifest, load_manifest, require_valid
from helpers import write_manifest


@pytest.fixture
def two_videos(make_video):
    make_video("a.mp4", seconds=4.0)
    make_video("b.mp4", seconds=3.0, rotation=90)


def test_valid_manifest_loads_and_summarises(tmp_path, two_videos):
    path = write_manifest(
        tmp_path,
        "video,label,start,end,group,split\n"
        "a.mp4,squat,0,2,gym1,train\na.mp4,press,2.5,4,gym1,train\nb.mp4,squat,,,gym2,val\n",
    )
    check = require_valid(path)
    summary = check.summary()
    assert summary.videos == 2 and summary.spans == 3
    assert summary.seconds_per_label["squat"] == pytest.approx(2 + 3, abs=0.1)
    assert summary.seconds_per_group == pytest.approx({"gym1": 3.5, "gym2": 3.0}, abs=0.1)
    assert summary.videos_per_split == {"train": 1, "val": 1}
    assert check.manifest.labels == ("press", "squat")


def test_create_ml_style_json_loads_unchanged(tmp_path, two_videos):
    path = tmp_path / "annotations.json"
    path.write_text(json.dumps([{"video": "a.mp4", "label": "squat", "start": 0.5, "end": 3.0}]))
    manifest = require_valid(path).manifest
    assert manifest.spans[0].start_s == 0.5 and manifest.spans[0].where == "entry 1"


def test_row_problems_are_all_reported_with_their_line(tmp_path, two_videos):
    path = write_manifest(
        tmp_path,
        "video,label,start,end,split\n"
        "a.mp4,squat,3,2,\n"  # line 2: start after end
        "a.mp4,squat,-1,2,\n"  # line 3: negative
        "a.mp4,,0,1,\n"  # line 4: empty label
        "a.mp4,squat,x,2,\n"  # line 5: not a number
        "a.mp4,squat,0,1,holdout\n",  # line 6: unknown split
    )
    with pytest.raises(ValidationError) as caught:
        load_manifest(path)
    text = "\n".join(caught.value.problems)
    for expected in ("line 2: start (3 s) must be before end", "line 3: start is negative", "line 4: label is empty",
                     "line 5: start 'x' is not a number", "line 6: split 'holdout'"):  # fmt: skip
        assert expected in text
    assert str(path) in str(caught.value)


def test_video_problems_missing_corrupt_past_end_overlap(tmp_path, two_videos):
    (tmp_path / "corrupt.mp4").write_bytes(b"not a video at all")
    path = write_manifest(
        tmp_path,
        "video,label,start,end\n"
        "missing.mp4,squat,0,1\n"
        "corrupt.mp4,squat,0,1\n"
        "a.mp4,squat,0,9\n"
        "b.mp4,squat,0,2\n"
        "b.mp4,press,1.5,3\n",
    )
    check = check_manifest(load_manifest(path))
    text = "\n".join(check.problems)
    assert not check.ok
    assert "line 2: missing.mp4: video not found" in text
    assert "line 3: corrupt.mp4" in text
    assert "line 4: end 9 s is past the end of a.mp4" in text
    assert "line 6: span of 'press' overlaps line 5" in text
    assert len(check.problems) == 4


def test_same_label_touching_spans_are_fine_and_labels_can_be_required(tmp_path, two_videos):
    path = write_manifest(tmp_path, "video,label,start,end\na.mp4,squat,0,2\na.mp4,squat,1,3\n")
    assert check_manifest(load_manifest(path)).ok
    check = check_manifest(load_manifest(path), expected_labels=["press", "deadlift"])
    assert any("label 'squat' is not one of the model's labels" in p for p in check.problems)


def test_one_video_in_two_splits_is_refused(tmp_path, two_videos):
    path = write_manifest(tmp_path, "video,label,start,end,split\na.mp4,squat,0,1,train\na.mp4,squat,2,3,val\n")
    check = check_manifest(load_manifest(path))
    assert any("several splits (train, val)" in p for p in check.problems)


def test_empty_missing_column_and_unreadable_files(tmp_path):
    with pytest.raises(ValidationError, match="no rows"):
        load_manifest(write_manifest(tmp_path, "video,label,start,end\n"))
    with pytest.raises(ValidationError, match="no rows"):
        load_manifest(write_manifest(tmp_path, "", name="blank.csv"))
    with pytest.raises(ValidationError, match="missing required column"):
        load_manifest(write_manifest(tmp_path, "clip,label\na.mp4,squat\n", name="cols.csv"))
    with pytest.raises(UserError, match="not found"):
        load_manifest(tmp_path / "nothing.csv")
    bad_json = tmp_path / "bad.json"
    bad_json.write_text("{not json")
    with pytest.raises(UserError, match="not valid JSON"):
        load_manifest(bad_json)


def test_reps_are_whole_counts_of_sets_and_every_bad_one_names_its_row(tmp_path, two_videos):
    path = write_manifest(
        tmp_path,
        "video,label,start,end,group,reps\n"
        "a.mp4,squat,0,1,g,8\n"  # line 2: fine
        "a.mp4,squat,1,2,g,4.0\n"  # line 3: fine, a whole number written as a float
        "a.mp4,squat,2,3,g,\n"  # line 4: fine, not counted
        "b.mp4,squat,0,1,h,-2\n"  # line 5: negative
        "b.mp4,squat,1,2,h,3.5\n"  # line 6: fractional
        "b.mp4,rest,2,3,h,1\n"  # line 7: rest has no reps
        "b.mp4,squat,2.5,2.9,h,many\n",  # line 8: not a number
    )
    with pytest.raises(ValidationError) as caught:
        load_manifest(path)
    problems = caught.value.problems
    assert len(problems) == 4
    for expected in ("line 5: reps is negative (-2)", "line 6: reps '3.5' is not a whole number",
                     "line 7: reps (1) is given for a 'rest' span", "line 8: reps 'many' is not a whole number"):  # fmt: skip
        assert any(p.startswith(expected) for p in problems), (expected, problems)
    good = write_manifest(tmp_path, "video,label,start,end,reps\na.mp4,squat,0,1,8\na.mp4,squat,1,2,4.0\na.mp4,rest,2,3,\n", "ok.csv")
    manifest = require_valid(good).manifest
    assert [s.reps for s in manifest.spans] == [8, 4, None] and manifest.has_reps
    entry = tmp_path / "reps.json"
    entry.write_text(json.dumps([{"video": "a.mp4", "label": "squat", "start": 0, "end": 1, "reps": 3},
                                 {"video": "a.mp4", "label": "rest", "start": 1, "end": 2, "reps": 2}]))  # fmt: skip
    with pytest.raises(ValidationError, match="entry 2: reps"):
        load_manifest(entry)
