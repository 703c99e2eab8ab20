"""Handing file names to native libraries (OpenCV, LiteRT), which take only UTF-8."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Iterator

from gymnos_edge.common.errors import UserError


@contextlib.contextmanager
def native_name(path: Path | str) -> Iterator[str]:
    """A name for `path` that a native library can take, valid while the block runs.

    Native libraries convert file names to UTF-8, and one that is not (a folder named in
    Latin-1 on Linux) makes OpenCV crash the process with a segfault rather than raise. Such
    a file is opened here and handed over as this process's own descriptor path, plain ASCII:
    no link is made and nothing is left behind.
    """
    name = str(path)
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        pass
    else:
        yield name
        return
    if not os.path.isdir("/proc/self/fd"):
        raise UserError(
            f"{os.fsencode(path)!r}: this file name is not valid UTF-8, which the libraries reading it need; "
            "rename the file or its folder"
        )
    descriptor = os.open(path, os.O_RDONLY)
    try:
        yield f"/proc/self/fd/{descriptor}"
    finally:
        os.close(descriptor)
