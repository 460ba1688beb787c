"""Fetch a list of Gutenberg ids into the corpus: skip what is done, fetch the rest concurrently, record each.

``concurrency`` workers take ids from one list; each fetched book is named (catalog, then header),
written atomically, then recorded in the manifest. Storing runs in worker threads, so fsyncs
neither stall the downloads nor wait for each other; the store claims paths under its own lock.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from typing import Protocol

from tqdm import tqdm

from writing7.progress import progress_disabled
from writing7.ingest.catalog import CatalogEntry
from writing7.ingest.client import FetchResult, FetchSettings, GutenbergClient
from writing7.ingest.manifest import ManifestRecord
from writing7.ingest.metadata import BookMetadata, header_of
from writing7.ingest.names import book_names
from writing7.ingest.store import CorpusStore, owner_key, sha256_of
from writing7.ingest.summary import BookOutcome, IngestSummary

logger = logging.getLogger(__name__)


class IngestSettings(FetchSettings, Protocol):
    """The client's settings plus whether books already there are skipped (an ``IngestConfig`` has them all)."""

    skip_if_exists: bool


def _already_there(book_id: int, store: CorpusStore, entry: CatalogEntry | None) -> BookOutcome | None:
    """A skip outcome when the manifest says the id is done, or the catalog path already holds a file."""
    record = store.done_record(book_id)
    if record is not None:
        return BookOutcome(str(book_id), "skipped", record.path, "already in the manifest")
    if entry is None:
        return None
    names = book_names(header=BookMetadata(), catalog=entry, fallback_title=f"book-{book_id}")
    path = store.unowned_or_mine(names, owner_key(book_id, None))
    if path is None:
        return None
    data = path.read_bytes()
    relative = f"{names.author_slug}/{names.title_slug}.txt"
    store.record(ManifestRecord(
        id=book_id, status="skipped", path=relative, bytes=len(data), sha256=sha256_of(data),
        author=names.author, title=names.title, error="file already in the corpus",
    ))
    return BookOutcome(str(book_id), "skipped", relative, "file already in the corpus")


def store_result(result: FetchResult, store: CorpusStore, entry: CatalogEntry | None) -> BookOutcome:
    """Write a fetched book under its slugs and record any result in the manifest."""
    book = str(result.book_id)
    if result.status != "fetched" or result.data is None:
        store.record(ManifestRecord(id=result.book_id, status=result.status, attempts=result.attempts, error=result.error))
        return BookOutcome(book, result.status, reason=result.error)
    header = header_of(result.data)
    if header.gutenberg_id not in (None, result.book_id):
        logger.warning(
            "book %d: its header says ebook #%d (%s); keeping it under %d",
            result.book_id, header.gutenberg_id, result.url, result.book_id,
        )
    names = book_names(header=header, catalog=entry, fallback_title=f"book-{result.book_id}")
    try:
        relative, sha256, _ = store.save(names, result.data, owner=owner_key(result.book_id, None), suffix=book)
    except ValueError as error:
        store.record(ManifestRecord(id=result.book_id, status="failed", url=result.url, attempts=result.attempts, error=str(error)))
        return BookOutcome(book, "failed", reason=str(error))
    store.record(ManifestRecord(
        id=result.book_id, status="fetched", path=relative, url=result.url, bytes=len(result.data),
        sha256=sha256, attempts=result.attempts, author=names.author, title=names.title,
    ))
    return BookOutcome(book, "fetched", relative)


async def ingest_ids(
    book_ids: Iterable[int],
    *,
    config: IngestSettings,
    store: CorpusStore,
    catalog: Mapping[int, CatalogEntry] | None = None,
) -> IngestSummary:
    """Fetch ``book_ids`` (duplicates dropped, order kept) into ``store``; returns what happened to each."""
    catalog = catalog or {}
    summary = IngestSummary(primary="fetched", removed_temporaries=len(store.removed_temporaries))
    pending: list[int] = []
    for book_id in dict.fromkeys(book_ids):
        skipped = _already_there(book_id, store, catalog.get(book_id)) if config.skip_if_exists else None
        if skipped is not None:
            summary.add(skipped)
        else:
            pending.append(book_id)
    done = len(summary.outcomes)
    progress = tqdm(total=done + len(pending), initial=done, unit="book", desc="ingest", disable=progress_disabled())
    queue = iter(pending)

    async def worker(client: GutenbergClient) -> None:
        for book_id in queue:  # one shared iterator: each id goes to exactly one worker
            result = await client.fetch(book_id)
            outcome = await asyncio.to_thread(store_result, result, store, catalog.get(book_id))
            summary.add(outcome)
            progress.update(1)
            progress.set_postfix_str(summary.headline(), refresh=False)

    try:
        async with GutenbergClient(config) as client, asyncio.TaskGroup() as group:
            for _ in range(min(config.concurrency, len(pending))):
                group.create_task(worker(client))
    finally:
        progress.close()
    return summary
