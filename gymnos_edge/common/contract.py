"""Names every stage and every consumer must agree on, written once.

Kept free of any ML framework so that the CLI, the phone-side metadata readers
and the benchmarks can import it cheaply.
"""

from __future__ import annotations

from enum import Enum

# The reserved label of "not exercising". In a manifest, time no span covers is rest; a span may
# also say `rest` explicitly. A model may have a trained rest output (the last one, index K
# after the K exercises); either way the state machine's label K means rest.
REST_LABEL = "rest"


class Gaps(str, Enum):
    """What training makes of the time inside a listed video that no span covers."""

    rest = "rest"  # frames of the trained rest class (the rule evaluate uses for the truth)
    ignore = "ignore"  # left out: for partly annotated videos
