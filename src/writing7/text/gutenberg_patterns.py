"""The patterns that recognize Project Gutenberg boilerplate (used by :mod:`writing7.text.boilerplate`).

All patterns run on lower-cased text (much faster than ``re.IGNORECASE`` over megabytes), so they
are written in lower case. A :class:`LinePattern` is matched at the start of one line; it comes
with ``probes``, plain substrings one of which every matching line contains: the text is searched
for the probes with ``str.find`` and only those lines meet the regex, because a line-anchored
regex scanned over a whole book (``re.MULTILINE``) is 10-50x slower.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class LinePattern:
    """A regex matched at a line start (``pattern.match(line)``) and the substrings that pre-select lines."""

    pattern: re.Pattern[str]
    probes: tuple[str, ...]


def line_pattern(regex: str, *probes: str) -> LinePattern:
    return LinePattern(re.compile(regex), probes)


START_MARKER = line_pattern(r"\W{0,8}\*{3}\s*start of (?:the|this) project gutenberg", "start of th")
SMALL_PRINT_END = line_pattern(r"\W{0,3}\*?end\*?\s*the small print", "the small print")
# The first of these after the header ends the body; the group name is the marker reported.
FOOTER = line_pattern(
    r"(?P<end_marker>\W{0,8}\*{3}\s*end of (?:the|this) project gutenberg)"
    r"|(?P<end_of_ebook_line>\W{0,3}end of (?:the |this )?project gutenberg)"
    r"|(?P<small_print>\W{0,5}(?:\*{3}\s*start\W*the small print|the legal small print))"
    r"|(?P<license>\W{0,5}(?:start: full license|the full project gutenberg license))",
    "project gutenberg", "small print", "full license",
)
# Anywhere in a line: a paragraph naming Project Gutenberg (or its proofreaders) is boilerplate.
GUTENBERG_MENTION = line_pattern(
    r".*?(?:project\s+gutenberg|gutenberg\.(?:org|net)|pgdp\.net|gutenberg\s+e-?(?:text|book))", "gutenberg", "pgdp"
)
CREDIT_ANYWHERE = line_pattern(
    r"\W{0,3}(?:produced by|(?:text|html) (?:file|version) (?:was )?produced by|html version by|"
    r"e-?(?:text|book)s? (?:was |were )?(?:prepared|transcribed) by|"
    r"this (?:e-?text|e-?book|book|file) (?:was |has been |is )?(?:produced|prepared|scanned|created))",
    "produced", "prepared", "transcribed", "html version", "scanned", "created",
)
# Weaker credit openings and contents, trusted only in the first lines of the body: a short
# paragraph with an e-mail address or an archive link is a digitizer's credit.
CREDIT_NEAR_START = re.compile(r"\W{0,3}(?:prepared by|scanned by|transcribed (?:by|from|form)|additional proof-?reading|proofread by)")
CREDIT_CONTENT = re.compile(r".*?(?:[\w.+-]+@[\w-]+\.[\w.]+|archive\.org|proofed by|proof-read by)")
NOTE_HEADING = line_pattern(
    r"[ \t]*\W{0,6}(?:(?:original\s+)?transcri\w*['’]?s?\s+notes?|(?:a\s+)?note from the digitizer|"
    r"digitizer['’]?s?\s+notes?|editorial note:)",
    "transcri", "digitizer", "editorial note",
)
# Digitizers' end notes ("Notes:\n1. I have modernized ...") open with headings that a book's own
# endnotes also use, so they only count in the last lines of the body.
TRAILING_NOTE_HEADING = re.compile(r"[ \t]*(?:\[note\b|a note on the text|typographical errors corrected|notes:\s*$)")
# Table layout residue of an old HTML-to-text converter ("JTABLE 10 31 1").
CONVERTER_RESIDUE = line_pattern(r"jtable(?: \d+)+\s*$", "jtable")
BRACKETED = re.compile(
    r"\[\s*\*?\s*(?:illustration|picture|frontispiece|(?:digital\s+)?transcri\w*['’]?s?\s+notes?|updater['’]?s\s+notes?)"
)
ELECTRONIC_VERSION = re.compile(r"<<\s*this electronic version of.*?>>", re.DOTALL)
