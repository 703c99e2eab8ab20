"""What both make_*_vectors scripts do: write one folder of tests/vectors/ and list the files written."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable, Iterable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # runnable from a plain checkout, without installing the package


def regenerate(folder: str, write_vectors: Callable[[Path], Iterable[Path]]) -> None:
    for path in write_vectors(ROOT / "tests" / "vectors" / folder):
        print(path.relative_to(ROOT))
