"""Timing helper shared by the benchmark scripts."""

from __future__ import annotations

import time
from typing import Callable


def best_seconds(run: Callable[[], object], repeat: int = 5, number: int = 1) -> float:
    """Best of `repeat` timings of `number` calls, per call: the least disturbed by the rest of the machine."""
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            run()
        timings.append((time.perf_counter() - start) / number)
    return min(timings)
