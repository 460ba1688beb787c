"""Hashed character n-gram counts of long texts, vectorised with numpy.

The whole-text profile (:mod:`writing7.models.text_profile`) counts character n-grams of texts of up to
200,000 characters. scikit-learn's ``HashingVectorizer`` builds every n-gram as a Python string first
(``_char_ngrams`` / ``_char_wb_ngrams``) and hashes the strings one by one: 37 % of ``calibrate-verdict``'s
time in a profile of the CPU preset. Here a text becomes one array of code points, the n-grams of each
length are hashed in a few array passes, and ``np.unique`` counts them:

    h_n(i) = mix( ((n * P + c_i) * P + c_{i+1}) * P + ... + c_{i+n-1}  mod 2^64 )   column = h_n(i) mod F

with ``P`` the 64-bit FNV prime and ``mix`` the SplitMix64 finaliser (Steele, Lea & Flood, OOPSLA 2014),
so that the low bits taken by ``mod F`` depend on every character. Seeding with ``n`` keeps the n-gram
lengths apart. A collision costs what it costs in any hashing vectorizer (F = 2^20 columns here).

Tokens follow scikit-learn's analyzers with one difference: the text is lower-cased and every whitespace run
becomes one space (scikit-learn keeps a single newline or tab, so a wrapped line's break would make n-grams of
its own; where a printer broke the lines is not the author's style); ``word_bounded`` n-grams (scikit-learn's ``char_wb``) are those of each word padded with one
space on each side, never across two words; words shorter than ``n - 2`` characters give no n-gram of
length ``n`` (scikit-learn keeps such a word whole, once).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

PRIME = np.uint64(0x100000001B3)
SPACE = ord(" ")


def _mix(values: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser, element-wise on uint64 (wrapping arithmetic)."""
    values = values ^ (values >> np.uint64(30))
    values = values * np.uint64(0xBF58476D1CE4E5B9)
    values = values ^ (values >> np.uint64(27))
    values = values * np.uint64(0x94D049BB133111EB)
    return values ^ (values >> np.uint64(31))


class CharNgramHasher:
    """``transform(texts) -> (len(texts), n_features)`` CSR float32 counts of the hashed character n-grams."""

    def __init__(self, ngram_range: tuple[int, int], n_features: int, *, word_bounded: bool = False) -> None:
        if not 1 <= ngram_range[0] <= ngram_range[1]:
            raise ValueError(f"ngram_range must be (low, high) with 1 <= low <= high, got {ngram_range}")
        self.ngram_range = ngram_range
        self.n_features = n_features
        self.word_bounded = word_bounded

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        columns, counts = zip(*(self._row(text) for text in texts)) if len(texts) else ((), ())
        row_pointers = np.concatenate([[0], np.cumsum([len(row) for row in columns])]).astype(np.int64)
        return sp.csr_matrix(
            (np.concatenate([np.zeros(0, np.float32), *counts]), np.concatenate([np.zeros(0, np.int64), *columns]), row_pointers),
            shape=(len(texts), self.n_features), dtype=np.float32,
        )

    def ngrams(self, text: str) -> list[str]:
        """The n-grams of ``text`` as strings, in order (what :meth:`transform` counts; explanations show them)."""
        words = text.lower().split()
        pieces = [f" {word} " for word in words] if self.word_bounded else [" ".join(words)]
        return [piece[start:start + n] for n in range(self.ngram_range[0], self.ngram_range[1] + 1)
                for piece in pieces for start in range(len(piece) - n + 1)]

    def column(self, ngram: str) -> int:
        """The column :meth:`transform` counts ``ngram`` in."""
        codes = np.frombuffer(ngram.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        value = np.full(1, len(ngram), dtype=np.uint64)
        for code in codes:
            value = value * PRIME + code
        return int(_mix(value)[0] % np.uint64(self.n_features))

    def _row(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Sorted distinct columns of one text and their counts."""
        words = text.lower().split()
        joined = f" {'  '.join(words)} " if self.word_bounded else " ".join(words)
        codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)  # (characters,)
        spaces_before = np.concatenate([[0], np.cumsum(codes == SPACE)])  # (characters + 1,) spaces in codes[:i]
        hashes = [self._hashes(codes, spaces_before, n) for n in range(self.ngram_range[0], self.ngram_range[1] + 1)]
        found = np.concatenate([np.zeros(0, np.uint64), *hashes])
        columns, counts = np.unique(_mix(found) % np.uint64(self.n_features), return_counts=True)
        return columns.astype(np.int64), counts.astype(np.float32)

    def _hashes(self, codes: np.ndarray, spaces_before: np.ndarray, n: int) -> np.ndarray:
        """Unmixed hashes of the n-grams of ``codes`` of length ``n`` (only those inside one padded word when word-bounded)."""
        count = len(codes) - n + 1
        if count <= 0:
            return np.zeros(0, np.uint64)
        hashes = np.full(count, n, dtype=np.uint64)
        for offset in range(n):
            hashes = hashes * PRIME + codes[offset:offset + count]
        if not self.word_bounded:
            return hashes
        # Inside one " word ": no space strictly inside the window, and not the two spaces between two words.
        starts = np.arange(count)
        keep = spaces_before[starts + max(n - 1, 1)] - spaces_before[starts + 1] == 0
        if n <= 2:
            keep &= ~((codes[:count] == SPACE) & (codes[n - 1:n - 1 + count] == SPACE))
        return hashes[keep]
