"""Book metadata from a Project Gutenberg text's own header, and the checks that a download is one.

Gutenberg headers come in several historic variants; this module reads the ones seen in practice::

    Title: Lord Jim                                  (modern: "Key: value" lines, indented continuations)
    Author: Joseph Conrad
    Release Date: January 9, 2006 [EBook #5658]
    *** START OF THIS PROJECT GUTENBERG EBOOK LORD JIM ***

    The Project Gutenberg Etext of Mary Barton, by Elizabeth Gaskell     (1990s: no Title/Author lines)
    April, 2000 [Etext #2153]

Header names are in display order ("Joseph Conrad"); :func:`sort_name` turns them into the catalog's
"Lastname, Firstname" order so both sources give the same author slug (``conrad-joseph``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from writing7.text.decode import binary_reason, decode_bytes

HEADER_LINES = 400  # the header always ends well before this; never scan a whole book
HEADER_BYTES = 64 * 1024
_FIELD = re.compile(r"^(?P<key>title|author)\s*:\s*(?P<value>.*)$", re.IGNORECASE)
_START_MARKER = re.compile(r"\*{3}\s*START OF (?:THE|THIS) PROJECT GUTENBERG", re.IGNORECASE)
_EBOOK_OF = re.compile(
    r"Project Gutenberg(?:'s)?\s+(?:e-?book|e-?text)\s+of\s+(?P<title>.+?)(?:,\s+by\s+(?P<author>.+))?$",
    re.IGNORECASE,
)
_EBOOK_NUMBER = re.compile(r"\[\s*e-?(?:book|text)\s*#\s*(?P<number>\d+)\s*\]|e-?book\s*(?:#|no\.)\s*(?P<number2>\d+)", re.IGNORECASE)
_PARENTHESES = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_SEVERAL_AUTHORS = re.compile(r"\s+(?:and|&)\s+|\s*;\s*|,\s+(?=\S+\s+\S)")
_SUFFIX = re.compile(r",?\s+(?:jr|sr|junior|senior|ii|iii|iv|esq)\.?$", re.IGNORECASE)
_HONORIFIC = re.compile(r"^(?:(?:sir|dame|lady|lord|baroness|baron|count|countess|mrs|mr|miss|dr|rev|reverend)\.?\s+)+", re.IGNORECASE)
# Lower-case name particles belong to the surname: "W. E. B. Du Bois" -> "Du Bois, W. E. B.".
_PARTICLES = frozenset({"de", "du", "da", "di", "del", "della", "der", "den", "van", "von", "la", "le", "st.", "saint"})


@dataclass(frozen=True)
class BookMetadata:
    """What a header says about a book; every field may be missing."""

    title: str | None = None
    author: str | None = None  # display order, as written in the header
    gutenberg_id: int | None = None


def header_lines(text: str) -> list[str]:
    """The lines before the START marker (at most ``HEADER_LINES``), BOM and line ends stripped."""
    lines = text.lstrip("\ufeff").splitlines()[:HEADER_LINES]
    for index, line in enumerate(lines):
        if _START_MARKER.search(line):
            return lines[: index + 1]
    return lines


def _field_values(lines: list[str]) -> dict[str, str]:
    """``Title:``/``Author:`` values, joining indented continuation lines."""
    values: dict[str, str] = {}
    for index, line in enumerate(lines):
        match = _FIELD.match(line.strip())
        if not match or match["key"].lower() in values:
            continue
        parts = [match["value"].strip()]
        for follower in lines[index + 1:]:
            if not follower.strip() or not follower[:1].isspace():
                break
            parts.append(follower.strip())
        values[match["key"].lower()] = " ".join(part for part in parts if part)
    return values


def parse_header(text: str) -> BookMetadata:
    """Title, author (display order) and ebook number from the header of ``text``."""
    lines = header_lines(text)
    fields = _field_values(lines)
    title, author = fields.get("title") or None, fields.get("author") or None
    if title is None or author is None:
        for line in lines[:60]:
            match = _EBOOK_OF.search(line.strip())
            if match:
                title = title or match["title"].strip() or None
                author = author or (match["author"] or "").strip() or None
                break
    number = None
    for line in lines:
        found = _EBOOK_NUMBER.search(line)
        if found:
            number = int(found["number"] or found["number2"])
            break
    return BookMetadata(title=title, author=author, gutenberg_id=number)


def head_text(data: bytes) -> str:
    """The first ``HEADER_BYTES`` of a book, decoded; cut at a newline so no UTF-8 character is split
    (a split character would make the UTF-8 decode fail and fall back to cp1252 mojibake)."""
    head = data[:HEADER_BYTES]
    if len(data) > HEADER_BYTES and b"\n" in head:
        head = head[: head.rfind(b"\n") + 1]
    return decode_bytes(head).text


def header_of(data: bytes) -> BookMetadata:
    """:func:`parse_header` of a book's raw bytes."""
    return parse_header(head_text(data))


def has_gutenberg_header(text: str) -> bool:
    """True when the text carries a Title/Author header, an "EBook of" line or a START marker."""
    lines = header_lines(text)
    if any(_START_MARKER.search(line) for line in lines):
        return True
    metadata = parse_header(text)
    return metadata.title is not None or metadata.author is not None


def invalid_book_reason(data: bytes) -> str | None:
    """Why ``data`` is not a usable Gutenberg plain-text book, or ``None`` when it is one."""
    reason = binary_reason(data)
    if reason is not None:
        return reason
    if not has_gutenberg_header(head_text(data)):
        return "not a Project Gutenberg text (no Title/Author header and no START marker)"
    return None


def first_author(display_names: str) -> str:
    """The first of several authors: ``"Henry Beam Piper, John D. Clark and John F. Carr"`` -> ``"Henry Beam Piper"``."""
    name = _PARENTHESES.sub(" ", display_names)
    name = _SUFFIX.sub("", " ".join(name.split()))
    return _SEVERAL_AUTHORS.split(name, maxsplit=1)[0].strip(" ,.;")


def sort_name(display_name: str | None) -> str:
    """A header name in catalog order: ``"Joseph Conrad"`` -> ``"Conrad, Joseph"``, ``"Saki"`` -> ``"Saki"``.

    Drops asides, honorifics and suffixes (``"Sir Walter Scott"``, ``"Francis Parkman, Jr."``) and keeps
    name particles with the surname (``"W. E. B. Du Bois"`` -> ``"Du Bois, W. E. B."``).
    """
    name = _HONORIFIC.sub("", first_author(display_name or ""))
    words = name.split()
    if len(words) < 2:
        return name
    surname_start = len(words) - 1
    while surname_start > 1 and words[surname_start - 1].lower() in _PARTICLES:
        surname_start -= 1
    return f"{' '.join(words[surname_start:])}, {' '.join(words[:surname_start])}"
