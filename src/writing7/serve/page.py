"""The web page: ``GET /`` serves a self-contained page (plain HTML, CSS and JavaScript, no CDN, no external fonts).

The page (``static/index.html``, ``static/page.css``, ``static/page.js``) calls the same JSON API any client
calls: ``/v1/compare`` with ``"explain": true``, ``/v1/candidates`` and ``/v1/attribute``, ``/v1/search``,
``/healthz``. When the service has an API key, the page asks for it and sends it as ``X-API-Key``; the
page's files themselves hold no data and are served without a key.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIRECTORY = Path(__file__).resolve().parent / "static"
PAGE_FILES = ("index.html", "page.css", "page.js")


def add_page_routes(app: FastAPI) -> None:
    """``/`` (the page) and ``/static/*`` (its stylesheet and script)."""

    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(STATIC_DIRECTORY / "index.html", media_type="text/html; charset=utf-8",
                            headers={"Cache-Control": "no-cache", "Content-Security-Policy": CONTENT_SECURITY_POLICY})

    app.mount("/static", StaticFiles(directory=STATIC_DIRECTORY), name="static")


# Everything from this origin only: the page works offline and cannot load anything from elsewhere.
CONTENT_SECURITY_POLICY = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'"
