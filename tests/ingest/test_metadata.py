"""Header parsing on the real fixture headers, author name order, and content validation."""

from __future__ import annotations

import pytest
from ingest_helpers import CORPUS, fixture_paths

from writing7.ingest.metadata import (
    HEADER_BYTES,
    BookMetadata,
    first_author,
    header_of,
    invalid_book_reason,
    parse_header,
    sort_name,
)
from writing7.text.decode import decode_bytes


def fixture_header(relative: str) -> BookMetadata:
    return parse_header(decode_bytes((CORPUS / f"{relative}.txt").read_bytes()).text)


def test_modern_header_gives_title_author_and_number() -> None:
    assert fixture_header("conrad-joseph/lord-jim") == BookMetadata(title="Lord Jim", author="Joseph Conrad", gutenberg_id=5658)
    assert fixture_header("gaskell-elizabeth-cleghorn/cranford") == BookMetadata(
        title="Cranford", author="Elizabeth Cleghorn Gaskell", gutenberg_id=394
    )


def test_1990s_etext_header_without_title_lines() -> None:
    assert fixture_header("gaskell-elizabeth-cleghorn/mary-barton") == BookMetadata(
        title="Mary Barton", author="Elizabeth Gaskell", gutenberg_id=2153
    )


def test_every_fixture_header_has_a_title_and_an_author() -> None:
    for relative in fixture_paths().values():
        header = fixture_header(relative)
        assert header.title and header.author, relative


def test_indented_continuation_lines_join_the_title() -> None:
    text = "Title: The Luck of Roaring Camp\n       and Other Tales\n\nAuthor: Bret Harte\n\n*** START OF THE PROJECT GUTENBERG EBOOK X ***\nTitle: not this\n"
    assert parse_header(text) == BookMetadata(title="The Luck of Roaring Camp and Other Tales", author="Bret Harte")


def test_lines_after_the_start_marker_are_not_header() -> None:
    text = "Some preface\n*** START OF THIS PROJECT GUTENBERG EBOOK X ***\nTitle: Chapter One\nAuthor: a character\n"
    assert parse_header(text) == BookMetadata()


@pytest.mark.parametrize(
    ("display", "catalog_order"),
    [
        ("Joseph Conrad", "Conrad, Joseph"),
        ("Jerome K. Jerome", "Jerome, Jerome K."),
        ("Arthur Conan Doyle", "Doyle, Arthur Conan"),
        ("W. E. B. Du Bois", "Du Bois, W. E. B."),
        ("Sir Walter Scott", "Scott, Walter"),
        ("Francis Parkman, Jr.", "Parkman, Francis"),
        ("Isabella L. Bird (Mrs. Bishop)", "Bird, Isabella L."),
        ("Henry Beam Piper, John D. Clark and John F. Carr", "Piper, Henry Beam"),
        ("Saki", "Saki"),
        ("", ""),
    ],
)
def test_sort_name(display: str, catalog_order: str) -> None:
    assert sort_name(display) == catalog_order


def test_first_author_of_several() -> None:
    assert first_author("Mark Twain & Charles Dudley Warner") == "Mark Twain"
    assert first_author("Various; Anonymous") == "Various"


def test_fixture_books_are_valid_and_other_bytes_are_not() -> None:
    for relative in fixture_paths().values():
        assert invalid_book_reason((CORPUS / f"{relative}.txt").read_bytes()) is None
    assert invalid_book_reason(b"") == "empty file"
    assert "binary" in invalid_book_reason(b"PK\x03\x04\x00\x00zip")
    assert "HTML" in invalid_book_reason(b"<!DOCTYPE html><html><body>Title: x</body></html>")
    assert "not a Project Gutenberg text" in invalid_book_reason(b"Just some prose without any header at all.\n" * 20)


def test_a_utf8_character_cut_by_the_header_limit_does_not_garble_the_header() -> None:
    header = "Title: Jane Eyre\u2014An Autobiography\nAuthor: Charlotte Bront\u00eb\n".encode()
    filler = b"a" * (HEADER_BYTES - len(header) - 1) + "\u00e9\u00e9\n".encode() * 10  # a 2-byte character straddles the limit
    assert header_of(header + filler) == BookMetadata(title="Jane Eyre\u2014An Autobiography", author="Charlotte Bront\u00eb")
