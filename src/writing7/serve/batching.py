"""Micro-batching: concurrent requests share one model forward.

Each request submits a list of items (pairs or texts) and awaits its results. One worker task
takes the first waiting request, then keeps gathering requests for up to ``max_wait_ms`` or until
``max_batch_size`` items are gathered, runs ``function`` once on all of them in a worker thread
(the event loop keeps accepting requests meanwhile) and hands each request its slice of the
results. A request larger than ``max_batch_size`` runs alone and is never split.

With ``enabled=False`` every request runs its own forward in a thread: the naive server the
benchmark compares against.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

logger = logging.getLogger(__name__)


@dataclasses.dataclass
class _Request:
    items: Sequence[Any]
    future: asyncio.Future


class MicroBatcher:
    """Gather concurrent ``submit`` calls into batches for one ``function(items) -> results``.

    ``function`` must return one result per item, in order. Statistics (``batches``, ``items``)
    let the service report how well requests were batched.
    """

    def __init__(self, function: Callable[[list[Any]], Sequence[Any]], *, max_batch_size: int = 64,
                 max_wait_ms: float = 5.0, enabled: bool = True, name: str = "batch") -> None:
        self.function = function
        self.max_batch_size = max_batch_size
        self.max_wait_seconds = max_wait_ms / 1000.0
        self.enabled = enabled
        self.name = name
        self.batches = 0
        self.items = 0
        self._queue: asyncio.Queue[_Request] | None = None
        self._worker: asyncio.Task | None = None
        self._carry: _Request | None = None  # a request that did not fit the previous batch

    async def start(self) -> None:
        if self.enabled and self._worker is None:
            self._queue = asyncio.Queue()
            self._worker = asyncio.create_task(self._run(), name=f"micro-batcher-{self.name}")

    async def stop(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None
        pending = [self._carry] if self._carry else []
        while self._queue is not None and not self._queue.empty():
            pending.append(self._queue.get_nowait())
        self._fail(pending, RuntimeError("the service is shutting down; retry the request"))
        self._carry = None

    async def submit(self, items: Sequence[Any]) -> list[Any]:
        """Results for ``items``, computed in a batch with whatever else arrived meanwhile."""
        if not items:
            return []
        if not self.enabled:
            self._count(len(items))
            return list(await asyncio.to_thread(self.function, list(items)))
        if self._queue is None:
            raise RuntimeError(f"micro-batcher {self.name} is not started: call start() in the app's lifespan")
        future = asyncio.get_running_loop().create_future()
        await self._queue.put(_Request(items, future))
        return await future

    async def _run(self) -> None:
        batch: list[_Request] = []
        try:
            while True:
                batch = []
                await self._gather(batch)
                await self._execute(batch)
        except asyncio.CancelledError:  # stop(): requests taken from the queue must not wait forever
            self._fail(batch, RuntimeError("the service is shutting down; retry the request"))
            raise

    async def _gather(self, batch: list[_Request]) -> None:
        """Wait for a first request, then add more to ``batch`` until it is full or the wait is over."""
        assert self._queue is not None
        first = self._carry or await self._queue.get()
        self._carry = None
        batch.append(first)
        size = len(first.items)
        deadline = time.monotonic() + self.max_wait_seconds
        while size < self.max_batch_size:
            remaining = deadline - time.monotonic()
            try:
                request = self._queue.get_nowait() if remaining <= 0 else await asyncio.wait_for(self._queue.get(), remaining)
            except (asyncio.TimeoutError, asyncio.QueueEmpty):
                break
            if size + len(request.items) > self.max_batch_size:
                self._carry = request  # starts the next batch: requests are never split
                break
            batch.append(request)
            size += len(request.items)

    async def _execute(self, batch: list[_Request]) -> None:
        items = [item for request in batch for item in request.items]
        self._count(len(items))
        try:
            results = list(await asyncio.to_thread(self.function, items))
        except Exception as error:  # every waiting request learns about the failure
            logger.exception("batch of %d %s items failed", len(items), self.name)
            self._fail(batch, error)
            return
        offset = 0
        for request in batch:
            if not request.future.done():  # a cancelled (disconnected) request is skipped
                request.future.set_result(results[offset:offset + len(request.items)])
            offset += len(request.items)

    @staticmethod
    def _fail(batch: list[_Request], error: BaseException) -> None:
        for request in batch:
            if not request.future.done():
                request.future.set_exception(error)

    def _count(self, item_count: int) -> None:
        self.batches += 1
        self.items += item_count

    def stats(self) -> dict[str, Any]:
        mean = self.items / self.batches if self.batches else 0.0
        return {"enabled": self.enabled, "max_batch_size": self.max_batch_size, "batches": self.batches,
                "items": self.items, "mean_batch_items": round(mean, 2)}
