"""What a class label may be: it is shown on a phone, written one per line in labels.txt and used as a CSV column."""

from __future__ import annotations

import unicodedata

from gymnos_edge.common.contract import REST_LABEL


def label_problem(label: str) -> str | None:
    """Why `label` cannot name a class, or None when it can."""
    if any(unicodedata.category(c)[0] == "C" or unicodedata.category(c) in ("Zl", "Zp") for c in label):
        return (
            f"label {label!r} holds a line break or another control character; "
            "labels are shown on screen and written one per line, so use letters, digits, _ or -"
        )
    if label != label.strip():
        return f"label {label!r} has blanks at its start or end; remove them"
    if label != REST_LABEL and label.casefold() == REST_LABEL:
        return (
            f"label {label!r} differs from {REST_LABEL!r}, the name reserved for rests, only in case; "
            f"write {REST_LABEL!r}"
        )
    return None
