"""Async Project Gutenberg client: try each URL layout, retry transient failures, validate what arrives.

For one book the client walks the layouts (:mod:`writing7.ingest.layouts`). Per URL:

* 200 with a complete, valid Gutenberg text -> done;
* 404 / 410 -> not under this layout, try the next one (never retried);
* connection error, timeout (``timeout_seconds`` for the whole attempt, body included), a body shorter
  than its ``Content-Length`` (httpx raises ``RemoteProtocolError``), 408, 429 or 5xx -> retried up to
  ``retries`` times with exponential backoff and jitter, waiting at least the server's ``Retry-After``
  (which also holds back every other request to that host);
* anything else (another 4xx, HTML instead of text, too large) -> this URL is useless, try the next one.

A book is *not found* when every layout answered 404/410, *failed* otherwise. ``id_timeout_seconds``
bounds the whole book. Concurrency is the caller's business (it runs that many :meth:`fetch` calls).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

import httpx

from writing7.ingest.layouts import candidate_urls
from writing7.ingest.metadata import invalid_book_reason
from writing7.ingest.retry import HostThrottle, RetryPolicy, parse_retry_after

logger = logging.getLogger(__name__)


class FetchSettings(Protocol):
    """What the client reads of its settings (an :class:`~writing7.config.ingest.IngestConfig` has them all)."""

    mirror: str
    layouts: Sequence[str]
    concurrency: int  # pooled connections (the caller runs this many fetches at once)
    timeout_seconds: float
    id_timeout_seconds: float
    retries: int
    backoff_seconds: float
    backoff_max_seconds: float
    max_retry_after_seconds: float
    delay_seconds: float
    max_book_bytes: int
    user_agent: str
    seed: int


@dataclass(frozen=True)
class FetchResult:
    """Outcome of one book: ``status`` is ``fetched`` (with ``data``), ``not_found`` or ``failed`` (with ``error``)."""

    book_id: int
    status: str
    data: bytes | None = None
    url: str | None = None
    attempts: int = 0
    error: str | None = None


class _Retryable(Exception):
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class _NotFound(Exception):
    pass


class _Unusable(Exception):
    """This URL will not give the book (wrong status, invalid content, retries exhausted)."""


class GutenbergClient:
    """Fetches books over one pooled ``httpx.AsyncClient``; use as ``async with GutenbergClient(cfg) as client``."""

    def __init__(self, config: FetchSettings) -> None:
        self.config = config
        self.policy = RetryPolicy(
            retries=config.retries,
            base_seconds=config.backoff_seconds,
            max_seconds=config.backoff_max_seconds,
            max_retry_after_seconds=config.max_retry_after_seconds,
        )
        self.throttle = HostThrottle(config.delay_seconds)
        self._random = random.Random(config.seed)
        self._preferred_layout: str | None = None
        self._http: httpx.AsyncClient | None = None

    async def __aenter__(self) -> GutenbergClient:
        connections = self.config.concurrency
        self._http = httpx.AsyncClient(
            headers={"User-Agent": self.config.user_agent},
            follow_redirects=True,
            timeout=httpx.Timeout(self.config.timeout_seconds),
            limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
        )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._http is not None:
            await self._http.aclose()

    async def fetch(self, book_id: int) -> FetchResult:
        """Fetch one book, never raising for network or server trouble (it is in the result)."""
        attempts = [0]
        try:
            async with asyncio.timeout(self.config.id_timeout_seconds):
                return await self._fetch_layouts(book_id, attempts)
        except TimeoutError:
            error = f"gave up after id_timeout_seconds={self.config.id_timeout_seconds:g}"
            return FetchResult(book_id, "failed", attempts=attempts[0], error=error)

    async def _fetch_layouts(self, book_id: int, attempts: list[int]) -> FetchResult:
        problems: list[str] = []
        candidates = candidate_urls(self.config.mirror, book_id, self.config.layouts, preferred=self._preferred_layout)
        for layout, url in candidates:
            try:
                data, final_url = await self._fetch_url(url, attempts)
            except _NotFound:
                continue
            except _Unusable as error:
                problems.append(f"{layout}: {error}")
                continue
            self._preferred_layout = layout
            return FetchResult(book_id, "fetched", data=data, url=final_url, attempts=attempts[0])
        if not problems:
            error = f"not found under any of {len(candidates)} layouts at {self.config.mirror}"
            return FetchResult(book_id, "not_found", attempts=attempts[0], error=error)
        return FetchResult(book_id, "failed", attempts=attempts[0], error="; ".join(problems))

    async def _fetch_url(self, url: str, attempts: list[int]) -> tuple[bytes, str]:
        host = urlsplit(url).netloc
        retry_number = 0
        while True:
            await self.throttle.wait(host)
            attempts[0] += 1
            try:
                return await self._attempt(url)
            except _Retryable as error:
                if retry_number == self.policy.retries:
                    raise _Unusable(f"{error} (after {retry_number + 1} attempts)") from None
                if error.retry_after is not None:
                    self.throttle.defer(host, min(error.retry_after, self.policy.max_retry_after_seconds))
                wait = self.policy.delay(retry_number, self._random, error.retry_after)
                logger.debug("%s: %s; retry %d in %.2fs", url, error, retry_number + 1, wait)
                await asyncio.sleep(wait)
                retry_number += 1

    async def _attempt(self, url: str) -> tuple[bytes, str]:
        assert self._http is not None, "use GutenbergClient as an async context manager"
        try:
            async with asyncio.timeout(self.config.timeout_seconds):
                async with self._http.stream("GET", url) as response:
                    self._check_status(response)
                    return await self._read_body(response), str(response.url)
        except TimeoutError:
            raise _Retryable(f"timed out after {self.config.timeout_seconds:g}s") from None
        except httpx.TransportError as error:
            raise _Retryable(f"{type(error).__name__}: {error}" if str(error) else type(error).__name__) from None

    @staticmethod
    def _check_status(response: httpx.Response) -> None:
        status = response.status_code
        if status in (404, 410):
            raise _NotFound()
        if status in (408, 429) or status >= 500:
            raise _Retryable(f"HTTP {status}", parse_retry_after(response.headers.get("retry-after")))
        if status != 200:
            raise _Unusable(f"HTTP {status}")

    async def _read_body(self, response: httpx.Response) -> bytes:
        limit = self.config.max_book_bytes
        declared = response.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise _Unusable(f"{declared} bytes is over max_book_bytes={limit}")
        chunks, size = [], 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > limit:
                raise _Unusable(f"more than max_book_bytes={limit} bytes")
            chunks.append(chunk)
        data = b"".join(chunks)
        reason = invalid_book_reason(data)
        if reason is not None:
            raise _Unusable(f"invalid content: {reason}")
        return data
