"""Regenerate tests/vectors/smoothing/*.json from the Python reference.

Run from the repository root after changing the smoothing rules or the cases:

    python scripts/make_smoothing_vectors.py

then commit the new files with the change, so the Swift and TFLite parity
tests see it too.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # runnable from a plain checkout, without installing the package

from gymnos_edge.sets.shared_vectors import write_vectors  # noqa: E402

VECTOR_DIR = ROOT / "tests" / "vectors" / "smoothing"


def main() -> None:
    for path in write_vectors(VECTOR_DIR):
        print(path.relative_to(ROOT))


if __name__ == "__main__":
    main()
