"""Optional API key: ``--api-key`` or env ``WRITING7_API_KEY``; requests send ``Authorization: Bearer KEY`` or ``X-API-Key: KEY``."""

from __future__ import annotations

import os
import secrets

from fastapi import Request

from writing7.serve.errors import ServiceError

API_KEY_ENV = "WRITING7_API_KEY"


def resolve_api_key(api_key: str | None) -> str | None:
    """The key given on the command line, else the environment's, else None (no authentication)."""
    key = api_key if api_key is not None else os.environ.get(API_KEY_ENV)
    return key or None


def presented_key(request: Request) -> str | None:
    authorization = request.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return request.headers.get("x-api-key")


async def require_api_key(request: Request) -> None:
    """FastAPI dependency: 401 unless the configured key was presented (constant-time comparison)."""
    expected = request.app.state.api_key
    if expected is None:
        return
    given = presented_key(request)
    if given is None or not secrets.compare_digest(given.encode(), expected.encode()):
        raise ServiceError(401, "unauthorized", "missing or wrong API key: send 'Authorization: Bearer KEY' or 'X-API-Key: KEY'",
                           headers={"WWW-Authenticate": "Bearer"})
