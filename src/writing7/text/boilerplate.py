"""Project Gutenberg boilerplate: headers, footers, licences, credits, transcriber's notes, illustration tags.

The variants seen across Gutenberg's history (and in the shared corpus):

* modern: ``*** START OF THE PROJECT GUTENBERG EBOOK X ***`` ... ``*** END OF THE PROJECT GUTENBERG
  EBOOK X ***`` (also ``THIS``, with or without spaces after the asterisks, the title sometimes
  wrapped onto a second line), often preceded by ``End of the Project Gutenberg EBook of X``;
* old (1990s-2003) files with no START marker: the header and the "small print" licence
  (``***START**THE SMALL PRINT!...`` ... ``*END*THE SMALL PRINT! ...*END*``) come first, the text
  ends at ``End of (The) Project Gutenberg('s) Etext of X``; some put the small print after the text;
* ``<<THIS ELECTRONIC VERSION OF ...>>`` notices repeated inside the text (World Library editions);
* producer credits (``Produced by ...``, ``E-text prepared by ...``, ``This etext was produced
  by ...``) with their continuation lines, transcriber's notes (bracketed or as a section, at the
  front or the end), and ``[Illustration: ...]`` tags that may run over several lines.

Only ``text`` -> ``text`` functions here; :func:`writing7.text.standardize.clean_text` composes them.
"""

from __future__ import annotations

import bisect
import itertools
import re
from dataclasses import dataclass, field

# Patterns are matched against a lower-cased copy of the text (much faster than re.IGNORECASE on
# megabytes), so they are written in lower case; MULTILINE so that ``^`` is a line start, and
# ``[^\w\n]`` rather than ``\W`` so that a line pattern never reaches into the lines before it.
_FLAGS = re.MULTILINE
START_MARKER = re.compile(r"^[^\w\n]{0,8}\*{3}[ \t]*start of (?:the|this) project gutenberg", _FLAGS)
SMALL_PRINT_END = re.compile(r"^[^\w\n]{0,3}\*?end\*?[ \t]*the small print", _FLAGS)
FOOTER_MARKERS = re.compile(
    r"^(?:(?P<end_marker>[^\w\n]{0,8}\*{3}[ \t]*end of (?:the|this) project gutenberg)"
    r"|(?P<end_of_ebook_line>[^\w\n]{0,3}end of (?:the |this )?project gutenberg)"
    r"|(?P<small_print>[^\w\n]{0,5}(?:\*{3}[ \t]*start[^\w\n]*the small print|the legal small print))"
    r"|(?P<license>[^\w\n]{0,5}(?:start: full license|the full project gutenberg license)))",
    _FLAGS,
)
GUTENBERG_MENTION = re.compile(r"project\s+gutenberg|gutenberg\.(?:org|net)|pgdp\.net|gutenberg\s+e-?(?:text|book)")
ELECTRONIC_VERSION = re.compile(r"<<\s*this electronic version of.*?>>", re.DOTALL)
CREDIT_ANYWHERE = re.compile(
    r"^[^\w\n]{0,3}(?:produced by|(?:text|html) (?:file|version) (?:was )?produced by|html version by|"
    r"e-?(?:text|book)s? (?:was |were )?(?:prepared|transcribed) by|"
    r"this (?:e-?text|e-?book|book|file) (?:was |has been |is )?(?:produced|prepared|scanned|created))",
    _FLAGS,
)
CREDIT_NEAR_START = re.compile(
    r"^[^\w\n]{0,3}(?:prepared by|scanned by|transcribed (?:by|from|form)|additional proof-?reading|proofread by)", _FLAGS
)
# Near the start of the body a short paragraph with an e-mail address or an archive link is a
# digitizer's credit ("Scanned and proofed by David Price, email ccx074@...").
CREDIT_CONTENT = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+|archive\.org|proofed by|proof-read by")
BRACKETED_NOTE = re.compile(
    r"\[\s*\*?\s*(?:illustration|picture|frontispiece|(?:digital\s+)?transcri\w*['’]?s?\s+notes?|updater['’]?s\s+notes?)"
)
NOTE_HEADING = re.compile(
    r"^[ \t]*[^\w\n]{0,6}(?:(?:original[ \t]+)?transcri\w*['’]?s?[ \t]+notes?|(?:a[ \t]+)?note from the digitizer|"
    r"digitizer['’]?s?[ \t]+notes?|editorial note:)",
    _FLAGS,
)
# Digitizers' end notes ("Notes:\n1. I have modernized ...") open with headings that a book's own
# endnotes also use, so they only count in the last lines of the body.
TRAILING_NOTE_HEADING = re.compile(
    r"^[ \t]*(?:\[note\b|a note on the text|typographical errors corrected|notes:[ \t]*$)", _FLAGS
)
# Table layout residue of an old HTML-to-text converter ("JTABLE 10 31 1").
CONVERTER_RESIDUE = re.compile(r"^jtable(?: \d+)+[ \t]*$", _FLAGS)

HEADER_SEARCH_FRACTION = 0.5   # markers that open the body are looked for in the first half only
FALLBACK_HEADER_LINES = 400    # without markers, Gutenberg header paragraphs are looked for this far
CREDIT_ZONE_LINES = 150        # weaker credit lines count only this close to the start of the body
CREDIT_MAX_LINES = 8           # a credit paragraph longer than this is prose, not a credit
MENTION_MAX_LINES = 15         # a paragraph naming Project Gutenberg is dropped when at most this long
TRAILING_NOTE_FRACTION = 0.9   # a transcriber's-note heading this far into the body ends the book
TRAILING_HEADING_FRACTION = 0.98  # a generic end-note heading ends the book only this far in
NOTE_SECTION_MAX_LINES = 80
BRACKET_LIMITS = {"illustration": 3000, "note": 8000}


@dataclass
class Findings:
    """What was found and removed, in order of discovery, each name once."""

    markers: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def found(self, name: str) -> None:
        if name not in self.markers:
            self.markers.append(name)


def lower_same_length(text: str) -> str:
    """``text.lower()``, except characters whose lower case is longer (``İ``) stay, so offsets match."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(character.lower() if len(character.lower()) == 1 else character for character in text)


class _Lines:
    """A text's lines plus a lower-cased copy, to find matching lines with one regex pass."""

    def __init__(self, text: str) -> None:
        self.lines = text.split("\n")
        self.lowered = lower_same_length(text)
        self.starts = list(itertools.accumulate((len(line) + 1 for line in self.lines[:-1]), initial=0))

    def matches(self, pattern: re.Pattern[str], first: int = 0, last: int | None = None) -> list[tuple[int, re.Match[str]]]:
        """``(line number, match)`` for matches that start in lines ``[first, last)``."""
        end = len(self.lowered) if last is None or last >= len(self.lines) else self.starts[last]
        return [
            (bisect.bisect_right(self.starts, match.start()) - 1, match)
            for match in pattern.finditer(self.lowered, self.starts[first] if first < len(self.lines) else end, end)
        ]


def _is_blank(line: str) -> bool:
    return not line.strip()


def _paragraph_end(lines: list[str], index: int) -> int:
    while index < len(lines) and not _is_blank(lines[index]):
        index += 1
    return index


def _paragraph_start(lines: list[str], index: int) -> int:
    while index > 0 and not _is_blank(lines[index - 1]):
        index -= 1
    return index


def _header_end(document: _Lines, findings: Findings) -> int:
    """Index of the first line after the header (0 when there is no recognizable header)."""
    lines, half = document.lines, int(len(document.lines) * HEADER_SEARCH_FRACTION) + 1
    starts = document.matches(START_MARKER, 0, half)
    small_prints = document.matches(SMALL_PRINT_END, 0, half)
    body_start = None
    if starts:
        findings.found("start_marker")
        index = starts[-1][0]
        body_start = index + 1
        # A long title wraps the marker onto the next line(s); its closing asterisks end it.
        while not lines[body_start - 1].rstrip().endswith("***") and body_start < min(index + 3, len(lines)):
            body_start += 1
    if small_prints:
        findings.found("small_print")
        body_start = max(body_start or 0, small_prints[-1][0] + 1)
        if not starts:
            findings.found("no_start_marker")
    return body_start if body_start is not None else _fallback_header_end(document, findings)


def _fallback_header_end(document: _Lines, findings: Findings) -> int:
    """No marker at all: drop the leading paragraphs up to the last one that names Project Gutenberg."""
    mentions = document.matches(GUTENBERG_MENTION, 0, min(FALLBACK_HEADER_LINES, len(document.lines) // 5))
    if not mentions:
        return 0
    findings.found("no_start_marker")
    findings.warnings.append("no START marker or small print: header cut after the last paragraph naming Project Gutenberg")
    return _paragraph_end(document.lines, mentions[-1][0])


def _footer_start(document: _Lines, start: int, findings: Findings) -> int:
    footers = document.matches(FOOTER_MARKERS, start)
    if footers:
        index, match = footers[0]
        findings.found(match.lastgroup or "end_marker")
        return index
    if findings.markers:
        findings.warnings.append("no END marker: nothing was cut from the end of the file")
    return len(document.lines)


def _bracket_end(text: str, start: int, limit: int) -> int:
    """End (exclusive) of the bracketed block opening at ``text[start] == '['``.

    Nested brackets are counted; a block that never closes within ``limit`` characters (an inner
    ``[`` left open, as in some hand-edited notes) ends at its first ``]``, else at its paragraph end.
    """
    depth, window = 0, text[start : start + limit]
    for offset, character in enumerate(window):
        depth += {"[": 1, "]": -1}.get(character, 0)
        if depth == 0:
            return start + offset + 1
    first_close = window.find("]")
    if first_close >= 0:
        return start + first_close + 1
    paragraph_end = text.find("\n\n", start)
    return len(text) if paragraph_end < 0 else paragraph_end


def remove_bracketed(text: str, findings: Findings) -> str:
    """Remove ``[Illustration ...]`` tags and bracketed transcriber's/updater's notes."""
    pieces, position = [], 0
    for match in BRACKETED_NOTE.finditer(lower_same_length(text)):
        if match.start() < position:
            continue  # inside a block already removed
        kind = "note" if "note" in match.group(0) else "illustration"
        findings.found("illustration_tag" if kind == "illustration" else "transcriber_note")
        pieces.append(text[position : match.start()])
        position = _bracket_end(text, match.start(), BRACKET_LIMITS[kind])
    pieces.append(text[position:])
    return "".join(pieces)


def _drop(keep: list[bool], start: int, end: int) -> None:
    keep[start:end] = [False] * (end - start)


def _drop_credits_and_mentions(document: _Lines, findings: Findings) -> list[str]:
    """Producer credits (with continuation lines) and short paragraphs that name Project Gutenberg."""
    lines, keep = document.lines, [True] * len(document.lines)
    credits = document.matches(CREDIT_ANYWHERE) + document.matches(CREDIT_NEAR_START, 0, CREDIT_ZONE_LINES)
    for index, _ in credits:
        end = _paragraph_end(lines, index)
        if end - index <= CREDIT_MAX_LINES:
            findings.found("producer_credit")
            _drop(keep, index, end)
    for index, _ in document.matches(CREDIT_CONTENT, 0, CREDIT_ZONE_LINES):
        start, end = _paragraph_start(lines, index), _paragraph_end(lines, index)
        if end - start <= CREDIT_MAX_LINES // 2:
            findings.found("producer_credit")
            _drop(keep, start, end)
    for index, _ in document.matches(CONVERTER_RESIDUE):
        findings.found("converter_residue")
        keep[index] = False
    for index, _ in document.matches(GUTENBERG_MENTION):
        start, end = _paragraph_start(lines, index), _paragraph_end(lines, index)
        if keep[index] and end - start <= MENTION_MAX_LINES:
            findings.found("gutenberg_paragraph")
            _drop(keep, start, end)
    return [line for line, kept in zip(lines, keep) if kept]


def _section_end(lines: list[str], index: int) -> int:
    """First line of the next section: after two consecutive blank lines (or a length cap)."""
    limit = min(len(lines), index + NOTE_SECTION_MAX_LINES)
    while index < limit:
        if _is_blank(lines[index]) and index + 1 < len(lines) and _is_blank(lines[index + 1]):
            return index
        index += 1
    return limit


def _drop_note_sections(lines: list[str], findings: Findings) -> list[str]:
    """Unbracketed "Transcriber's Note(s)" sections; one near the end of the body ends the book."""
    document = _Lines("\n".join(lines))
    headings = [index for index, _ in document.matches(NOTE_HEADING)]
    keep = [True] * len(lines)
    for index in headings:
        findings.found("transcriber_note")
        start = _paragraph_start(lines, index)
        end = len(lines) if index >= TRAILING_NOTE_FRACTION * len(lines) else _section_end(lines, index)
        _drop(keep, start, end)
    trailing = [index for index, _ in document.matches(TRAILING_NOTE_HEADING) if index >= TRAILING_HEADING_FRACTION * len(lines)]
    if trailing:
        findings.found("transcriber_note")
        _drop(keep, _paragraph_start(lines, trailing[0]), len(lines))
    return [line for line, kept in zip(lines, keep) if kept]


def strip_gutenberg(text: str) -> tuple[str, Findings]:
    """Remove every kind of boilerplate listed in the module docstring from normalized text (LF newlines)."""
    findings = Findings()
    document = _Lines(text)
    start = _header_end(document, findings)
    body = "\n".join(document.lines[start : _footer_start(document, start, findings)])
    if ELECTRONIC_VERSION.search(lower_same_length(body)):
        findings.found("electronic_version_notice")
        body = _remove_spans(body, ELECTRONIC_VERSION)
    body = remove_bracketed(body, findings)
    lines = _drop_credits_and_mentions(_Lines(body), findings)
    return "\n".join(_drop_note_sections(lines, findings)), findings


def _remove_spans(text: str, pattern: re.Pattern[str]) -> str:
    pieces, position = [], 0
    for match in pattern.finditer(lower_same_length(text)):
        pieces.append(text[position : match.start()])
        position = match.end()
    return "".join(pieces) + text[position:]
