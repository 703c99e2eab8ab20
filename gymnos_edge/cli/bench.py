"""`gymnos-edge bench`: the side-by-side table of every exported format."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich import box
from rich.table import Table

from gymnos_edge.common.contract import DEFAULT_RUN, EXPORT_DIR
from gymnos_edge.cli.support import PoseModelOpt, console, errors, user_errors


def _threads(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(t) for t in text.split(",") if t.strip())
    except ValueError:
        raise typer.BadParameter(f"{text!r}: give thread counts like 1,2") from None
    if not values or min(values) < 1:
        raise typer.BadParameter("thread counts must be ≥ 1")
    return values


@user_errors
def bench_command(
    export_dirs: Annotated[
        Optional[list[Path]],
        typer.Argument(help="Export folder(s) (default: export/<latest run>); several are shown side by side."),
    ] = None,
    manifest: Annotated[Optional[Path], typer.Option(help="Videos to measure accuracy on (default: the run's manifest).")] = None,
    split: Annotated[str, typer.Option(help="train, val, test or all (test falls back to val when empty).")] = "test",
    threads: Annotated[str, typer.Option(help="Comma-separated CPU thread counts.")] = "1,2",
    warmup: Annotated[int, typer.Option(min=0)] = 3,
    runs: Annotated[int, typer.Option(min=1, help="Timed inferences per model and thread count.")] = 20,
    run: Annotated[Optional[Path], typer.Option(help="Run folder of the Keras reference (default: the export's run).")] = None,
    out: Annotated[Optional[Path], typer.Option(help="Where bench.json and bench.png go (default: the export folder).")] = None,
    pose_model: PoseModelOpt = None,
) -> None:
    """Latency, size and set-level accuracy of every exported model next to the Keras reference.

    Image (VGG16) and pose exports alike; give both to compare them on the same split.

    Example: [bold]gymnos-edge bench export/demo export/demo-pose --threads 1,2 --split val[/]
    """
    from gymnos_edge.common.atomic import require_writable_folder, write_json
    from gymnos_edge.bench.runner import BenchConfig, run_bench
    from gymnos_edge.bench.plot import plot_bench
    from gymnos_edge.training.run_folder import load_run

    export_dirs = export_dirs or [EXPORT_DIR / load_run(DEFAULT_RUN).metadata.name]
    if run is not None and len(export_dirs) > 1:
        raise typer.BadParameter("--run names one Keras reference; give one export folder with it")
    results = []
    for export_dir in export_dirs:
        config = BenchConfig(export_dir=export_dir, run=run, manifest=manifest, split=split, threads=_threads(threads),
                             warmup=warmup, runs=runs, pose_model=pose_model)  # fmt: skip
        with console.status(f"Benchmarking {export_dir}…") as status:
            result = run_bench(config, on_step=lambda step: status.update(f"Benchmarking {export_dir}: {step}…"))
        if len(export_dirs) > 1:
            console.rule(str(export_dir))
        _print(result)
        folder = out / export_dir.name if out and len(export_dirs) > 1 else out or export_dir
        require_writable_folder(folder, "--out")
        write_json(folder / "bench.json", result.to_dict())
        plot_bench(result, folder / "bench.png")
        console.print(f"[green]✓[/] wrote {folder / 'bench.json'} and {folder / 'bench.png'}")
        results.append((export_dir, result))
    if len(results) > 1:
        _print_side_by_side(results)
    if any(result.every_model_failed for _, result in results):
        errors.print("[bold red]error:[/] every exported model failed; the status column says why")
        raise typer.Exit(1)


def _print_side_by_side(results) -> None:
    """One row per model of every export: what each backbone costs and scores on the same split."""
    threads = min((r.threads for _, result in results for r in result.rows if r.threads), default=None)
    table = Table(title=f"Side by side ({threads} thread{'s' if threads != 1 else ''})", box=box.SIMPLE_HEAD,
                  pad_edge=False)  # fmt: skip
    for column in ("export", "format", "MB", "p50 ms", "frame acc %", "set F1@50", "split"):
        table.add_column(column, justify="left" if column in ("export", "format", "split") else "right")
    for export_dir, result in results:
        for row in result.rows:
            if row.threads not in (threads, None) or row.status != "ok":
                continue
            table.add_row(export_dir.name, row.format, _cell(row.size_mb, "{:.1f}"), _cell(row.p50_ms, "{:.1f}"),
                          _cell(row.frame_accuracy, "{:.1f}"), _cell(row.set_f1_50, "{:.1f}"), result.split)  # fmt: skip
    console.print(table)


def _cell(value, pattern: str) -> str:
    return "—" if value is None else pattern.format(value)


def _print(result) -> None:
    speed = Table(
        title="Speed, one frame at a time: times in ms, size and peak memory in MB\n(LR = p50 from LiteRT's own benchmark tool, a cross-check)",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    for column in ("format", "MB", "thr", "init", "1st", "p50", "p90", "FPS", "peak", "LR"):
        speed.add_column(column, justify="left" if column == "format" else "right", no_wrap=True)
    accuracy = Table(
        title=f"Accuracy: {result.videos} videos, {result.frames} frames of split {result.split!r}",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    for column in ("format", "frame acc %", "agree w/ Keras %", "set F1@50", "flips/min", "rep MAE", "rep OBO",
                   "reps = Keras %", "status"):  # fmt: skip
        accuracy.add_column(column, justify="left" if column in ("format", "status") else "right",
                            no_wrap=column == "format")  # fmt: skip
    seen = set()
    for row in result.rows:
        if row.threads is not None:
            speed.add_row(row.format, _cell(row.size_mb, "{:.1f}"), str(row.threads), _cell(row.init_ms, "{:.0f}"),
                          _cell(row.first_ms, "{:.0f}"), _cell(row.p50_ms, "{:.1f}"), _cell(row.p90_ms, "{:.1f}"),
                          _cell(row.fps, "{:.1f}"), _cell(row.peak_rss_mb, "{:.0f}"),
                          _cell(row.official_p50_ms, "{:.1f}"))  # fmt: skip
        if row.format in seen or row.frame_accuracy is None and row.status == "ok" and row.format != "keras":
            continue
        seen.add(row.format)
        agreement = "ref" if row.format == "keras" else _cell(row.label_agreement, "{:.1f}")
        same_reps = "ref" if row.format == "keras" else _cell(row.rep_agreement, "{:.0f}")
        accuracy.add_row(row.format, _cell(row.frame_accuracy, "{:.1f}"), agreement, _cell(row.set_f1_50, "{:.1f}"),
                         _cell(row.flips_per_min, "{:.1f}"), _cell(row.rep_mae, "{:.2f}"), _cell(row.rep_obo, "{:.2f}"),
                         same_reps, row.status)  # fmt: skip
    console.print(speed)
    console.print(accuracy)
    if result.goals:
        goals = Table(title="Goals", box=box.SIMPLE_HEAD, pad_edge=False)
        for column in ("goal", "measured", "target", "holds"):
            goals.add_column(column, justify="left" if column == "goal" else "right")
        for goal in result.goals:
            verdict = {True: "[green]yes[/]", False: "[red]no[/]", None: "not measured"}[goal.holds]
            goals.add_row(goal.name, _cell(goal.value, "{:.2f}"), goal.target, verdict)
        console.print(goals)
    else:
        console.print("The int8 goals do not apply: this export has no int8 model.")
    for note in result.notes:
        errors.print(f"[yellow]note:[/] {note}")
