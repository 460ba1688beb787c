"""Stage ``ingest``: fill ``corpus/{author_slug}/{title_slug}.txt`` from Project Gutenberg or from a folder.

Unlike the later stages, ingest does not replace an output directory: a corpus grows book by book and
users drop files into it. Its record is ``corpus/ingest_manifest.jsonl`` (one line per finished book),
which makes a rerun skip done books and retry failed ones; each book file is written atomically.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from pathlib import Path

from writing7.config.ingest import IngestConfig
from writing7.ingest.catalog import CatalogEntry, load_catalog
from writing7.ingest.directory import books_to_import, import_directory
from writing7.ingest.gutenberg import ingest_ids
from writing7.ingest.store import CorpusStore
from writing7.ingest.summary import IngestSummary

_SEPARATORS = re.compile(r"[\s,;]+")


def parse_ids(values: Iterable[str]) -> list[int]:
    """Gutenberg ids from strings such as ``"1342"``, ``"1342,84"`` or ``"84 98"``; ``#`` starts a comment."""
    book_ids = []
    for value in values:
        for token in _SEPARATORS.split(str(value).split("#", 1)[0].strip()):
            if not token:
                continue
            if not token.isdigit() or int(token) < 1:
                raise ValueError(f"{token!r} is not a Gutenberg id: ids are positive integers such as 1342")
            book_ids.append(int(token))
    return book_ids


def read_ids_file(path: Path) -> list[int]:
    """Ids from a file: one or more per line, separated by spaces or commas, ``#`` comments allowed."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"ids file {path} not found: pass a text file with one Gutenberg id per line")
    try:
        return parse_ids(path.read_text(encoding="utf-8-sig").splitlines())
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from None


def _catalog(path: Path | None) -> dict[int, CatalogEntry] | None:
    return load_catalog(path) if path is not None else None


def run_gutenberg(
    cfg: IngestConfig, *, book_ids: list[int], corpus: Path, catalog_path: Path | None = None
) -> IngestSummary:
    """Fetch ``book_ids`` from ``cfg.mirror`` into ``corpus``."""
    if not book_ids:
        raise ValueError("no Gutenberg ids given: pass --ids 1342 84 ... or --ids-file FILE")
    catalog = _catalog(catalog_path)
    with CorpusStore(corpus) as store:
        return asyncio.run(ingest_ids(book_ids, config=cfg, store=store, catalog=catalog))


def run_directory(source: Path, *, corpus: Path, catalog_path: Path | None = None) -> IngestSummary:
    """Import the ``.txt`` books under ``source`` into ``corpus``; a folder without any fails before the corpus is touched."""
    books_to_import(source, corpus=corpus)  # a bad source or no book fails before the corpus is touched (no lock, no manifest)
    catalog = _catalog(catalog_path)
    with CorpusStore(corpus) as store:
        return import_directory(source, store=store, catalog=catalog)
