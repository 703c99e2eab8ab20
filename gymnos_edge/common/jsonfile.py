"""Reading a user's JSON file: one clear error naming the file when it is not JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gymnos_edge.common.errors import UserError


def read_json(path: Path | str) -> Any:
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise UserError(f"{path}: not valid JSON ({error})") from None
