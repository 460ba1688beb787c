"""Settings of `writing7 standardize`: the kept-fraction check, the nearly-empty limit, parallelism."""

from __future__ import annotations

import dataclasses

from writing7.config.base import StageConfig, option
from writing7.text.standardize import MIN_BOOK_CHARS, MIN_KEPT_FRACTION

MAX_WORKERS = 64


@dataclasses.dataclass
class StandardizeConfig(StageConfig):
    """``[standardize]``: raw books in, cleaned UTF-8 text plus a per-book report out."""

    section = "standardize"
    min_kept_fraction: float = option(
        MIN_KEPT_FRACTION,
        "A book keeping less than this share of its non-whitespace characters gets a warning (boilerplate alone costs ~5-10 %).",
    )
    min_book_chars: int = option(
        MIN_BOOK_CHARS, "A book with fewer non-whitespace characters after cleaning is skipped as nearly empty."
    )
    workers: int = option(
        0, "Processes cleaning books in parallel: 0 = automatic (one per CPU core when there are many books), 1 = no pool."
    )

    def validate(self) -> None:
        if not 0 < self.min_kept_fraction <= 1:
            self.fail("min_kept_fraction", "must be in (0, 1]", "set it to a fraction such as 0.75")
        self.require_positive("min_book_chars")
        self.require_non_negative("workers")
        if self.workers > MAX_WORKERS:
            self.fail("workers", f"must be <= {MAX_WORKERS}", "use 0 for one worker per CPU core")
