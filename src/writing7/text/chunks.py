"""Overlapping chunks of sentences, the English filter, and deterministic per-book sampling."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from writing7.text.language import stopword_ratio

_NEWLINE_RUN = re.compile(r"[ \t]*\n\s*")
# The passage the pair head is trained on: prepare cuts training passages of this many sentences (about 190
# words of Gutenberg prose), and the verdict cuts long texts into passages of the same length, so inference
# reads what training read. The one definition; prepare's, calibrate's and bench-style's settings default to it.
PASSAGE_SENTENCES = 10
# Training passages shorter than this are headings or verse fragments (prepare and bench-style drop them).
MIN_PASSAGE_CHARACTERS = 400


@dataclass(frozen=True)
class Chunk:
    """A window of consecutive sentences of one book.

    ``start``/``end`` are character offsets into the cleaned book text (``end`` exclusive);
    ``sentence_start``/``sentence_end`` index the book's sentence list (``sentence_end`` exclusive);
    ``index`` is the window's number in the book (``sentence_start == index * overlap``), kept
    through filtering and sampling so a chunk is identified by ``(book_id, index)``.
    """

    book_id: str
    author: str
    index: int
    start: int
    end: int
    sentence_start: int
    sentence_end: int
    text: str


def window_bounds(sentence_count: int, chunk_size: int, overlap: int) -> list[tuple[int, int]]:
    """Sentence ranges ``[first, last)`` of the windows, before any filtering.

    Window ``i`` covers sentences ``[i * overlap, i * overlap + chunk_size)``: ``overlap`` is the
    *step* between window starts (the original note's name), so consecutive windows share
    ``chunk_size - overlap`` sentences. Only full windows are made; the last ``< overlap`` sentences
    that no full window reaches are dropped. A text with at least one but fewer than ``chunk_size``
    sentences gives one window over all of them.
    """
    if chunk_size < 1 or overlap < 1:
        raise ValueError(
            f"chunk_size={chunk_size} and overlap={overlap}: both must be >= 1 "
            "(overlap is the step in sentences between chunk starts); set them to positive numbers"
        )
    if sentence_count == 0:
        return []
    if sentence_count < chunk_size:
        return [(0, sentence_count)]
    return [(first, first + chunk_size) for first in range(0, sentence_count - chunk_size + 1, overlap)]


def chunk_text(text: str, start: int, end: int) -> str:
    """``text[start:end]`` with every whitespace run that holds a newline collapsed to one space."""
    return _NEWLINE_RUN.sub(" ", text[start:end])


def make_chunks(
    text: str,
    sentences: Sequence[tuple[int, int]],
    *,
    book_id: str,
    author: str,
    chunk_size: int,
    overlap: int,
    min_chars: int,
    min_stopword_ratio: float,
) -> list[Chunk]:
    """Windows of ``chunk_size`` sentences stepping by ``overlap`` (see :func:`window_bounds`), filtered.

    A window is kept when its chunk text (newlines collapsed, see :func:`chunk_text`) has at least
    ``min_chars`` characters and its stopword ratio (English stopwords / word tokens, see
    :func:`writing7.text.language.stopword_ratio`) is at least ``min_stopword_ratio`` — a cheap
    test that drops tables of contents, indexes, verse in other languages and lists of names.
    """
    chunks = []
    for index, (first, last) in enumerate(window_bounds(len(sentences), chunk_size, overlap)):
        start, end = sentences[first][0], sentences[last - 1][1]
        content = chunk_text(text, start, end)
        if len(content) < min_chars or stopword_ratio(content) < min_stopword_ratio:
            continue
        chunks.append(Chunk(book_id, author, index, start, end, first, last, content))
    return chunks


def _sample_key(chunk: Chunk, seed: int) -> bytes:
    # A keyed hash rather than random.Random: the choice of one chunk depends only on the seed and
    # that chunk's identity, never on Python's hash randomisation or on the other chunks.
    return hashlib.blake2b(f"{seed}\0{chunk.book_id}\0{chunk.index}".encode(), digest_size=8).digest()


def sample_chunks(chunks: Sequence[Chunk], max_chunks: int, seed: int) -> list[Chunk]:
    """At most ``max_chunks`` chunks, chosen by a seeded hash of ``(book_id, index)``, in input (document) order.

    The same chunks and seed always give the same sample (across processes and machines); all
    chunks are returned when there are no more than ``max_chunks``.
    """
    if max_chunks < 0:
        raise ValueError(f"max_chunks={max_chunks}: must be >= 0; pass 0 for none or a positive limit")
    if len(chunks) <= max_chunks:
        return list(chunks)
    ranked = sorted(range(len(chunks)), key=lambda position: _sample_key(chunks[position], seed))
    return [chunks[position] for position in sorted(ranked[:max_chunks])]


SAMPLE_SLICES = 64


def spread_sample(text: str, limit: int) -> str:
    """``text`` itself when it has at most ``limit`` characters, else ``SAMPLE_SLICES`` slices of it spread evenly
    from start to end (each cut at whitespace, joined by blank lines), about ``limit`` characters in all.

    Bounds the work and memory of reading one text (n-gram profiles, sentence splitting) whatever its size,
    while still drawing on every part of it rather than only its beginning.
    """
    if len(text) <= limit:
        return text
    width = limit // SAMPLE_SLICES
    starts = [round(position) for position in (index * (len(text) - width) / (SAMPLE_SLICES - 1) for index in range(SAMPLE_SLICES))]
    slices = []
    for number, start in enumerate(starts):
        piece = text[start:start + width]
        first = 0 if number == 0 else piece.find(" ") + 1  # whole words only, except at the text's own ends
        last = len(piece) if number == SAMPLE_SLICES - 1 else piece.rfind(" ")
        slices.append(piece[first:last] if first < last else piece)
    return "\n\n".join(slices)
