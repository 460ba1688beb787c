"""What an ingest run did, book by book, and the final summary printed by the CLI."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

@dataclass(frozen=True)
class BookOutcome:
    """One book: ``book`` is the Gutenberg id or the source file; ``path`` is relative to the corpus."""

    book: str
    status: str
    path: str | None = None
    reason: str | None = None


@dataclass
class IngestSummary:
    """Outcomes in completion order, with counts per status."""

    primary: str = "fetched"  # "fetched" for Gutenberg, "imported" for a folder
    outcomes: list[BookOutcome] = field(default_factory=list)
    removed_temporaries: int = 0

    def add(self, outcome: BookOutcome) -> None:
        self.outcomes.append(outcome)

    @property
    def counts(self) -> Counter[str]:
        return Counter(outcome.status for outcome in self.outcomes)

    def with_status(self, status: str) -> list[BookOutcome]:
        return [outcome for outcome in self.outcomes if outcome.status == status]

    @property
    def all_failed(self) -> bool:
        """True when there was work and not a single book ended up in the corpus."""
        counts = self.counts
        return bool(self.outcomes) and not (counts["fetched"] or counts["imported"] or counts["skipped"])

    def headline(self) -> str:
        counts = self.counts
        shown = [self.primary, "skipped"] + (["not_found"] if self.primary == "fetched" else []) + ["failed"]
        return ", ".join(f"{status.replace('_', ' ')} {counts[status]}" for status in shown)

    def lines(self) -> list[str]:
        """The headline, then one line per book that is not in the corpus, with its reason."""
        details = [
            f"  {outcome.status.replace('_', ' ')} {outcome.book}: {outcome.reason}"
            for outcome in self.outcomes
            if outcome.status in ("not_found", "failed")
        ]
        return [self.headline(), *details]
