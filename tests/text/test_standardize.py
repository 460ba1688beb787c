import re
from pathlib import Path

import pytest

from writing7.text.standardize import clean_text, standardize_bytes

HEADERS = Path(__file__).resolve().parents[1] / "fixtures" / "headers"
# Boilerplate that must never survive cleaning (the acceptance list of the standardize stage).
FORBIDDEN = re.compile(
    r"START OF TH(?:E|IS) PROJECT GUTENBERG|END OF TH(?:E|IS) PROJECT GUTENBERG|PROJECT GUTENBERG LICENSE"
    r"|www\.gutenberg\.org|gutenberg\.net|small print|(?-i:^Produced by)",
    re.IGNORECASE | re.MULTILINE,
)


def standardize_fixture(name):
    return standardize_bytes((HEADERS / name).read_bytes(), min_kept_fraction=0.0)


@pytest.mark.parametrize("name", sorted(path.name for path in HEADERS.glob("*.txt")))
def test_fixture_styles_lose_all_boilerplate_and_keep_the_body(name):
    book = standardize_fixture(name)
    assert book.skip_reason is None
    assert not FORBIDDEN.search(book.text)
    assert "\r" not in book.text and "\ufeff" not in book.text
    assert book.text.endswith("\n") and not book.text.startswith("\n")
    assert 0.1 < book.kept_fraction < 1.0  # the excerpts are mostly boilerplate, real books are not
    assert book.bytes_out == len(book.text.encode("utf-8"))


def test_modern_header_with_bom_and_multiline_illustrations():
    book = standardize_fixture("modern_bom_crlf.txt")
    assert book.encoding == "utf-8-sig"
    assert book.markers[:2] == ["start_marker", "end_marker"] and "illustration_tag" in book.markers
    assert "Illustration" not in book.text and "All of the broken furniture" not in book.text
    assert book.text.startswith("WORKING WITH THE HANDS\n")
    assert book.text.rstrip().endswith("a Republic has no right to\nvouchsafe.")


def test_old_style_file_without_start_marker():
    book = standardize_fixture("old_no_start_crlf.txt")
    assert {"small_print", "no_start_marker", "end_of_ebook_line", "producer_credit", "transcriber_note"} <= set(book.markers)
    assert book.text.startswith("THE WRITINGS OF JOHN BURROUGHS\n")
    for leftover in ("Etext", "Jack Eden", "Transcribist", "ASCII", "Legal"):
        assert leftover not in book.text


def test_cp1252_file_is_decoded_and_reported():
    book = standardize_fixture("cp1252_crlf.txt")
    assert book.encoding == "cp1252"
    assert book.warnings[0] == "not valid UTF-8: decoded as cp1252"
    # The source has byte 0xBA (º, the ordinal indicator its typist used for degrees).
    assert "about 20\u00ba\nnorth and 30\u00ba west" in book.text


def test_wrapped_start_marker_and_file_credits_in_lf_file():
    book = standardize_fixture("lf_wrapped_start.txt")
    assert book.text.startswith("A JOURNAL OF THE PLAGUE YEAR\n")
    assert "***" not in book.text and "produced by" not in book.text


def test_transcriber_notes_at_front_and_end():
    book = standardize_fixture("transcriber_notes_bom.txt")
    assert "Transcriber" not in book.text and "Errors deemed most likely" not in book.text
    assert "it was sport, Bodé.”" in book.text


def test_small_print_after_end_marker():
    book = standardize_fixture("small_print_after_end.txt")
    assert book.text.rstrip().endswith('shutting the door very slow. "So long."')


def test_inline_variants_electronic_version_and_nested_brackets():
    raw = (
        "<<THIS ELECTRONIC VERSION OF THE COMPLETE WORKS OF WILLIAM\nSHAKESPEARE IS COPYRIGHT 1990-1993>>\n\n"
        "Enter a messenger. [Illustration: The messenger [fig. 3]\nat the gate] He speaks.\n\n"
        "[Transcriber's note: a typo was fixed.\n\nA second paragraph of the note.]\n\nExit.\n"
    )
    cleaned = clean_text(raw)
    assert cleaned.text == "Enter a messenger.  He speaks.\n\nExit.\n"
    assert cleaned.markers == ["electronic_version_notice", "illustration_tag", "transcriber_note"]


def test_credit_lines_go_but_prose_that_mentions_producing_stays():
    raw = (
        "*** START OF THE PROJECT GUTENBERG EBOOK X ***\n\nProduced by A. Volunteer and the Online\n"
        "Distributed Proofreading Team.\n\nThe storm had an effect\nproduced by nothing else. It raged.\n"
        "*** END OF THE PROJECT GUTENBERG EBOOK X ***\n"
    )
    assert clean_text(raw).text == "The storm had an effect\nproduced by nothing else. It raged.\n"


def test_plain_text_without_boilerplate_is_kept_whole_and_cleaning_is_idempotent():
    raw = "Chapter 1\r\n\r\n“It was,” she said\u2014“a long day.”\r\n"
    cleaned = clean_text(raw, min_chars=1)
    assert cleaned.text == "Chapter 1\n\n“It was,” she said—“a long day.”\n"
    assert (cleaned.kept_fraction, cleaned.markers, cleaned.warnings) == (1.0, [], [])
    book = standardize_fixture("modern_bom_crlf.txt")
    assert clean_text(book.text).text == book.text


def test_kept_fraction_counts_non_whitespace_characters():
    raw = "*** START OF THE PROJECT GUTENBERG EBOOK X ***\n\nKeep me.\n\n*** END OF THE PROJECT GUTENBERG EBOOK X ***\n"
    cleaned = clean_text(raw, min_chars=1)
    assert cleaned.text == "Keep me.\n"
    assert cleaned.kept_fraction == pytest.approx(7 / len(re.sub(r"\s", "", raw)))
    assert cleaned.warnings == [f"cleaning removed {1 - cleaned.kept_fraction:.0%} of the text (kept fraction {cleaned.kept_fraction:.3f})"]


def test_nearly_empty_books_are_skipped_with_a_reason():
    # 9 non-whitespace characters survive, below the default limit of 200.
    raw = b"*** START OF THE PROJECT GUTENBERG EBOOK X ***\n\nOnly this.\n\n*** END OF THE PROJECT GUTENBERG EBOOK X ***\n"
    book = standardize_bytes(raw)
    assert book.skip_reason == "nearly empty (9 non-whitespace characters after cleaning)"
    assert (book.text, book.bytes_out) == ("", 0)
    assert "nearly empty after cleaning (9 non-whitespace characters)" in book.warnings


def test_stray_bytes_in_a_utf8_book_are_reported():
    data = ("“A quoted line,” said she. " * 20).encode() + b"\xff\n"
    book = standardize_bytes(data, min_chars=1)
    assert book.encoding == "utf-8" and book.warnings == ["1 invalid UTF-8 sequence(s) replaced by U+FFFD"]


@pytest.mark.parametrize(
    ("data", "reason"),
    [(b"", "empty file"), (b"\x00\x01\x02" * 100, "binary file"), (b"<html><body>x</body></html>", "HTML file")],
)
def test_bad_bytes_are_skipped_not_raised(data, reason):
    book = standardize_bytes(data)
    assert reason in book.skip_reason and book.text == "" and book.bytes_in == len(data)
