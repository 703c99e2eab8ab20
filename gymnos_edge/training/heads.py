"""The classifier heads on offer; kept apart from classifier.py so the CLI can list them without importing Keras."""

from __future__ import annotations

from enum import Enum


class Head(str, Enum):
    flatten = "flatten"  # Flatten → Dense(1024) → Dropout → Dense(K): the original architecture
    gap = "gap"  # GlobalAveragePooling instead of Flatten: ~50× fewer head weights, for phones

    @classmethod
    def _missing_(cls, value):
        # Runs written before the rename call the original head "seed".
        return cls.flatten if value == "seed" else None
