"""`keras.ops` on NumPy arrays, for the code that is written once against an array namespace.

The state machine and the pose features run under `keras.ops` inside every exported graph and
under `NUMPY_OPS` everywhere else, so both the graphs and the Python reference execute the same
lines. Only the functions that code calls are here, with `keras.ops`' signatures.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class _NumpyOps:
    abs = staticmethod(np.abs)
    where = staticmethod(np.where)
    argmax = staticmethod(np.argmax)
    max = staticmethod(np.max)
    maximum = staticmethod(np.maximum)
    minimum = staticmethod(np.minimum)
    sum = staticmethod(np.sum)
    sqrt = staticmethod(np.sqrt)
    log = staticmethod(np.log)
    clip = staticmethod(np.clip)
    equal = staticmethod(np.equal)
    not_equal = staticmethod(np.not_equal)
    less = staticmethod(np.less)
    greater = staticmethod(np.greater)
    greater_equal = staticmethod(np.greater_equal)
    logical_and = staticmethod(np.logical_and)
    logical_or = staticmethod(np.logical_or)
    stack = staticmethod(np.stack)
    concatenate = staticmethod(np.concatenate)
    reshape = staticmethod(np.reshape)
    expand_dims = staticmethod(np.expand_dims)
    matmul = staticmethod(np.matmul)
    transpose = staticmethod(np.transpose)
    take = staticmethod(np.take)

    @staticmethod
    def arange(n: int, dtype: str) -> np.ndarray:
        return np.arange(n, dtype=dtype)

    @staticmethod
    def cast(x: Any, dtype: str) -> np.ndarray:
        return np.asarray(x).astype(dtype)


NUMPY_OPS = _NumpyOps()
