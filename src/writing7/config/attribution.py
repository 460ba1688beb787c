"""Settings of `writing7 calibrate-attribution`: queries cut from validation (fit) and test (report) authors' books."""

from __future__ import annotations

import dataclasses

from writing7.config.base import StageConfig, option
from writing7.models.scoring import ENCODE_BATCH_SIZE

QUERY_LENGTHS = ("200", "1000", "5000")


@dataclasses.dataclass
class AttributionConfig(StageConfig):
    """``[attribution]``: which query lengths, how many queries per book, the reliability bins."""

    section = "attribution"
    lengths: list = option(list(QUERY_LENGTHS), "Query lengths in words (each fits the open-set softmax of its verdict length band).")
    queries_per_book: int = option(2, "Queries cut from each book per length (evenly spread, disjoint).")
    bins: int = option(10, "Equal-width bins for the ECE of the top probability.")
    batch_size: int = option(ENCODE_BATCH_SIZE, "Passages per model forward.")
    seed: int = option(0, "Seed (kept for the manifest; query cutting is deterministic).")

    def validate(self) -> None:
        self.require_positive("queries_per_book", "bins", "batch_size")
        bad = [length for length in self.lengths if not str(length).isdigit() or int(length) <= 0]
        if bad or not self.lengths:
            self.fail("lengths", "must be positive word counts", 'use e.g. ["200", "1000", "5000"]')
