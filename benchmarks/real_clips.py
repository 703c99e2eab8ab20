"""Real footage, leave one source group out: VGG16 and body pose side by side, on the same frames, in one run.

    .venv/bin/python benchmarks/real_clips.py MANIFEST --weights vgg16_imagenet_notop.weights.h5
    .venv/bin/python benchmarks/real_clips.py MANIFEST --heads pose:mlp --out result.json

For every source group (a gym, a producer, a channel: the manifest's `group`),
each head is fitted on the frames of all other groups and scored on that
group's videos, which it has never seen: the question a user asks of a model
in a new gym. Both backbones see the same sampled frames (the sampler picks
them by timestamp; each resizes them its own way) and each fold fits its head
exactly as `gymnos-edge train` does (`gymnos_edge.training.head_fit`), on the
labelled spans only (time no span covers is left out: title cards, fades).
Every held-out video is then streamed whole through the head and the state
machine, as a phone would run it.

Scores, per head and per group: frame accuracy and balanced accuracy on the
labelled frames (raw argmax), the clip vote (each labelled span's most
frequent frame label against its label) and set F1@50 after smoothing. Speed:
frames per second of each backbone's feature extraction on the same decoded
frames, measured in this run. The feature cache makes a rerun cheap; the
speed figures are measured afresh every time.

Goals: pose ≥ 0.95 balanced frame accuracy and ≥ 95 % of clips right; pose
feature extraction ≥ 3× VGG16's frames per second.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # runnable from a plain checkout

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from gymnos_edge.common.atomic import write_json  # noqa: E402
from gymnos_edge.common.contract import REST_LABEL, Backbone, Gaps  # noqa: E402
from gymnos_edge.data.manifest import require_valid  # noqa: E402
from gymnos_edge.data.sampler import SamplingConfig, sample_frames  # noqa: E402
from gymnos_edge.evaluation.evaluate import truth_at  # noqa: E402
from gymnos_edge.evaluation.set_metrics import aggregate, evaluate_sequence  # noqa: E402
from gymnos_edge.features.extraction import FeatureCache, SpanRequest  # noqa: E402
from gymnos_edge.inference.predict import prediction_from_probs  # noqa: E402
from gymnos_edge.sets.smoothing import SmoothingParams  # noqa: E402
from gymnos_edge.training.frame_scores import classification_report  # noqa: E402
from gymnos_edge.training.head_fit import FitSettings, HeadData, fit_head, predict_probs  # noqa: E402
from gymnos_edge.training.heads import Head  # noqa: E402
from gymnos_edge.training.train import POSE_SAMPLING, TrainConfig, backend_of  # noqa: E402

BALANCED_GOAL = 0.95
CLIP_GOAL = 0.95
SPEED_GOAL = 3.0
DEFAULT_HEADS = "vgg16:linear,vgg16:gap,pose:mlp,pose:linear"
console = Console()


@dataclass
class Video:
    """One video of the manifest: its group, its sampled times and labels, and each backbone's features."""

    path: Path
    group: str
    times: np.ndarray
    truth: np.ndarray  # label of every sampled time, rest (K) where no span covers it
    labelled: np.ndarray  # True inside a span: the frames that train and are scored
    span_of: np.ndarray  # index of the span covering each frame, −1 outside
    span_labels: dict[int, int]
    inputs: dict[str, np.ndarray] = field(default_factory=dict)  # backbone → head inputs of the whole video
    augmented: dict[str, list[np.ndarray]] = field(default_factory=dict)


@dataclass(frozen=True)
class HeadScores:
    key: str
    frames: int
    accuracy: float
    balanced_accuracy: float
    clips_right: int
    clips: int
    set_f1_50: float
    per_group: dict[str, dict[str, float]]
    fit_seconds: float
    wrong_clips: list[str]


def _videos(manifest: Path, every_s: float) -> tuple[list[Video], list[str]]:
    check = require_valid(manifest)
    labels = list(check.manifest.labels)
    classes = labels + [REST_LABEL]
    videos = []
    span_index = 0
    for path in check.manifest.videos:
        times = np.array([t for t, _ in sample_frames(path, SamplingConfig(every_s=every_s, image_size=32))])
        span_of = np.full(len(times), -1, np.int64)
        span_labels = {}
        for span in check.manifest.spans_of(path):
            start, end = check.span_bounds(span)
            span_of[(times >= start) & (times < end)] = span_index
            span_labels[span_index] = classes.index(span.label)
            span_index += 1
        truth = truth_at(times, check, path, labels)
        videos.append(Video(path, check.manifest.spans_of(path)[0].group or path.name, times, truth, span_of >= 0,
                            span_of, span_labels))  # fmt: skip
    return videos, classes


def _extract(videos: list[Video], key: str, backend, sampling: SamplingConfig, cache: FeatureCache) -> dict:
    """Whole-video features of `backend`, cached; the same timestamps as every other backbone's."""
    requests = [SpanRequest(v.path, 0.0, float("inf")) for v in videos]
    with console.status(f"{key}: features of {len(videos)} videos (cached after the first run)…"):
        features = backend.extract(requests, sampling, cache, lambda n: None)
    for video, entry in zip(videos, features.entries):
        if len(entry.timestamps) != len(video.times) or not np.allclose(entry.timestamps, video.times):
            raise SystemExit(f"{video.path.name}: {key} sampled other frames than the reference; cannot compare")
        video.inputs[key] = backend.head_inputs(entry.features)
        video.augmented[key] = [augment(entry.features) for augment in backend.augmentations]
    return {"frames_computed": features.stats.frames_computed, "seconds": features.stats.seconds}


def measure_speed(videos: list[Video], backends: dict, samplings: dict, frames: int) -> dict[str, float]:
    """Frames per second of each backbone's features on the same frames, decoded beforehand (decoding
    costs both the same), in one process, one after the other."""
    picked: dict[str, list[np.ndarray]] = {key: [] for key in backends}
    per_video = max(1, frames // len(videos))
    for video in videos:
        for key in backends:
            stream = sample_frames(video.path, samplings[key])
            pairs = (next(stream, (None, None)) for _ in range(per_video))
            picked[key] += [frame for _, frame in pairs if frame is not None]
    fps = {}
    for key, backend in backends.items():
        batches = picked[key]
        backend.start_span()
        warm = np.stack(batches[:1]).astype(np.float32)
        backend.features(_padded(warm, backend.pad_batches))
        started = time.perf_counter()
        for i in range(0, len(batches), 16):
            chunk = batches[i : i + 16]
            shapes = {f.shape for f in chunk}
            if len(shapes) > 1:  # frames of two videos (pose keeps each frame's shape): one call per video
                for frame in chunk:
                    backend.features(np.asarray(frame, np.float32)[None])
                continue
            backend.features(_padded(np.stack(chunk).astype(np.float32), backend.pad_batches))
        fps[key] = len(batches) / (time.perf_counter() - started)
    return fps


def _padded(batch: np.ndarray, pad: bool) -> np.ndarray:
    if not pad or len(batch) == 16:
        return batch
    return np.concatenate([batch, np.zeros((16 - len(batch), *batch.shape[1:]), batch.dtype)])


def leave_one_group_out(videos: list[Video], classes: list[str], backbone: str, head: Head, every_s: float,
                        settings: FitSettings) -> HeadScores:  # fmt: skip
    groups = sorted({v.group for v in videos})
    params = SmoothingParams(every_s=every_s)
    truth_frames, predicted_frames, frame_groups = [], [], []
    clips_right, clips, wrong = 0, 0, []
    sequences = []
    started = time.perf_counter()
    for group in groups:
        train = [v for v in videos if v.group != group]
        features, targets, names = [], [], []
        for v in train:
            for copy in [v.inputs[backbone], *v.augmented[backbone]]:
                features.append(copy[v.labelled])
                targets.append(v.truth[v.labelled])
                names += [v.group] * int(v.labelled.sum())
        data = HeadData(np.concatenate(features), np.concatenate(targets), tuple(names))
        fitted = fit_head(head, data, None, len(classes), settings)
        for v in (v for v in videos if v.group == group):
            probs = predict_probs(fitted.model, v.inputs[backbone])
            raw = probs.argmax(axis=1)
            truth_frames.append(v.truth[v.labelled])
            predicted_frames.append(raw[v.labelled])
            frame_groups += [group] * int(v.labelled.sum())
            for span, label in v.span_labels.items():
                members = raw[v.span_of == span]
                if len(members) == 0:
                    continue
                clips += 1
                vote = int(np.bincount(members, minlength=len(classes)).argmax())
                clips_right += vote == label
                if vote != label:
                    wrong.append(f"{v.path.name} ({classes[label]} → {classes[vote]})")
            prediction = prediction_from_probs(v.path, tuple(classes[:-1]), v.times, probs, params, rest_class=True)
            sequences.append(evaluate_sequence(v.truth, prediction.shown, v.times, every_s, tuple(classes[:-1]),
                                               held=prediction.held))  # fmt: skip
    truth, predicted = np.concatenate(truth_frames), np.concatenate(predicted_frames)
    report = classification_report(truth, predicted, classes)
    frame_groups = np.array(frame_groups)
    per_group = {}
    for group in groups:
        mask = frame_groups == group
        group_report = classification_report(truth[mask], predicted[mask], classes)
        per_group[group] = {"frames": int(mask.sum()), "accuracy": group_report.accuracy,
                            "balanced_accuracy": group_report.balanced_accuracy}  # fmt: skip
    return HeadScores(
        key=f"{backbone}:{head.value}",
        frames=report.frames,
        accuracy=report.accuracy,
        balanced_accuracy=report.balanced_accuracy,
        clips_right=int(clips_right),
        clips=clips,
        set_f1_50=aggregate(sequences).f1_at(0.5),
        per_group=per_group,
        fit_seconds=time.perf_counter() - started,
        wrong_clips=wrong,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("manifest", type=Path)
    parser.add_argument("--weights", default="imagenet", help="VGG16 weights: imagenet, none or a .weights.h5 file")
    parser.add_argument("--pose-model", type=Path, default=None, help="folder with the BlazePose files")
    parser.add_argument("--heads", default=DEFAULT_HEADS, help=f"backbone:head pairs (default {DEFAULT_HEADS})")
    parser.add_argument("--every", type=float, default=0.2, help="seconds between sampled frames")
    parser.add_argument("--speed-frames", type=int, default=200, help="frames for the speed comparison")
    parser.add_argument("--cache", type=Path, default=None, help="feature cache folder (default the user cache)")
    parser.add_argument("--out", type=Path, default=None, help="write the results as JSON here")
    args = parser.parse_args(argv)

    pairs = [tuple(item.split(":")) for item in args.heads.split(",") if item]
    wanted = sorted({backbone for backbone, _ in pairs})
    videos, classes = _videos(args.manifest, args.every)
    console.print(f"{len(videos)} videos, {len({v.group for v in videos})} groups, "
                  f"{sum(int(v.labelled.sum()) for v in videos)} labelled frames of {classes}")  # fmt: skip
    samplings = {Backbone.vgg16.value: SamplingConfig(every_s=args.every),
                 Backbone.pose.value: SamplingConfig(every_s=args.every, image_size=POSE_SAMPLING.image_size,
                                                     resize=POSE_SAMPLING.resize)}  # fmt: skip
    backends, extraction = {}, {}
    cache = FeatureCache(args.cache)
    for backbone in wanted:
        config = TrainConfig(manifest=args.manifest, backbone=backbone, weights=args.weights, gaps=Gaps.ignore,
                             sampling=samplings[backbone], pose_model=args.pose_model)  # fmt: skip
        backend = backend_of(config, len(classes))
        backends[backbone] = backend
        extraction[backbone] = _extract(videos, backbone, backend, samplings[backbone], cache)
    with console.status("Speed of each backbone on the same frames…"):
        fps = measure_speed(videos, backends, samplings, args.speed_frames)

    results = []
    for backbone, head in pairs:
        with console.status(f"{backbone}:{head}: leave one group out…"):
            settings = FitSettings(learning_rate=1e-3 if Head(head) is Head.mlp else 1e-4)
            results.append(leave_one_group_out(videos, classes, backbone, Head(head), args.every, settings))
        console.print(f"{results[-1].key}: balanced accuracy {results[-1].balanced_accuracy:.3f}")
    _print(results, fps, extraction)
    if args.out:
        write_json(args.out, {
            "manifest": str(args.manifest), "every_s": args.every, "classes": classes,
            "videos": len(videos), "groups": sorted({v.group for v in videos}), "fps": fps, "extraction": extraction,
            "results": [asdict(r) for r in results],
        })  # fmt: skip
        console.print(f"wrote {args.out}")


def _print(results: list[HeadScores], fps: dict[str, float], extraction: dict) -> None:
    table = Table(title="Leave one source group out: every group scored by heads that never saw it")
    for column in ("backbone:head", "frames", "frame acc", "balanced", "clips right", "set F1@50", "fit s"):
        table.add_column(column, justify="left" if column == "backbone:head" else "right")
    for r in results:
        table.add_row(r.key, str(r.frames), f"{r.accuracy:.3f}", f"{r.balanced_accuracy:.3f}",
                      f"{r.clips_right}/{r.clips}", f"{r.set_f1_50:.1f}", f"{r.fit_seconds:.0f}")  # fmt: skip
    console.print(table)
    groups = Table(title="Balanced frame accuracy per held-out group")
    groups.add_column("group")
    for r in results:
        groups.add_column(r.key, justify="right")
    for group in results[0].per_group if results else []:
        groups.add_row(group, *(f"{r.per_group[group]['balanced_accuracy']:.2f}" for r in results))
    console.print(groups)
    for r in results:
        if r.wrong_clips:
            console.print(f"{r.key} wrong clips: " + "; ".join(r.wrong_clips), highlight=False, markup=False)
    speed = ", ".join(f"{k} {v:.1f} frames/s" for k, v in fps.items())
    console.print(f"Feature extraction on the same decoded frames: {speed}")
    if "pose" in fps and "vgg16" in fps:
        ratio = fps["pose"] / fps["vgg16"]
        verdict = "met" if ratio >= SPEED_GOAL else "NOT met"
        console.print(f"  pose / vgg16 = {ratio:.1f}× (goal ≥ {SPEED_GOAL:g}×: {verdict})")
    for r in results:
        if r.key.startswith("pose"):
            met = r.balanced_accuracy >= BALANCED_GOAL and r.clips_right >= CLIP_GOAL * r.clips
            console.print(f"  {r.key}: goals (balanced ≥ {BALANCED_GOAL}, clips ≥ {CLIP_GOAL:.0%}) "
                          f"{'met' if met else 'NOT met'}")  # fmt: skip
    for key, stats in extraction.items():
        if stats["frames_computed"]:
            console.print(f"  {key}: {stats['frames_computed']} frames extracted in {stats['seconds']:.0f} s "
                          "(decoding included)")  # fmt: skip


if __name__ == "__main__":
    main()
