"""Progress-bar policy shared by library and CLI: tqdm bars only on a terminal and never with ``--quiet``."""

from __future__ import annotations

import os
import sys


def progress_disabled() -> bool:
    """True when stderr is not a terminal or ``--quiet`` was given (``WRITING7_QUIET=1``)."""
    return os.environ.get("WRITING7_QUIET") == "1" or not sys.stderr.isatty()
