"""Normalized fingerprints of passages, for finding the same text in several books.

Two passages get the same fingerprint when they differ only in case, punctuation, whitespace or
Unicode compatibility forms (NFKC folds ligatures, full-width letters and the like): the typical
differences between two editions or transcriptions of the same preface, licence or quotation.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

_WORD = re.compile(r"[^\W_]+")


def normalize_for_fingerprint(text: str) -> str:
    """NFKC, case-folded, the words (letters and digits) joined by single spaces."""
    return " ".join(_WORD.findall(unicodedata.normalize("NFKC", text).casefold()))


def fingerprint(text: str) -> str:
    """A 32-hex-digit BLAKE2b digest of :func:`normalize_for_fingerprint` (stable across runs and machines)."""
    return hashlib.blake2b(normalize_for_fingerprint(text).encode("utf-8"), digest_size=16).hexdigest()
