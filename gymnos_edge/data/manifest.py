"""Video manifests: the one way to say which spans of which videos show which exercise.

A manifest is a CSV or JSON file with one row per labelled span and the column
names of Create ML's action-classifier annotation files (`video`, `label`,
`start`, `end`), plus optional `group` (gym, person or session), `split`
(train/val/test) and `reps` (the true number of repetitions in a set, counted
by eye; empty where unknown, never given for `rest`). Video paths are relative
to the manifest's folder.
"""

from __future__ import annotations

import difflib
import json
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, Iterable

import pandas as pd

from gymnos_edge.common.contract import REST_LABEL
from gymnos_edge.common.errors import UserError, ValidationError
from gymnos_edge.common.jsonfile import read_json
from gymnos_edge.common.labels import label_problem
from gymnos_edge.data.video import VideoInfo, probe_video

REQUIRED_COLUMNS = ("video", "label")
OPTIONAL_COLUMNS = ("start", "end", "group", "split", "reps")
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
SPLITS = ("train", "val", "test")
_END_SLACK_S = 0.25  # container durations are rounded; do not flag a span ending a frame late
_SHOWN_PER_KIND = 20  # a problem repeated on thousands of rows is listed this often, then counted


@dataclass(frozen=True)
class Span:
    """One labelled stretch of one video."""

    where: str  # "line 3" for CSV, "entry 2" for JSON: how the user finds the row
    video: Path
    video_ref: str
    label: str
    start_s: float | None = None
    end_s: float | None = None
    group: str | None = None
    split: str | None = None
    reps: int | None = None  # true repetitions of the set; None: not counted


@dataclass(frozen=True)
class Manifest:
    path: Path
    spans: tuple[Span, ...]

    @property
    def labels(self) -> tuple[str, ...]:
        """The exercise labels, sorted; `rest` is not an exercise (see `has_rest_spans`)."""
        return tuple(sorted({s.label for s in self.spans} - {REST_LABEL}))

    @property
    def has_rest_spans(self) -> bool:
        return any(s.label == REST_LABEL for s in self.spans)

    @property
    def videos(self) -> tuple[Path, ...]:
        return tuple(dict.fromkeys(s.video for s in self.spans))

    @property
    def has_groups(self) -> bool:
        return any(s.group for s in self.spans)

    @property
    def has_splits(self) -> bool:
        return any(s.split for s in self.spans)

    @property
    def has_reps(self) -> bool:
        return any(s.reps is not None for s in self.spans)

    def spans_of(self, video: Path) -> list[Span]:
        return list(self._by_video.get(video, ()))

    @cached_property
    def _by_video(self) -> dict[Path, list[Span]]:
        grouped: dict[Path, list[Span]] = defaultdict(list)
        for span in self.spans:
            grouped[span.video].append(span)
        return dict(grouped)


@dataclass(frozen=True)
class ManifestSummary:
    videos: int
    spans: int
    seconds_per_label: dict[str, float]
    seconds_per_group: dict[str, float]  # exercise seconds
    videos_per_split: dict[str, int]
    rest_seconds_per_group: dict[str, float] = field(default_factory=dict)  # explicit rest spans + gaps
    rest_seconds_per_video: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class ManifestCheck:
    """Result of checking a manifest against its videos: problems, plus what was learnt."""

    manifest: Manifest
    problems: tuple[str, ...]  # repeats beyond a few of each kind are summed up in one line
    videos: dict[Path, VideoInfo] = field(default_factory=dict)
    problem_count: int | None = None  # every problem found, listed or not (None: as many as listed)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def count(self) -> int:
        return len(self.problems) if self.problem_count is None else self.problem_count

    def span_bounds(self, span: Span) -> tuple[float, float]:
        """(start, end) in seconds, with missing bounds filled from the video."""
        start = span.start_s or 0.0
        end = span.end_s if span.end_s is not None else self.videos[span.video].duration_s
        return start, end

    def gaps(self, video: Path) -> list[tuple[float, float]]:
        """The stretches of `video` that no span covers (rest, by the manifest's rule), in order."""
        info = self.videos.get(video)
        if info is None or info.duration_s <= 0:
            return []
        covered = sorted(self.span_bounds(s) for s in self.manifest.spans_of(video))
        found, cursor = [], 0.0
        for start, end in covered:
            if start > cursor:
                found.append((cursor, min(start, info.duration_s)))
            cursor = max(cursor, end)
        if cursor < info.duration_s:
            found.append((cursor, info.duration_s))
        return [(a, b) for a, b in found if b > a]

    def rest_seconds(self, video: Path) -> float:
        """Explicit rest spans plus the uncovered gaps of one video."""
        explicit = sum(
            max(0.0, b - a)
            for a, b in (self.span_bounds(s) for s in self.manifest.spans_of(video) if s.label == REST_LABEL)
        )
        return explicit + sum(b - a for a, b in self.gaps(video))

    def summary(self) -> ManifestSummary:
        per_label: dict[str, float] = defaultdict(float)
        per_group: dict[str, float] = defaultdict(float)
        rest_per_group: dict[str, float] = defaultdict(float)
        rest_per_video: dict[str, float] = {}
        split_videos: dict[str, set[Path]] = defaultdict(set)
        for span in self.manifest.spans:
            if span.video not in self.videos or span.label == REST_LABEL:
                continue
            start, end = self.span_bounds(span)
            per_label[span.label] += max(0.0, end - start)
            per_group[span.group or "(none)"] += max(0.0, end - start)
        for video in self.manifest.videos:
            first = self.manifest.spans_of(video)[0]
            split_videos[first.split or "(auto)"].add(video)
            if video not in self.videos:
                continue
            rest = self.rest_seconds(video)
            rest_per_video[first.video_ref] = rest
            rest_per_group[first.group or "(none)"] += rest
        if rest_per_video:
            per_label[REST_LABEL] = sum(rest_per_video.values())
        return ManifestSummary(
            videos=len(self.manifest.videos),
            spans=len(self.manifest.spans),
            seconds_per_label=dict(sorted(per_label.items())),
            seconds_per_group=dict(sorted(per_group.items())),
            videos_per_split={k: len(v) for k, v in sorted(split_videos.items())},
            rest_seconds_per_group=dict(sorted(rest_per_group.items())),
            rest_seconds_per_video=rest_per_video,
        )


class Problems:
    """Problems in the order found; past a few of one kind, the rest are counted instead of listed.

    A kind is what the problem is about (a column, "overlapping spans"), so one mistake copied
    down thousands of rows stays readable and a different mistake is never hidden behind it.
    """

    def __init__(self, shown_per_kind: int = _SHOWN_PER_KIND):
        self.shown_per_kind = shown_per_kind
        self._shown: list[str] = []
        self._per_kind: Counter[str] = Counter()

    def add(self, kind: str, text: str) -> None:
        self._per_kind[kind] += 1
        if self._per_kind[kind] <= self.shown_per_kind:
            self._shown.append(text)

    def __len__(self) -> int:
        return sum(self._per_kind.values())

    def lines(self) -> list[str]:
        hidden = [(kind, n - self.shown_per_kind) for kind, n in self._per_kind.items() if n > self.shown_per_kind]
        return self._shown + [f"… and {n} more of the same kind ({kind})" for kind, n in hidden]

    def raise_if_any(self, source: Path) -> None:
        if len(self):
            raise ValidationError(str(source), self.lines(), count=len(self))


def load_manifest(path: Path | str) -> Manifest:
    """Parse a CSV or JSON manifest; every problem in its rows is reported at once."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: manifest not found")
    records, row_name = _read_records(path)
    if not records:
        raise ValidationError(str(path), ["the manifest has no rows; add one row per labelled span"])
    problems = Problems()
    records = [_lower_keys(record, row_name(i), problems) for i, record in enumerate(records)]
    columns = set().union(*(r.keys() for r in records))
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise ValidationError(
            str(path),
            [f"missing required column(s) {', '.join(missing)}; columns are video, label[, start, end, group, split, reps]"],
        )
    for column in sorted(columns - set(COLUMNS)):
        if any(_filled(r.get(column)) for r in records):
            problems.add("columns", _unknown_column(column))
    spans = []
    first_of: dict[tuple, str] = {}
    for index, record in enumerate(records):
        where = row_name(index)
        span = _parse_span(record, where, path.parent, problems)
        if span is None:
            continue
        identity = (span.video, span.label, span.start_s, span.end_s, span.group, span.split)
        if identity in first_of:
            problems.add(
                "repeated rows",
                f"{where}: repeats {first_of[identity]} exactly; delete one "
                "(a span listed twice weighs twice in training)",
            )
            continue
        first_of[identity] = where
        spans.append(span)
    problems.raise_if_any(path)
    return Manifest(path=path, spans=tuple(spans))


def _read_records(path: Path) -> tuple[list[dict[str, Any]], Callable[[int], str]]:
    if path.suffix.lower() == ".json":
        data = read_json(path)
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise UserError(f"{path}: a JSON manifest must be a list of objects, one per span")
        return data, lambda i: f"entry {i + 1}"
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except pd.errors.EmptyDataError:
        return [], lambda i: ""
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        raise UserError(f"{path}: not a readable CSV file ({error})") from None
    return frame.fillna("").to_dict("records"), lambda i: f"line {i + 2}"  # short rows read as NaN


def _lower_keys(record: dict[str, Any], where: str, problems: Problems) -> dict[str, Any]:
    """Column names are matched without case or surrounding blanks, in CSV headers and JSON keys alike."""
    lowered: dict[str, Any] = {}
    spelled: dict[str, str] = {}
    for key, value in record.items():
        name = str(key).strip().lower()
        if name in lowered:
            problems.add("columns", f"{where}: {spelled[name]!r} and {key!r} both name the column {name!r}; keep one")
        lowered[name] = value
        spelled[name] = str(key)
    return lowered


def _filled(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


# Names other annotation tools use for the same columns; a misspelling is matched by spelling instead.
_SYNONYMS = {
    "begin": "start", "from": "start", "start_s": "start", "start_time": "start", "t0": "start",
    "stop": "end", "finish": "end", "to": "end", "end_s": "end", "end_time": "end", "t1": "end",
    "file": "video", "path": "video", "clip": "video", "filename": "video", "video_path": "video",
    "class": "label", "exercise": "label", "action": "label", "activity": "label",
    "gym": "group", "person": "group", "subject": "group", "session": "group",
    "subset": "split", "fold": "split", "set": "split",
}  # fmt: skip


def _unknown_column(column: str) -> str:
    close = [_SYNONYMS[column]] if column in _SYNONYMS else difflib.get_close_matches(column, COLUMNS, n=1, cutoff=0.6)
    known = f"columns are {', '.join(REQUIRED_COLUMNS)}[, {', '.join(OPTIONAL_COLUMNS)}]"
    if close:
        return f"unknown column {column!r} — did you mean {close[0]!r}? ({known})"
    return f"unknown column {column!r}; {known}"


def _text(record: dict[str, Any], name: str, problems: Problems, where: str) -> str | None:
    """A text field as written (CSV cells always are; JSON values must be strings), None when empty."""
    value = record.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        problems.add(name, f"{where}: {name} must be text in quotes, got {json.dumps(value)}")
        return None
    return value if value.strip() else None


def _seconds(record: dict[str, Any], name: str, problems: Problems, where: str) -> float | None:
    value = record.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        problems.add(name, f"{where}: {name} must be a number of seconds, got {json.dumps(value)}")
        return None
    try:
        seconds = float(value)
    except ValueError:
        problems.add(name, f"{where}: {name} {value.strip()!r} is not a number of seconds")
        return None
    if not math.isfinite(seconds):
        problems.add(name, f"{where}: {name} must be a finite number of seconds, got {value!r}; "
                           f"leave it out for the video's {name}")  # fmt: skip
        return None
    if seconds < 0:
        problems.add(name, f"{where}: {name} is negative ({seconds:g} s); times count from the video's start")
        return None
    return seconds


def _parse_span(record: dict[str, Any], where: str, folder: Path, problems: Problems) -> Span | None:
    found = len(problems)
    video_ref = _text(record, "video", problems, where)
    label = _text(record, "label", problems, where)
    if not _filled(record.get("video")):
        problems.add("video", f"{where}: video is empty; give the video's path relative to the manifest")
    if not _filled(record.get("label")):
        problems.add("label", f"{where}: label is empty; name the exercise shown in this span")
    elif label is not None and (why := label_problem(label)):
        problems.add("label", f"{where}: {why}")
    start = _seconds(record, "start", problems, where)
    end = _seconds(record, "end", problems, where)
    if start is not None and end is not None and start >= end:
        problems.add("start/end", f"{where}: start ({start:g} s) must be before end ({end:g} s)")
    split = _text(record, "split", problems, where)
    if split is not None:
        split = split.strip().lower()
        if split not in SPLITS:
            problems.add("split", f"{where}: split {split!r} is not one of {', '.join(SPLITS)}")
    group = _text(record, "group", problems, where)
    reps = _reps(record, label, problems, where)
    if len(problems) > found:
        return None
    assert video_ref is not None and label is not None
    return Span(
        where=where,
        video=(folder / video_ref.strip()).resolve(),
        video_ref=video_ref.strip(),
        label=label,
        start_s=start,
        end_s=end,
        group=group.strip() if group is not None else None,
        split=split,
        reps=reps,
    )


def _reps(record: dict[str, Any], label: str | None, problems: Problems, where: str) -> int | None:
    """A whole, non-negative count, given only for sets ("4" and 4.0 are four reps; "4.5" is a mistake)."""
    value = record.get("reps")
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        problems.add("reps", f"{where}: reps must be a whole number of repetitions, got {json.dumps(value)}")
        return None
    try:
        count = float(value)
    except ValueError:
        problems.add("reps", f"{where}: reps {value!r} is not a whole number of repetitions")
        return None
    if not math.isfinite(count) or count != int(count):
        problems.add("reps", f"{where}: reps {value!r} is not a whole number of repetitions; count only finished reps")
        return None
    if count < 0:
        problems.add("reps", f"{where}: reps is negative ({int(count)}); give the number of repetitions in the set")
        return None
    if label == REST_LABEL:
        problems.add(
            "reps",
            f"{where}: reps ({int(count)}) is given for a {REST_LABEL!r} span; rest has no repetitions, leave it empty",
        )
        return None
    return int(count)


def check_manifest(manifest: Manifest, expected_labels: Iterable[str] | None = None) -> ManifestCheck:
    """Open every video once and report every problem: files, times, overlaps, splits, labels."""
    problems = Problems()
    infos: dict[Path, VideoInfo] = {}
    for video in manifest.videos:
        first = manifest.spans_of(video)[0]
        try:
            infos[video] = probe_video(video)
        except UserError as error:
            problems.add("videos", f"{first.where}: {first.video_ref}: {str(error).split(': ', 1)[-1]}")
    for span in manifest.spans:
        info = infos.get(span.video)
        if info is None or info.duration_s <= 0:
            continue
        for name, value in (("start", span.start_s), ("end", span.end_s)):
            if value is not None and value > info.duration_s + _END_SLACK_S:
                problems.add(
                    "times past the end",
                    f"{span.where}: {name} {value:g} s is past the end of {span.video_ref} ({info.duration_s:.2f} s)",
                )
    _overlap_problems(manifest, problems)
    _consistency_problems(manifest, problems)
    if manifest.spans and not manifest.labels:
        problems.add(
            "rest only",
            f"every span is labelled {REST_LABEL!r}; add spans of the exercises to learn "
            f"({REST_LABEL!r} is reserved for the time between sets)",
        )
    if expected_labels is not None:
        expected = list(expected_labels)
        for span in manifest.spans:
            if span.label not in expected and span.label != REST_LABEL:
                problems.add(
                    "labels the model lacks",
                    f"{span.where}: label {span.label!r} is not one of the model's labels {expected}",
                )
    return ManifestCheck(manifest=manifest, problems=tuple(problems.lines()), videos=infos, problem_count=len(problems))


def _overlap_problems(manifest: Manifest, problems: Problems) -> None:
    """Each span against the earlier-starting spans, in one sweep per video (sorted, not pairwise).

    Only two earlier spans can matter: the one reaching furthest, and the one reaching furthest
    among those of another label than it. A span overlapping nothing else is never reported.
    """
    for video in manifest.videos:
        reach: list[Span] = []
        for b in sorted(manifest.spans_of(video), key=lambda s: s.start_s or 0.0):
            b_start = b.start_s or 0.0
            a = next((a for a in reach if a.label != b.label and _end(a) > b_start), None)
            if a is not None:
                problems.add(
                    "overlapping spans",
                    f"{b.where}: span of {b.label!r} overlaps {a.where} ({a.label!r}) in {b.video_ref}; "
                    "one moment can show only one exercise",
                )
            furthest = max(reach + [b], key=_end)
            others = [s for s in reach + [b] if s.label != furthest.label]
            reach = [furthest] + ([max(others, key=_end)] if others else [])


def _end(span: Span) -> float:
    return span.end_s if span.end_s is not None else math.inf


def _consistency_problems(manifest: Manifest, problems: Problems) -> None:
    """One video belongs to one group and one split, or frames of it leak across the split."""
    for video in manifest.videos:
        spans = manifest.spans_of(video)
        for name in ("split", "group"):
            values = sorted({getattr(s, name) or "(none)" for s in spans})
            if len(values) > 1:
                problems.add(
                    f"videos in several {name}s",
                    f"{spans[0].video_ref}: rows put this video in several {name}s ({', '.join(values)}); "
                    f"give all its rows the same {name} so no video has frames on two sides",
                )


def require_valid(manifest_path: Path | str, expected_labels: Iterable[str] | None = None) -> ManifestCheck:
    """Load and check a manifest, raising one error that lists every problem."""
    manifest = load_manifest(manifest_path)
    check = check_manifest(manifest, expected_labels)
    if not check.ok:
        raise ValidationError(str(manifest.path), list(check.problems), count=check.count)
    return check
