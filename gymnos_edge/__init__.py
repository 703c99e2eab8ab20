"""gymnos-edge: front-camera workout videos in, a small on-device classifier with stable per-set labels out."""

from importlib.metadata import PackageNotFoundError, version

from gymnos_edge.common import quiet_tensorflow

quiet_tensorflow.install()

try:
    __version__ = version("gymnos-edge")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
