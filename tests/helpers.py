"""Test builders that Ray workers import too (the Ray tests put this folder on the workers' path)."""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class DiesOnce:
    """A backbone factory whose worker kills its own process at its second batch, once in the whole run.

    The marker file, created exclusively, makes exactly one worker die, so the
    restarted one (or any other) runs on.
    """

    factory: Callable[[int], Callable[[np.ndarray], np.ndarray]]
    marker: str

    def __call__(self, threads: int) -> Callable[[np.ndarray], np.ndarray]:
        features_of = self.factory(threads)
        calls = []

        def features(batch: np.ndarray) -> np.ndarray:
            calls.append(len(batch))
            if len(calls) == 2 and _claim(self.marker):
                os.kill(os.getpid(), signal.SIGKILL)
            return features_of(batch)

        return features


@dataclass(frozen=True)
class StallsAfter:
    """A backbone factory whose worker hangs after `batches` batches: its driver is killed while it waits."""

    factory: Callable[[int], Callable[[np.ndarray], np.ndarray]]
    batches: int

    def __call__(self, threads: int) -> Callable[[np.ndarray], np.ndarray]:
        features_of = self.factory(threads)
        calls = []

        def features(batch: np.ndarray) -> np.ndarray:
            calls.append(len(batch))
            if len(calls) > self.batches:
                time.sleep(600)
            return features_of(batch)

        return features


def _claim(marker: str) -> bool:
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    Path(marker).write_text(str(os.getpid()))
    return True
