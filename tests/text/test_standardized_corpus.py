"""The standardized corpus is what every stage after standardize reads: cleaning is idempotent, so reading
a standardize output verbatim gives exactly what cleaning the raw book gives."""

from __future__ import annotations

from pathlib import Path

from writing7.config.standardize import StandardizeConfig
from writing7.corpus import discover_books, read_book, read_corpus_book
from writing7.stages import standardize

HEADERS = Path(__file__).resolve().parents[1] / "fixtures" / "headers"


def test_cleaning_is_idempotent_on_real_books(fixture_corpus_source, tmp_path):
    paths = sorted(fixture_corpus_source.rglob("*.txt")) + sorted(HEADERS.glob("*.txt"))
    for path in paths:
        once = read_book(path)
        if once.skip_reason:
            continue
        cleaned = tmp_path / "clean.txt"
        cleaned.write_text(once.text, encoding="utf-8")
        assert read_book(cleaned).text == once.text, path


def test_a_standardize_output_is_read_verbatim_and_a_raw_corpus_is_cleaned(fixture_corpus_source, tmp_path):
    standardize.run(StandardizeConfig(workers=1), corpus=fixture_corpus_source, output=tmp_path / "clean")
    raw, clean = discover_books(fixture_corpus_source), discover_books(tmp_path / "clean")
    assert [book.book_id for book in raw] == [book.book_id for book in clean]
    assert not any(book.standardized for book in raw) and all(book.standardized for book in clean)
    for raw_book, clean_book in zip(raw, clean):
        assert read_corpus_book(clean_book).text == clean_book.path.read_text(encoding="utf-8")  # verbatim
        assert read_corpus_book(raw_book).text == read_corpus_book(clean_book).text



def test_a_non_utf8_file_in_a_standardize_output_is_skipped_with_a_reason(fixture_corpus_source, tmp_path):
    standardize.run(StandardizeConfig(workers=1), corpus=fixture_corpus_source, output=tmp_path / "clean")
    planted = tmp_path / "clean" / "grey-zane" / "planted.txt"
    planted.write_bytes(b"\xff\xfe\x00binary\x9c")
    book = next(book for book in discover_books(tmp_path / "clean") if book.path == planted)
    result = read_corpus_book(book)
    assert result.text == "" and "not UTF-8" in result.skip_reason and "re-run standardize" in result.skip_reason
