"""`gymnos-edge train`: argument parsing and progress display over `gymnos_edge.training.train`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from gymnos_edge.cli.options import BackboneOpt, EveryOpt, ImageSizeOpt, ResizeOpt, WeightsOpt, note_random_backbone
from gymnos_edge.cli.support import PoseModelOpt, advance_frames, console, errors, frame_progress, user_errors
from gymnos_edge.common.contract import Backbone, Gaps
from gymnos_edge.common.errors import UserError
from gymnos_edge.features.keypoints import MOTION_TAU_S, MOTION_WINDOWS
from gymnos_edge.training.heads import Head


@user_errors
def train_command(
    manifest: Annotated[Path, typer.Argument(help="Video manifest (.csv or .json).")],
    out: Annotated[Optional[Path], typer.Option(help="Run folder to write (default runs/<name>-<time>).")] = None,
    backbone: BackboneOpt = Backbone.vgg16,
    weights: WeightsOpt = "imagenet",
    head: Annotated[
        Optional[Head],
        typer.Option(help="vgg16: flatten (default), gap (light) or linear; pose: mlp (default) or linear. "
                     "linear = logistic regression, L2 chosen by grouped cross-validation."),
    ] = None,  # fmt: skip
    epochs: Annotated[int, typer.Option(min=1, help="Most epochs; early stopping on val loss ends sooner.")] = 30,
    batch_size: Annotated[int, typer.Option(min=1, help="Frames per head step.")] = 64,
    image_size: ImageSizeOpt = None,
    every: EveryOpt = 0.2,
    resize: ResizeOpt = None,
    holdout_group: Annotated[
        Optional[str], typer.Option(help="Hold this group (gym, person) out as the test split.")
    ] = None,
    gaps: Annotated[
        Gaps, typer.Option(help="Time no span covers: 'rest' trains a rest class on it; 'ignore' leaves it out.")
    ] = Gaps.rest,
    seed: Annotated[int, typer.Option()] = 0,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing run folder given by --out.")] = False,
    pose_model: PoseModelOpt = None,
    track: Annotated[
        bool, typer.Option(help="pose: follow the person from frame to frame; the detector runs only when lost.")
    ] = True,
    rep_signal: Annotated[
        Optional[bool],
        typer.Option("--rep-signal/--no-rep-signal", show_default="on for pose",
                     help="pose: count reps on the body's main movement in each exercise, learnt from the "
                     "training sets; --no-rep-signal counts on the probabilities, as vgg16 does."),
    ] = None,  # fmt: skip
    motion_window: Annotated[
        str,
        typer.Option("--motion-window", metavar="SECONDS|auto",
                     help="pose: time constant of the motion features (how long they remember); 'auto' chooses "
                     "1, 2 or 4 s on training groups held out in turn (three more heads per group)."),
    ] = f"{MOTION_TAU_S:g}",  # fmt: skip
    tune_smoothing: Annotated[
        bool,
        typer.Option("--tune-smoothing", help="Then choose the smoothing on gyms each fold has not seen: every "
                     "training group held out in turn (one more head per group; seconds for pose)."),
    ] = False,  # fmt: skip
) -> None:
    """Train the workout classifier: a frozen backbone (VGG16 or body pose) + head, on cached features, with
    leak-free stratified splits.

    Example: [bold]gymnos-edge train demo_data/manifest.csv --backbone pose --motion-window auto --tune-smoothing[/]
    """
    from gymnos_edge.training.train import TrainCallbacks, TrainConfig, sampling_for, train

    auto_window = motion_window == "auto"
    choice = None

    config = TrainConfig(
        manifest=manifest,
        out=out,
        backbone=backbone,
        weights=weights,
        head=head,
        epochs=epochs,
        batch_size=batch_size,
        sampling=sampling_for(backbone, every, image_size, resize),
        holdout_group=holdout_group,
        gaps=gaps,
        seed=seed,
        force=force,
        pose_model=pose_model,
        track=track,
        rep_signal=rep_signal,
        motion_window_s=MOTION_TAU_S if auto_window else _seconds(motion_window),
    )
    if backbone is Backbone.vgg16:
        note_random_backbone(weights)
    with frame_progress() as progress:
        tasks: dict[str, int] = {}

        def on_plan(plan, frames: int) -> None:
            console.print(f"Splits {plan.method}: " + ", ".join(
                f"{split} {len(plan.videos(split))} videos" for split in ("train", "val", "test") if plan.videos(split)
            ))  # fmt: skip
            for warning in plan.warnings:
                errors.print(f"[yellow]warning:[/] {warning}")
            name = "Pose keypoints" if backbone is Backbone.pose else "Backbone features"
            tasks["frames"] = progress.add_task(name, total=frames, rate="")
            tasks["epochs"] = progress.add_task("Head epochs", total=epochs, rate="", visible=False)

        def on_frames(count: int) -> None:
            advance_frames(progress, tasks["frames"], count)

        def on_epoch(epoch: int, logs: dict) -> None:
            shown = " ".join(f"{k} {v:.3f}" for k, v in logs.items() if "loss" in k or "acc" in k)
            progress.update(tasks["frames"], completed=progress.tasks[tasks["frames"]].completed)
            progress.update(tasks["epochs"], completed=epoch + 1, visible=True, rate=shown)

        callbacks = TrainCallbacks(on_plan=on_plan, on_frames=on_frames, on_epoch=on_epoch)
        if auto_window:
            from gymnos_edge.evaluation.group_tuning import train_choosing_motion_window

            def on_fold(group: str, index: int, total: int) -> None:
                if "folds" not in tasks:
                    tasks["folds"] = progress.add_task("Motion window folds", total=total * len(MOTION_WINDOWS), rate="")
                progress.update(tasks["folds"], advance=1, rate=f"without {group}")

            result, choice = train_choosing_motion_window(config, callbacks, on_fold)
        else:
            result = train(config, callbacks)

    if choice is not None:
        from gymnos_edge.evaluation.group_tuning import MOTION_WINDOW_FILE

        scores = ", ".join(f"{tau:g} s {value:.3f}" for tau, value in choice.balanced_accuracy.items())
        console.print(f"Motion window chosen on {len(choice.groups)} held-out training groups: {choice.seconds:g} s "
                      f"(balanced frame accuracy {scores}); see report/{MOTION_WINDOW_FILE}")  # fmt: skip
    for warning in result.warnings:
        if warning not in result.run.metadata.splits.get("method", ""):
            errors.print(f"[yellow]warning:[/] {warning}")
    _print_scores(result)
    console.print(
        f"Features: {result.frames_computed} frames computed in {result.extraction_seconds:.1f} s "
        f"(the rest from the cache); head: {result.seconds_per_epoch:.2f} s per epoch"
    )
    if "linear" in result.head_fit:
        chosen = result.head_fit["linear"]
        console.print(f"Linear head: L2 {chosen['l2']:g} chosen by {chosen['folds']}-fold grouped cross-validation")
    run = result.run
    if tune_smoothing:
        run = _tune(config, run, choice.chosen if choice else None)
    console.print(f"[green]✓[/] run saved to [bold]{run.folder}[/] (report in {run.report_folder})")
    console.print("Next: [bold]gymnos-edge export --tflite --coreml[/]  or  [bold]gymnos-edge predict VIDEO[/]")


def _seconds(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise UserError(f"--motion-window {text}: give seconds (for example 2) or auto") from None


def _tune(config, run, known):
    from gymnos_edge.evaluation.group_tuning import TUNING_FILE, save_tuning, tune_smoothing_by_groups

    with console.status("Smoothing: leaving each training group out…") as status:
        tuning = tune_smoothing_by_groups(
            config, run, lambda group, index, total: status.update(f"Smoothing: fold {index + 1}/{total}, without {group}…"),
            known,
        )
    run = save_tuning(run, tuning)
    p = tuning.params
    console.print(f"Smoothing chosen on {len(tuning.groups)} held-out training groups: set F1@50 "
                  f"{tuning.default_f1_at_50:.1f} → {tuning.f1_at_50:.1f}, sets shown after {tuning.default_delay_s:.1f} → "
                  f"{tuning.delay_s:.1f} s (tau {p.tau_s:g} s, enter {p.enter:g}, "
                  f"exit {p.exit:g}, floor {p.floor:g}, min set {p.min_set_s:g} s); see report/{TUNING_FILE}")  # fmt: skip
    if tuning.reps.sets:
        console.print(f"Rep counter chosen on the same folds' {tuning.reps.sets} counted sets, as shown: MAE "
                      f"{tuning.default_reps.mae:.2f} → {tuning.reps.mae:.2f}, OBO {tuning.default_reps.obo:.2f} → "
                      f"{tuning.reps.obo:.2f} (baseline {p.rep_tau_s:g} s, band {p.rep_hysteresis:g}, "
                      f"min rep {p.min_rep_s:g} s)")  # fmt: skip
    return run


def _print_scores(result) -> None:
    table = Table(title="Frame scores (train was fitted on; val chose the epoch; test was never used)")
    table.add_column("split")
    table.add_column("frames", justify="right")
    table.add_column("accuracy", justify="right")
    table.add_column("balanced", justify="right")
    labels = result.run.metadata.output_names
    for label in labels:
        table.add_column(f"{label} P/R/F1", justify="right")
    for split, report in result.reports.items():
        cells = [f"{report.per_class[l].precision:.2f}/{report.per_class[l].recall:.2f}/{report.per_class[l].f1:.2f}"
                 for l in labels]  # fmt: skip
        table.add_row(split, str(report.frames), f"{report.accuracy:.1%}", f"{report.balanced_accuracy:.1%}", *cells)
    console.print(table)
