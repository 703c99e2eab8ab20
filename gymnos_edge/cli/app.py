"""The `gymnos-edge` command line: parses arguments, calls the library, prints with rich."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from gymnos_edge import __version__
from gymnos_edge.cli.support import console
from gymnos_edge.cli.bench import bench_command
from gymnos_edge.cli.demo_data import demo_data_command
from gymnos_edge.cli.manifest import manifest_app
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


# Registered last, in the order of the workflow, which is the order --help lists them in.
app.command("demo-data")(demo_data_command)
app.add_typer(manifest_app, name="manifest")
app.command("features")(features_command)
app.command("train")(train_command)
app.command("predict")(predict_command)
app.command("evaluate")(evaluate_command)
app.command("export")(export_command)
app.command("bench")(bench_command)
