"""Project Gutenberg boilerplate: headers, footers, licences, credits, transcriber's notes, illustration tags.

The variants seen across Gutenberg's history (and in the shared corpus):

* modern: ``*** START OF THE PROJECT GUTENBERG EBOOK X ***`` ... ``*** END OF THE PROJECT GUTENBERG
  EBOOK X ***`` (also ``THIS``, with or without spaces after the asterisks, the title sometimes
  wrapped onto a second line), often preceded by ``End of the Project Gutenberg EBook of X``;
* old (1990s-2003) files with no START marker: the header and the "small print" licence
  (``***START**THE SMALL PRINT!...`` ... ``*END*THE SMALL PRINT! ...*END*``) come first, the text
  ends at ``End of (The) Project Gutenberg('s) Etext of X``; some put the small print after the text;
  files with neither marker lose the leading paragraphs up to the last one naming Project Gutenberg;
* ``<<THIS ELECTRONIC VERSION OF ...>>`` notices repeated inside the text (World Library editions);
* producer credits (``Produced by ...``, ``E-text prepared by ...``, ``This etext was produced
  by ...``) with their continuation lines, transcriber's notes (bracketed or as a section, at the
  front or the end), ``[Illustration: ...]`` / ``[Picture: ...]`` tags that may run over several lines.

Pure ``text -> text``; :func:`writing7.text.standardize.clean_text` composes it with normalization.
"""

from __future__ import annotations

import bisect
import itertools
import re
from dataclasses import dataclass, field

from writing7.text import gutenberg_patterns as patterns

HEADER_SEARCH_FRACTION = 0.5     # markers that open the body are looked for in the first half only
FALLBACK_HEADER_LINES = 400      # without markers, Gutenberg header paragraphs are looked for this far
CREDIT_ZONE_LINES = 150          # weaker credit lines count only this close to the start of the body
CREDIT_MAX_LINES = 8             # a credit paragraph longer than this is prose, not a credit
MENTION_MAX_LINES = 15           # a paragraph naming Project Gutenberg is dropped when at most this long
TRAILING_NOTE_FRACTION = 0.9     # a transcriber's-note heading this far into the body ends the book
TRAILING_HEADING_FRACTION = 0.98  # a generic end-note heading ("Notes:") ends the book only this far in
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


class Lines:
    """A text's lines, their lower-cased copies, and a fast search for lines matching a pattern."""

    def __init__(self, lines: list[str], lowered: list[str]) -> None:
        self.lines, self.lowered = lines, lowered
        self.joined = "\n".join(lowered)
        self.starts = list(itertools.accumulate((len(line) + 1 for line in lowered[:-1]), initial=0))

    @classmethod
    def of(cls, text: str) -> Lines:
        return cls(text.split("\n"), lower_same_length(text).split("\n"))

    def __len__(self) -> int:
        return len(self.lines)

    def matches(self, line_pattern: patterns.LinePattern, first: int = 0, last: int | None = None) -> list[tuple[int, re.Match[str]]]:
        """``(line index, match)`` for lines in ``[first, last)`` that match, found through the pattern's probes."""
        last = len(self.lines) if last is None else min(last, len(self.lines))
        candidates = set()
        for probe in line_pattern.probes:
            position = self.joined.find(probe)
            while position >= 0:
                candidates.add(bisect.bisect_right(self.starts, position) - 1)
                position = self.joined.find(probe, position + 1)
        found = ((index, line_pattern.pattern.match(self.lowered[index])) for index in sorted(candidates) if first <= index < last)
        return [(index, match) for index, match in found if match]


def _starts_capitalized(line: str) -> bool:
    first_letter = next((character for character in line if character.isalpha()), "")
    return first_letter.isupper()


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


def _header_end(document: Lines, findings: Findings) -> int:
    """Index of the first line after the header (0 when there is no recognizable header)."""
    half = int(len(document) * HEADER_SEARCH_FRACTION) + 1
    starts = document.matches(patterns.START_MARKER, 0, half)
    small_prints = document.matches(patterns.SMALL_PRINT_END, 0, half)
    body_start = None
    if starts:
        findings.found("start_marker")
        index = body_start = starts[-1][0] + 1
        # A long title wraps the marker onto the next line(s); its closing asterisks end it.
        while not document.lines[body_start - 1].rstrip().endswith("***") and body_start < min(index + 2, len(document)):
            body_start += 1
    if small_prints:
        findings.found("small_print")
        body_start = max(body_start or 0, small_prints[-1][0] + 1)
        if not starts:
            findings.found("no_start_marker")
    return body_start if body_start is not None else _fallback_header_end(document, findings)


def _fallback_header_end(document: Lines, findings: Findings) -> int:
    """No marker at all: drop the leading paragraphs up to the last one that names Project Gutenberg."""
    mentions = document.matches(patterns.GUTENBERG_MENTION, 0, min(FALLBACK_HEADER_LINES, len(document) // 5))
    if not mentions:
        return 0
    findings.found("no_start_marker")
    findings.warnings.append("no START marker or small print: header cut after the last paragraph naming Project Gutenberg")
    return _paragraph_end(document.lines, mentions[-1][0])


def _footer_start(document: Lines, start: int, findings: Findings) -> int:
    footers = document.matches(patterns.FOOTER, start)
    if footers:
        index, match = footers[0]
        findings.found(match.lastgroup or "end_marker")
        return index
    if findings.markers:
        findings.warnings.append("no END marker: nothing was cut from the end of the file")
    return len(document)


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


def _remove_blocks(text: str, lowered: str, findings: Findings) -> str:
    """Remove ``<<THIS ELECTRONIC VERSION ...>>`` notices, ``[Illustration ...]`` tags and bracketed notes."""
    spans = [(match.start(), match.end(), "electronic_version_notice") for match in patterns.ELECTRONIC_VERSION.finditer(lowered)]
    for match in patterns.BRACKETED.finditer(lowered):
        kind = "note" if "note" in match.group(0) else "illustration"
        name = "transcriber_note" if kind == "note" else "illustration_tag"
        spans.append((match.start(), _bracket_end(text, match.start(), BRACKET_LIMITS[kind]), name))
    pieces, position = [], 0
    for start, end, name in sorted(spans):
        if start < position:
            continue  # inside a block already removed
        findings.found(name)
        pieces.append(text[position:start])
        position = end
    return "".join(pieces) + text[position:]


def _drop_paragraph(keep: list[bool], lines: list[str], index: int, max_lines: int) -> bool:
    start, end = _paragraph_start(lines, index), _paragraph_end(lines, index)
    if end - start > max_lines:
        return False
    keep[start:end] = [False] * (end - start)
    return True


def _section_end(lines: list[str], index: int) -> int:
    """First line of the next section: two consecutive blank lines (or a length cap) end a note."""
    limit = min(len(lines), index + NOTE_SECTION_MAX_LINES)
    while index < limit:
        if _is_blank(lines[index]) and index + 1 < len(lines) and _is_blank(lines[index + 1]):
            return index
        index += 1
    return limit


def _body_removals(body: Lines, findings: Findings) -> list[bool]:
    """Which body lines to keep after dropping credits, Gutenberg paragraphs, notes and converter residue."""
    lines, keep = body.lines, [True] * len(body)
    zone = range(min(CREDIT_ZONE_LINES, len(lines)))
    credits = [index for index, _ in body.matches(patterns.CREDIT_ANYWHERE)]
    credits += [index for index in zone if patterns.CREDIT_NEAR_START.match(body.lowered[index])]
    # A credit line opens with a capital ("Produced by"); prose says "...the effect\nproduced by it".
    for index in filter(lambda index: _starts_capitalized(lines[index]), credits):
        end = _paragraph_end(lines, index)
        if end - index <= CREDIT_MAX_LINES:
            findings.found("producer_credit")
            keep[index:end] = [False] * (end - index)
    for index in zone:
        if patterns.CREDIT_CONTENT.match(body.lowered[index]) and _drop_paragraph(keep, lines, index, CREDIT_MAX_LINES // 2):
            findings.found("producer_credit")
    for index, _ in body.matches(patterns.GUTENBERG_MENTION):
        if keep[index] and _drop_paragraph(keep, lines, index, MENTION_MAX_LINES):
            findings.found("gutenberg_paragraph")
    for index, _ in body.matches(patterns.CONVERTER_RESIDUE):
        findings.found("converter_residue")
        keep[index] = False
    _drop_notes(body, keep, findings)
    return keep


def _drop_notes(body: Lines, keep: list[bool], findings: Findings) -> None:
    """Unbracketed transcriber's notes: a section near the start, everything after one near the end."""
    lines = body.lines
    for index, _ in body.matches(patterns.NOTE_HEADING):
        if not _starts_capitalized(lines[index]):
            continue  # "...as the\ntranscriber's note says" is prose
        findings.found("transcriber_note")
        end = len(lines) if index >= TRAILING_NOTE_FRACTION * len(lines) else _section_end(lines, index)
        start = _paragraph_start(lines, index)
        keep[start:end] = [False] * (end - start)
    tail = range(int(TRAILING_HEADING_FRACTION * len(lines)), len(lines))
    trailing = [index for index in tail if patterns.TRAILING_NOTE_HEADING.match(body.lowered[index])]
    if trailing:
        findings.found("transcriber_note")
        start = _paragraph_start(lines, trailing[0])
        keep[start:] = [False] * (len(lines) - start)


def strip_gutenberg(text: str) -> tuple[str, Findings]:
    """Remove every kind of boilerplate listed in the module docstring from normalized text (LF newlines)."""
    findings = Findings()
    document = Lines.of(text)
    start = _header_end(document, findings)
    end = _footer_start(document, start, findings)
    body = Lines(document.lines[start:end], document.lowered[start:end])
    if patterns.BRACKETED.search(body.joined) or patterns.ELECTRONIC_VERSION.search(body.joined):
        body = Lines.of(_remove_blocks("\n".join(body.lines), body.joined, findings))
    keep = _body_removals(body, findings)
    return "\n".join(line for line, kept in zip(body.lines, keep) if kept), findings
