"""Rep counting: RepCount's MAE and off-by-one accuracy per set, and what counting costs per frame.

    python benchmarks/reps.py                              # demo data, trained as `make demo` does
    python benchmarks/reps.py --workdir bench/reps         # keep data, runs and exports (reused when present)
    python benchmarks/reps.py --real /work/realdata/media/manifest.csv \\
        --real-weights /work/realdata/vgg16_imagenet_notop.weights.h5   # also real footage, leave one group out

Demo: demo data, `--weights none --image-size 128`, the automatic split (val is
the gym the model never saw), once with a frame every 0.2 s and once every
0.1 s; each run exported to TFLite fp32 and int8 and scored on val with the
rep counter built into each format. Goal per format: OBO ≥ 0.95, MAE ≤ 0.10.
The training gym is scored too, marked as seen in training: it shows the
counter where the classifier does find the sets.

Every figure is per true set with a reps count, a set the phone never showed
counting 0 reps (what a user sees). Two diagnostics split the error: the same
figures over the sets that were shown ("detected"), and "counting alone": the
reps the counter counted for the true exercise inside each true set (plus
1 s for the smoothing's lag), whether or not the set was shown.

Real footage: VGG16 with ImageNet weights at 224 px, one training per group
that has counted sets, that group held out as test; its videos are scored
with the Keras model of that fold (backbone features from the shared cache).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # runnable from a plain checkout

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from timing import best_seconds  # noqa: E402  (benchmarks/timing.py)
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
        states = smooth_sequence(p.probs, p.params, rest_class=p.rest_class).states
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


def demo_runs(workdir: Path, every_s: float):
    """Demo data (default config) and a run trained on it as `make demo` does, reused when present."""
    from gymnos_edge.data.demo import make_demo_data
    from gymnos_edge.data.sampler import SamplingConfig
    from gymnos_edge.training.run_folder import load_run
    from gymnos_edge.training.train import TrainConfig, train

    manifest = workdir / "demo" / "manifest.csv"
    if not manifest.is_file():
        with console.status("Drawing the demo videos…"):
            make_demo_data(manifest.parent)
    folder = workdir / "runs" / f"demo_every_{every_s:g}"
    if (folder / "metadata.json").is_file():
        return load_run(folder), manifest, None
    config = TrainConfig(
        manifest=manifest,
        out=folder,
        weights="none",
        sampling=SamplingConfig(every_s=every_s, image_size=128),
        cache_dir=workdir / "cache",
    )
    with console.status(f"Training (--weights none, 128×128, every {every_s:g} s)…"):
        started = time.perf_counter()
        result = train(config)
    return result.run, manifest, time.perf_counter() - started


def demo_exports(run, manifest: Path, workdir: Path) -> Path:
    from gymnos_edge.export.exporter import ExportOptions, export_run
    from gymnos_edge.export.formats import Quantization

    folder = workdir / "export" / run.folder.name
    if not (folder / "metadata.json").is_file():
        options = ExportOptions(
            quantizations=(Quantization.fp32, Quantization.int8), coreml=False, out=folder, calibration=manifest
        )
        with console.status(f"Exporting {run.folder.name} to TFLite fp32 and int8 (self-validated)…"):
            export_run(run.folder, options)
    return folder


def demo_section(workdir: Path, every_s: float) -> dict:
    from gymnos_edge.inference.litert_model import TFLiteModel
    from gymnos_edge.inference.open_model import KerasFrameModel

    run, manifest, seconds = demo_runs(workdir, every_s)
    export = demo_exports(run, manifest, workdir)
    assignment = run.metadata.splits.get("assignment", {})
    models = {
        "keras": KerasFrameModel(run),
        "tflite-fp32": TFLiteModel(export / "model_fp32.tflite"),
        "tflite-int8": TFLiteModel(export / "model_int8.tflite"),
    }
    section = {
        "every_s": every_s,
        "run": str(run.folder),
        "train_seconds": seconds,
        "val_groups": run.metadata.splits.get("val", {}).get("groups"),
    }
    # val is the goal; train (the gym the model learnt from) shows the counter where the sets are found.
    for split in ("val", "train"):
        rows = []
        for name, model in models.items():
            with console.status(f"every {every_s:g} s: scoring {name} on {split}…"):
                rows.append(row_of(name, predict_split(manifest, model, split, assignment)))
        keras = rows[0].counts.counted
        section[split] = [r.to_dict() | {"same_counts_as_keras": float(np.mean(np.equal(r.counts.counted, keras)))}
                          for r in rows]  # fmt: skip
    section["costs"] = per_frame_costs(models)
    return section


def per_frame_costs(models: dict) -> dict:
    """Seconds per frame: counting alone, the whole state machine, and the model, in NumPy and in the .tflite files."""
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
    classifier = keras.run.load_model()
    size = keras.sampling.image_size
    frame = np.random.default_rng(0).uniform(0, 255, (1, size, size, 3)).astype(np.float32)
    classifier.predict_on_batch(frame)
    costs["keras_model_s"] = best_seconds(lambda: classifier.predict_on_batch(frame), number=10)
    for name in ("tflite-fp32", "tflite-int8"):
        model = models[name]
        image = frame[0].astype(np.uint8)
        model.step(image, model.initial_state())
        costs[f"{name}_frame_s"] = best_seconds(lambda: model.step(image, model.initial_state()), number=10)
        costs[f"{name}_state_machine_s"] = best_seconds(lambda: model.smooth_step(probs, model.initial_state()), number=500)
    return costs


# ---------------------------------------------------------------------------------------------- real footage


def real_section(manifest: Path, weights: Path, workdir: Path, every_s: float = 0.2) -> dict:
    """Leave one group out over the groups with counted sets: VGG16 (ImageNet) at 224 px."""
    from gymnos_edge.data.manifest import require_valid
    from gymnos_edge.data.sampler import SamplingConfig
    from gymnos_edge.evaluation.evaluate import true_rep_spans, truth_at
    from gymnos_edge.features.extraction import FeatureCache, SpanRequest, extract_features
    from gymnos_edge.inference.predict import prediction_from_probs
    from gymnos_edge.training.classifier import split_classifier, vgg16_features, weights_fingerprint
    from gymnos_edge.training.run_folder import load_run
    from gymnos_edge.training.train import TrainConfig, train

    check = require_valid(manifest)
    groups = sorted({s.group for s in check.manifest.spans if s.reps is not None and s.group})
    sampling = SamplingConfig(every_s=every_s, image_size=224)
    results, folds = [], []
    for group in groups:
        folder = workdir / "real_runs" / f"holdout_{group}"
        if (folder / "metadata.json").is_file():  # a fold finished by an earlier, interrupted run
            run = load_run(folder)
        else:
            config = TrainConfig(manifest=manifest, out=folder, weights=str(weights), sampling=sampling,
                                 holdout_group=group, force=True)  # fmt: skip
            with console.status(f"real footage: training without {group} ({len(folds) + 1}/{len(groups)})…"):
                run = train(config).run
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
    parser.add_argument("--every", type=float, nargs="+", default=[0.2, 0.1], help="sampling intervals to compare")
    parser.add_argument("--real", type=Path, help="manifest of real footage with a reps column")
    parser.add_argument("--real-weights", type=Path, help="VGG16 ImageNet weights (.weights.h5) for the real footage")
    parser.add_argument("--skip-demo", action="store_true")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    report: dict = {"goal": {"obo": OBO_GOAL, "mae": MAE_GOAL}, "params": smoothing.SmoothingParams().to_dict()}
    if not args.skip_demo:
        report["demo"] = []
        for every_s in args.every:
            section = demo_section(args.workdir, every_s)
            report["demo"].append(section)
            print_rows(f"Demo, held-out gym {section['val_groups']}, a frame every {every_s:g} s", section["val"])
            print_rows(f"Demo, the training gym (seen in training), a frame every {every_s:g} s", section["train"])
            print_costs(section["costs"])
    if args.real is not None:
        if args.real_weights is None:
            parser.error("--real needs --real-weights")
        section = real_section(args.real, args.real_weights, args.workdir)
        report["real"] = section
        print_rows(f"Real footage, leave one group out ({len(section['groups'])} folds)", [section["row"]])
    target = args.workdir / "reps.json"
    target.write_text(json.dumps(report, indent=2))
    console.print(f"wrote {target}")


if __name__ == "__main__":
    main()
