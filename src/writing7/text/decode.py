"""Decode and check raw text bytes: the one place that decides what a text file is.

:func:`decode_bytes` never raises on a byte: UTF-8 (with or without BOM), UTF-16 with a BOM, else
cp1252, else latin-1. :func:`text_problem` says why bytes are not plain text at all (empty, binary,
HTML/XML, PDF, RTF, UTF-16 without a BOM); :func:`binary_reason` is its short form for reports, and
:func:`decode_text` is both in one call, raising one line that names the source and the fix. Book
imports, ``standardize`` and every command that reads a user's file go through these functions.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

# A NUL byte or a high share of other control bytes means "not a text file" (an image, a zip, ...).
_CONTROL_BYTES = bytes(range(0, 9)) + bytes(range(14, 32))
_HTML_MARKERS = (b"<!doctype html", b"<html", b"<head", b"<body")
# Byte-order marks that name an encoding. UTF-16 text is full of NUL bytes, so it must be recognised
# by its BOM before the binary check, or every Windows "Unicode" export would be called binary.
_UTF16_BOMS = ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
# A file that is UTF-8 except for a few stray bytes stays UTF-8 (the strays become U+FFFD) when its
# valid multi-byte characters outnumber the invalid sequences this many times; decoding it as
# cp1252 instead would garble every one of its curly quotes and accents.
UTF8_MAJORITY = 10
HEAD_BYTES = 8192  # the checks look at the start of a file: enough to tell, cheap on a 20 MB file


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # "utf-8", "utf-8-sig", "utf-16-le", "utf-16-be", "cp1252" or "latin-1"
    replaced: int = 0  # invalid sequences replaced by U+FFFD (only when mostly UTF-8, or a broken UTF-16 file)


@dataclass(frozen=True)
class TextProblem:
    """Why bytes are not plain text: ``reason`` is the short phrase reports show (``standardize_report.json``,
    the ingest summary); ``problem`` and ``fix`` make the one-line error a user reads."""

    reason: str
    problem: str
    fix: str

    def message(self, source: object) -> str:
        return f"{source} {self.problem}: {self.fix}"


EMPTY = TextProblem("empty file", "is empty (no text, or only whitespace)", "pass a file with some prose in it")
NUL_BYTES = TextProblem("binary file (contains NUL bytes)", "is a binary file (it contains NUL bytes), not text",
                        "pass a plain-text (.txt) file")
CONTROL_BYTES = TextProblem("binary file (too many control bytes)", "is a binary file (too many control bytes), not text",
                            "pass a plain-text (.txt) file")
UTF16_WITHOUT_BOM = TextProblem("UTF-16 text without a byte-order mark", "looks like UTF-16 text without a byte-order mark",
                                "save it as UTF-8 (or as UTF-16 with a byte-order mark)")
HTML = TextProblem("HTML file (save the plain-text version of the book)", "looks like HTML, not plain text",
                   "save the page as plain text (.txt) and pass that file")
XML = TextProblem("XML file (not plain text)", "looks like XML markup, not plain text", "save the text as plain text (.txt)")
PDF = TextProblem("PDF file (not plain text)", "is a PDF document, not plain text",
                  "export its text (for example with `pdftotext`) and pass the .txt file")
RTF = TextProblem("RTF file (not plain text)", "is an RTF document, not plain text", "save it as plain text (.txt)")
_SIGNATURES = ((b"%pdf-", PDF), (b"{\\rtf", RTF))


def _decode_utf16(data: bytes, codec: str) -> Decoded:
    """UTF-16 after its 2-byte BOM; a cut-off last byte or a lone surrogate becomes U+FFFD, never an error."""
    text = data[2:].decode(codec, errors="replace")
    return Decoded(text, codec, replaced=text.count("\ufffd") - data[2:].decode(codec, errors="ignore").count("\ufffd"))


def _utf16_codec(data: bytes) -> str | None:
    return next((codec for bom, codec in _UTF16_BOMS if data.startswith(bom)), None)


def _mostly_utf8(data: bytes) -> tuple[str, int] | None:
    """The text with invalid sequences replaced, if UTF-8 clearly dominates; else ``None``."""
    text = data.decode("utf-8", errors="replace")
    replaced = text.count("\ufffd") - data.count("\ufffd".encode())
    multibyte = sum(1 for character in text if ord(character) > 127) - text.count("\ufffd")
    return (text, replaced) if multibyte >= UTF8_MAJORITY * replaced else None


def decode_bytes(data: bytes) -> Decoded:
    """Decode ``data``: UTF-16 with a BOM, UTF-8 with BOM, UTF-8, then cp1252, then latin-1 (which accepts every byte).

    cp1252 is tried before latin-1 because Windows-era Gutenberg files use its curly quotes and
    dashes in 0x80-0x9F, which latin-1 would turn into invisible C1 control characters. A file
    that is UTF-8 but for a few stray bytes keeps UTF-8 (see ``UTF8_MAJORITY``).
    """
    codec = _utf16_codec(data)
    if codec is not None:
        return _decode_utf16(data, codec)
    encoding = "utf-8"
    if data.startswith(codecs.BOM_UTF8):
        data, encoding = data[len(codecs.BOM_UTF8):], "utf-8-sig"
    try:
        return Decoded(data.decode("utf-8"), encoding)
    except UnicodeDecodeError:
        mostly = _mostly_utf8(data)
    if mostly is not None:
        return Decoded(mostly[0], encoding, replaced=mostly[1])
    try:
        return Decoded(data.decode("cp1252"), "cp1252")
    except UnicodeDecodeError:
        return Decoded(data.decode("latin-1"), "latin-1")


def _looks_like_utf16_without_bom(head: bytes) -> bool:
    """ASCII-range text in UTF-16 has a NUL in every other byte (odd positions for LE, even for BE)."""
    even, odd = head[0::2], head[1::2]
    if len(odd) < 8:
        return False
    return max(odd.count(0) / len(odd), even.count(0) / len(even)) > 0.9 and min(odd.count(0), even.count(0)) < len(odd) * 0.1


def _markup_problem(head: bytes) -> TextProblem | None:
    lowered = head.removeprefix(codecs.BOM_UTF8).lstrip().lower()
    if lowered.startswith(_HTML_MARKERS) or b"<html" in lowered[:1024]:
        return HTML
    if lowered.startswith(b"<?xml"):
        return XML
    return next((problem for signature, problem in _SIGNATURES if lowered.startswith(signature)), None)


def text_problem(data: bytes) -> TextProblem | None:
    """Why ``data`` is not plain text (``None`` when it is); only the first ``HEAD_BYTES`` are inspected."""
    codec = _utf16_codec(data)
    if codec is not None:  # check the text it holds, as UTF-8, with the same rules
        data = _decode_utf16(data, codec).text.encode("utf-8")
    head = data[:HEAD_BYTES]
    if not head.strip():
        return EMPTY if not data.strip() else None
    if b"\x00" in head:
        return UTF16_WITHOUT_BOM if _looks_like_utf16_without_bom(head) else NUL_BYTES
    controls = sum(head.count(byte) for byte in _CONTROL_BYTES)
    if controls > len(head) * 0.01:
        return CONTROL_BYTES
    return _markup_problem(head)


def binary_reason(data: bytes) -> str | None:
    """Why ``data`` is not a plain-text book, as a short phrase for reports (``None`` when it looks like one)."""
    problem = text_problem(data)
    return problem.reason if problem is not None else None


def decode_text(data: bytes, *, source: object) -> Decoded:
    """Check and decode a text a user hands us; ``ValueError`` naming ``source`` (a path, "text1", ...) and the fix."""
    problem = text_problem(data)
    if problem is not None:
        raise ValueError(problem.message(source))
    return decode_bytes(data)
