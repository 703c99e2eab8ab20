"""Per-set labels on the demo's held-out gym: a model without rest vs the rest-aware one, raw vs smoothed.

    .venv/bin/python benchmarks/set_labels.py                   # demo data + both models, pose as make demo
    .venv/bin/python benchmarks/set_labels.py --backbone vgg16  # the image path, as make demo-vgg16 (random, 128 px)
    .venv/bin/python benchmarks/set_labels.py --backbone vgg16 --weights vgg16_notop.weights.h5  # ImageNet VGG16

Both models are trained as `make demo` trains (the pose backbone unless told
otherwise; VGG16 with `--weights none` unless told otherwise; the same
automatic split, so the same gym is held out as val) on the same cached
frames, each model's smoothing chosen on its training gyms held out in turn
(`--tune-smoothing`, as `make demo`; `--no-tune-smoothing` keeps the defaults):
one with `--gaps ignore` (no rest class: the state machine can only show rest
when no exercise is kept) and one with the default `--gaps rest`. Both are
scored on the held-out gym, which no training decision saw but early stopping.

Goals for the rest-aware model, smoothed: set F1@50 ≥ 90, Edit ≥ 90, every
true rest of ≥ 2 s shown as rest, flips/min ≤ 1.2× the truth's own, mean
detection delay ≤ 1.5 s. Also printed: what the smoothing step costs per frame
next to the classifier.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # runnable from a plain checkout

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from timing import best_seconds  # noqa: E402  (benchmarks/timing.py)
from gymnos_edge.common.contract import Backbone, Gaps  # noqa: E402
from gymnos_edge.common.errors import UserError  # noqa: E402
from gymnos_edge.data.manifest import require_valid  # noqa: E402
from gymnos_edge.evaluation.evaluate import Evaluation, VideoResult, predict_split, score  # noqa: E402
from gymnos_edge.evaluation.group_tuning import (  # noqa: E402
    save_tuning, train_choosing_motion_window, tune_smoothing_by_groups,
)
from gymnos_edge.evaluation.set_metrics import count_flips, overlap_s  # noqa: E402
from gymnos_edge.inference.open_model import open_frame_model  # noqa: E402
from gymnos_edge.sets.segments import segment  # noqa: E402
from gymnos_edge.sets.smoothing import initial_state, step  # noqa: E402
from gymnos_edge.training.run_folder import Run  # noqa: E402

GOALS = {"F1@50": 90.0, "Edit": 90.0, "flips vs truth": 1.2, "delay s": 1.5}
LONG_REST_S = 2.0
console = Console()


def train_both(folder: Path, args: argparse.Namespace) -> tuple[dict[str, Run], Path]:
    from gymnos_edge.data.demo import make_demo_data
    from gymnos_edge.data.sampler import SamplingConfig
    from gymnos_edge.training.train import TrainConfig, train

    with console.status("Drawing the demo videos…"):
        manifest = make_demo_data(folder / "demo")
    runs = {}
    for name, gaps in (("no rest class (--gaps ignore)", Gaps.ignore), ("rest class (--gaps rest)", Gaps.rest)):
        sampling = None if args.backbone is Backbone.pose else SamplingConfig(every_s=0.2, image_size=args.image_size)
        config = TrainConfig(manifest=manifest, out=folder / "runs" / gaps.value, backbone=args.backbone,
                             weights=args.weights, gaps=gaps, sampling=sampling, pose_model=args.pose_model,
                             cache_dir=args.cache or folder / "cache")  # fmt: skip
        with console.status(f"Training {name}…"):
            started = time.perf_counter()
            known, chose = None, []
            if args.backbone is Backbone.pose:  # as make demo: --motion-window auto
                result, choice = train_choosing_motion_window(config)
                known = choice.chosen
                scores = ", ".join(f"{tau:g} s {value:.3f}" for tau, value in choice.balanced_accuracy.items())
                chose.append(f"motion window {choice.seconds:g} s ({scores})")
            else:
                result = train(config)
            if args.tune_smoothing:
                tuning = tune_smoothing_by_groups(config, result.run, known=known)
                result = replace(result, run=save_tuning(result.run, tuning))
                p = tuning.params
                chose.append(f"smoothing τ {p.tau_s:g} s, enter {p.enter:g}, exit {p.exit:g}, floor {p.floor:g}, "
                             f"min set {p.min_set_s:g} s")  # fmt: skip
        console.print(f"{name}: trained in {time.perf_counter() - started:.0f} s "
                      f"({result.frames_computed} frames computed, the rest from the shared cache)"
                      + (f"; chose {'; '.join(chose)}" if chose else ""))  # fmt: skip
        runs[name] = result.run
    return runs, manifest


@dataclass(frozen=True)
class RestScore:
    long_rests: int
    shown: int  # long true rests that a predicted rest overlaps by at least half their length (≥ 1 s)


def rest_score(results: list[VideoResult]) -> RestScore:
    total = shown = 0
    for r in results:
        p = r.prediction
        interval = p.params.every_s
        truth = segment(p.times, r.truth, p.labels, interval).rests
        predicted = segment(p.times, p.shown, p.labels, interval, held=p.held).rests
        for rest in truth:
            if rest.duration_s < LONG_REST_S:
                continue
            total += 1
            needed = max(1.0, rest.duration_s / 2) if rest.duration_s >= 2.0 else rest.duration_s
            shown += any(overlap_s(rest, q) >= min(needed, rest.duration_s) for q in predicted)
    return RestScore(total, shown)


def true_flips_per_minute(results: list[VideoResult]) -> float:
    minutes = sum(len(r.truth) * r.prediction.params.every_s for r in results) / 60.0
    return sum(count_flips(r.truth) for r in results) / minutes


def print_side_by_side(scored: dict[str, tuple[Evaluation, RestScore]], truth_flips: float) -> None:
    table = Table(title="Held-out gym: raw argmax and smoothed labels of both models (same frames)")
    table.add_column("metric")
    for name in scored:
        for kind in ("raw", "smoothed"):
            table.add_column(f"{name}\n{kind}", justify="right")

    def row(title, value):
        cells = []
        for evaluation, rests in scored.values():
            for kind in ("raw", "smoothed"):
                cells.append(value(getattr(evaluation, kind), rests, kind))
        table.add_row(title, *cells)

    row("set F1@50", lambda m, r, k: f"{m.f1_at(0.5):.1f}")
    row("set F1@25", lambda m, r, k: f"{m.f1_at(0.25):.1f}")
    row("Edit", lambda m, r, k: f"{m.edit:.1f}")
    row("frame accuracy %", lambda m, r, k: f"{m.accuracy:.1f}")
    row("flips / min", lambda m, r, k: f"{m.flips_per_minute:.1f}")
    row("flips vs the truth's", lambda m, r, k: f"{m.flips_per_minute / truth_flips:.2f}×")
    row(
        "mean detection delay s", lambda m, r, k: "—" if math.isnan(m.detection.mean_s) else f"{m.detection.mean_s:.2f}"
    )
    row("sets shown / true", lambda m, r, k: _sets(m))
    row(f"true rests ≥ {LONG_REST_S:g} s shown", lambda m, r, k: f"{r.shown}/{r.long_rests}" if k == "smoothed" else "")
    console.print(table)
    console.print(f"The true labels flip {truth_flips:.1f} times a minute (into and out of every set).")


def verdict(evaluation: Evaluation, rests: RestScore, truth_flips: float) -> None:
    m = evaluation.smoothed
    checks = {
        f"set F1@50 {m.f1_at(0.5):.1f} ≥ {GOALS['F1@50']:g}": m.f1_at(0.5) >= GOALS["F1@50"],
        f"Edit {m.edit:.1f} ≥ {GOALS['Edit']:g}": m.edit >= GOALS["Edit"],
        f"rests ≥ {LONG_REST_S:g} s shown {rests.shown}/{rests.long_rests}": rests.shown == rests.long_rests,
        f"flips {m.flips_per_minute / truth_flips:.2f}× the truth's ≤ {GOALS['flips vs truth']:g}×":
            m.flips_per_minute <= GOALS["flips vs truth"] * truth_flips,
        f"mean detection delay {m.detection.mean_s:.2f} s ≤ {GOALS['delay s']:g} s":
            not math.isnan(m.detection.mean_s) and m.detection.mean_s <= GOALS["delay s"],
    }  # fmt: skip
    for text, ok in checks.items():
        console.print(f"  {'[green]met[/]' if ok else '[red]not met[/]'}  {text}")


def _sets(metrics) -> str:
    counts = metrics.f1[0]
    return f"{counts.true_positives + counts.false_positives} / {counts.true_positives + counts.false_negatives}"


def per_frame_costs(model) -> tuple[float, float]:
    """The smoothing step's time per frame next to the frame model's (one frame; the pose estimator included)."""
    n = len(model.labels) + model.rest_class
    state = initial_state(n, model.rest_class)
    probs = np.full(n, 1.0 / n, np.float32)
    step_s = best_seconds(lambda: step(state, probs, model.smoothing, rest_class=model.rest_class), number=2_000)
    size = model.sampling.image_size
    frame = np.random.default_rng(0).uniform(0, 255, (1, size, size, 3)).astype(np.float32)
    model.probabilities(frame)
    model_s = best_seconds(lambda: model.probabilities(frame), number=20)
    return step_s, model_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image-size", type=int, default=128, help="VGG16 input size, as make demo (128)")
    parser.add_argument("--backbone", type=Backbone, default=Backbone.pose, choices=list(Backbone),
                        metavar="{" + ",".join(b.value for b in Backbone) + "}",
                        help="pose (as make demo) or vgg16 (as make demo-vgg16)")
    parser.add_argument("--weights", default="none", help="VGG16 weights: none (as make demo), imagenet or a file")
    parser.add_argument("--pose-model", type=Path, default=None, help="folder with the BlazePose files")
    parser.add_argument("--cache", type=Path, default=None, help="feature cache (default: a temporary one)")
    parser.add_argument("--tune-smoothing", action=argparse.BooleanOptionalAction, default=True,
                        help="choose each model's smoothing on its training gyms held out in turn, as make demo does")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gymnos-set-labels-") as folder:
        runs, manifest = train_both(Path(folder), args)
        scored, truth_flips = {}, None
        for name, run in runs.items():
            model = open_frame_model(run.folder, args.pose_model)
            assignment = run.metadata.splits["assignment"]
            held_out = sorted(set(run.metadata.splits["val"]["groups"]))
            with console.status(f"Predicting the held-out gym with {name}…"):
                check = require_valid(manifest, expected_labels=model.labels)
                results = predict_split(check, model, "val", assignment)
            truth_flips = true_flips_per_minute(results)
            scored[name] = (score(results, "val"), rest_score(results))
        frames = sum(len(r.prediction.times) for r in results)
        console.print(f"{args.backbone.value} backbone, weights {args.weights}; held-out gym {', '.join(held_out)}: "
                      f"{len(results)} videos, {frames} frames every 0.2 s")  # fmt: skip
        print_side_by_side(scored, truth_flips)
        rest_aware = list(scored)[-1]
        console.print(f"Goals for {rest_aware}, smoothed:")
        verdict(*scored[rest_aware], truth_flips)
        step_s, model_s = per_frame_costs(open_frame_model(runs[rest_aware].folder, args.pose_model))
        console.print(f"Smoothing step {step_s * 1e6:.1f} µs per frame vs the classifier's {model_s * 1e3:.1f} ms "
                      f"(1 : {model_s / step_s:,.0f}), measured in this run")  # fmt: skip


if __name__ == "__main__":
    try:
        main()
    except UserError as error:
        sys.exit(f"error: {error}")
