"""Decode raw book bytes robustly: UTF-8 (with or without BOM), else cp1252, else latin-1. Never raises on a byte."""

from __future__ import annotations

import codecs
from dataclasses import dataclass

# A NUL byte or a high share of other control bytes means "not a text file" (an image, a zip, ...).
_CONTROL_BYTES = bytes(range(0, 9)) + bytes(range(14, 32))
_HTML_MARKERS = (b"<!doctype html", b"<html", b"<head", b"<body")
# A file that is UTF-8 except for a few stray bytes stays UTF-8 (the strays become U+FFFD) when its
# valid multi-byte characters outnumber the invalid sequences this many times; decoding it as
# cp1252 instead would garble every one of its curly quotes and accents.
UTF8_MAJORITY = 10


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # "utf-8", "utf-8-sig", "cp1252" or "latin-1"
    replaced: int = 0  # invalid UTF-8 sequences replaced by U+FFFD (only when mostly UTF-8)


def _mostly_utf8(data: bytes) -> tuple[str, int] | None:
    """The text with invalid sequences replaced, if UTF-8 clearly dominates; else ``None``."""
    text = data.decode("utf-8", errors="replace")
    replaced = text.count("\ufffd") - data.count("\ufffd".encode())
    multibyte = sum(1 for character in text if ord(character) > 127) - text.count("\ufffd")
    return (text, replaced) if multibyte >= UTF8_MAJORITY * replaced else None


def decode_bytes(data: bytes) -> Decoded:
    """Decode ``data``: UTF-8 with BOM, UTF-8, then cp1252, then latin-1 (which accepts every byte).

    cp1252 is tried before latin-1 because Windows-era Gutenberg files use its curly quotes and
    dashes in 0x80-0x9F, which latin-1 would turn into invisible C1 control characters. A file
    that is UTF-8 but for a few stray bytes keeps UTF-8 (see ``UTF8_MAJORITY``).
    """
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


def binary_reason(data: bytes) -> str | None:
    """Why ``data`` is not a plain-text book (``None`` when it looks like one)."""
    if not data.strip():
        return "empty file"
    head = data[:8192]
    if b"\x00" in head:
        return "binary file (contains NUL bytes)"
    controls = sum(head.count(byte) for byte in _CONTROL_BYTES)
    if controls > len(head) * 0.01:
        return "binary file (too many control bytes)"
    lowered = head.lstrip().lower()
    if lowered.startswith(_HTML_MARKERS) or b"<html" in lowered[:1024]:
        return "HTML file (save the plain-text version of the book)"
    return None
