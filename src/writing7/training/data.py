"""Training data views of one split of the pair dataset.

The pair dataset (``data/processed``) stores pairs; contrastive training wants *chunks* with book,
author and topic labels. :func:`tables_from_split` turns a split into

- a :class:`ChunkTable`: every distinct passage once, with integer book/author/topic ids and the
  mined hard-negative neighbours of each book (from the ``neg_type == "hard"`` pairs), and
- a :class:`PairTable`: the split's pairs as row indices into that table, with both labels.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

REQUIRED_COLUMNS = ("text1", "text2", "label", "book1", "book2", "author1", "author2", "pair_type", "neg_type", "topic1", "topic2")


@dataclasses.dataclass
class ChunkTable:
    texts: list[str]
    books: np.ndarray  # (n,) int64 index into book_names
    authors: np.ndarray  # (n,) int64 index into author_names
    topics: np.ndarray  # (n,) int64, -1 = unknown
    book_names: list[str]
    author_names: list[str]
    neighbours: dict[int, list[int]]  # book -> hard-negative books (other authors)

    def __len__(self) -> int:
        return len(self.texts)


@dataclasses.dataclass
class PairTable:
    first: np.ndarray  # (p,) row in the ChunkTable
    second: np.ndarray  # (p,)
    same_book: np.ndarray  # (p,) bool
    same_author: np.ndarray  # (p,) bool
    pair_type: np.ndarray  # (p,) object: positive / negative / same_author

    def __len__(self) -> int:
        return len(self.first)

    def subset(self, rows: np.ndarray) -> PairTable:
        return PairTable(*(getattr(self, field.name)[rows] for field in dataclasses.fields(self)))


def split_columns(split: Any) -> dict[str, list]:
    """Columns of a ``datasets.Dataset`` (or a plain mapping of lists) as lists, checked for the schema."""
    columns = split if isinstance(split, Mapping) else split.to_dict()
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise ValueError(f"pair data lacks column(s) {', '.join(missing)}: re-run `writing7 prepare` to rebuild data/processed")
    return {name: list(columns[name]) for name in REQUIRED_COLUMNS}


def tables_from_split(split: Any) -> tuple[ChunkTable, PairTable]:
    """Distinct chunks and the pairs over them; raises when the split has no pairs."""
    columns = split_columns(split)
    if not columns["text1"]:
        raise ValueError("the pair split is empty: re-run `writing7 prepare` with more books or chunks")
    row_of_text: dict[str, int] = {}
    books, authors, topics = [], [], []
    for side in ("1", "2"):
        for text, book, author, topic in zip(columns[f"text{side}"], columns[f"book{side}"], columns[f"author{side}"], columns[f"topic{side}"]):
            if text not in row_of_text:
                row_of_text[text] = len(row_of_text)
                books.append(book)
                authors.append(author)
                topics.append(-1 if topic is None else int(topic))
    book_names, book_ids = _index(books)
    author_names, author_ids = _index(authors)
    first = np.array([row_of_text[text] for text in columns["text1"]], dtype=np.int64)
    second = np.array([row_of_text[text] for text in columns["text2"]], dtype=np.int64)
    chunks = ChunkTable(
        texts=list(row_of_text), books=book_ids, authors=author_ids, topics=np.asarray(topics, dtype=np.int64),
        book_names=book_names, author_names=author_names,
        neighbours=_hard_neighbours(columns, book_names, author_ids, book_ids),
    )
    pairs = PairTable(
        first=first, second=second,
        same_book=np.asarray(columns["label"], dtype=bool),
        same_author=np.asarray(columns["author1"], dtype=object) == np.asarray(columns["author2"], dtype=object),
        pair_type=np.asarray(columns["pair_type"], dtype=object),
    )
    return chunks, pairs


def _index(values: Sequence[str]) -> tuple[list[str], np.ndarray]:
    names = sorted(set(values))
    position = {name: index for index, name in enumerate(names)}
    return names, np.array([position[value] for value in values], dtype=np.int64)


def _hard_neighbours(columns: dict[str, list], book_names: list[str], author_ids: np.ndarray, book_ids: np.ndarray) -> dict[int, list[int]]:
    """Book -> books it was paired with as a mined hard negative (both directions, other authors only)."""
    book_index = {name: index for index, name in enumerate(book_names)}
    author_of_book = dict(zip(book_ids.tolist(), author_ids.tolist()))
    neighbours: dict[int, set[int]] = defaultdict(set)
    for book1, book2, neg_type in zip(columns["book1"], columns["book2"], columns["neg_type"]):
        first, second = book_index[book1], book_index[book2]
        if neg_type == "hard" and author_of_book[first] != author_of_book[second]:
            neighbours[first].add(second)
            neighbours[second].add(first)
    return {book: sorted(others) for book, others in neighbours.items()}
