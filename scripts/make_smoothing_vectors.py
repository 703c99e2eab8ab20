"""Regenerate tests/vectors/smoothing/*.json from the Python reference.

Run from the repository root after changing the smoothing rules or the cases:

    python scripts/make_smoothing_vectors.py

then commit the new files with the change, so the Swift and TFLite parity
tests see it too.
"""

from __future__ import annotations

from _vector_files import regenerate


def main() -> None:
    # imported only now, once _vector_files has put this checkout first on the path
    from gymnos_edge.sets.shared_vectors import write_vectors

    regenerate("smoothing", write_vectors)


if __name__ == "__main__":
    main()
