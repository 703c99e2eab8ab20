"""gymnos-edge: front-camera workout videos in, a small on-device classifier with stable per-set labels out."""

import os
from importlib.metadata import PackageNotFoundError, version

# TensorFlow's C++ start-up chatter (oneDNN notices, absl warnings) is noise to a user; it must be
# silenced before TensorFlow is first imported. Set the variable yourself to see it again.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

try:
    __version__ = version("gymnos-edge")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
