"""Safe slugs: the shared corpus's convention, and no way out of the corpus."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from ingest_helpers import CATALOG

from writing7.ingest.slugs import (
    MAX_SLUG_LENGTH,
    UNKNOWN_AUTHOR,
    author_slug,
    book_path,
    slugify,
    title_slug,
    truncate_slug,
    with_suffix,
)


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Lord Jim", "lord-jim"),
        ("Lady Audley's Secret", "lady-audleys-secret"),
        ("Tess of the d\u2019Urbervilles: A Pure Woman", "tess-of-the-durbervilles-a-pure-woman"),
        ("Jane Eyre\u00a0\u2014 An Autobiography", "jane-eyre-an-autobiography"),
        ("Bront\u00eb, Charlotte", "bronte-charlotte"),
        ("Montgomery, L. M. (Lucy Maud)", "montgomery-l-m"),
        ("\u00c9mile Zola", "emile-zola"),
        ("../../etc/passwd", "etc-passwd"),
        ("/absolute/path", "absolute-path"),
        ("a\x00b", "a-b"),
        ("C:\\Windows\\system32", "c-windows-system32"),
        ("\u7d05\u6a13\u5922", ""),  # nothing ASCII-foldable is left
        ("..", ""),
    ],
)
def test_slugify(name: str, slug: str) -> None:
    assert slugify(name) == slug


def test_author_slug_inverts_nothing_and_defaults_to_unknown() -> None:
    assert author_slug("Conrad, Joseph") == "conrad-joseph"
    assert author_slug("") == UNKNOWN_AUTHOR
    assert author_slug(None) == UNKNOWN_AUTHOR
    assert author_slug("../..") == UNKNOWN_AUTHOR


@pytest.mark.parametrize("reserved", ["con", "NUL", "aux", "Com1", "lpt9", "prn"])
def test_reserved_device_names_get_a_suffix(reserved: str) -> None:
    assert author_slug(reserved) == f"{reserved.lower()}-author"
    assert title_slug(reserved, fallback="book-1") == f"{reserved.lower()}-book"


def test_title_slug_falls_back_when_nothing_is_left() -> None:
    assert title_slug("\u7d05\u6a13\u5922", fallback="book-24264") == "book-24264"
    assert title_slug("", fallback="book-7") == "book-7"
    with pytest.raises(ValueError, match="has no usable characters"):
        title_slug("", fallback="!!!")


def test_long_titles_are_cut_at_a_word_like_the_shared_corpus() -> None:
    title = ("The Bible in Spain: Or, the Journeys, Adventures, and Imprisonments of an Englishman, "
             "in an Attempt to Circulate the Scriptures in the Peninsula")
    assert slugify(title) == "the-bible-in-spain-or-the-journeys-adventures-and-imprisonments-of-an"
    assert len(slugify("word " * 60)) <= MAX_SLUG_LENGTH
    assert truncate_slug("x" * 300, 80) == "x" * 80  # one endless word is cut hard


def test_with_suffix_keeps_the_suffix_and_the_limit() -> None:
    assert with_suffix("lord-jim", "5658") == "lord-jim-5658"
    long = slugify("a very long title " * 10)
    suffixed = with_suffix(long, "1234567")
    assert suffixed.endswith("-1234567") and len(suffixed) <= MAX_SLUG_LENGTH


def test_book_path_stays_inside_the_corpus(tmp_path: Path) -> None:
    assert book_path(tmp_path, "conrad-joseph", "lord-jim") == tmp_path.resolve() / "conrad-joseph" / "lord-jim.txt"
    for author, title in [("..", "x"), ("a/b", "x"), ("a", "../../x"), ("", "x"), ("a", "Not-A-Slug")]:
        with pytest.raises(ValueError, match="not a safe slug"):
            book_path(tmp_path, author, title)


def test_catalog_names_give_the_fixture_slugs() -> None:
    with CATALOG.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [author_slug(row["author"]) for row in rows] == [row["author_slug"] for row in rows]
    assert [slugify(row["title"]) for row in rows] == [row["title_slug"] for row in rows]


@pytest.mark.slow
def test_catalog_names_give_the_shared_corpus_slugs(shared_corpus: Path) -> None:
    with (shared_corpus / "catalog.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    titles_differ = [row["title"] for row in rows if slugify(row["title"]) != row["title_slug"]]
    # The shared catalog shortened one author ("Orczy, Emmuska Orczy, Baroness" -> orczy-emmuska) by hand.
    authors_differ = {row["author"] for row in rows if author_slug(row["author"]) != row["author_slug"]}
    assert titles_differ == []
    assert authors_differ <= {"Orczy, Emmuska Orczy, Baroness"}
