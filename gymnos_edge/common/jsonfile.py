"""Reading a JSON file back: one clear error naming the file when it is not JSON, or a field has the wrong type."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Callable

from gymnos_edge.common.errors import UserError, ValidationError


def read_json(path: Path | str) -> Any:
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise UserError(f"{path}: not valid JSON ({error})") from None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


_KINDS: dict[str, Callable[[Any], bool]] = {
    "text": lambda v: isinstance(v, str),
    "an integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "a number": _is_number,
    "a non-empty list of text": lambda v: isinstance(v, list) and bool(v) and all(isinstance(x, str) for x in v),
    "a list of numbers": lambda v: isinstance(v, list) and all(_is_number(x) for x in v),
    "an object": lambda v: isinstance(v, dict),
    "true or false": lambda v: isinstance(v, bool),
}


def check_fields(values: dict[str, Any], expected: dict[str, str], source: str) -> None:
    """One error naming every field of a file read back whose value is not of the expected kind.

    `expected` maps a field to one of: text, an integer, a number, a non-empty list of text,
    a list of numbers, an object, true or false. Fields that are absent are left to the caller.
    """
    problems = [
        f"field {name!r} must be {kind}, got {json.dumps(values[name])[:80]}"
        for name, kind in expected.items()
        if name in values and not _KINDS[kind](values[name])
    ]
    if problems:
        hint = "the file was edited or damaged: restore it, or write it again"
        raise ValidationError(source, problems + [hint], count=len(problems))
