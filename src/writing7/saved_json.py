"""Reading back a JSON state file a Writing7 object saved: present, parseable, written by a compatible version.

Every saved object (a text profile, style features, a verdict, an attribution calibration, an index)
checks the same three things on load; each one's own messages say which command rebuilds it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any


def read_saved_json(
    path: Path, *, missing: str, compatible: Callable[[dict[str, Any]], bool], incompatible: str, damaged_fix: str | None = None
) -> dict[str, Any]:
    """The JSON object at ``path``.

    Raises ``FileNotFoundError(missing)`` when there is no file and ``ValueError(incompatible)`` when
    ``compatible(state)`` is false. With ``damaged_fix``, an unreadable file raises
    ``ValueError("{path} is damaged (...): {damaged_fix}")``; without it the decoding error itself.
    """
    if not path.is_file():
        raise FileNotFoundError(missing)
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        if damaged_fix is None:
            raise
        raise ValueError(f"{path} is damaged ({error}): {damaged_fix}") from None
    if not compatible(state):
        raise ValueError(incompatible)
    return state
