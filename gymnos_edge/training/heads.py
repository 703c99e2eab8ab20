"""The classifier heads on offer; kept apart from model.py so the CLI can list them without importing Keras."""

from __future__ import annotations

from enum import Enum


class Head(str, Enum):
    seed = "seed"  # Flatten → Dense(1024) → Dropout → Dense(K): the original architecture
    gap = "gap"  # GlobalAveragePooling instead of Flatten: ~50× fewer head weights, for phones
