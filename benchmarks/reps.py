"""Rep counting: RepCount's MAE and off-by-one accuracy per set, and what counting costs per frame.

    python benchmarks/reps.py                              # demo data, trained as `make demo` does (pose)
    python benchmarks/reps.py --backbone vgg16             # the image path, as `make demo-vgg16` trains it
    python benchmarks/reps.py --workdir bench/reps         # keep data, runs and exports (reused when present)
    python benchmarks/reps.py --real MANIFEST               # also real footage, leave one group out (pose)
    python benchmarks/reps.py --no-rep-signal --real MANIFEST  # pose counting on the probabilities instead
    python benchmarks/reps.py --real MANIFEST --real-weights vgg16_notop.weights.h5   # and VGG16 there

Demo: demo data, trained as `make demo` trains (the pose backbone; with
`--backbone vgg16`, `--weights none --image-size 128` as `make demo-vgg16`), the
automatic split (val is the gym the model never saw), once with a frame every
0.2 s and once every 0.1 s; each run exported to TFLite fp32 (and int8 for
VGG16; a pose head has no int8 export) and scored on val with the rep counter
built into each format. Goal per format: OBO ≥ 0.95, MAE ≤ 0.10.
The training gym is scored too, marked as seen in training: it shows the
counter where the classifier does find the sets.

Every figure is per true set with a reps count, a set the phone never showed
counting 0 reps (what a user sees). Two diagnostics split the error: the same
figures over the sets that were shown ("detected"), and "counting alone": the
reps the counter counted for the true exercise inside each true set (plus
1 s for the smoothing's lag), whether or not the set was shown.

Real footage: one training per group that has counted sets, that group held
out as test, its videos streamed whole through that fold's model: the pose
backbone, and with `--real-weights` VGG16 with ImageNet weights at 224 px too
(backbone features from the shared cache).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # runnable from a plain checkout

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from timing import best_seconds  # noqa: E402  (benchmarks/timing.py)
from gymnos_edge.common.contract import Backbone  # noqa: E402
from gymnos_edge.evaluation.evaluate import VideoResult, predict_split, score  # noqa: E402
from gymnos_edge.evaluation.set_metrics import RepCounts  # noqa: E402
from gymnos_edge.sets import smoothing  # noqa: E402
from gymnos_edge.sets.smoothing import initial_state, smooth_sequence, state_index, step  # noqa: E402

OBO_GOAL, MAE_GOAL = 0.95, 0.10
# Counting alone: reps counted up to this long after a true set's end still belong to it. The phone's set
# list keeps counting until rest is shown (min_rest_s after it is proposed), so 1 s is what it would see;
# 0 s is the counter judged on the true set alone.
LAGS_S = (0.0, 1.0)
console = Console(width=150)  # the tables are wide; keep them whole in a log file too


@dataclass(frozen=True)
class Row:
    """One format on one split: rep figures, and the set F1 that bounds them."""

    name: str
    counts: RepCounts
    alone: tuple[RepCounts, ...]  # one per LAGS_S
    set_f1_50: float

    def to_dict(self) -> dict:
        detected = self.counts.of_detected()
        return {
            "name": self.name,
            "sets": self.counts.sets,
            "mae": _plain(self.counts.mae),
            "obo": _plain(self.counts.obo),
            "detected_sets": detected.sets,
            "mae_detected": _plain(detected.mae),
            "obo_detected": _plain(detected.obo),
            **{f"mae_counting_alone_{lag:g}s": _plain(a.mae) for lag, a in zip(LAGS_S, self.alone)},
            **{f"obo_counting_alone_{lag:g}s": _plain(a.obo) for lag, a in zip(LAGS_S, self.alone)},
            "set_f1_50": self.set_f1_50,
            "true": list(self.counts.true),
            "counted": list(self.counts.counted),
            **{f"counted_alone_{lag:g}s": list(a.counted) for lag, a in zip(LAGS_S, self.alone)},
            "goal_holds": bool(self.counts.obo >= OBO_GOAL and self.counts.mae <= MAE_GOAL),
        }


def _plain(value: float) -> float | None:
    return None if math.isnan(value) else value


def counting_alone(results: list[VideoResult], lag_s: float) -> RepCounts:
    """Reps counted for each true set's exercise inside the set (+ `lag_s`), set tracking aside."""
    true, counted = [], []
    for r in results:
        p = r.prediction
        states = smooth_sequence(p.probs, p.params, rest_class=p.rest_class, rep_signal=p.rep_signal).states
        n = p.probs.shape[1]
        events = states[:, state_index(n, "rep_since")] == 0
        tracked = states[:, state_index(n, "rep_class")].astype(int)
        labels = list(p.labels)
        for start, end, reps in _true_sets(r):
            label = labels.index(reps[1])
            inside = (p.times >= start) & (p.times < end + lag_s) & events & (tracked == label)
            true.append(reps[0])
            counted.append(int(np.count_nonzero(inside)))
    return RepCounts(tuple(true), tuple(counted), tuple(True for _ in true))


def _true_sets(result: VideoResult) -> list[tuple[float, float, tuple[int, str]]]:
    """The true sets of one video with their reps, read back from its scored set report."""
    metrics = score([result], "one").smoothed.sequences[0]
    return [
        (m.truth.start_s, m.truth.end_s, (m.truth.reps, m.truth.label))
        for m in metrics.sets.matches
        if m.truth.reps is not None
    ]


def row_of(name: str, results: list[VideoResult]) -> Row:
    smoothed = score(results, "val").smoothed
    return Row(name, smoothed.reps, tuple(counting_alone(results, lag) for lag in LAGS_S), smoothed.f1_at(0.5))


# ---------------------------------------------------------------------------------------------- demo


def demo_runs(workdir: Path, every_s: float, backbone: Backbone, rep_signal: bool = False):
    """Demo data (default config) and a run trained on it as `make demo` does, reused when present."""
    from gymnos_edge.data.demo import make_demo_data
    from gymnos_edge.data.sampler import SamplingConfig
    from gymnos_edge.training.run_folder import load_run
    from gymnos_edge.evaluation.group_tuning import save_tuning, train_choosing_motion_window, tune_smoothing_by_groups
    from gymnos_edge.training.train import POSE_SAMPLING, TrainConfig, train

    manifest = workdir / "demo" / "manifest.csv"
    if not manifest.is_file():
        with console.status("Drawing the demo videos…"):
            make_demo_data(manifest.parent)
    folder = workdir / "runs" / f"demo_{backbone.value}{'_rep_signal' if rep_signal else ''}_every_{every_s:g}"
    if (folder / "metadata.json").is_file():
        return load_run(folder), manifest, None
    if backbone is Backbone.pose:
        sampling = replace(POSE_SAMPLING, every_s=every_s)
    else:
        sampling = SamplingConfig(every_s=every_s, image_size=128)
    config = TrainConfig(manifest=manifest, out=folder, backbone=backbone, weights="none", sampling=sampling,
                         cache_dir=workdir / "cache", rep_signal=rep_signal)  # fmt: skip
    with console.status(f"Training ({backbone.value}, every {every_s:g} s)…"):
        started = time.perf_counter()
        if backbone is Backbone.pose:  # as make demo: the motion window and the smoothing chosen on the training
            result, choice = train_choosing_motion_window(config)  # gyms held out in turn
            run = save_tuning(result.run, tune_smoothing_by_groups(config, result.run, known=choice.chosen))
        else:
            run = train(config).run
    return run, manifest, time.perf_counter() - started


def demo_exports(run, manifest: Path, workdir: Path) -> Path:
    from gymnos_edge.export.exporter import ExportOptions, export_run
    from gymnos_edge.common.contract import Quantization

    folder = workdir / "export" / run.folder.name
    if not (folder / "metadata.json").is_file():
        quantizations = (Quantization.fp32,) if run.metadata.is_pose else (Quantization.fp32, Quantization.int8)
        options = ExportOptions(quantizations=quantizations, coreml=False, out=folder, calibration=manifest)
        with console.status(f"Exporting {run.folder.name} to TFLite {', '.join(q.value for q in quantizations)}…"):
            export_run(run.folder, options)
    return folder


def demo_section(workdir: Path, every_s: float, backbone: Backbone, rep_signal: bool = False) -> dict:
    from gymnos_edge.data.manifest import require_valid
    from gymnos_edge.inference.open_model import open_frame_model

    run, manifest, seconds = demo_runs(workdir, every_s, backbone, rep_signal)
    export = demo_exports(run, manifest, workdir)
    assignment = run.metadata.splits.get("assignment", {})
    models = {"keras": open_frame_model(run.folder)}
    for name in ("fp32", "int8"):
        if (export / f"model_{name}.tflite").is_file():
            models[f"tflite-{name}"] = open_frame_model(export / f"model_{name}.tflite")
    section = {
        "every_s": every_s,
        "run": str(run.folder),
        "train_seconds": seconds,
        "val_groups": run.metadata.splits.get("val", {}).get("groups"),
    }
    check = require_valid(manifest, expected_labels=models["keras"].labels)
    # val is the goal; train (the gym the model learnt from) shows the counter where the sets are found.
    for split in ("val", "train"):
        rows = []
        for name, model in models.items():
            with console.status(f"every {every_s:g} s: scoring {name} on {split}…"):
                rows.append(row_of(name, predict_split(check, model, split, assignment)))
        keras = rows[0].counts.counted
        section[split] = [r.to_dict() | {"same_counts_as_keras": float(np.mean(np.equal(r.counts.counted, keras)))}
                          for r in rows]  # fmt: skip
    section["costs"] = per_frame_costs(models)
    return section


def per_frame_costs(models: dict) -> dict:
    """Seconds per frame: counting alone and the whole state machine in NumPy, and each model's frame
    (a pose model's includes the BlazePose estimator, which an iPhone replaces with Vision)."""
    keras = models["keras"]
    n = len(keras.labels) + int(keras.rest_class)
    params = keras.smoothing
    state = initial_state(n, keras.rest_class)
    probs = np.full(n, 1.0 / n, np.float32)
    ema = state[:n]
    labels = (state[n : n + 1], state[n + 1 : n + 2], state[n + 1 : n + 2], state[n : n + 1])
    costs = {
        "numpy_step_s": best_seconds(lambda: step(state, probs, params, rest_class=keras.rest_class), number=2_000),
        "numpy_counting_s": best_seconds(
            lambda: smoothing._count_reps(state, probs, ema, labels, params, smoothing.NUMPY_OPS, keras.rest_class),
            number=2_000,
        ),
    }
    size = keras.sampling.image_size
    frame = np.random.default_rng(0).uniform(0, 255, (1, size, size, 3)).astype(np.float32)
    for name, model in models.items():
        model.probabilities(frame)
        costs[f"{name}_frame_s"] = best_seconds(lambda: model.probabilities(frame), number=10)
    return costs


# ---------------------------------------------------------------------------------------------- real footage


def counted_groups(check) -> list[str]:
    """The groups with at least one set whose reps were counted: the folds of the real-footage section."""
    return sorted({s.group for s in check.manifest.spans if s.reps is not None and s.group})


def fold_run(config, what: str):
    """The run of one fold: trained now, or the one an earlier, interrupted run finished."""
    from gymnos_edge.training.run_folder import load_run
    from gymnos_edge.training.train import train

    if (config.out / "metadata.json").is_file():
        return load_run(config.out)
    with console.status(f"real footage, {what}…"):
        return train(config).run


def real_section(manifest: Path, weights: Path, workdir: Path, every_s: float = 0.2) -> dict:
    """Leave one group out over the groups with counted sets: VGG16 (ImageNet) at 224 px."""
    from gymnos_edge.data.manifest import require_valid
    from gymnos_edge.data.sampler import SamplingConfig
    from gymnos_edge.evaluation.evaluate import true_rep_spans, truth_at
    from gymnos_edge.features.extraction import FeatureCache, SpanRequest, extract_features
    from gymnos_edge.inference.predict import prediction_from_probs
    from gymnos_edge.training.classifier import split_classifier, vgg16_features, weights_fingerprint
    from gymnos_edge.training.train import TrainConfig

    check = require_valid(manifest)
    groups = counted_groups(check)
    sampling = SamplingConfig(every_s=every_s, image_size=224)
    results, folds = [], []
    for group in groups:
        config = TrainConfig(manifest=manifest, out=workdir / "real_runs" / f"holdout_{group}", weights=str(weights),
                             sampling=sampling, holdout_group=group, force=True)  # fmt: skip
        run = fold_run(config, f"VGG16: training without {group} ({len(folds) + 1}/{len(groups)})")
        backbone, head = split_classifier(run.load_model())
        features_of = vgg16_features(backbone)
        fingerprint = weights_fingerprint(backbone)
        videos = [v for v in check.manifest.videos if check.manifest.spans_of(v)[0].group == group]
        for video in videos:
            request = SpanRequest(video, 0.0, check.videos[video].duration_s)
            (entry,), _ = extract_features([request], features_of, sampling, fingerprint, FeatureCache())
            probs = np.asarray(head.predict_on_batch(entry.features.astype(np.float32)), np.float32)
            times = entry.timestamps.astype(np.float64)
            prediction = prediction_from_probs(video, run.metadata.labels, times, probs, run.metadata.smoothing_params,
                                               run.metadata.rest_class)  # fmt: skip
            truth = truth_at(times, check, video, list(run.metadata.labels))
            results.append(VideoResult(video, group, truth, prediction, true_rep_spans(check, video)))
        folds.append(group)
    row = row_of("keras (VGG16, ImageNet, 224 px)", results)
    return {"groups": folds, "every_s": every_s, "row": row.to_dict()}


# What `--rep-signal` runs counted with before their band followed the lifter: a fixed band of half a
# within-set standard deviation. The real-footage section scores the same predictions with it too.
FIXED_BAND = {"rep_hysteresis": 0.5, "rep_gain_tau_s": 0.0}


def real_pose_section(manifest: Path, workdir: Path, rep_signal: bool = False) -> dict:
    """Leave one group out over the groups with counted sets: the pose backbone, each held-out video
    streamed whole through the estimator and the fold's model, as `predict` runs it. With `rep_signal`,
    the same predictions are also counted with the earlier fixed band (`FIXED_BAND`)."""
    from gymnos_edge.data.manifest import require_valid
    from gymnos_edge.evaluation.evaluate import true_rep_spans, truth_at
    from gymnos_edge.inference.open_model import open_frame_model
    from gymnos_edge.inference.predict import predict_video
    from gymnos_edge.training.train import TrainConfig

    check = require_valid(manifest)
    groups = counted_groups(check)
    results, folds = [], []
    for group in groups:
        name = f"pose{'_rep_signal' if rep_signal else ''}_holdout_{group}"
        config = TrainConfig(manifest=manifest, out=workdir / "real_runs" / name, backbone=Backbone.pose,
                             holdout_group=group, force=True, rep_signal=rep_signal)  # fmt: skip
        run = fold_run(config, f"pose: training without {group} ({len(folds) + 1}/{len(groups)})")
        model = open_frame_model(run.folder)
        for video in (v for v in check.manifest.videos if check.manifest.spans_of(v)[0].group == group):
            prediction = predict_video(video, model)
            truth = truth_at(prediction.times, check, video, list(run.metadata.labels))
            results.append(VideoResult(video, group, truth, prediction, true_rep_spans(check, video)))
        folds.append(group)
    section = {"groups": folds, "row": row_of("keras (pose)", results).to_dict()}
    if rep_signal:
        fixed = [replace(r, prediction=r.prediction.resmoothed(replace(r.prediction.params, **FIXED_BAND)))
                 for r in results]  # fmt: skip
        section["fixed_band_row"] = row_of("keras (pose), fixed band 0.5", fixed).to_dict()
    return section


# ---------------------------------------------------------------------------------------------- output


def print_rows(title: str, rows: list[dict]) -> None:
    table = Table(title=title)
    for column in ("format", "sets", "MAE", "OBO", "goal", "MAE det.", "OBO det.", "MAE alone", "OBO alone",
                   "MAE alone+1s", "OBO alone+1s", "F1@50", "= Keras"):  # fmt: skip
        table.add_column(column, justify="left" if column == "format" else "right")
    for r in rows:
        cell = lambda v: "—" if v is None else f"{v:.2f}"  # noqa: E731
        table.add_row(r["name"], str(r["sets"]), cell(r["mae"]), cell(r["obo"]), "yes" if r["goal_holds"] else "[red]no[/]",
                      f"{cell(r['mae_detected'])} ({r['detected_sets']})", cell(r["obo_detected"]),
                      cell(r["mae_counting_alone_0s"]), cell(r["obo_counting_alone_0s"]), cell(r["mae_counting_alone_1s"]),
                      cell(r["obo_counting_alone_1s"]), f"{r['set_f1_50']:.1f}",
                      cell(r.get("same_counts_as_keras")))  # fmt: skip
    console.print(table)
    for r in rows:
        console.print(f"  {r['name']}: true {r['true']} counted {r['counted']} counting alone "
                      f"{r['counted_alone_0s']} (+1 s: {r['counted_alone_1s']})")


def print_costs(costs: dict) -> None:
    table = Table(title="Cost per frame, measured here (µs)")
    table.add_column("what")
    table.add_column("µs", justify="right")
    for key, value in costs.items():
        table.add_row(key.removesuffix("_s").replace("_", " "), f"{value * 1e6:.1f}")
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", type=Path, default=Path("bench/reps"))
    parser.add_argument("--backbone", type=Backbone, default=Backbone.pose, choices=list(Backbone),
                        metavar="{" + ",".join(b.value for b in Backbone) + "}",
                        help="the demo model's backbone (default pose, as make demo)")
    parser.add_argument("--every", type=float, nargs="+", default=[0.2, 0.1], help="sampling intervals to compare")
    parser.add_argument("--real", type=Path, help="manifest of real footage with a reps column")
    parser.add_argument("--real-weights", type=Path, help="VGG16 ImageNet weights (.weights.h5): VGG16 on the real footage too")
    parser.add_argument("--rep-signal", action=argparse.BooleanOptionalAction, default=None,
                        help="pose: reps counted on the body's movement (the default, as train) or, with "
                        "--no-rep-signal, on the probabilities")  # fmt: skip
    parser.add_argument("--skip-demo", action="store_true")
    args = parser.parse_args()
    from gymnos_edge.training.train import counts_reps_on_body

    demo_signal = counts_reps_on_body(args.backbone, args.rep_signal)  # as `train` decides it
    real_signal = counts_reps_on_body(Backbone.pose, args.rep_signal)  # real footage: always pose
    args.workdir.mkdir(parents=True, exist_ok=True)
    report: dict = {"goal": {"obo": OBO_GOAL, "mae": MAE_GOAL}, "params": smoothing.SmoothingParams().to_dict()}
    if not args.skip_demo:
        report["demo"] = []
        for every_s in args.every:
            section = demo_section(args.workdir, every_s, args.backbone, demo_signal)
            report["demo"].append(section)
            print_rows(f"Demo ({args.backbone.value}), held-out gym {section['val_groups']}, a frame every {every_s:g} s",
                       section["val"])  # fmt: skip
            print_rows(f"Demo, the training gym (seen in training), a frame every {every_s:g} s", section["train"])
            print_costs(section["costs"])
    if args.real is not None:
        report["real_pose"] = real_pose_section(args.real, args.workdir, real_signal)
        rows = [report["real_pose"]["row"], *([report["real_pose"]["fixed_band_row"]] if real_signal else [])]
        if args.real_weights is not None:
            report["real"] = real_section(args.real, args.real_weights, args.workdir)
            rows.append(report["real"]["row"])
        print_rows(f"Real footage, leave one group out ({len(report['real_pose']['groups'])} folds)", rows)
    report["rep_signal"] = {"demo": demo_signal, "real": real_signal}
    target = args.workdir / f"reps{'_log_odds' if args.rep_signal is False else ''}.json"
    target.write_text(json.dumps(report, indent=2))
    console.print(f"wrote {target}")


if __name__ == "__main__":
    main()
