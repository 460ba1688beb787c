"""``[ingest]``: how Gutenberg books are fetched (mirror, concurrency, timeouts, retries, politeness)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from writing7 import __version__
from writing7.config.base import StageConfig, option
from writing7.ingest.layouts import DEFAULT_LAYOUTS, LAYOUTS

MAX_CONCURRENCY = 256
MAX_RETRIES = 20


@dataclass
class IngestConfig(StageConfig):
    """Fetching and importing raw books into ``corpus/{author_slug}/{title_slug}.txt``."""

    section = "ingest"

    mirror: str = option("https://www.gutenberg.org", "Base URL of Project Gutenberg or any mirror (http or https).")
    layouts: list[str] = option(list(DEFAULT_LAYOUTS), "URL layouts to try, in order (see writing7.ingest.layouts).")
    concurrency: int = option(4, "Books fetched at the same time.")
    timeout_seconds: float = option(60.0, "Limit for one HTTP attempt, body included; a stalled download is retried.")
    id_timeout_seconds: float = option(600.0, "Limit for one book, all layouts and retries included.")
    retries: int = option(5, "Retries of one URL after a connection error, timeout, truncated body, 5xx or 429.")
    backoff_seconds: float = option(1.0, "First retry waits about this long; each further retry doubles it (with jitter).")
    backoff_max_seconds: float = option(60.0, "Longest backoff between two retries.")
    max_retry_after_seconds: float = option(300.0, "Longest Retry-After from a server that is honoured.")
    delay_seconds: float = option(0.5, "Polite gap between two request starts to the same host.")
    skip_if_exists: bool = option(True, "Skip ids already fetched (manifest) or whose catalog path already exists.")
    max_book_bytes: int = option(64 * 1024 * 1024, "A larger download is refused (no Gutenberg text comes close).")
    user_agent: str = option(f"writing7/{__version__} (book-text research; polite fetcher)", "User-Agent header sent.")
    seed: int = option(0, "Seed of the backoff jitter.")

    def validate(self) -> None:
        self._validate_mirror()
        self._validate_layouts()
        self.require_positive("concurrency", "timeout_seconds", "id_timeout_seconds", "max_book_bytes")
        self.require_non_negative(
            "retries", "backoff_seconds", "backoff_max_seconds", "max_retry_after_seconds", "delay_seconds"
        )
        if self.concurrency > MAX_CONCURRENCY:
            self.fail("concurrency", f"must be <= {MAX_CONCURRENCY}", "fetch with fewer parallel downloads; mirrors ban floods")
        if self.retries > MAX_RETRIES:
            self.fail("retries", f"must be <= {MAX_RETRIES}", "a book that fails this often should be retried on a later run")
        if self.id_timeout_seconds < self.timeout_seconds:
            self.fail("id_timeout_seconds", "is shorter than timeout_seconds", "make it at least as long as one attempt")
        if self.backoff_max_seconds < self.backoff_seconds:
            self.fail("backoff_max_seconds", "is shorter than backoff_seconds", "make it at least backoff_seconds")
        if not self.user_agent.strip():
            self.fail("user_agent", "is empty", "name your client; mirrors block anonymous crawlers")

    def _validate_mirror(self) -> None:
        parts = urlsplit(self.mirror)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            self.fail("mirror", "is not an http(s) URL", "give a base URL such as https://www.gutenberg.org")
        if parts.query or parts.fragment:
            self.fail("mirror", "has a query or fragment", "give the bare base URL of the mirror")

    def _validate_layouts(self) -> None:
        if not self.layouts:
            self.fail("layouts", "is empty", f"list one or more of: {', '.join(LAYOUTS)}")
        unknown = [name for name in self.layouts if name not in LAYOUTS]
        if unknown:
            self.fail("layouts", f"has unknown layout(s) {', '.join(map(str, unknown))}", f"use names from: {', '.join(LAYOUTS)}")
        if len(set(self.layouts)) != len(self.layouts):
            self.fail("layouts", "lists a layout twice", "keep each layout once")
