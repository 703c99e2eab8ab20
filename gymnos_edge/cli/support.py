"""What every command of the CLI shares: the consoles and the user-error boundary."""

from __future__ import annotations

import functools
from typing import Callable

import typer
from rich.console import Console
from rich.markup import escape  # messages quote paths and commands, e.g. pip install 'x[extra]'

from gymnos_edge.common.errors import UserError

console = Console()
errors = Console(stderr=True)


def user_errors(command: Callable) -> Callable:
    """Print a user's mistake as one clear message and exit 1, never as a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except UserError as error:
            errors.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None

    return wrapper
