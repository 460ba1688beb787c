"""Text pairs of one length cut from whole books: what the verdict is fitted on and evaluated with.

For a length of ``L`` words, each book gives up to ``excerpts_per_book`` disjoint excerpts of ``L``
words spread evenly over it (starting at a sentence start where one is near); the length ``"book"``
gives each book's two halves. From the excerpts of one split's books:

- **same book**: two excerpts of one book;
- **same author**: excerpts of two books by one author;
- **different authors**: excerpts of two books by different authors; half of them from ``neighbours``
  (mined hard negatives: each book's nearest books of other authors, :func:`nearest_other_author_books`;
  kind ``different_nearest``), half random (kind ``different``), as ``prepare`` mixes its negatives.

Each task is balanced: as many different-author pairs as same-book pairs (book task) and as many as
same-author pairs (author task), so a probability fitted on it reads at an even prior. The **topic** task
keeps only the nearest negatives: same book against the other author's book closest in content, where
shared subject matter cannot tell the books apart.
"""

from __future__ import annotations

import dataclasses
import itertools
import random
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence

import numpy as np

LENGTHS: dict[str, int | None] = {"200": 200, "1000": 1000, "5000": 5000, "book": None}
_SENTENCE_START = re.compile(r"[.!?][\"'\u201d\u2019)]*$")


@dataclasses.dataclass
class LengthPairs:
    """Pairs at one length: texts, the book and author of each side, and the pair kind."""

    length: str
    texts1: list[str]
    texts2: list[str]
    kinds: list[str]  # "same_book" | "same_author" | "different" | "different_nearest"
    books: list[tuple[str, str]]

    def first_authors(self) -> np.ndarray:
        """(n,) the author of each pair's first text (book ids are ``author/title``): the groups of author-grouped folds."""
        return np.array([first.split("/")[0] for first, _ in self.books])

    def merged(self, other: LengthPairs) -> LengthPairs:
        """These pairs followed by ``other``'s (same length label as these)."""
        return LengthPairs(self.length, self.texts1 + other.texts1, self.texts2 + other.texts2, self.kinds + other.kinds, self.books + other.books)

    def task(self, task: str) -> tuple[np.ndarray, np.ndarray]:
        """``(mask over pairs, labels of the masked pairs)`` of ``task`` ("book", "author" or "topic"), balanced."""
        kinds = np.array(self.kinds)
        positive = "same_author" if task == "author" else "same_book"
        negative_kinds = ["different_nearest"] if task == "topic" else ["different", "different_nearest"]
        positives = np.flatnonzero(kinds == positive)
        negatives = np.flatnonzero(np.isin(kinds, negative_kinds))
        count = min(positives.size, negatives.size)  # the topic task has fewer negatives than positives
        positives, negatives = positives[:count], negatives[:count]
        mask = np.zeros(kinds.size, dtype=bool)
        mask[positives], mask[negatives] = True, True
        return mask, kinds[mask] == positive


def nearest_other_author_books(centroids: Mapping[str, np.ndarray], authors: Mapping[str, str], k: int = 3) -> list[tuple[str, str]]:
    """``(book, neighbour)`` for each book's ``k`` nearest books by other authors (cosine of L2-normalised centroids)."""
    books = sorted(centroids)
    if len(books) < 2:
        return []
    matrix = np.stack([centroids[book] for book in books])  # (books, dim)
    similarity = matrix @ matrix.T
    owners = np.array([authors[book] for book in books])
    similarity[owners[:, None] == owners[None, :]] = -np.inf  # same author (and the book itself) never a negative
    order = np.argsort(-similarity, axis=1)[:, :k]
    return [(books[i], books[j]) for i in range(len(books)) for j in order[i] if np.isfinite(similarity[i, j])]


def excerpts(text: str, words: int | None, count: int) -> list[str]:
    """Up to ``count`` disjoint excerpts of ``words`` words spread over ``text``; ``words=None``: its two halves."""
    tokens = text.split()
    if words is None:
        half = len(tokens) // 2
        return [" ".join(tokens[:half]), " ".join(tokens[half:])] if half >= 2_000 else []
    slots = min(count, len(tokens) // words)
    if slots == 0:
        return []
    starts = np.linspace(0, len(tokens) - words, slots).astype(int) if slots > 1 else np.array([(len(tokens) - words) // 2])
    return [" ".join(tokens[min(_sentence_start(tokens, start, words // 5), len(tokens) - words):][:words]) for start in starts]


def _sentence_start(tokens: list[str], start: int, reach: int) -> int:
    """The first token after a sentence end within ``reach`` tokens of ``start`` (else ``start``): excerpts begin like text."""
    for position in range(start, min(start + reach, len(tokens) - 1)):
        if _SENTENCE_START.search(tokens[position]):
            return position + 1
    return start


def length_pairs(books: Mapping[str, str], authors: Mapping[str, str], neighbours: Sequence[tuple[str, str]], *, length: str,
                 excerpts_per_book: int, max_pairs_per_kind: int, seed: int) -> LengthPairs:
    """The pairs of the module docstring for the books ``{book_id: text}`` with ``{book_id: author}``."""
    rng = random.Random(seed)
    cut = {book: excerpts(text, LENGTHS[length], excerpts_per_book) for book, text in sorted(books.items())}
    cut = {book: texts for book, texts in cut.items() if texts}
    same_book = [((book, i), (book, j)) for book, texts in cut.items() for i, j in itertools.combinations(range(len(texts)), 2)]
    by_author = defaultdict(list)
    for book in cut:
        by_author[authors[book]].append(book)
    same_author = [((a, i), (b, j)) for group in by_author.values() for a, b in itertools.combinations(group, 2)
                   for i in range(len(cut[a])) for j in range(len(cut[b]))]
    same_book, same_author = (_sample(rng, pairs, max_pairs_per_kind) for pairs in (same_book, same_author))
    different = _different_authors(cut, authors, neighbours, max(len(same_book), len(same_author)), rng)
    chosen = [("same_book", pair) for pair in same_book] + [("same_author", pair) for pair in same_author] + different
    return LengthPairs(length=length, texts1=[cut[a][i] for _, ((a, i), _b) in chosen], texts2=[cut[b][j] for _, (_a, (b, j)) in chosen],
                       kinds=[kind for kind, _ in chosen], books=[(a, b) for _, ((a, _i), (b, _j)) in chosen])


def _sample(rng: random.Random, pairs: list, limit: int) -> list:
    return rng.sample(pairs, limit) if len(pairs) > limit else pairs


def _different_authors(cut: Mapping[str, list[str]], authors: Mapping[str, str], neighbours: Sequence[tuple[str, str]],
                       count: int, rng: random.Random) -> list:
    """``count`` ``(kind, pair)`` of different-author excerpts: half from the neighbour book pairs, the rest random."""
    known = [(a, b) for a, b in neighbours if a in cut and b in cut and authors[a] != authors[b]]
    books = list(cut)
    pairs = []
    for attempt in range(100 * count):
        if len(pairs) >= count or len(set(authors[book] for book in books)) < 2:
            break
        nearest = bool(known) and attempt % 2 == 0
        a, b = rng.choice(known) if nearest else rng.sample(books, 2)
        if authors[a] != authors[b]:
            pairs.append(("different_nearest" if nearest else "different", ((a, rng.randrange(len(cut[a]))), (b, rng.randrange(len(cut[b]))))))
    return pairs
