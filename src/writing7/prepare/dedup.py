"""Cross-book dedup: a passage whose text occurs in several books is dropped from all of them.

Text shared by books (a series preface, a story reprinted in two collections, left-over licence
text) would otherwise give "negative" pairs of identical passages, or let a model match books by
memorised boilerplate. A passage's key is the normalized text of its sentence window (see
:mod:`writing7.prepare.chunking`); a key found among the window keys of ``min_books`` or more
distinct books is *shared*, and every passage with a shared key is dropped, everywhere. The
default ``min_books = 2`` drops any passage two books have in common: with whole ~190-word
passages compared after normalization, a match between two different books is never chance.
A passage repeated inside one book keeps its first occurrence.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from writing7.prepare.chunking import BookChunks


@dataclasses.dataclass
class DedupStats:
    """What the dedup did: shared keys found and passages dropped (shared across books, repeated in one)."""

    shared_keys: int = 0
    dropped_shared: int = 0
    dropped_repeated: int = 0

    def to_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)


def shared_keys(books: Sequence[BookChunks], min_books: int) -> np.ndarray:
    """Sorted window keys that occur in at least ``min_books`` distinct books."""
    if not books:
        return np.zeros(0, dtype=np.uint64)
    # Each book's window_keys are unique, so a key's count is the number of books holding it.
    keys, counts = np.unique(np.concatenate([book.window_keys for book in books]), return_counts=True)
    return keys[counts >= min_books]


def in_sorted(values: np.ndarray, sorted_keys: np.ndarray) -> np.ndarray:
    """(n,) bool: which ``values`` occur in ``sorted_keys`` (ascending), by binary search.

    ``np.isin(values, sorted_keys)`` gives the same answer but sorts ``values`` and ``sorted_keys`` together
    on every call: once per book, that made the dedup O(books x shared keys), quadratic in the library
    size since shared keys grow with it (40 s at 1,000 synthetic books, bench/scale.py). Binary search costs
    O(len(values) log(len(sorted_keys))).
    """
    if not len(sorted_keys):
        return np.zeros(len(values), dtype=bool)
    positions = np.minimum(np.searchsorted(sorted_keys, values), len(sorted_keys) - 1)  # (n,)
    return sorted_keys[positions] == values


def drop_shared_chunks(books: Sequence[BookChunks], *, min_books: int) -> tuple[list[BookChunks], DedupStats]:
    """Books without shared passages and without repeats; ``min_books = 0`` only drops repeats."""
    shared = shared_keys(books, min_books) if min_books else np.zeros(0, dtype=np.uint64)
    stats = DedupStats(shared_keys=len(shared))
    kept_books = []
    for book in books:
        keys = np.asarray(book.chunk_keys, dtype=np.uint64)
        is_shared = in_sorted(keys, shared)
        seen: set[int] = set()
        chunks, chunk_keys = [], []
        for chunk, key, drop in zip(book.chunks, book.chunk_keys, is_shared):
            if drop:
                stats.dropped_shared += 1
            elif key in seen:
                stats.dropped_repeated += 1
            else:
                seen.add(key)
                chunks.append(chunk)
                chunk_keys.append(key)
        kept_books.append(dataclasses.replace(book, chunks=chunks, chunk_keys=chunk_keys))
    return kept_books, stats
