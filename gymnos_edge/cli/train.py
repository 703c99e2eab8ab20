"""`gymnos-edge train`: argument parsing and progress display over `gymnos_edge.training.train`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from gymnos_edge.cli.options import EveryOpt, ImageSizeOpt, ResizeOpt, WeightsOpt, note_random_backbone
from gymnos_edge.cli.support import console, errors, user_errors
from gymnos_edge.training.heads import Head
from gymnos_edge.data.sampler import ResizePolicy


@user_errors
def train_command(
    manifest: Annotated[Path, typer.Argument(help="Video manifest (.csv or .json).")],
    out: Annotated[Optional[Path], typer.Option(help="Run folder to write (default runs/<name>-<time>).")] = None,
    weights: WeightsOpt = "imagenet",
    head: Annotated[Head, typer.Option(help="seed: Flatten head of the original; gap: light head for phones.")] = Head.seed,
    epochs: Annotated[int, typer.Option(min=1, help="Most epochs; early stopping on val loss ends sooner.")] = 30,
    batch_size: Annotated[int, typer.Option(min=1, help="Frames per head step.")] = 64,
    image_size: ImageSizeOpt = 224,
    every: EveryOpt = 0.2,
    resize: ResizeOpt = ResizePolicy.squash,
    holdout_group: Annotated[
        Optional[str], typer.Option(help="Hold this group (gym, person) out as the test split.")
    ] = None,
    seed: Annotated[int, typer.Option()] = 0,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing run folder given by --out.")] = False,
) -> None:
    """Train the workout classifier: frozen VGG16 + head, on cached features, with leak-free splits.

    Example: [bold]gymnos-edge train demo_data/manifest.csv --weights none --image-size 96[/]
    """
    from gymnos_edge.data.sampler import SamplingConfig
    from gymnos_edge.training.train import TrainCallbacks, TrainConfig, train

    config = TrainConfig(
        manifest=manifest,
        out=out,
        weights=weights,
        head=head,
        epochs=epochs,
        batch_size=batch_size,
        sampling=SamplingConfig(every_s=every, image_size=image_size, resize=resize),
        holdout_group=holdout_group,
        seed=seed,
        force=force,
    )
    note_random_backbone(weights)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    ) as progress:
        tasks: dict[str, int] = {}

        def on_plan(plan, frames: int) -> None:
            console.print(f"Splits {plan.method}: " + ", ".join(
                f"{split} {len(plan.videos(split))} videos" for split in ("train", "val", "test") if plan.videos(split)
            ))  # fmt: skip
            for warning in plan.warnings:
                errors.print(f"[yellow]warning:[/] {warning}")
            tasks["frames"] = progress.add_task("Backbone features", total=frames, rate="")
            tasks["epochs"] = progress.add_task("Head epochs", total=epochs, rate="", visible=False)

        def on_frames(count: int) -> None:
            task = progress.tasks[tasks["frames"]]
            progress.update(tasks["frames"], advance=count, rate=f"{task.speed or 0:.1f} frames/s")

        def on_epoch(epoch: int, logs: dict) -> None:
            shown = " ".join(f"{k} {v:.3f}" for k, v in logs.items() if "loss" in k or "acc" in k)
            progress.update(tasks["frames"], completed=progress.tasks[tasks["frames"]].completed)
            progress.update(tasks["epochs"], completed=epoch + 1, visible=True, rate=shown)

        result = train(config, TrainCallbacks(on_plan=on_plan, on_frames=on_frames, on_epoch=on_epoch))

    for warning in result.warnings:
        if warning not in result.run.metadata.splits.get("method", ""):
            errors.print(f"[yellow]warning:[/] {warning}")
    _print_scores(result)
    console.print(
        f"Features: {result.frames_computed} frames computed in {result.extraction_seconds:.1f} s "
        f"(the rest from the cache); head: {result.seconds_per_epoch:.2f} s per epoch"
    )
    console.print(f"[green]✓[/] run saved to [bold]{result.run.folder}[/] (report in {result.run.report_folder})")
    console.print("Next: [bold]gymnos-edge export --tflite --coreml[/]  or  [bold]gymnos-edge predict VIDEO[/]")


def _print_scores(result) -> None:
    table = Table(title="Frame scores (train was fitted on; val chose the epoch; test was never used)")
    table.add_column("split")
    table.add_column("frames", justify="right")
    table.add_column("accuracy", justify="right")
    labels = result.run.metadata.labels
    for label in labels:
        table.add_column(f"{label} P/R/F1", justify="right")
    for split, report in result.reports.items():
        cells = [f"{report.per_class[l].precision:.2f}/{report.per_class[l].recall:.2f}/{report.per_class[l].f1:.2f}"
                 for l in labels]  # fmt: skip
        table.add_row(split, str(report.frames), f"{report.accuracy:.1%}", *cells)
    console.print(table)
