"""One JSON error shape for every failure: ``{"error": {"type": ..., "message": ...}}``.

That includes what the framework answers by itself (404, 405, a body that is not UTF-8 JSON) and an
unexpected failure (500): clients parse one shape, never FastAPI's ``{"detail": ...}``.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

logger = logging.getLogger(__name__)


class ServiceError(Exception):
    """An error the client can fix (or retry): its status, a short type and a sentence saying what to do."""

    def __init__(self, status: int, kind: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.kind, self.message, self.headers = status, kind, message, headers


def error_response(status: int, kind: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"type": kind, "message": message}}, status_code=status, headers=headers)


def _validation_message(error: RequestValidationError) -> str:
    problems = []
    for item in error.errors()[:5]:
        location = ".".join(str(part) for part in item.get("loc", ()))
        problems.append(f"{location}: {item.get('msg', 'invalid')}")
    return "; ".join(problems) + " (see /docs for the request schema)"


# FastAPI's words for a body it could not parse at all (not UTF-8, not JSON text).
UNPARSABLE_BODY = "There was an error parsing the body"


def _http_error(request: Request, error: HTTPException) -> tuple[str, str]:
    """``(type, message)`` for an error the framework raised: what went wrong and what to send instead."""
    path = request.url.path
    if error.status_code == 404:
        return "not_found", f"no endpoint at {path}: see /docs for the endpoints"
    if error.status_code == 405:
        allowed = (error.headers or {}).get("Allow", "")  # Starlette lists the route's methods there
        return "method_not_allowed", f"{request.method} is not allowed on {path}" + (f": use {allowed}" if allowed else "")
    if error.status_code == 400 and error.detail == UNPARSABLE_BODY:
        return "invalid_body", "the request body could not be read: send a UTF-8 encoded JSON object (see /docs for the request schema)"
    return "http_error", str(error.detail)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(HTTPException)
    async def framework_error(request: Request, error: HTTPException) -> JSONResponse:
        kind, message = _http_error(request, error)
        return error_response(error.status_code, kind, message, error.headers)

    @app.exception_handler(Exception)
    async def unexpected_error(_: Request, error: Exception) -> JSONResponse:
        # Starlette still re-raises the error after this response, so the server log keeps its traceback.
        return error_response(500, "internal_error", "the service failed on this request (the server log has the details): "
                              "retry, and report it if it persists")

    @app.exception_handler(ServiceError)
    async def service_error(_: Request, error: ServiceError) -> JSONResponse:
        return error_response(error.status, error.kind, error.message, error.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, error: RequestValidationError) -> JSONResponse:
        return error_response(422, "invalid_request", _validation_message(error))

    @app.exception_handler(ValueError)
    async def library_value_error(_: Request, error: ValueError) -> JSONResponse:
        return error_response(422, "invalid_input", str(error).splitlines()[0])

    @app.exception_handler(FileNotFoundError)
    async def missing_artifact(_: Request, error: FileNotFoundError) -> JSONResponse:
        return error_response(409, "not_available", str(error).splitlines()[0])
