"""Backoff with jitter, Retry-After parsing, and the URL layouts in their documented order."""

from __future__ import annotations

import random
from email.utils import formatdate

import pytest

from writing7.ingest.layouts import DEFAULT_LAYOUTS, candidate_urls, layout_url, mirror_directory
from writing7.ingest.retry import RetryPolicy, parse_retry_after

POLICY = RetryPolicy(retries=5, base_seconds=1.0, max_seconds=8.0, max_retry_after_seconds=30.0)


def test_backoff_doubles_with_jitter_and_a_cap() -> None:
    source = random.Random(0)
    for retry_number, full in enumerate([1, 2, 4, 8, 8, 8]):
        delays = [POLICY.delay(retry_number, source) for _ in range(200)]
        assert full * 0.5 <= min(delays) and max(delays) <= full
        assert max(delays) - min(delays) > full * 0.3  # jitter actually spreads the retries


def test_retry_after_is_a_floor_but_capped() -> None:
    source = random.Random(0)
    assert POLICY.delay(0, source, retry_after=20.0) == 20.0
    assert POLICY.delay(0, source, retry_after=3600.0) == 30.0
    assert 0.5 <= POLICY.delay(0, source, retry_after=0.0) <= 1.0


def test_parse_retry_after() -> None:
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(formatdate(1_000_030, usegmt=True), now=1_000_000) == pytest.approx(30.0)
    assert parse_retry_after(formatdate(999_000, usegmt=True), now=1_000_000) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


@pytest.mark.parametrize(("book_id", "directory"), [(15453, "1/5/4/5/15453"), (7, "0/7"), (10, "1/10"), (123, "1/2/123")])
def test_mirror_directory(book_id: int, directory: str) -> None:
    assert mirror_directory(book_id) == directory


def test_layout_urls_in_documented_order() -> None:
    urls = [url for _, url in candidate_urls("https://www.gutenberg.org/", 15453, DEFAULT_LAYOUTS)]
    assert urls == [
        "https://www.gutenberg.org/cache/epub/15453/pg15453.txt",
        "https://www.gutenberg.org/files/15453/15453-0.txt",
        "https://www.gutenberg.org/ebooks/15453.txt.utf-8",
        "https://www.gutenberg.org/1/5/4/5/15453/15453-0.txt",
        "https://www.gutenberg.org/1/5/4/5/15453/15453-8.txt",
        "https://www.gutenberg.org/1/5/4/5/15453/15453.txt",
    ]


def test_the_layout_that_last_worked_goes_first() -> None:
    order = [name for name, _ in candidate_urls("http://m", 5, DEFAULT_LAYOUTS, preferred="mirror-8bit")]
    assert order == ["mirror-8bit", "cache-epub", "files", "ebooks", "mirror-utf8", "mirror-ascii"]
    assert layout_url("mirror-ascii", "http://m/gutenberg", 5) == "http://m/gutenberg/0/5/5.txt"


def test_bad_layout_or_id() -> None:
    with pytest.raises(ValueError, match="unknown layout 'zip'"):
        layout_url("zip", "http://m", 1)
    with pytest.raises(ValueError, match="must be a positive integer"):
        mirror_directory(0)
