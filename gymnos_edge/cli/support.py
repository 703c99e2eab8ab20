"""What every command of the CLI shares: the consoles, the user-error boundary and the frame progress bars."""

from __future__ import annotations

import errno
import functools
import os
import sys
import traceback
from pathlib import Path
from typing import Annotated, Callable, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from gymnos_edge.common.errors import UserError

console = Console()
errors = Console(stderr=True)

DEBUG_VARIABLE = "GYMNOS_EDGE_DEBUG"  # set to 1 to see the traceback behind any error message

# Failures of the machine, not of the code: a full disk, a read-only folder, a path that is a file.
_FILESYSTEM_ERRORS = {
    errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.ENOTDIR, errno.EISDIR,
    errno.ENOENT, errno.EEXIST, errno.ENAMETOOLONG, errno.EMFILE, errno.EIO, errno.EXDEV,
}  # fmt: skip
PoseModelOpt = Annotated[
    Optional[Path],
    typer.Option(
        help="Folder with pose_detection.tflite and pose_landmark_full.tflite (default: downloaded once from "
        "the mediapipe wheel on PyPI into ~/.cache/gymnos-edge/pose)."
    ),
]


def frame_progress() -> Progress:
    """Bars with a `rate` field beside the count, so frames and epochs read alike in every long command."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
        console=console,
    )


def advance_frames(progress: Progress, task: TaskID, count: int) -> None:
    progress.update(task, advance=count, rate=f"{progress.tasks[task].speed or 0:.1f} frames/s")


def user_errors(command: Callable) -> Callable:
    """Print a user's mistake as one clear message and exit 1, never as a traceback.

    A file system error (no space left, permission denied) met halfway through a command is
    the user's to fix too, so it is reported the same way, naming the file.
    """

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        readable_output()
        try:
            return command(*args, **kwargs)
        except UserError as error:
            _fail(str(error))
        except OSError as error:
            if error.errno not in _FILESYSTEM_ERRORS:
                raise
            _fail(filesystem_message(error))

    return wrapper


def filesystem_message(error: OSError) -> str:
    where = " → ".join(str(name) for name in (error.filename, error.filename2) if name is not None)
    reason = error.strerror or str(error)
    return f"{where or 'a file'}: {reason}; check that the folder exists, is writable and has free space"


def _fail(message: str) -> None:
    if os.environ.get(DEBUG_VARIABLE, "") not in ("", "0"):
        errors.print(traceback.format_exc(), highlight=False, markup=False)
    errors.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(1) from None


def readable_output() -> None:
    """Paths that are not valid UTF-8 (a folder named in Latin-1) are printed escaped, not as a crash."""
    for stream in (sys.stdout, sys.stderr):
        if getattr(stream, "errors", None) == "strict" and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
