"""Input limits: text length and item count per request (413), empty texts (422), body size (413), stalled body (408)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from writing7.serve.errors import ServiceError, error_response


def check_texts(texts: Sequence[str], *, limit: int, field: str, setting: str) -> None:
    """413 when a text is longer than ``limit`` characters, 422 when one is blank."""
    for position, text in enumerate(texts):
        if len(text) > limit:
            raise ServiceError(413, "text_too_long", f"{field}[{position}] has {len(text)} characters, the limit is {limit} "
                               f"({setting}): send a shorter text" + (" or use /v1/compare for whole documents"
                                                                      if setting == "max_text_characters" else ""))
        if not text.strip():
            raise ServiceError(422, "empty_text", f"{field}[{position}] is empty: every text needs some words")


def check_items(count: int, *, limit: int, field: str) -> None:
    """413 when a request holds more than ``limit`` items, 422 when it holds none."""
    if count > limit:
        raise ServiceError(413, "too_many_items", f"{field} has {count} items, the limit is {limit} (max_batch_items): "
                           "split the request")
    if count == 0:
        raise ServiceError(422, "empty_batch", f"{field} is empty: send at least one item")


class _Disconnected(Exception):
    """The client went away before its body was complete: nobody is left to answer."""


class RequestBody:
    """ASGI middleware: read the whole request body before the app, refusing one over ``max_bytes`` (413) or one
    that stalls for ``timeout_s`` seconds (408), both in the service's error shape.

    The body is read here, not while FastAPI parses it: an error raised from ``receive`` inside
    FastAPI's parsing becomes a bare ``400 {"detail": ...}``, which is how a streamed (chunked,
    no Content-Length) oversized body used to be answered. Both refusals close the connection,
    since the rest of the body may still be on its way.
    """

    def __init__(self, app: Any, *, max_bytes: int, timeout_s: float) -> None:
        self.app, self.max_bytes, self.timeout_s = app, max_bytes, timeout_s

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            self._check_declared_size(scope)
            body = await self._read(receive)
        except ServiceError as error:
            await error_response(error.status, error.kind, error.message, {"Connection": "close"})(scope, receive, send)
            return
        except _Disconnected:
            return
        await self.app(scope, _replay(body, receive), send)

    def _check_declared_size(self, scope: dict) -> None:
        declared = dict(scope.get("headers", ())).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            raise ServiceError(413, "body_too_large", self._too_large(f"{int(declared)} bytes"))

    async def _read(self, receive: Any) -> bytes:
        parts, size = [], 0
        while True:
            try:
                message = await asyncio.wait_for(receive(), self.timeout_s)
            except asyncio.TimeoutError:
                raise ServiceError(408, "body_timeout", f"no body bytes arrived for {self.timeout_s:g} s (body_timeout_s): "
                                   "send the whole request body without pausing") from None
            if message["type"] == "http.disconnect":
                raise _Disconnected
            parts.append(message.get("body", b""))
            size += len(parts[-1])
            if size > self.max_bytes:
                raise ServiceError(413, "body_too_large", self._too_large(f"more than {self.max_bytes} bytes"))
            if not message.get("more_body", False):
                return b"".join(parts)

    def _too_large(self, amount: str) -> str:
        return f"request body of {amount} is over the limit of {self.max_bytes} (max_body_bytes): send less per request"


def _replay(body: bytes, receive: Any) -> Any:
    """A ``receive`` that hands the app the body already read, then defers to the server's (disconnect events)."""
    delivered = False

    async def replay() -> dict:
        nonlocal delivered
        if delivered:
            return await receive()
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay
