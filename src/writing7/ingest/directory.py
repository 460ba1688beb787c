"""Import a folder of ``.txt`` books (flat or nested) into ``corpus/{author_slug}/{title_slug}.txt``.

Names come from, in order: the catalog (when the header carries an ebook number and a catalog is
given), the Gutenberg header, then the file's location: the parent folder is the author
(``SRC/conrad-joseph/lord-jim.txt``), or, in a flat folder, ``"Author - Title.txt"``; otherwise
the author is ``unknown-author`` and the title the file name. Bytes are copied unchanged.
A file whose identical bytes are already at its path is skipped, so a rerun imports nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

from tqdm import tqdm

from writing7.progress import progress_disabled
from writing7.ingest.catalog import CatalogEntry
from writing7.ingest.manifest import ManifestRecord
from writing7.ingest.metadata import header_of
from writing7.ingest.names import book_names
from writing7.ingest.store import CorpusStore, owner_key, sha256_of
from writing7.ingest.summary import BookOutcome, IngestSummary
from writing7.text.decode import binary_reason

logger = logging.getLogger(__name__)


def find_text_files(source: Path, *, exclude: Path | None = None) -> list[Path]:
    """``.txt`` files under ``source`` (any case), sorted; hidden files and anything under ``exclude`` are left out."""
    files = []
    for path in sorted(Path(source).rglob("*")):
        relative = path.relative_to(source)
        if path.suffix.lower() != ".txt" or not path.is_file() or any(part.startswith(".") for part in relative.parts):
            continue
        if exclude is not None and path.resolve().is_relative_to(exclude):
            continue
        files.append(path)
    return files


def books_to_import(source: Path, *, corpus: Path) -> list[Path]:
    """The ``.txt`` files under ``source`` (not those of ``corpus``); raises for a bad source or no file, before anything is written."""
    source, corpus = Path(source), Path(corpus).resolve()
    if not source.is_dir():
        raise NotADirectoryError(f"source folder {source} not found: pass a folder of .txt books")
    if corpus == source.resolve():
        raise ValueError(f"source {source} is the corpus itself: import from another folder")
    files = find_text_files(source, exclude=corpus)
    if not files:
        raise ValueError(
            f"no .txt books found in {source}: put the books there as AUTHOR/TITLE.txt or 'Author - Title.txt' "
            "(hidden files and the corpus itself are skipped)"
        )
    return files


def location_names(path: Path, source: Path) -> tuple[str | None, str]:
    """``(author, title)`` from where a file sits: its parent folder, or ``"Author - Title"`` in a flat folder."""
    folders = path.parent.relative_to(source).parts
    if folders:
        return folders[-1], path.stem
    author, separator, title = path.stem.partition(" - ")
    return (author, title) if separator and author.strip() and title.strip() else (None, path.stem)


def import_file(path: Path, source: Path, store: CorpusStore, catalog: Mapping[int, CatalogEntry]) -> BookOutcome:
    """Copy one file into the corpus under its slugs and record it in the manifest."""
    book = path.relative_to(source).as_posix()
    data = path.read_bytes()
    reason = binary_reason(data)
    if reason is not None:
        return BookOutcome(book, "failed", reason=reason)
    header = header_of(data)
    sha256 = sha256_of(data)
    folder_author, file_title = location_names(path, source)
    names = book_names(
        header=header,
        catalog=catalog.get(header.gutenberg_id) if header.gutenberg_id is not None else None,
        folder_author=folder_author,
        file_title=file_title,
        fallback_title=f"book-{sha256[:8]}",
    )
    # Files are owned by their content, not by the header's number: two editions carrying the same
    # ebook number must not overwrite each other.
    suffix = str(header.gutenberg_id) if header.gutenberg_id is not None else sha256[:8]
    try:
        relative, _, written = store.save(names, data, owner=owner_key(None, sha256), suffix=suffix)
    except ValueError as error:
        return BookOutcome(book, "failed", reason=str(error))
    if not written:
        return BookOutcome(book, "skipped", relative, "identical file already in the corpus")
    store.record(ManifestRecord(
        id=header.gutenberg_id, status="imported", path=relative, url=path.resolve().as_uri(),
        bytes=len(data), sha256=sha256, author=names.author, title=names.title,
    ))
    return BookOutcome(book, "imported", relative)


def import_directory(source: Path, *, store: CorpusStore, catalog: Mapping[int, CatalogEntry] | None = None) -> IngestSummary:
    """Import every ``.txt`` under ``source`` into ``store``; a corpus inside ``source`` is not re-imported."""
    source = Path(source)
    files = books_to_import(source, corpus=store.corpus)
    summary = IngestSummary(primary="imported", removed_temporaries=len(store.removed_temporaries))
    for path in tqdm(files, unit="file", desc="import", disable=progress_disabled()):
        summary.add(import_file(path, source, store, catalog or {}))
    return summary
