"""`gymnos-edge manifest check`: summarise a manifest and list every problem in it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape
from rich.table import Table

from gymnos_edge.cli.support import console, errors, user_errors
from gymnos_edge.common.contract import REST_LABEL

manifest_app = typer.Typer(help="Check video manifests.", no_args_is_help=True)


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
        errors.print(f"[bold red]{manifest}: {check.count} problem(s)[/]")
        for problem in check.problems:
            errors.print(f"  [red]-[/] {escape(problem)}", highlight=False, soft_wrap=True)
        raise typer.Exit(1)
    console.print(f"[green]✓[/] {manifest} is valid")


def _print_summary(check) -> None:
    summary = check.summary()
    console.print(f"[bold]{summary.videos}[/] videos, [bold]{summary.spans}[/] labelled spans")
    sets = [s for s in check.manifest.spans if s.label != REST_LABEL]
    counted = [s for s in sets if s.reps is not None]
    if counted:
        console.print(f"reps counted for [bold]{len(counted)}[/] of {len(sets)} sets ({sum(s.reps for s in counted)} reps)")
    for title, values, unit in (
        ("label", summary.seconds_per_label, "seconds"),
        ("split", summary.videos_per_split, "videos"),
    ):
        table = Table(title=f"per {title}", title_justify="left")
        table.add_column(title)
        table.add_column(unit, justify="right")
        for key, value in values.items():
            table.add_row(key, f"{value:.1f}" if unit == "seconds" else str(value))
        console.print(table)
    table = Table(title="per group (rest: explicit rest spans plus time no span covers)", title_justify="left")
    for column in ("group", "exercise seconds", "rest seconds"):
        table.add_column(column, justify="left" if column == "group" else "right")
    for group in sorted(set(summary.seconds_per_group) | set(summary.rest_seconds_per_group)):
        table.add_row(
            group, f"{summary.seconds_per_group.get(group, 0.0):.1f}", f"{summary.rest_seconds_per_group.get(group, 0.0):.1f}"
        )
    console.print(table)
