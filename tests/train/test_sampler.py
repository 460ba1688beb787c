from collections import Counter

import numpy as np
import pytest

from writing7.training.data import tables_from_split
from writing7.training.sampler import BookBatchSampler


def make_sampler(chunks, **overrides):
    settings = {"authors_per_batch": 4, "books_per_author": 2, "chunks_per_book": 2, "hard_negative_fraction": 0.5, "seed": 3, **overrides}
    return BookBatchSampler(chunks.books, chunks.authors, chunks.neighbours, **settings)


def test_every_batch_has_positives_at_book_and_author_level(pair_splits):
    chunks, _ = tables_from_split(pair_splits["train"])
    sampler = make_sampler(chunks)
    for step in range(20):
        rows = sampler.batch(step)
        assert len(set(rows.tolist())) == len(rows)  # no chunk twice
        per_book = Counter(chunks.books[rows].tolist())
        assert min(per_book.values()) >= 2
        books_per_author = Counter(chunks.authors[book_rows[0]] for book_rows in [rows[chunks.books[rows] == b] for b in per_book])
        assert len(books_per_author) == 4 and all(count == 2 for count in books_per_author.values())


def test_batches_are_a_pure_function_of_seed_and_step(pair_splits):
    chunks, _ = tables_from_split(pair_splits["train"])
    first, second = make_sampler(chunks), make_sampler(chunks)
    assert all(np.array_equal(first.batch(step), second.batch(step)) for step in (0, 5, 17))
    assert not np.array_equal(first.batch(0), make_sampler(chunks, seed=4).batch(0))


def test_hard_negative_neighbours_are_mined_from_hard_pairs(pair_splits):
    chunks, pairs = tables_from_split(pair_splits["train"])
    assert chunks.neighbours
    for book, others in chunks.neighbours.items():
        for other in others:
            assert chunks.author_names[chunks.authors[chunks.books == book][0]] != chunks.author_names[chunks.authors[chunks.books == other][0]]


def test_a_split_without_repeated_books_is_refused():
    books, authors = np.array([0, 1, 2]), np.array([0, 1, 2])
    with pytest.raises(ValueError, match="no book has 2 or more training chunks"):
        BookBatchSampler(books, authors, {}, authors_per_batch=2, books_per_author=1, chunks_per_book=2, hard_negative_fraction=0.5, seed=0)
