"""Character-level normalization of decoded book text: newlines, Unicode form, control characters."""

from __future__ import annotations

import re
import unicodedata

# C0 and C1 control characters except \t and \n (handled first), plus invisible format characters
# that only get in the way of tokenizers: BOM / zero-width no-break space, zero-width space, soft
# hyphen, word joiner. (ZWJ/ZWNJ stay: they change how some scripts render.)
_CONTROL_CHARACTERS = "".join(chr(code) for code in (*range(0, 9), *range(11, 32), *range(127, 160))) + "\ufeff\u200b\u00ad\u2060"
_CONTROL = re.compile(f"[{re.escape(_CONTROL_CHARACTERS)}]")
# Every character str.isspace() accepts (all lie below U+3001): counted with str.count, which is
# several times faster than a regex over a whole book.
_WHITESPACE_CHARACTERS = tuple(chr(code) for code in range(0x3001) if chr(code).isspace())
_ASCII_WHITESPACE = tuple(character for character in _WHITESPACE_CHARACTERS if character.isascii())


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
    # Most books have no control character left; 70 substring tests are ~20x faster than the regex.
    if any(character in text for character in _CONTROL_CHARACTERS):
        text = _CONTROL.sub("", text)
    return text


def tidy_whitespace(text: str) -> str:
    """Trailing spaces removed, runs of blank lines collapsed to one, one final newline (or "")."""
    lines: list[str] = []
    for line in text.split("\n"):
        line = line.rstrip(" ")
        if line or (lines and lines[-1]):
            lines.append(line)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines) + "\n" if lines else ""


def non_whitespace_count(text: str) -> int:
    """Number of characters that are not whitespace (the unit of the kept fraction)."""
    candidates = _ASCII_WHITESPACE if text.isascii() else _WHITESPACE_CHARACTERS
    return len(text) - sum(text.count(character) for character in candidates)
