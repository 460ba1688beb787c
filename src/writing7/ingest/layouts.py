"""Where a mirror keeps the plain-text file of book ``{id}``: the layouts, in the order they are tried.

=================  ==========================================  =====================================
name               URL                                         who serves it
=================  ==========================================  =====================================
``cache-epub``     ``{base}/cache/epub/{id}/pg{id}.txt``        gutenberg.org (generated UTF-8 file)
``files``          ``{base}/files/{id}/{id}-0.txt``             gutenberg.org (the volunteer's UTF-8 file)
``ebooks``         ``{base}/ebooks/{id}.txt.utf-8``             gutenberg.org (redirects to the cache)
``mirror-utf8``    ``{base}/1/5/4/5/15453/15453-0.txt``          rsync/HTTP mirrors (UTF-8)
``mirror-8bit``    ``{base}/1/5/4/5/15453/15453-8.txt``          mirrors (ISO-8859-1 / cp1252)
``mirror-ascii``   ``{base}/1/5/4/5/15453/15453.txt``            mirrors (ASCII / old files)
=================  ==========================================  =====================================

Mirrors file a book under one directory per digit of its id except the last, then the id itself
(``15453`` -> ``1/5/4/5/15453``); ids below 10 sit under ``0/`` (``0/7``). The client tries the
layout that last worked first, then the rest in the order above.
"""

from __future__ import annotations

from collections.abc import Sequence

LAYOUTS = {
    "cache-epub": "{base}/cache/epub/{id}/pg{id}.txt",
    "files": "{base}/files/{id}/{id}-0.txt",
    "ebooks": "{base}/ebooks/{id}.txt.utf-8",
    "mirror-utf8": "{base}/{directory}/{id}-0.txt",
    "mirror-8bit": "{base}/{directory}/{id}-8.txt",
    "mirror-ascii": "{base}/{directory}/{id}.txt",
}
DEFAULT_LAYOUTS = tuple(LAYOUTS)


def mirror_directory(book_id: int) -> str:
    """The mirror directory of a book: ``15453`` -> ``1/5/4/5/15453``, ``7`` -> ``0/7``."""
    if book_id < 1:
        raise ValueError(f"Gutenberg id {book_id} must be a positive integer")
    digits = str(book_id)
    if book_id < 10:
        return f"0/{digits}"
    return "/".join(digits[:-1]) + f"/{digits}"


def layout_url(layout: str, base_url: str, book_id: int) -> str:
    """The URL of ``book_id`` under ``layout`` on the mirror at ``base_url``."""
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}: use one of {', '.join(LAYOUTS)}")
    return LAYOUTS[layout].format(base=base_url.rstrip("/"), id=book_id, directory=mirror_directory(book_id))


def candidate_urls(base_url: str, book_id: int, layouts: Sequence[str], *, preferred: str | None = None) -> list[tuple[str, str]]:
    """``(layout, url)`` pairs to try, ``preferred`` first, then ``layouts`` in order."""
    ordered = ([preferred] if preferred in layouts else []) + [name for name in layouts if name != preferred]
    return [(name, layout_url(name, base_url, book_id)) for name in ordered]
