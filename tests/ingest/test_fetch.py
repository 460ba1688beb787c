"""Fetching from a real local HTTP mirror: faults, layouts, validation, not-found, reruns."""

from __future__ import annotations

import asyncio
import hashlib
import shutil
from pathlib import Path

import pytest
from ingest_helpers import CATALOG, CORPUS, corpus_files, fast_config, fixture_paths, spread_layouts

from writing7.ingest.manifest import MANIFEST_FILE, latest_by_id, read_manifest
from writing7.ingest.testing_server import FAULTS, FaultSchedule, MirrorServer
from writing7.stages.ingest import run_gutenberg

MISSING = [999_991, 999_992]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_every_book_arrives_byte_identical_through_30_percent_faults(tmp_path: Path, books: dict[int, bytes]) -> None:
    corpus = tmp_path / "corpus"
    with MirrorServer(books, layouts=spread_layouts(list(books)), faults=FaultSchedule(0.3, seed=7), stall_seconds=2.0) as server:
        summary = run_gutenberg(fast_config(server.url), book_ids=sorted(books) + MISSING, corpus=corpus, catalog_path=CATALOG)
    requests, injected = sum(server.requests.values()), sum(server.injected.values())
    assert set(server.injected) == set(FAULTS), "every kind of fault was exercised"
    assert 0.2 < injected / requests < 0.4
    assert (summary.counts["fetched"], summary.counts["not_found"], summary.counts["failed"]) == (18, 2, 0)
    assert sorted(outcome.book for outcome in summary.with_status("not_found")) == [str(book_id) for book_id in MISSING]
    # With the catalog the ingested corpus is the fixture corpus: same paths, same bytes, nothing else.
    assert [path.relative_to(corpus).as_posix() for path in corpus_files(corpus)] == sorted(
        f"{path}.txt" for path in fixture_paths().values()
    )
    records = latest_by_id(read_manifest(corpus / MANIFEST_FILE))
    for book_id, relative in fixture_paths().items():
        assert sha256((corpus / f"{relative}.txt").read_bytes()) == sha256(books[book_id]) == records[book_id].sha256
        assert records[book_id].status == "fetched" and records[book_id].attempts >= 1
    assert {records[book_id].status for book_id in MISSING} == {"not_found"}


def test_without_a_catalog_names_come_from_the_header(tmp_path: Path, mirror: MirrorServer) -> None:
    summary = run_gutenberg(fast_config(mirror.url), book_ids=[5658, 2153, 45], corpus=tmp_path)
    assert sorted(outcome.path for outcome in summary.outcomes) == [
        "conrad-joseph/lord-jim.txt",
        "gaskell-elizabeth/mary-barton.txt",  # the 1990s header says "Elizabeth Gaskell"
        "montgomery-lucy-maud/anne-of-green-gables.txt",
    ]


def test_invalid_content_and_persistent_errors_are_failures_with_reasons(tmp_path: Path, books: dict[int, bytes]) -> None:
    served = {1: b"<!DOCTYPE html><html><body>Please solve this captcha</body></html>", 2: b"", 3: b"x" * 50_000, 5658: books[5658]}
    with MirrorServer(served) as server:
        summary = run_gutenberg(fast_config(server.url, max_book_bytes=40_000), book_ids=[1, 2, 3, 5658], corpus=tmp_path)
    reasons = {outcome.book: outcome.reason for outcome in summary.with_status("failed")}
    assert "HTML file" in reasons["1"] and "empty file" in reasons["2"] and "over max_book_bytes=40000" in reasons["3"]
    assert [outcome.book for outcome in summary.with_status("fetched")] == ["5658"]
    with MirrorServer({}, faults=FaultSchedule(1.0, kinds=("503",))) as server:
        summary = run_gutenberg(fast_config(server.url, retries=1, layouts=["cache-epub"]), book_ids=[5658], corpus=tmp_path / "other")
    assert summary.all_failed
    assert summary.outcomes[0].reason == "cache-epub: HTTP 503 (after 2 attempts)"
    assert server.requests["/cache/epub/5658/pg5658.txt"] == 2


def test_a_book_that_never_answers_hits_the_per_id_timeout(tmp_path: Path) -> None:
    with MirrorServer({}, faults=FaultSchedule(1.0, kinds=("stall",)), stall_seconds=3.0) as server:
        config = fast_config(server.url, timeout_seconds=0.2, id_timeout_seconds=0.5, retries=20)
        summary = run_gutenberg(config, book_ids=[5658], corpus=tmp_path)
    assert summary.outcomes[0].reason == "gave up after id_timeout_seconds=0.5"


def test_rerun_skips_done_ids_and_retries_the_others(tmp_path: Path, books: dict[int, bytes]) -> None:
    first_books = {book_id: books[book_id] for book_id in (5658, 1142)}
    with MirrorServer(first_books) as server:
        first = run_gutenberg(fast_config(server.url), book_ids=[5658, 1142, 45], corpus=tmp_path)
    assert first.counts["not_found"] == 1
    with MirrorServer(books) as server:
        second = run_gutenberg(fast_config(server.url), book_ids=[5658, 1142, 45], corpus=tmp_path)
        assert set(server.requests) == {"/cache/epub/45/pg45.txt"}, "only the missing id is asked for"
    assert (second.counts["skipped"], second.counts["fetched"]) == (2, 1)
    assert len(corpus_files(tmp_path)) == 3


def test_no_skip_if_exists_refetches_into_the_same_paths(tmp_path: Path, mirror: MirrorServer) -> None:
    config = fast_config(mirror.url)
    run_gutenberg(config, book_ids=[5658, 1142], corpus=tmp_path)
    before = corpus_files(tmp_path)
    again = run_gutenberg(fast_config(mirror.url, skip_if_exists=False), book_ids=[5658, 1142], corpus=tmp_path)
    assert again.counts["fetched"] == 2 and corpus_files(tmp_path) == before


def test_books_already_in_the_corpus_are_skipped_through_the_catalog(tmp_path: Path, mirror: MirrorServer) -> None:
    shutil.copytree(CORPUS, tmp_path / "corpus")
    summary = run_gutenberg(fast_config(mirror.url), book_ids=sorted(fixture_paths()), corpus=tmp_path / "corpus", catalog_path=CATALOG)
    assert summary.counts["skipped"] == 18 and sum(mirror.requests.values()) == 0
    assert {outcome.reason for outcome in summary.outcomes} == {"file already in the corpus"}


def test_retry_after_is_honoured(tmp_path: Path, books: dict[int, bytes], monkeypatch: pytest.MonkeyPatch) -> None:
    """Every wait after a 429 lasts at least its Retry-After (sleeps are recorded, not slept)."""
    waits: list[float] = []
    real_sleep = asyncio.sleep

    async def recorded_sleep(seconds: float) -> None:
        waits.append(seconds)
        await real_sleep(0)

    monkeypatch.setattr(asyncio, "sleep", recorded_sleep)
    with MirrorServer({5658: books[5658]}, faults=FaultSchedule(0.5, seed=2, kinds=("429",)), retry_after=7) as server:
        config = fast_config(server.url, layouts=["cache-epub"], max_retry_after_seconds=30.0)
        summary = run_gutenberg(config, book_ids=[5658], corpus=tmp_path)
    assert summary.counts["fetched"] == 1 and server.injected["429"] == 2  # seed 2: the first two answers are 429
    assert len(waits) >= server.injected["429"] and min(waits) >= 7 * 0.99
