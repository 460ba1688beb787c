"""Helpers of the ingest tests: fixture books keyed by their real Gutenberg ids, a fast client config."""

from __future__ import annotations

import csv
from pathlib import Path

from writing7.config.ingest import IngestConfig
from writing7.ingest.layouts import DEFAULT_LAYOUTS

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CORPUS = FIXTURES / "corpus"
CATALOG = FIXTURES / "ingest" / "catalog.csv"
PG_CATALOG = FIXTURES / "ingest" / "pg_catalog.csv"


def fixture_paths() -> dict[int, str]:
    """Gutenberg id -> ``author_slug/title_slug`` of every fixture excerpt (from the fixture catalog)."""
    with CATALOG.open(encoding="utf-8", newline="") as handle:
        return {int(row["gutenberg_id"]): f"{row['author_slug']}/{row['title_slug']}" for row in csv.DictReader(handle)}


def fixture_books() -> dict[int, bytes]:
    return {book_id: (CORPUS / f"{path}.txt").read_bytes() for book_id, path in fixture_paths().items()}


def spread_layouts(book_ids: list[int]) -> dict[int, str]:
    """Each book under one layout, cycling through all of them so every layout gets exercised."""
    return {book_id: DEFAULT_LAYOUTS[index % len(DEFAULT_LAYOUTS)] for index, book_id in enumerate(sorted(book_ids))}


def fast_config(mirror: str, **overrides: object) -> IngestConfig:
    """Real client code with test-sized timeouts and backoff, so a faulty run takes seconds."""
    values = dict(
        mirror=mirror, concurrency=6, timeout_seconds=0.5, id_timeout_seconds=30.0, retries=8,
        backoff_seconds=0.01, backoff_max_seconds=0.05, max_retry_after_seconds=0.05, delay_seconds=0.0,
    )
    values.update(overrides)
    return IngestConfig(**values)


def corpus_files(corpus: Path) -> list[Path]:
    """Every file under the corpus except the manifest and the lock: books and anything left behind."""
    return sorted(path for path in corpus.rglob("*") if path.is_file() and path.name not in ("ingest_manifest.jsonl", ".ingest.lock"))
