"""Both catalog formats, first-author parsing, and errors that say how to fix the file."""

from __future__ import annotations

from pathlib import Path

import pytest
from ingest_helpers import CATALOG, PG_CATALOG

from writing7.ingest.catalog import CatalogEntry, catalog_author, load_catalog


def test_pg_catalog_format() -> None:
    entries = load_catalog(PG_CATALOG)
    assert entries[5658] == CatalogEntry(gutenberg_id=5658, title="Lord Jim", author="Conrad, Joseph")
    assert entries[45].author == "Montgomery, L. M."
    assert entries[308].title == "Three Men in a Boat To Say Nothing of the Dog"  # a two-line title cell


def test_shared_catalog_format_keeps_its_slugs() -> None:
    entries = load_catalog(CATALOG)
    assert len(entries) == 18
    assert entries[45] == CatalogEntry(
        gutenberg_id=45, title="Anne of Green Gables", author="Montgomery, L. M. (Lucy Maud)",
        author_slug="montgomery-l-m", title_slug="anne-of-green-gables",
    )


@pytest.mark.parametrize(
    ("cell", "author"),
    [
        ("Austen, Jane, 1775-1817", "Austen, Jane"),
        ("Shelley, Mary Wollstonecraft, 1797-1851; Guston, David H. [Editor]", "Shelley, Mary Wollstonecraft"),
        ("Orczy, Emmuska Orczy, Baroness, 1865-1947", "Orczy, Emmuska Orczy"),
        ("Homer, 751? BCE-651? BCE", "Homer"),
        ("Anonymous", "Anonymous"),
        ("", ""),
    ],
)
def test_catalog_author(cell: str, author: str) -> None:
    assert catalog_author(cell) == author


def test_unknown_columns_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "books.csv"
    path.write_text("id,name\n1,x\n", encoding="utf-8")
    with pytest.raises(ValueError, match="expected pg_catalog.csv columns"):
        load_catalog(path)


def test_bad_id_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "pg_catalog.csv"
    path.write_text("Text#,Type,Title,Authors\n1,Text,A,B\nabc,Text,C,D\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 3: bad row"):
        load_catalog(path)


def test_missing_catalog(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="pass a pg_catalog.csv"):
        load_catalog(tmp_path / "nope.csv")
