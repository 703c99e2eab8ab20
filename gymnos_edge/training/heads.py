"""The classifier heads on offer; kept apart from classifier.py so the CLI can list them without importing Keras."""

from __future__ import annotations

from enum import Enum

from gymnos_edge.common.contract import Backbone


class Head(str, Enum):
    flatten = "flatten"  # Flatten → Dense(1024) → Dropout → Dense(K): the original architecture (VGG16)
    gap = "gap"  # GlobalAveragePooling instead of Flatten: ~50× fewer head weights, for phones (VGG16)
    linear = "linear"  # logistic regression, L2 chosen by grouped cross-validation in the train split (any backbone)
    mlp = "mlp"  # standardise → Dense(64) → Dropout → Dense(K): the small pose head

    @classmethod
    def _missing_(cls, value):
        # Runs written before the rename call the original head "seed".
        return cls.flatten if value == "seed" else None


DEFAULT_HEAD = {Backbone.vgg16: Head.flatten, Backbone.pose: Head.mlp}
HEADS_OF = {Backbone.vgg16: (Head.flatten, Head.gap, Head.linear), Backbone.pose: (Head.mlp, Head.linear)}
