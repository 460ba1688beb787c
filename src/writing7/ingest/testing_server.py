"""A local Gutenberg-like mirror on 127.0.0.1 that misbehaves on purpose, for tests and ``bench/ingest.py``.

It speaks plain HTTP/1.1 (keep-alive) on asyncio streams in a background thread, serves each book
under one layout of :mod:`writing7.ingest.layouts` (the ``ebooks`` layout answers with a 302 redirect,
like gutenberg.org) and answers 404 elsewhere. A seeded schedule turns a share of *all* requests into
one of these faults:

=============  ===================================================================
``500``        ``500 Internal Server Error``
``503``        ``503 Service Unavailable``
``429``        ``429 Too Many Requests`` with ``Retry-After``
``reset``      the connection is reset (RST) before any response byte
``stall``      nothing is sent for ``stall_seconds`` (past the client's timeout)
``truncate``   the full ``Content-Length`` is announced, half the body sent, then close
=============  ===================================================================

The fault of a request depends only on ``(seed, path, how many times that path was asked)``,
so a run's faults do not depend on how concurrent requests interleave.
"""

from __future__ import annotations

import asyncio
import random
import socket
import struct
import threading
from collections import Counter
from collections.abc import Mapping
from email.utils import formatdate

from writing7.ingest.layouts import layout_url

FAULTS = ("500", "503", "429", "reset", "stall", "truncate")
_REASONS = {
    200: "OK", 302: "Found", 404: "Not Found", 429: "Too Many Requests",
    500: "Internal Server Error", 503: "Service Unavailable",
}


class FaultSchedule:
    """Which fault (or ``None``) the ``attempt``-th request for ``path`` gets."""

    def __init__(self, rate: float, seed: int = 0, kinds: tuple[str, ...] = FAULTS) -> None:
        if not 0 <= rate <= 1 or not kinds or set(kinds) - set(FAULTS):
            raise ValueError(f"fault rate {rate} must be in [0, 1] and kinds {kinds} a non-empty subset of {FAULTS}")
        self.rate, self.seed, self.kinds = rate, seed, kinds

    def fault_for(self, path: str, attempt: int) -> str | None:
        chooser = random.Random(f"{self.seed}:{path}:{attempt}")
        return chooser.choice(self.kinds) if chooser.random() < self.rate else None


class MirrorServer:
    """Serve ``books`` (id -> bytes) each under ``layouts[id]`` (default ``cache-epub``); a context manager."""

    def __init__(
        self,
        books: Mapping[int, bytes],
        *,
        layouts: Mapping[int, str] | None = None,
        faults: FaultSchedule | None = None,
        stall_seconds: float = 5.0,
        retry_after: int = 1,
        latency_seconds: float = 0.0,
    ) -> None:
        self.routes: dict[str, bytes] = {}
        self.redirects: dict[str, str] = {}
        for book_id, data in books.items():
            self._add_route(book_id, data, (layouts or {}).get(book_id, "cache-epub"))
        self.faults = faults or FaultSchedule(0.0)
        self.stall_seconds, self.retry_after, self.latency_seconds = stall_seconds, retry_after, latency_seconds
        self.requests: Counter[str] = Counter()  # per path
        self.injected: Counter[str] = Counter()  # per fault kind
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._tasks: set[asyncio.Task] = set()

    def _add_route(self, book_id: int, data: bytes, layout: str) -> None:
        path = layout_url(layout, "", book_id)
        if layout == "ebooks":  # gutenberg.org redirects this layout to the file itself
            self.redirects[path] = f"/redirected/{book_id}.txt"
            path = self.redirects[path]
        self.routes[path] = data

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> MirrorServer:
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(ready,), name="mirror-server", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the test mirror did not start within 10 s")
        return self

    def _serve(self, ready: threading.Event) -> None:
        assert self._loop is not None
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        ready.set()
        self._loop.run_forever()
        server.close()
        for task in self._tasks:
            task.cancel()
        self._loop.run_until_complete(asyncio.gather(*self._tasks, return_exceptions=True))
        self._loop.run_until_complete(server.wait_closed())
        self._loop.close()

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    def __enter__(self) -> MirrorServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- HTTP ----------------------------------------------------------------------------------
    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            while await self._one_request(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass  # the client went away, or the server is stopping
        finally:
            self._tasks.discard(task)
            writer.close()

    async def _one_request(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Answer one request; ``False`` when the connection must be closed."""
        request_line = await reader.readline()
        if not request_line.strip():
            return False
        while (await reader.readline()).strip():
            pass  # headers: nothing in them changes the answer
        path = request_line.split()[1].decode("latin-1").split("?", 1)[0]
        attempt = self.requests[path]
        self.requests[path] += 1
        if self.latency_seconds:
            await asyncio.sleep(self.latency_seconds)
        fault = self.faults.fault_for(path, attempt)
        if fault is not None:
            self.injected[fault] += 1
            return await self._fault(fault, path, writer)
        return await self._send(writer, *self._response(path))

    def _response(self, path: str) -> tuple[int, bytes, dict[str, str]]:
        if path in self.redirects:
            return 302, b"", {"Location": self.redirects[path]}
        if path in self.routes:
            return 200, self.routes[path], {"Content-Type": "text/plain; charset=utf-8"}
        return 404, b"not found\n", {}

    async def _fault(self, fault: str, path: str, writer: asyncio.StreamWriter) -> bool:
        if fault in ("500", "503"):
            return await self._send(writer, int(fault), b"server trouble\n")
        if fault == "429":
            return await self._send(writer, 429, b"slow down\n", {"Retry-After": str(self.retry_after)})
        if fault == "reset":
            writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
            return False
        if fault == "stall":
            await asyncio.sleep(self.stall_seconds)
            return False
        status, body, headers = self._response(path)  # truncate: promise the whole body, send half, close
        writer.write(self._head(status, len(body), headers) + body[: len(body) // 2])
        await writer.drain()
        return False

    @staticmethod
    def _head(status: int, length: int, headers: Mapping[str, str]) -> bytes:
        lines = [f"HTTP/1.1 {status} {_REASONS[status]}", f"Date: {formatdate(usegmt=True)}", f"Content-Length: {length}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    async def _send(self, writer: asyncio.StreamWriter, status: int, body: bytes, headers: Mapping[str, str] | None = None) -> bool:
        writer.write(self._head(status, len(body), headers or {}) + body)
        await writer.drain()
        return True
