"""Core ML packages: `convert` writes them, `spec` checks a saved one on any OS, `runtime` runs it (macOS only)."""

from __future__ import annotations

import logging


def quiet_coremltools():
    """coremltools, without its import-time warnings: an untested TensorFlow version (this path is
    validated by the tests) and, off macOS, the missing native runtime (predictions need macOS anyway)."""
    logging.getLogger("coremltools").setLevel(logging.ERROR)
    import coremltools

    return coremltools
