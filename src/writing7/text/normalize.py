"""Character-level normalization of decoded book text: newlines, Unicode form, control characters."""

from __future__ import annotations

import re
import unicodedata

# Invisible format characters that only get in the way of tokenizers: BOM / zero-width no-break
# space, zero-width space, soft hyphen, word joiner. (ZWJ/ZWNJ stay: they change how scripts render.)
_INVISIBLE = "\ufeff\u200b\u00ad\u2060"
_CONTROL = re.compile("[" + "".join(chr(code) for code in (*range(0, 9), *range(11, 32), *range(127, 160))) + _INVISIBLE + "]")
_TRAILING_SPACE = re.compile(r"[ \t]+$", re.MULTILINE)
_BLANK_RUN = re.compile(r"\n{3,}")
# Every character str.isspace() accepts (all lie below U+3001): counted with str.count, which is
# several times faster than a regex over a whole book.
_WHITESPACE_CHARACTERS = tuple(chr(code) for code in range(0x3001) if chr(code).isspace())


def normalize_newlines(text: str) -> str:
    """CRLF and lone CR become LF (old Mac files use CR only)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def normalize_characters(text: str) -> str:
    """Newlines to LF, Unicode to NFC, tabs to spaces, other control and invisible characters removed.

    NFC, not NFKC: NFC only composes combining accents (``e`` + U+0301 -> ``é``), while NFKC would
    also fold compatibility characters such as ligatures and ellipses (``…`` -> ``...``). Curly
    quotes, dashes and ellipses are part of an edition's typography, which is exactly the style
    signal this project measures, so they are kept as they are.
    """
    text = unicodedata.normalize("NFC", normalize_newlines(text))
    # Form feeds and vertical tabs separated pages in old files: they become line breaks first.
    text = text.replace("\t", " ").replace("\f", "\n").replace("\v", "\n")
    return _CONTROL.sub("", text)


def tidy_whitespace(text: str) -> str:
    """Trailing spaces removed, runs of blank lines collapsed to one, one final newline (or "")."""
    text = _BLANK_RUN.sub("\n\n", _TRAILING_SPACE.sub("", text)).strip("\n")
    return text + "\n" if text.strip() else ""


def non_whitespace_count(text: str) -> int:
    """Number of characters that are not whitespace (the unit of the kept fraction)."""
    return len(text) - sum(text.count(character) for character in _WHITESPACE_CHARACTERS)
