"""Train / validation / test by **author**: no author's style leaks from training into evaluation.

Every split needs at least :data:`MIN_AUTHORS_PER_SPLIT` authors (negatives pair two authors of
the same split) and at least one author with two or more books (same-author pairs, the author
level). So the smallest corpus that splits is 6 authors, 3 of them with 2+ books.

Assignment, deterministic for a seed: one author with 2+ books is drawn (seeded) for validation,
one for test and one for train; all remaining authors are shuffled together and fill validation
and test up to ``max(2, round(ratio * authors))`` each; train takes the rest.

Several corpus folders (:func:`split_authors_by_corpus`): each folder's authors are split on their own, in
folder order, so adding a folder never moves an earlier folder's authors (the first folder's test
authors stay the same, and results stay comparable). A folder whose authors are too few to split goes
to train whole.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np

logger = logging.getLogger(__name__)
SPLITS = ("train", "validation", "test")
MIN_AUTHORS_PER_SPLIT = 2


def split_sizes(authors: int, *, train_ratio: float, val_ratio: float) -> dict[str, int]:
    """Authors per split: validation and test at least 2 each, train the rest."""
    validation = max(MIN_AUTHORS_PER_SPLIT, round(val_ratio * authors))
    test = max(MIN_AUTHORS_PER_SPLIT, round((1 - train_ratio - val_ratio) * authors))
    return {"train": authors - validation - test, "validation": validation, "test": test}


def split_authors(books_per_author: Mapping[str, int], *, train_ratio: float, val_ratio: float, seed: int) -> dict[str, str]:
    """Map each author to ``train``, ``validation`` or ``test`` (see the module docstring)."""
    authors = sorted(books_per_author)
    multi_book = [author for author in authors if books_per_author[author] >= 2]
    sizes = split_sizes(len(authors), train_ratio=train_ratio, val_ratio=val_ratio)
    if len(multi_book) < len(SPLITS) or sizes["train"] < MIN_AUTHORS_PER_SPLIT:
        raise ValueError(
            f"too few authors to split by author: {len(authors)} authors, {len(multi_book)} with 2+ books; "
            f"train, validation and test each need {MIN_AUTHORS_PER_SPLIT} authors, one of them with 2+ books "
            f"(at least {MIN_AUTHORS_PER_SPLIT * len(SPLITS)} authors, {len(SPLITS)} with 2+ books): "
            "add books to the corpus or raise --max-books"
        )
    rng = np.random.default_rng(seed)
    seeds = [multi_book[i] for i in rng.permutation(len(multi_book))[: len(SPLITS)]]
    assignment = {author: split for author, split in zip(seeds, ("validation", "test", "train"))}
    rest = [author for author in authors if author not in assignment]
    rest = [rest[i] for i in rng.permutation(len(rest))]
    for split in ("validation", "test"):
        taken = sizes[split] - 1  # the split already has its author with 2+ books
        assignment.update({author: split for author in rest[:taken]})
        rest = rest[taken:]
    assignment.update({author: "train" for author in rest})
    return assignment


def split_authors_by_corpus(books_per_author: Mapping[str, int], corpus_of_author: Mapping[str, int], *, train_ratio: float,
                            val_ratio: float, seed: int) -> dict[str, str]:
    """:func:`split_authors` on each corpus folder's authors (``corpus_of_author``: author -> folder index, default 0).

    The first folder must split (the error says how to fix it); a later folder too small to split goes to train whole.
    """
    assignment: dict[str, str] = {}
    for corpus in sorted({corpus_of_author.get(author, 0) for author in books_per_author}):
        group = {author: count for author, count in books_per_author.items() if corpus_of_author.get(author, 0) == corpus}
        try:
            assignment |= split_authors(group, train_ratio=train_ratio, val_ratio=val_ratio, seed=seed)
        except ValueError:
            if corpus == min(corpus_of_author.get(author, 0) for author in books_per_author):
                raise
            logger.warning("prepare: corpus folder %d has too few authors to split by author (%d): all of them go to train",
                           corpus + 1, len(group))
            assignment |= {author: "train" for author in group}
    return assignment
