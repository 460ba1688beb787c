"""Stage A of prepare: per-book work (read, standardize, split sentences, chunk, filter, sample).

Each book is handled on its own, so :func:`chunk_books` can run over any disjoint subsets of the
corpus (a process pool here, Ray tasks in the sharded prepare) and the results simply concatenate.
A :class:`BookChunks` round-trips through JSON (:meth:`BookChunks.to_dict` / :meth:`BookChunks.from_dict`)
so that shards can be written to disk and merged.

Besides its sampled passages, a book carries the *window keys* used by the cross-book dedup: a
64-bit key for every run of ``chunk_size`` consecutive sentences at **every** sentence offset, not
only at the chunk starts. A passage copied into another book (a shared preface, a story reprinted
in two collections) lands at an arbitrary sentence offset there, so keys taken only every
``overlap`` sentences would miss most copies. A key hashes the normalized fingerprints of the
window's sentences (:func:`writing7.text.fingerprint.fingerprint`): case, punctuation and Unicode
forms do not matter.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import logging
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from writing7.corpus import BookFile, read_corpus_book
from writing7.parallel import map_in_order, worker_count
from writing7.text.chunks import Chunk, make_chunks, sample_chunks, window_bounds
from writing7.text.fingerprint import fingerprint
from writing7.text.sentences import book_sentences

logger = logging.getLogger(__name__)


class BookChunkingSettings(Protocol):
    """What stage A reads of its settings (a :class:`~writing7.config.prepare.PrepareConfig` has them all)."""

    chunk_size: int  # sentences per passage
    overlap: int  # sentences two neighbouring passages share
    min_chunk_chars: int
    min_stopword_ratio: float
    max_chunks_per_book: int
    seed: int
    workers: int  # processes for chunk_books (0 = one per core when it pays)


@dataclasses.dataclass
class BookChunks:
    """One book after stage A: its sampled passages, dedup keys and what happened on the way.

    ``windows`` counts the sentence windows before the filters, ``filtered`` those the length and
    English filters dropped; ``chunk_keys[i]`` is the dedup key of ``chunks[i]``; ``window_keys``
    holds the sorted unique keys of every window of the book (see the module docstring).
    ``skip_reason`` is set, and there are no chunks, when the file was not a usable book.
    """

    book_id: str
    author: str
    title: str
    chunks: list[Chunk]
    chunk_keys: list[int]
    window_keys: np.ndarray  # (windows,) uint64, sorted, unique
    windows: int = 0
    filtered: int = 0
    kept_fraction: float = 0.0
    encoding: str = ""
    warnings: list[str] = dataclasses.field(default_factory=list)
    skip_reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict; keys are hex strings and window keys one base64 string of little-endian uint64."""
        payload = {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}
        payload["chunks"] = [dataclasses.asdict(chunk) for chunk in self.chunks]
        payload["chunk_keys"] = [f"{key:016x}" for key in self.chunk_keys]
        payload["window_keys"] = base64.b64encode(self.window_keys.astype("<u8").tobytes()).decode("ascii")
        return payload

    @classmethod
    def from_dict(cls, payload: dict[str, Any]) -> BookChunks:
        values = dict(payload)
        values["chunks"] = [Chunk(**chunk) for chunk in payload["chunks"]]
        values["chunk_keys"] = [int(key, 16) for key in payload["chunk_keys"]]
        values["window_keys"] = np.frombuffer(base64.b64decode(payload["window_keys"]), dtype="<u8").astype(np.uint64)
        return cls(**values)


def window_key(sentence_fingerprints: Sequence[str]) -> int:
    """A 64-bit key of a run of sentences: BLAKE2b over their normalized fingerprints."""
    digest = hashlib.blake2b("".join(sentence_fingerprints).encode("ascii"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def window_keys(sentence_fingerprints: Sequence[str], chunk_size: int) -> np.ndarray:
    """Sorted unique keys of every ``chunk_size``-sentence window, at every offset (one window when shorter)."""
    count = len(sentence_fingerprints)
    starts = range(count - chunk_size + 1) if count >= chunk_size else range(1 if count else 0)
    size = min(chunk_size, count)
    keys = [window_key(sentence_fingerprints[start:start + size]) for start in starts]
    return np.unique(np.asarray(keys, dtype=np.uint64))


def chunk_book(book: BookFile, cfg: BookChunkingSettings) -> BookChunks:
    """Read, standardize, split, chunk, filter and sample one book (pure per-book work)."""
    standardized = read_corpus_book(book)
    empty = np.zeros(0, dtype=np.uint64)
    common = {"book_id": book.book_id, "author": book.author, "title": book.title}
    if standardized.skip_reason is not None:
        return BookChunks(**common, chunks=[], chunk_keys=[], window_keys=empty, skip_reason=standardized.skip_reason)
    text = standardized.text
    sentences = book_sentences(text)
    candidates = make_chunks(
        text, sentences, book_id=book.book_id, author=book.author, chunk_size=cfg.chunk_size,
        overlap=cfg.overlap, min_chars=cfg.min_chunk_chars, min_stopword_ratio=cfg.min_stopword_ratio,
    )
    windows = len(window_bounds(len(sentences), cfg.chunk_size, cfg.overlap))
    chunks = sample_chunks(candidates, cfg.max_chunks_per_book, cfg.seed)
    sentence_fingerprints = [fingerprint(text[start:end]) for start, end in sentences]
    chunk_keys = [window_key(sentence_fingerprints[c.sentence_start:c.sentence_end]) for c in chunks]
    return BookChunks(
        **common, chunks=chunks, chunk_keys=chunk_keys,
        window_keys=window_keys(sentence_fingerprints, cfg.chunk_size),
        windows=windows, filtered=windows - len(candidates), kept_fraction=standardized.kept_fraction,
        encoding=standardized.encoding, warnings=list(standardized.warnings),
    )


def select_books(books: Sequence[BookFile], max_books: int) -> list[BookFile]:
    """Every book when ``max_books`` is 0, else whole authors in alphabetical order until ``max_books`` books.

    Authors are never cut, so every kept author keeps all its books (and its same-author pairs);
    the last author may take the count past ``max_books``.
    """
    if max_books == 0:
        return list(books)
    selected: list[BookFile] = []
    for book in sorted(books, key=lambda item: (item.author, item.book_id)):
        if len(selected) >= max_books and book.author != selected[-1].author:
            break
        selected.append(book)
    return selected


def chunk_books(books: Sequence[BookFile], cfg: BookChunkingSettings) -> list[BookChunks]:
    """:func:`chunk_book` over ``books`` (in a process pool when it pays), results in input order."""
    results = map_in_order(chunk_book, books, cfg, workers=worker_count(cfg.workers, len(books)), description="prepare: chunk")
    for result in results:
        if result.skip_reason:
            logger.warning("skipped %s: %s", result.book_id, result.skip_reason)
    return results
