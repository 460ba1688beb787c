"""Labelled passage pairs for one split, drawn per book.

For each book ``B`` of author ``A`` (every draw seeded by the seed and the book id, so a book's
pairs do not change when other books come or go):

* ``positive`` (label 1): two passages of ``B`` whose sentence ranges are disjoint -- overlapping
  windows share text and would make the task trivial;
* ``negative`` (label 0): a passage of ``B`` and one of a book by **another author**, of three kinds
  in the proportions of :class:`PairCounts`: ``hard`` from one of ``B``'s neighbour books (nearest
  centroids, other authors), ``topic`` a passage with the same topic id as ``B``'s passage, and
  ``random`` from any other-author book. A hard or topic draw with no candidate becomes random;
* ``same_author`` (label 0, neg_type ""): a passage of ``B`` and one of another book by ``A``,
  so later stages can learn and calibrate the author level (same author = ``author1 == author2``).

Rows have the columns of :data:`COLUMNS`; ``text1`` is always the passage of ``B``.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from writing7.text.chunks import Chunk

COLUMNS = ("text1", "text2", "label", "book1", "book2", "author1", "author2", "pair_type", "neg_type", "topic1", "topic2", "same_topic")
# Draws per wanted positive before giving up on a book whose passages nearly all overlap.
POSITIVE_ATTEMPTS = 20
# (pair_type, neg_type) of each kind code in a drawn pair's fifth column.
KINDS = (("positive", ""), ("negative", "hard"), ("negative", "topic"), ("negative", "random"), ("same_author", ""))
KIND_CODES = {kind: code for code, kind in enumerate(KINDS)}


@dataclasses.dataclass(frozen=True)
class PairCounts:
    """Pairs wanted per book; negatives split into hard / topic / random by the two fractions."""

    positive: int
    negative: int
    same_author: int
    hard_fraction: float
    topic_fraction: float

    def negative_kinds(self) -> dict[str, int]:
        hard = round(self.negative * self.hard_fraction)
        topic = min(self.negative - hard, round(self.negative * self.topic_fraction))
        return {"hard": hard, "topic": topic, "random": self.negative - hard - topic}


@dataclasses.dataclass
class SplitBooks:
    """The books of one split as aligned lists; ``neighbours`` index into these lists."""

    book_ids: list[str]
    authors: list[str]
    chunks: list[list[Chunk]]
    topics: list[np.ndarray]  # per book: (chunks,) topic ids
    neighbours: list[list[int]]  # per book: other-author books, nearest first


def nth_outside(index: int, excluded: Iterable[tuple[int, int]]) -> int:
    """The ``index``-th position (0-based) of ``0, 1, 2, ...`` once the half-open ranges ``excluded`` are left out.

    ``excluded``: disjoint ``(start, end)`` ranges in ascending order. Equal to ``np.flatnonzero(~mask)[index]``
    for the mask of those ranges, in O(ranges) instead of O(positions).
    """
    for start, end in excluded:
        if index >= start:
            index += end - start
    return int(index)


def book_rng(seed: int, book_id: str) -> np.random.Generator:
    """A generator that depends only on the seed and the book id (stable across runs and machines)."""
    digest = hashlib.blake2b(book_id.encode("utf-8"), digest_size=8).digest()
    return np.random.default_rng([seed, int.from_bytes(digest, "little")])


def disjoint(first: Chunk, second: Chunk) -> bool:
    """True when the two passages share no sentence."""
    return first.sentence_end <= second.sentence_start or second.sentence_end <= first.sentence_start


class PairBuilder:
    """Draws the pairs of one split (see the module docstring)."""

    def __init__(self, split: SplitBooks, counts: PairCounts, *, seed: int) -> None:
        self.split = split
        self.counts = counts
        self.seed = seed
        self.books_of_author: dict[str, list[int]] = defaultdict(list)
        for index, author in enumerate(split.authors):
            self.books_of_author[author].append(index)
        books = np.repeat(np.arange(len(split.topics)), [len(topics) for topics in split.topics])  # (passages,) in book order
        chunks = np.concatenate([np.arange(len(topics)) for topics in split.topics]) if split.topics else np.zeros(0, np.int64)
        flat_topics = np.concatenate(split.topics) if split.topics else np.zeros(0, np.int64)
        # per topic, its (book, chunk) entries in book order: an author's entries are a few runs of rows
        self.topic_entries = {int(topic): np.stack([books[flat_topics == topic], chunks[flat_topics == topic]], axis=1).astype(np.int64)
                              for topic in np.unique(flat_topics)}

    def draws(self) -> np.ndarray:
        """Every pair of the split as ``(book1, chunk1, book2, chunk2, kind code)`` rows, books in order, then shuffled with the seed.

        Drawing indices, not rows, keeps a split of millions of pairs at 40 bytes a pair until
        :meth:`row` turns a block of them into columns (the texts are shared, never copied).
        """
        draws = [draw for book in range(len(self.split.book_ids)) for draw in self.book_draws(book)]
        table = np.asarray(draws, dtype=np.int64).reshape(-1, 5)
        return table[np.random.default_rng(self.seed).permutation(len(table))]

    def book_draws(self, book: int) -> list[tuple[int, int, int, int, int]]:
        rng = book_rng(self.seed, self.split.book_ids[book])
        draws = [(book, i, book, j, KIND_CODES["positive", ""]) for i, j in self._positives(book, rng)]
        for kind, count in self.counts.negative_kinds().items():
            for _ in range(count):
                draws.append(self._negative(book, kind, rng))
        same_author = [other for other in self.books_of_author[self.split.authors[book]] if other != book]
        for _ in range(self.counts.same_author if same_author else 0):
            other = same_author[rng.integers(len(same_author))]
            draws.append((book, self._any_chunk(book, rng), other, self._any_chunk(other, rng), KIND_CODES["same_author", ""]))
        return draws

    def _positives(self, book: int, rng: np.random.Generator) -> list[tuple[int, int]]:
        chunks = self.split.chunks[book]
        pairs: list[tuple[int, int]] = []
        seen: set[tuple[int, int]] = set()
        if len(chunks) < 2:
            return pairs
        for _ in range(self.counts.positive * POSITIVE_ATTEMPTS):
            if len(pairs) == self.counts.positive:
                break
            first, second = (int(i) for i in rng.choice(len(chunks), size=2, replace=False))
            key = (min(first, second), max(first, second))
            if key not in seen and disjoint(chunks[first], chunks[second]):
                seen.add(key)
                pairs.append((first, second))
        return pairs

    def _negative(self, book: int, kind: str, rng: np.random.Generator) -> tuple[int, int, int, int, int]:
        anchor = self._any_chunk(book, rng)
        if kind == "hard" and self.split.neighbours[book]:
            neighbours = self.split.neighbours[book]
            other = neighbours[rng.integers(len(neighbours))]
            return book, anchor, other, self._any_chunk(other, rng), KIND_CODES["negative", "hard"]
        # Both draws below pick uniformly among the rows *not* of this author without listing them (that was O(library)
        # per draw, quadratic over a split): the k-th row outside the author's few runs of rows (nth_outside).
        own_books = self.books_of_author[self.split.authors[book]]  # ascending
        if kind == "topic":
            entries = self.topic_entries[int(self.split.topics[book][anchor])]
            starts = np.searchsorted(entries[:, 0], own_books, side="left")
            ends = np.searchsorted(entries[:, 0], own_books, side="right")
            available = len(entries) - int(np.sum(ends - starts))
            if available:
                other, chunk = entries[nth_outside(int(rng.integers(available)), zip(starts, ends))]
                return book, anchor, int(other), int(chunk), KIND_CODES["negative", "topic"]
        other = nth_outside(int(rng.integers(len(self.split.book_ids) - len(own_books))), ((own, own + 1) for own in own_books))
        return book, anchor, other, self._any_chunk(other, rng), KIND_CODES["negative", "random"]

    def _any_chunk(self, book: int, rng: np.random.Generator) -> int:
        return int(rng.integers(len(self.split.chunks[book])))

    def row(self, draw: np.ndarray) -> dict[str, Any]:
        """The row of one draw, with the columns of :data:`COLUMNS`."""
        book1, chunk1, book2, chunk2, kind = (int(value) for value in draw)
        split = self.split
        pair_type, neg_type = KINDS[kind]
        topic1, topic2 = int(split.topics[book1][chunk1]), int(split.topics[book2][chunk2])
        return {
            "text1": split.chunks[book1][chunk1].text, "text2": split.chunks[book2][chunk2].text,
            "label": int(pair_type == "positive"), "book1": split.book_ids[book1], "book2": split.book_ids[book2],
            "author1": split.authors[book1], "author2": split.authors[book2], "pair_type": pair_type,
            "neg_type": neg_type, "topic1": topic1, "topic2": topic2, "same_topic": topic1 == topic2,
        }


def make_pairs(split: SplitBooks, counts: PairCounts, *, seed: int) -> Iterator[dict[str, Any]]:
    """The rows of one split in their final (shuffled) order, made one at a time (see :class:`PairBuilder`)."""
    builder = PairBuilder(split, counts, seed=seed)
    return (builder.row(draw) for draw in builder.draws())

