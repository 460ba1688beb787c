"""Benchmark prepare's last phase, pairs -> Arrow: the blocked export against the one-shot ``Dataset.from_dict`` it replaced.

    python bench/pair_export.py [--books 5000 20000] [--chunks-per-book 64] [--block-rows 20000]

The same pairs, drawn by ``prepare.pairs.make_pairs`` from a synthetic split, become a ``datasets.Dataset``
two ways, each in a fresh process (so each peak RSS is its own):

- ``one-shot``: every row as a Python dict in a list, one list per column, ``Dataset.from_dict`` with the
  schema, then the rows' hash (what prepare did before: ``to_dataset`` took a list of rows);
- ``blocked``: ``prepare.export.to_dataset`` on the row iterator, ``--block-rows`` rows at a time.

Printed per library size and way: pairs, seconds, pairs/s, the peak RSS and what the export added to the
RSS the books already held, per pair. Both ways must give the same rows hash (checked). The split is
synthetic: ``--books`` books of ``--chunks-per-book`` passages of about 190 random words (1,100
characters, like prepare's 10-sentence passages), 3 books per author, 5 topics, 10 neighbour books; the
pair counts are the CPU preset's (12 positive, 24 negative, 6 same-author per book).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from matcher_setup import cpu_description, in_fresh_process

WORDS_PER_PASSAGE = 190
VOCABULARY = 20_000
BOOKS_PER_AUTHOR = 3


def synthetic_split(books: int, chunks_per_book: int, seed: int = 0):
    """A :class:`~writing7.prepare.pairs.SplitBooks` of random-word passages (each text a distinct string)."""
    from writing7.prepare.pairs import SplitBooks
    from writing7.text.chunks import Chunk

    rng = np.random.default_rng(seed)
    words = np.array([f"w{index}" for index in range(VOCABULARY)])
    book_ids = [f"author-{number // BOOKS_PER_AUTHOR:05d}/book-{number:06d}" for number in range(books)]
    authors = [book_id.split("/")[0] for book_id in book_ids]
    chunks = [
        [Chunk(book_id, author, index, 0, 1, 10 * index, 10 * index + 10,
               " ".join(words[rng.integers(VOCABULARY, size=WORDS_PER_PASSAGE)])) for index in range(chunks_per_book)]
        for book_id, author in zip(book_ids, authors)
    ]
    topics = [rng.integers(5, size=chunks_per_book) for _ in range(books)]
    neighbours = [[int(other) for other in rng.choice(books, size=10, replace=False) if authors[other] != author] for author in authors]
    return SplitBooks(book_ids, authors, chunks, topics, neighbours)


def export(way: str, books: int, chunks_per_book: int, block_rows: int) -> dict:
    """One way's export of the split's pairs, in this process: seconds, pairs, RSS before and at the peak (MiB), hash."""
    from datasets import Dataset

    from writing7.prepare.export import FEATURES, rows_hash, to_dataset
    from writing7.prepare.pairs import COLUMNS, PairCounts, make_pairs

    split = synthetic_split(books, chunks_per_book)
    counts = PairCounts(12, 24, 6, 0.5, 0.25)
    held = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # the books (peak so far: building them)
    start = time.perf_counter()
    if way == "one-shot":
        rows = list(make_pairs(split, counts, seed=0))
        dataset = Dataset.from_dict({name: [row[name] for row in rows] for name in COLUMNS}, features=FEATURES)
        digest, pairs = rows_hash(rows), len(rows)
    else:
        exported = to_dataset(make_pairs(split, counts, seed=0), "train", block_rows=block_rows)
        dataset, digest, pairs = exported.dataset, exported.rows_sha256, exported.pairs
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert dataset.num_rows == pairs
    return {"way": way, "pairs": pairs, "seconds": seconds, "held_mb": held, "peak_mb": peak, "hash": digest}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--books", type=int, nargs="+", default=[5000, 20000])
    parser.add_argument("--chunks-per-book", type=int, default=64)
    parser.add_argument("--block-rows", type=int, default=20_000)
    args = parser.parse_args()
    print(f"CPU: {cpu_description()}")
    print("| books | way | pairs | seconds | pairs/s | peak RSS MiB | added by the export MiB | KB a pair |")
    print("|---|---|---|---|---|---|---|---|")
    for books in args.books:
        results = [in_fresh_process(export, way, books, args.chunks_per_book, args.block_rows) for way in ("one-shot", "blocked")]
        if results[0]["hash"] != results[1]["hash"]:
            raise SystemExit(f"{books} books: the two ways wrote different rows")
        for result in results:
            added = result["peak_mb"] - result["held_mb"]
            print(f"| {books:,} | {result['way']} | {result['pairs']:,} | {result['seconds']:.1f} | {result['pairs'] / result['seconds']:,.0f} | "
                  f"{result['peak_mb']:,.0f} | {added:,.0f} | {added * 1024 / result['pairs']:.2f} |", flush=True)


if __name__ == "__main__":
    main()
