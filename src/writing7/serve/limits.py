"""Input limits: text length and item count per request (413), empty texts (422), body size (413)."""

from __future__ import annotations

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


class BodySizeLimit:
    """ASGI middleware: 413 for a body over ``max_bytes`` (declared Content-Length, or counted while streaming)."""

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", ())).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await error_response(413, "body_too_large", self._message(int(declared)))(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> dict:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise ServiceError(413, "body_too_large", self._message(received))
            return message

        await self.app(scope, counting_receive, send)

    def _message(self, size: int) -> str:
        return f"request body of {size} bytes is over the limit of {self.max_bytes} (max_body_bytes): send less per request"
