"""When to try again: exponential backoff with jitter, ``Retry-After``, and a polite gap between requests per host."""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from dataclasses import dataclass
from datetime import datetime, timezone


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff before retry ``n`` (0-based): ``min(max_seconds, base_seconds * 2**n) * U(0.5, 1)``.

    The random factor ("equal jitter", Brooker 2015, *Exponential Backoff And Jitter*, AWS Architecture
    Blog) keeps many clients that failed together from retrying together. A server's ``Retry-After``
    is a floor on the wait, capped at ``max_retry_after_seconds`` so that one answer cannot park a run.
    """

    retries: int
    base_seconds: float
    max_seconds: float
    max_retry_after_seconds: float

    def delay(self, retry_number: int, random_source: random.Random, retry_after: float | None = None) -> float:
        backoff = min(self.max_seconds, self.base_seconds * 2**retry_number)
        wait = backoff * random_source.uniform(0.5, 1.0)
        if retry_after is not None:
            wait = max(wait, min(retry_after, self.max_retry_after_seconds))
        return wait


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date, RFC 9110 10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    current = datetime.fromtimestamp(time.time() if now is None else now, tz=timezone.utc)
    return max(0.0, (moment - current).total_seconds())


class HostThrottle:
    """Spaces request starts to one host by at least ``delay_seconds``, whatever the concurrency.

    Each caller books the next free slot under a lock and sleeps until it, so the gap holds across
    all workers; :meth:`defer` pushes the next slot back when a host asks us to slow down (429).
    """

    def __init__(self, delay_seconds: float) -> None:
        self.delay_seconds = delay_seconds
        self._next_start: dict[str, float] = {}
        self._lock = asyncio.Lock()

    async def wait(self, host: str) -> None:
        async with self._lock:
            now = time.monotonic()
            start = max(now, self._next_start.get(host, now))
            self._next_start[host] = start + self.delay_seconds
        if start > now:
            await asyncio.sleep(start - now)

    def defer(self, host: str, seconds: float) -> None:
        now = time.monotonic()
        self._next_start[host] = max(self._next_start.get(host, now), now + seconds)
