"""What every command of the CLI shares: the consoles and the user-error boundary."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Annotated, Callable, Optional

import typer
from rich.console import Console

from gymnos_edge.common.errors import UserError

console = Console()
errors = Console(stderr=True)

PoseModelOpt = Annotated[
    Optional[Path],
    typer.Option(
        help="Folder with pose_detection.tflite and pose_landmark_full.tflite (default: downloaded once from "
        "the mediapipe wheel on PyPI into ~/.cache/gymnos-edge/pose)."
    ),
]


def user_errors(command: Callable) -> Callable:
    """Print a user's mistake as one clear message and exit 1, never as a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except UserError as error:
            errors.print(f"[bold red]error:[/] {error}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None

    return wrapper
