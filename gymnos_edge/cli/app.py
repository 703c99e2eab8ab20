"""The `gymnos-edge` command line: parses arguments, calls the library, prints with rich."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from gymnos_edge import __version__
from gymnos_edge.cli.support import console, errors, user_errors
from gymnos_edge.cli.bench import bench_command
from gymnos_edge.cli.evaluate import evaluate_command
from gymnos_edge.cli.export import export_command
from gymnos_edge.cli.features import features_command
from gymnos_edge.cli.predict import predict_command
from gymnos_edge.cli.train import train_command

EXAMPLES = """
Examples:

  gymnos-edge demo-data demo_data

  gymnos-edge manifest check demo_data/manifest.csv

  gymnos-edge features demo_data/manifest.csv --weights none --image-size 128 --engine ray

  gymnos-edge train demo_data/manifest.csv --weights none --image-size 128

  gymnos-edge predict demo_data/videos/gym_a_01.mp4 --model runs/latest

  gymnos-edge evaluate demo_data/manifest.csv --split val --tune

  gymnos-edge export --tflite --quantize fp32 --quantize int8 --coreml

  gymnos-edge bench export/demo
"""

app = typer.Typer(
    name="gymnos-edge",
    add_completion=False,
    help="Turn front-camera workout videos into a small on-device classifier with stable per-set labels.",
    epilog=EXAMPLES,
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
manifest_app = typer.Typer(help="Check video manifests.", no_args_is_help=True)


def _version(value: bool) -> None:
    if value:
        console.print(f"gymnos-edge {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        Optional[bool], typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = None,
) -> None:
    """gymnos-edge command line."""


@app.command("demo-data")
@user_errors
def demo_data(
    folder: Annotated[Path, typer.Argument(help="Folder to write the videos and manifest.csv into.")] = Path(
        "demo_data"
    ),
    seed: Annotated[int, typer.Option(help="Random seed; the same seed writes the same files.")] = 0,
    videos_per_gym: Annotated[int, typer.Option(min=1, max=6, help="Videos for each of the two gyms.")] = 4,
) -> None:
    """Write synthetic front-camera demo videos (squats, overhead presses, two gyms) and their manifest.

    Example: [bold]gymnos-edge demo-data demo_data --seed 0[/]
    """
    from gymnos_edge.data.demo import DemoConfig, make_demo_data

    with console.status("Drawing demo videos…"):
        manifest = make_demo_data(folder, DemoConfig(seed=seed, videos_per_gym=videos_per_gym))
    console.print(f"[green]✓[/] wrote {2 * videos_per_gym} videos and [bold]{manifest}[/]")
    console.print(f"Next: [bold]gymnos-edge manifest check {manifest}[/]")


@manifest_app.command("check")
@user_errors
def manifest_check(
    manifest: Annotated[Path, typer.Argument(help="Manifest file (.csv or .json).")],
    labels: Annotated[
        Optional[str], typer.Option(help="Comma-separated labels the manifest must use, e.g. a model's.")
    ] = None,
) -> None:
    """Summarise a manifest and list every problem in it (exit 1 if any).

    Example: [bold]gymnos-edge manifest check demo_data/manifest.csv[/]
    """
    from gymnos_edge.data.manifest import check_manifest, load_manifest

    expected = [label.strip() for label in labels.split(",")] if labels else None
    loaded = load_manifest(manifest)
    with console.status(f"Opening {len(loaded.videos)} videos…"):
        check = check_manifest(loaded, expected)
    _print_summary(check)
    if not check.ok:
        errors.print(f"[bold red]{manifest}: {len(check.problems)} problem(s)[/]")
        for problem in check.problems:
            errors.print(f"  [red]-[/] {problem}", highlight=False, soft_wrap=True)
        raise typer.Exit(1)
    console.print(f"[green]✓[/] {manifest} is valid")


def _print_summary(check) -> None:
    summary = check.summary()
    console.print(f"[bold]{summary.videos}[/] videos, [bold]{summary.spans}[/] labelled spans")
    for title, values, unit in (
        ("label", summary.seconds_per_label, "seconds"),
        ("group", summary.seconds_per_group, "seconds"),
        ("split", summary.videos_per_split, "videos"),
    ):
        table = Table(title=f"per {title}", title_justify="left")
        table.add_column(title)
        table.add_column(unit, justify="right")
        for key, value in values.items():
            table.add_row(key, f"{value:.1f}" if unit == "seconds" else str(value))
        console.print(table)


# Registered last, in the order of the workflow, which is the order --help lists them in.
app.add_typer(manifest_app, name="manifest")
app.command("features")(features_command)
app.command("train")(train_command)
app.command("predict")(predict_command)
app.command("evaluate")(evaluate_command)
app.command("export")(export_command)
app.command("bench")(bench_command)
