"""Regenerate tests/vectors/pose/*.json, the joint mapping from Vision to a pose model, from the Python reference.

Run from the repository root after changing the joint mapping or the cases:

    python scripts/make_pose_vectors.py

then commit the new files with the change, so the Swift joint mapping test
sees it too.
"""

from __future__ import annotations

from _vector_files import regenerate


def main() -> None:
    # imported only now, once _vector_files has put this checkout first on the path
    from gymnos_edge.features.joint_vectors import write_vectors

    regenerate("pose", write_vectors)


if __name__ == "__main__":
    main()
