"""Book-aware batch sampler for supervised contrastive training.

Every batch holds ``authors_per_batch`` authors, up to ``books_per_author`` books of each and
``chunks_per_book`` chunks of each book, so SupCon has same-book positives for every chunk, the
author-level term has same-author-other-book positives, and the pair head sees all three pair
kinds. After the first (anchor) author, a ``hard_negative_fraction`` of the authors comes from the
anchor's mined hard-negative neighbour books: negatives the model cannot separate by topic alone.

Batch ``step`` is a pure function of ``(seed, step)`` (its own ``numpy`` generator), so the sampler's
whole state is the step number: resuming at step s replays exactly the batches s, s+1, ... of an
uninterrupted run, whatever the number of DataLoader workers. Under ``torchrun`` the sampler draws the *global* batch
(``authors_per_batch`` is then the per-process count times the world size) and each rank encodes its
share of :meth:`author_groups`, so the ranks' author groups are disjoint by construction.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np


class BookBatchSampler:
    """Chunk rows of each batch, from per-chunk book and author ids."""

    def __init__(
        self, books: np.ndarray, authors: np.ndarray, neighbours: dict[int, list[int]], *,
        authors_per_batch: int, books_per_author: int, chunks_per_book: int, hard_negative_fraction: float, seed: int,
    ) -> None:
        rows_of_book: dict[int, list[int]] = defaultdict(list)
        for row, book in enumerate(np.asarray(books).tolist()):
            rows_of_book[book].append(row)
        # A book with one chunk cannot give a same-book positive: it never enters a batch.
        self.rows_of_book = {book: np.asarray(rows) for book, rows in rows_of_book.items() if len(rows) >= 2}
        if not self.rows_of_book:
            raise ValueError("no book has 2 or more training chunks: SupCon needs same-book positives; prepare more chunks per book")
        author_of_book = {int(books[rows[0]]): int(authors[rows[0]]) for rows in self.rows_of_book.values()}
        books_of_author: dict[int, list[int]] = defaultdict(list)
        for book in sorted(self.rows_of_book):
            books_of_author[author_of_book[book]].append(book)
        self.books_of_author = dict(books_of_author)
        self.author_list = np.array(sorted(self.books_of_author), dtype=np.int64)
        if len(self.author_list) < 2:
            raise ValueError("the training split has fewer than 2 authors with 2+ chunks per book: prepare more books")
        self.neighbour_authors = {
            author: sorted({author_of_book[other] for book in author_books for other in neighbours.get(book, []) if other in author_of_book} - {author})
            for author, author_books in self.books_of_author.items()
        }
        self.authors_per_batch = authors_per_batch
        self.books_per_author = books_per_author
        self.chunks_per_book = chunks_per_book
        self.hard_negative_fraction = hard_negative_fraction
        self.seed = seed

    def batch(self, step: int) -> np.ndarray:
        """Chunk rows of batch ``step`` (authors x books x chunks, fewer where the data has fewer)."""
        return np.concatenate(self.author_groups(step))

    def author_groups(self, step: int) -> list[np.ndarray]:
        """Chunk rows of batch ``step``, one array per chosen author (what distributed ranks split between them)."""
        generator = np.random.default_rng([self.seed, step])
        groups = []
        for author in self._authors(generator):
            rows = []
            for book in generator.permutation(self.books_of_author[author])[: self.books_per_author]:
                book_rows = self.rows_of_book[int(book)]
                count = min(self.chunks_per_book, len(book_rows))
                rows.append(generator.choice(book_rows, size=count, replace=False))
            groups.append(np.concatenate(rows))
        return groups

    def _authors(self, generator: np.random.Generator) -> list[int]:
        wanted = min(self.authors_per_batch, len(self.author_list))
        anchor = int(generator.choice(self.author_list))
        chosen = [anchor]
        hard = generator.permutation(self.neighbour_authors[anchor]).tolist()
        hard_quota = int(round(self.hard_negative_fraction * (wanted - 1)))
        chosen += hard[:hard_quota]
        for author in generator.permutation(self.author_list).tolist():
            if len(chosen) >= wanted:
                break
            if author not in chosen:
                chosen.append(author)
        return chosen
