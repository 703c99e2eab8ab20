"""Video manifests: the one way to say which spans of which videos show which exercise.

A manifest is a CSV or JSON file with one row per labelled span and the column
names of Create ML's action-classifier annotation files (`video`, `label`,
`start`, `end`), plus optional `group` (gym, person or session), `split`
(train/val/test) and `reps` (the true number of repetitions in a set, counted
by eye; empty where unknown, never given for `rest`). Video paths are relative
to the manifest's folder.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import pandas as pd

from gymnos_edge.common.contract import REST_LABEL
from gymnos_edge.common.errors import UserError, ValidationError
from gymnos_edge.common.jsonfile import read_json
from gymnos_edge.data.video import VideoInfo, probe_video

REQUIRED_COLUMNS = ("video", "label")
OPTIONAL_COLUMNS = ("start", "end", "group", "split", "reps")
SPLITS = ("train", "val", "test")
_END_SLACK_S = 0.25  # container durations are rounded; do not flag a span ending a frame late


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
        return [s for s in self.spans if s.video == video]


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
    problems: tuple[str, ...]
    videos: dict[Path, VideoInfo] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

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


def load_manifest(path: Path | str) -> Manifest:
    """Parse a CSV or JSON manifest; every problem in its rows is reported at once."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: manifest not found")
    records, row_name = _read_records(path)
    if not records:
        raise ValidationError(str(path), ["the manifest has no rows; add one row per labelled span"])
    columns = set().union(*(r.keys() for r in records))
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise ValidationError(
            str(path),
            [f"missing required column(s) {', '.join(missing)}; columns are video, label[, start, end, group, split, reps]"],
        )
    problems: list[str] = []
    spans = []
    for index, record in enumerate(records):
        where = row_name(index)
        span, row_problems = _parse_span(record, where, path.parent)
        problems.extend(f"{where}: {p}" for p in row_problems)
        if span is not None:
            spans.append(span)
    if problems:
        raise ValidationError(str(path), problems)
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
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    return frame.to_dict("records"), lambda i: f"line {i + 2}"


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def _seconds(value: Any, name: str, problems: list[str]) -> float | None:
    text = _text(value)
    if text is None:
        return None
    try:
        seconds = float(text)
    except ValueError:
        problems.append(f"{name} {text!r} is not a number of seconds")
        return None
    if not math.isfinite(seconds):
        problems.append(f"{name} must be a finite number of seconds, got {text!r}")
    elif seconds < 0:
        problems.append(f"{name} is negative ({seconds:g} s); times count from the video's start")
    return seconds


def _parse_span(record: dict[str, Any], where: str, folder: Path) -> tuple[Span | None, list[str]]:
    problems: list[str] = []
    video_ref = _text(record.get("video"))
    label = _text(record.get("label"))
    if video_ref is None:
        problems.append("video is empty; give the video's path relative to the manifest")
    if label is None:
        problems.append("label is empty; name the exercise shown in this span")
    start = _seconds(record.get("start"), "start", problems)
    end = _seconds(record.get("end"), "end", problems)
    if start is not None and end is not None and start >= end:
        problems.append(f"start ({start:g} s) must be before end ({end:g} s)")
    split = _text(record.get("split"))
    if split is not None:
        split = split.lower()
        if split not in SPLITS:
            problems.append(f"split {split!r} is not one of {', '.join(SPLITS)}")
    reps = _reps(record.get("reps"), label, problems)
    if problems:
        return None, problems
    assert video_ref is not None and label is not None
    return (
        Span(
            where=where,
            video=(folder / video_ref).resolve(),
            video_ref=video_ref,
            label=label,
            start_s=start,
            end_s=end,
            group=_text(record.get("group")),
            split=split,
            reps=reps,
        ),
        [],
    )


def _reps(value: Any, label: str | None, problems: list[str]) -> int | None:
    """A whole, non-negative count, given only for sets ("4" and 4.0 are four reps; "4.5" is a mistake)."""
    text = _text(value)
    if text is None:
        return None
    try:
        count = float(text)
    except ValueError:
        problems.append(f"reps {text!r} is not a whole number of repetitions")
        return None
    if not math.isfinite(count) or count != int(count):
        problems.append(f"reps {text!r} is not a whole number of repetitions; count only finished reps")
        return None
    if count < 0:
        problems.append(f"reps is negative ({int(count)}); give the number of repetitions in the set")
        return None
    if label == REST_LABEL:
        problems.append(f"reps ({int(count)}) is given for a {REST_LABEL!r} span; rest has no repetitions, leave it empty")
        return None
    return int(count)


def check_manifest(manifest: Manifest, expected_labels: Iterable[str] | None = None) -> ManifestCheck:
    """Open every video once and report every problem: files, times, overlaps, splits, labels."""
    problems: list[str] = []
    infos: dict[Path, VideoInfo] = {}
    for video in manifest.videos:
        first = manifest.spans_of(video)[0]
        try:
            infos[video] = probe_video(video)
        except UserError as error:
            problems.append(f"{first.where}: {first.video_ref}: {str(error).split(': ', 1)[-1]}")
    for span in manifest.spans:
        info = infos.get(span.video)
        if info is None or info.duration_s <= 0:
            continue
        for name, value in (("start", span.start_s), ("end", span.end_s)):
            if value is not None and value > info.duration_s + _END_SLACK_S:
                problems.append(
                    f"{span.where}: {name} {value:g} s is past the end of {span.video_ref} ({info.duration_s:.2f} s)"
                )
    problems.extend(_overlap_problems(manifest))
    problems.extend(_consistency_problems(manifest))
    if not manifest.labels:
        problems.append(
            f"every span is labelled {REST_LABEL!r}; add spans of the exercises to learn "
            f"({REST_LABEL!r} is reserved for the time between sets)"
        )
    if expected_labels is not None:
        expected = list(expected_labels)
        for span in manifest.spans:
            if span.label not in expected and span.label != REST_LABEL:
                problems.append(f"{span.where}: label {span.label!r} is not one of the model's labels {expected}")
    return ManifestCheck(manifest=manifest, problems=tuple(problems), videos=infos)


def _overlap_problems(manifest: Manifest) -> list[str]:
    problems = []
    for video in manifest.videos:
        spans = manifest.spans_of(video)
        for i, a in enumerate(spans):
            for b in spans[i + 1 :]:
                if a.label == b.label:
                    continue
                a_start, a_end = a.start_s or 0.0, a.end_s if a.end_s is not None else math.inf
                b_start, b_end = b.start_s or 0.0, b.end_s if b.end_s is not None else math.inf
                if a_start < b_end and b_start < a_end:
                    problems.append(
                        f"{b.where}: span of {b.label!r} overlaps {a.where} ({a.label!r}) in {b.video_ref}; "
                        "one moment can show only one exercise"
                    )
    return problems


def _consistency_problems(manifest: Manifest) -> list[str]:
    """One video belongs to one group and one split, or frames of it leak across the split."""
    problems = []
    for video in manifest.videos:
        spans = manifest.spans_of(video)
        for name in ("split", "group"):
            values = sorted({getattr(s, name) or "(none)" for s in spans})
            if len(values) > 1:
                problems.append(
                    f"{spans[0].video_ref}: rows put this video in several {name}s ({', '.join(values)}); "
                    f"give all its rows the same {name} so no video has frames on two sides"
                )
    return problems


def require_valid(manifest_path: Path | str, expected_labels: Iterable[str] | None = None) -> ManifestCheck:
    """Load and check a manifest, raising one error that lists every problem."""
    manifest = load_manifest(manifest_path)
    check = check_manifest(manifest, expected_labels)
    if not check.ok:
        raise ValidationError(str(manifest.path), list(check.problems))
    return check
