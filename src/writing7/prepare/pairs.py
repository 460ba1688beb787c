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
from collections.abc import Sequence
from typing import Any

import numpy as np

from writing7.text.chunks import Chunk

COLUMNS = ("text1", "text2", "label", "book1", "book2", "author1", "author2", "pair_type", "neg_type", "topic1", "topic2", "same_topic")
# Draws per wanted positive before giving up on a book whose passages nearly all overlap.
POSITIVE_ATTEMPTS = 20


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
        self.author_codes = np.unique(np.asarray(split.authors), return_inverse=True)[1]  # (books,)
        self.books_of_author: dict[str, list[int]] = defaultdict(list)
        for index, author in enumerate(split.authors):
            self.books_of_author[author].append(index)
        entries = [(topic, book, chunk) for book, topics in enumerate(split.topics) for chunk, topic in enumerate(topics)]
        self.topic_entries = {
            topic: np.asarray([(book, chunk) for t, book, chunk in entries if t == topic], dtype=np.int64)
            for topic in sorted({entry[0] for entry in entries})
        }

    def rows(self) -> list[dict[str, Any]]:
        """Every pair of the split, books in order, then shuffled with the seed."""
        rows = [row for book in range(len(self.split.book_ids)) for row in self.book_rows(book)]
        order = np.random.default_rng(self.seed).permutation(len(rows))
        return [rows[i] for i in order]

    def book_rows(self, book: int) -> list[dict[str, Any]]:
        rng = book_rng(self.seed, self.split.book_ids[book])
        rows = [self._row(book, i, book, j, "positive", "") for i, j in self._positives(book, rng)]
        for kind, count in self.counts.negative_kinds().items():
            for _ in range(count):
                rows.append(self._negative(book, kind, rng))
        same_author = [other for other in self.books_of_author[self.split.authors[book]] if other != book]
        for _ in range(self.counts.same_author if same_author else 0):
            other = same_author[rng.integers(len(same_author))]
            rows.append(self._row(book, self._any_chunk(book, rng), other, self._any_chunk(other, rng), "same_author", ""))
        return rows

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

    def _negative(self, book: int, kind: str, rng: np.random.Generator) -> dict[str, Any]:
        anchor = self._any_chunk(book, rng)
        if kind == "hard" and self.split.neighbours[book]:
            neighbours = self.split.neighbours[book]
            other = neighbours[rng.integers(len(neighbours))]
            return self._row(book, anchor, other, self._any_chunk(other, rng), "negative", "hard")
        if kind == "topic":
            entries = self.topic_entries[int(self.split.topics[book][anchor])]
            candidates = entries[self.author_codes[entries[:, 0]] != self.author_codes[book]]
            if len(candidates):
                other, chunk = candidates[rng.integers(len(candidates))]
                return self._row(book, anchor, int(other), int(chunk), "negative", "topic")
        others = np.flatnonzero(self.author_codes != self.author_codes[book])
        other = int(others[rng.integers(len(others))])
        return self._row(book, anchor, other, self._any_chunk(other, rng), "negative", "random")

    def _any_chunk(self, book: int, rng: np.random.Generator) -> int:
        return int(rng.integers(len(self.split.chunks[book])))

    def _row(self, book1: int, chunk1: int, book2: int, chunk2: int, pair_type: str, neg_type: str) -> dict[str, Any]:
        split = self.split
        topic1, topic2 = int(split.topics[book1][chunk1]), int(split.topics[book2][chunk2])
        return {
            "text1": split.chunks[book1][chunk1].text, "text2": split.chunks[book2][chunk2].text,
            "label": int(pair_type == "positive"), "book1": split.book_ids[book1], "book2": split.book_ids[book2],
            "author1": split.authors[book1], "author2": split.authors[book2], "pair_type": pair_type,
            "neg_type": neg_type, "topic1": topic1, "topic2": topic2, "same_topic": topic1 == topic2,
        }


def make_pairs(split: SplitBooks, counts: PairCounts, *, seed: int) -> list[dict[str, Any]]:
    """All rows of one split (see :class:`PairBuilder`)."""
    return PairBuilder(split, counts, seed=seed).rows()


def pair_type_counts(rows: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Rows per ``pair_type`` (and per ``negative/<neg_type>``), for the manifest."""
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        counts[row["pair_type"]] += 1
        if row["pair_type"] == "negative":
            counts[f"negative/{row['neg_type']}"] += 1
    return dict(sorted(counts.items()))
