"""Standardize a raw book: decode, normalize, strip Project Gutenberg boilerplate, check what is left.

``kept_fraction`` is defined on non-whitespace characters so that newline and indentation changes
do not count as loss::

    kept_fraction = non_whitespace(cleaned text) / non_whitespace(decoded text)

where "decoded text" is the file decoded (BOM dropped) before any other change. The licence of a
modern Gutenberg file is ~18 KB, and the smallest book in the shared corpus is 190 KB, so removing
boilerplate alone keeps well above 0.75; less than that means a rule cut real text, and the book
gets a warning.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from writing7.text.boilerplate import strip_gutenberg
from writing7.text.decode import binary_reason, decode_bytes
from writing7.text.normalize import non_whitespace_count, normalize_characters, tidy_whitespace

MIN_KEPT_FRACTION = 0.75
# Fewer non-whitespace characters than this after cleaning is "nearly empty": not one useful chunk.
MIN_BOOK_CHARS = 200


@dataclass
class CleanedText:
    """The cleaned text, the boilerplate markers found, warnings, and the kept fraction (see module doc)."""

    text: str
    markers: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    kept_fraction: float = 1.0


@dataclass
class StandardizedBook:
    """A standardized book file: what :func:`standardize_bytes` reports for the standardize report.

    ``skip_reason`` is set (and ``text`` is empty) when the input is not a usable book: empty,
    binary, HTML, unreadable, or nearly empty after cleaning.
    """

    text: str
    encoding: str
    bytes_in: int
    bytes_out: int
    kept_fraction: float
    markers: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    skip_reason: str | None = None

    @classmethod
    def skipped(cls, reason: str, *, bytes_in: int = 0, encoding: str = "") -> StandardizedBook:
        return cls(text="", encoding=encoding, bytes_in=bytes_in, bytes_out=0, kept_fraction=0.0, skip_reason=reason)

    def report(self) -> dict[str, object]:
        """The book's entry in ``standardize_report.json`` (everything except the text)."""
        return {
            "encoding": self.encoding,
            "bytes_in": self.bytes_in,
            "bytes_out": self.bytes_out,
            "kept_fraction": round(self.kept_fraction, 4),
            "markers": self.markers,
            "warnings": self.warnings,
            "skip_reason": self.skip_reason,
        }


def clean_text(raw: str, *, min_kept_fraction: float = MIN_KEPT_FRACTION, min_chars: int = MIN_BOOK_CHARS) -> CleanedText:
    """Normalize ``raw`` (newlines, NFC, control characters) and strip Gutenberg boilerplate.

    A warning is added when less than ``min_kept_fraction`` of the non-whitespace characters
    survive, or fewer than ``min_chars`` do ("nearly empty"). Cleaning clean text changes nothing.
    """
    raw = raw.removeprefix("\ufeff")
    text, findings = strip_gutenberg(normalize_characters(raw))
    text = tidy_whitespace(text)
    before, after = non_whitespace_count(raw), non_whitespace_count(text)
    kept_fraction = after / before if before else 0.0
    warnings = list(findings.warnings)
    if after < min_chars:
        warnings.append(f"nearly empty after cleaning ({after} non-whitespace characters)")
    elif kept_fraction < min_kept_fraction:
        warnings.append(f"cleaning removed {1 - kept_fraction:.0%} of the text (kept fraction {kept_fraction:.3f})")
    return CleanedText(text, findings.markers, warnings, kept_fraction)


def standardize_bytes(
    data: bytes, *, min_kept_fraction: float = MIN_KEPT_FRACTION, min_chars: int = MIN_BOOK_CHARS
) -> StandardizedBook:
    """Decode and clean one book file's bytes; never raises on content.

    Empty, binary and HTML input and books nearly empty after cleaning come back with
    ``skip_reason`` set and no text.
    """
    reason = binary_reason(data)
    if reason is not None:
        return StandardizedBook.skipped(reason, bytes_in=len(data))
    decoded = decode_bytes(data)
    cleaned = clean_text(decoded.text, min_kept_fraction=min_kept_fraction, min_chars=min_chars)
    warnings = list(cleaned.warnings)
    if decoded.encoding in ("cp1252", "latin-1"):
        warnings.insert(0, f"not valid UTF-8: decoded as {decoded.encoding}")
    elif decoded.replaced:
        warnings.insert(0, f"{decoded.replaced} invalid UTF-8 sequence(s) replaced by U+FFFD")
    book = StandardizedBook(
        text=cleaned.text,
        encoding=decoded.encoding,
        bytes_in=len(data),
        bytes_out=len(cleaned.text.encode("utf-8")),
        kept_fraction=cleaned.kept_fraction,
        markers=cleaned.markers,
        warnings=warnings,
    )
    characters = non_whitespace_count(cleaned.text)
    if characters < min_chars:
        book.skip_reason = f"nearly empty ({characters} non-whitespace characters after cleaning)"
        book.text, book.bytes_out = "", 0
    return book
