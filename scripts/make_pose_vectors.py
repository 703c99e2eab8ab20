"""Regenerate tests/vectors/pose/*.json, the joint mapping from Vision to a pose model, from the Python reference.

Run from the repository root after changing the joint mapping or the cases:

    python scripts/make_pose_vectors.py

then commit the new files with the change, so the Swift joint mapping test
sees it too.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # runnable from a plain checkout, without installing the package

from gymnos_edge.features.joint_vectors import write_vectors  # noqa: E402

VECTOR_DIR = ROOT / "tests" / "vectors" / "pose"


def main() -> None:
    for path in write_vectors(VECTOR_DIR):
        print(path.relative_to(ROOT))


if __name__ == "__main__":
    main()
