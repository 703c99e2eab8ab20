"""`gymnos-edge export`: argument parsing and display over `gymnos_edge.export.exporter`."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from gymnos_edge.cli.support import console, errors, user_errors
from gymnos_edge.common.contract import Quantization
from gymnos_edge.export.formats import FORMATS, Runtime


class CoreMLWeights(str, Enum):
    int8 = "int8"


_FORMAT_LIST = "\n\n    ".join(f"[bold]{row.flag}[/]: {row.file} — {row.description}" for row in FORMATS)


@user_errors
def export_command(
    run: Annotated[Path, typer.Argument(help="Run folder to export.")] = Path("runs/latest"),
    tflite: Annotated[bool, typer.Option("--tflite", help="Export LiteRT (.tflite) models.")] = False,
    coreml: Annotated[bool, typer.Option("--coreml", help="Export a Core ML package (iOS 16+).")] = False,
    quantize: Annotated[
        Optional[list[Quantization]],
        typer.Option(help="TFLite variant; repeat for several (--quantize fp32 --quantize int8). Implies --tflite."),
    ] = None,
    calibration: Annotated[
        Optional[Path], typer.Option(help="Manifest whose frames calibrate int8 (default: the run's training manifest).")
    ] = None,
    calibration_frames: Annotated[int, typer.Option(min=1, help="Frames sampled for int8 calibration.")] = 100,
    palettize: Annotated[
        Optional[int], typer.Option(help="Core ML: weights as N-bit lookup tables (1, 2, 3, 4, 6 or 8). Implies --coreml.")
    ] = None,
    quantize_weights: Annotated[
        Optional[CoreMLWeights], typer.Option(help="Core ML: weights stored as int8. Implies --coreml.")
    ] = None,
    out: Annotated[Optional[Path], typer.Option(help="Output folder (default export/<run name>).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing output folder.")] = False,
    validate: Annotated[
        bool, typer.Option("--validate/--no-validate", help="Load every model back and compare it (default on).")
    ] = True,
    threads: Annotated[Optional[int], typer.Option(min=1, help="LiteRT threads for validation.")] = None,
) -> None:
    """Export a trained run for phones, with the set tracker built into the model, and validate it.

    With neither --tflite nor --coreml, both are exported (TFLite in fp32). Formats:

    {formats}

    Example: [bold]gymnos-edge export runs/latest --tflite --quantize fp32 --quantize int8 --coreml[/]
    """
    from gymnos_edge.export.coreml.convert import CoreMLCompression
    from gymnos_edge.export.exporter import ExportOptions, ExportValidationError, export_run

    want_tflite = tflite or bool(quantize)
    want_coreml = coreml or palettize is not None or quantize_weights is not None
    if not want_tflite and not want_coreml:
        want_tflite = want_coreml = True
    options = ExportOptions(
        quantizations=tuple(quantize or [Quantization.fp32]) if want_tflite else (),
        coreml=want_coreml,
        out=out,
        calibration=calibration,
        calibration_frames=calibration_frames,
        validate=validate,
        force=force,
        compression=CoreMLCompression(
            palettize_bits=palettize, quantize_weights=quantize_weights.value if quantize_weights else None
        ),
        num_threads=threads,
    )
    try:
        with console.status("Exporting…") as status:
            result = export_run(run, options, progress=lambda message: status.update(f"{message}…"))
    except ExportValidationError as error:
        errors.print(_validation_table(error.validations))
        raise
    console.print(_models_table(result))
    if options.coreml:
        pose = result.metadata.get("input") == "keypoints"
        console.print(f"Core ML weights: {'float32 (a pose head is tiny)' if pose else options.compression.name}")
    for note in dict.fromkeys(n for v in result.validations for n in v.notes):
        console.print(f"[yellow]note:[/] {note}", highlight=False)
    console.print(f"[green]✓[/] exported to [bold]{result.folder}[/]")
    tflite_files = [m.file for m in result.models if m.runtime == Runtime.tflite.value]
    if tflite_files:
        console.print(f"Next: [bold]gymnos-edge predict VIDEO --model {result.folder / tflite_files[0]}[/]")
    console.print(f"      [bold]gymnos-edge bench {result.folder}[/]")


export_command.__doc__ = export_command.__doc__.replace("{formats}", _FORMAT_LIST)


def _models_table(result) -> Table:
    table = Table(title=f"Exported models in {result.folder}", title_justify="left")
    for column in ("file", "size", "time", "max |Δp|", "smoothing", "result"):
        table.add_column(column, justify="left" if column in ("file", "result") else "right", no_wrap=column == "file")
    for model in result.models:
        validation = model.validation
        checks = {c["name"]: c for c in validation["checks"]} if validation else {}
        smoothing = [checks[name] for name in ("smoothing vectors", "serving path") if name in checks]
        table.add_row(
            model.file,
            f"{model.size_bytes / 1e6:.1f} MB",
            f"{model.conversion_s:.0f} s",
            _value(checks.get("probabilities")),
            _mark(smoothing),
            "skipped" if validation is None else ("[green]ok[/]" if validation["ok"] else "[red]failed[/]"),
        )
    return table


def _validation_table(validations) -> Table:
    table = Table(title="Self-validation", title_justify="left")
    for column in ("format", "check", "result", "detail"):
        table.add_column(column)
    for validation in validations:
        for check in validation.checks:
            table.add_row(validation.format, check.name, "[green]ok[/]" if check.ok else "[red]failed[/]", check.detail)
    return table


def _value(check: dict | None) -> str:
    if check is None:
        return "—"
    return f"{check['value']:.1e}" if check["ok"] else f"[red]{check['value']:.1e}[/]"


def _mark(checks: list[dict]) -> str:
    if not checks:
        return "—"
    return "[green]exact[/]" if all(c["ok"] for c in checks) else "[red]differs[/]"
