"""Keep TensorFlow's native start-up chatter (oneDNN notices, absl warnings) off the user's terminal.

TensorFlow 2.21 prints these from C++ while it loads and ignores
TF_CPP_MIN_LOG_LEVEL when the variable is set after the process started, so
the first `import tensorflow` runs with the native stderr pointed at
/dev/null. Python errors still surface: only writes to file descriptor 2
during that import are dropped. Set TF_CPP_MIN_LOG_LEVEL yourself to see them.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import os
import sys
from typing import Iterator


@contextlib.contextmanager
def native_output_silenced(*fds: int) -> Iterator[None]:
    """Point the given file descriptors (default: stderr) at /dev/null; Python objects are untouched."""
    fds = fds or (2,)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(fd) for fd in fds]
    try:
        with open(os.devnull, "w") as devnull:
            for fd in fds:
                os.dup2(devnull.fileno(), fd)
            yield
    finally:
        for fd, copy in zip(fds, saved):
            os.dup2(copy, fd)
            os.close(copy)


class _QuietFirstImport(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow":
            return None
        sys.meta_path.remove(self)  # once: later imports are plain
        with native_output_silenced():
            __import__("tensorflow")
        return None  # tensorflow is in sys.modules now; the normal machinery finds it there


def install() -> None:
    if "TF_CPP_MIN_LOG_LEVEL" in os.environ or "tensorflow" in sys.modules:
        return
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    sys.meta_path.insert(0, _QuietFirstImport())
