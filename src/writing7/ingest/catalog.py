"""Read a book catalog CSV: Project Gutenberg's ``pg_catalog.csv`` or the shared corpus's ``catalog.csv``.

Two formats are recognised by their header row:

* ``pg_catalog.csv`` (https://www.gutenberg.org/cache/epub/feeds/pg_catalog.csv):
  ``Text#, Type, Issued, Title, Language, Authors, Subjects, LoCC, Bookshelves``. ``Authors`` holds
  ``"Austen, Jane, 1775-1817; Other, Name [Editor]"``: the first author is kept, without dates or roles.
* the shared corpus's ``catalog.csv``: ``gutenberg_id, author, author_slug, title, title_slug, ...``;
  its slugs are kept (re-slugged, so a hand-edited catalog cannot smuggle in a path).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from writing7.ingest.slugs import slugify

PG_COLUMNS = ("Text#", "Title", "Authors")
SHARED_COLUMNS = ("gutenberg_id", "author", "title")
_PARENTHESES = re.compile(r"\([^)]*\)|\[[^\]]*\]")


@dataclass(frozen=True)
class CatalogEntry:
    """One catalog row: the author in ``Lastname, Firstname`` order and the title, as displayed."""

    gutenberg_id: int
    title: str
    author: str
    author_slug: str | None = None
    title_slug: str | None = None
    kind: str = "Text"


def catalog_author(authors: str) -> str:
    """The first author of a pg_catalog ``Authors`` cell: surname and given names, without dates, titles or roles.

    ``"Shelley, Mary Wollstonecraft, 1797-1851; Guston, David H. [Editor]"`` -> ``"Shelley, Mary Wollstonecraft"``,
    ``"Orczy, Emmuska Orczy, Baroness, 1865-1947"`` -> ``"Orczy, Emmuska Orczy"``.
    """
    first = _PARENTHESES.sub(" ", authors.split(";")[0])
    parts = [part.strip() for part in first.split(",")]
    names = [part for part in parts if part and not any(character.isdigit() for character in part)]
    return ", ".join(names[:2])


def _one_line(value: str) -> str:
    return " ".join((value or "").split())


def _pg_entry(row: dict[str, str]) -> CatalogEntry:
    return CatalogEntry(
        gutenberg_id=int(row["Text#"]),
        title=_one_line(row["Title"]),
        author=catalog_author(row.get("Authors") or ""),
        kind=(row.get("Type") or "Text").strip(),
    )


def _shared_entry(row: dict[str, str]) -> CatalogEntry:
    return CatalogEntry(
        gutenberg_id=int(row["gutenberg_id"]),
        title=_one_line(row["title"]),
        author=_one_line(row["author"]),
        author_slug=slugify(row.get("author_slug") or "") or None,
        title_slug=slugify(row.get("title_slug") or "") or None,
    )


def load_catalog(path: Path) -> dict[int, CatalogEntry]:
    """Entries by Gutenberg id; a missing file, an unknown header or a bad id raises with the fix."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"catalog {path} not found: pass a pg_catalog.csv or a corpus catalog.csv with --catalog")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        columns = set(reader.fieldnames or ())
        if set(PG_COLUMNS) <= columns:
            make_entry = _pg_entry
        elif set(SHARED_COLUMNS) <= columns:
            make_entry = _shared_entry
        else:
            raise ValueError(
                f"catalog {path} has columns {sorted(columns)}: expected pg_catalog.csv columns "
                f"({', '.join(PG_COLUMNS)}, ...) or corpus catalog.csv columns ({', '.join(SHARED_COLUMNS)}, ...)"
            )
        entries: dict[int, CatalogEntry] = {}
        for line_number, row in enumerate(reader, start=2):
            try:
                entry = make_entry(row)
            except (TypeError, ValueError) as error:
                raise ValueError(f"catalog {path}, line {line_number}: bad row ({error}); fix or remove that line") from error
            entries[entry.gutenberg_id] = entry
    return entries
