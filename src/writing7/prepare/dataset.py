"""Stage B of prepare: chunked books -> dedup -> splits -> embeddings -> neighbours -> topics -> pairs.

:func:`build_dataset` is the one code path after chunking: the single-process stage and the sharded
(Ray) stage both call it on the :class:`~writing7.prepare.chunking.BookChunks` of every book (in
any order: they are sorted by book id first), and so produce the same dataset for the same inputs
and seed. Phases: dedup, split (by author), embed (book centroids), neighbours (per split), topics,
pairs, dataset (HF conversion); each is timed by a :class:`~writing7.prepare.phases.PhaseTimer`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np
from datasets import DatasetDict

from writing7.models.runtime import resolve_device
from writing7.prepare.chunking import BookChunks
from writing7.prepare.dedup import drop_shared_chunks
from writing7.prepare.embedding import ChunkEncoder, book_centroids
from writing7.prepare.export import ExportedSplit, to_dataset
from writing7.prepare.neighbours import neighbour_books
from writing7.prepare.pairs import PairCounts, SplitBooks, make_pairs
from writing7.prepare.phases import PhaseTimer
from writing7.prepare.splits import SPLITS, split_authors_by_corpus
from writing7.prepare.topics import assign_topics
from writing7.text.chunks import sample_chunks


class DatasetSettings(Protocol):
    """What stage B reads of its settings (a :class:`~writing7.config.prepare.PrepareConfig` has them all)."""

    seed: int
    dedup_min_books: int
    train_ratio: float
    val_ratio: float
    embed_model: str
    device: str
    max_seq_length: int
    embed_precision: str
    embed_batch_size: int
    num_chunks_for_embed: int
    num_hard_negative_books: int
    neighbour_backend: str
    num_topics: int
    n_positive_per_book: int
    n_negative_per_book: int
    n_same_author_per_book: int
    hard_negative_fraction: float
    topic_negative_fraction: float


def chunk_stats(books: Sequence[BookChunks]) -> dict[str, Any]:
    """Books and passages after stage A: found, skipped (with reasons), windows, filtered, sampled."""
    skipped = Counter(book.skip_reason for book in books if book.skip_reason)
    return {
        "books_found": len(books),
        "books_skipped": sum(skipped.values()),
        "skip_reasons": dict(sorted(skipped.items())),
        "books_without_chunks": sum(1 for book in books if not book.skip_reason and not book.chunks),
        "windows": sum(book.windows for book in books),
        "chunks_dropped_by_filter": sum(book.filtered for book in books),
        "chunks_sampled": sum(len(book.chunks) for book in books),
    }


def embed_centroids(books: Sequence[BookChunks], cfg: DatasetSettings, encoder: ChunkEncoder) -> tuple[np.ndarray, dict[str, Any]]:
    """(books, dim) centroids of up to ``num_chunks_for_embed`` passages per book, and embedding stats."""
    samples = [sample_chunks(book.chunks, cfg.num_chunks_for_embed, cfg.seed) for book in books]
    texts = [chunk.text for sample in samples for chunk in sample]
    owners = np.repeat(np.arange(len(books)), [len(sample) for sample in samples])
    step = max(1, len(texts) // 32)
    dtype = encoder.check_precision(texts[::step])
    embeddings = encoder.encode(texts, batch_size=cfg.embed_batch_size, progress=True)  # (texts, dim)
    stats = {"model": cfg.embed_model, "dtype": dtype, "precision_check_min_cosine": encoder.precision_check_cosine, "chunks_embedded": len(texts)}
    return book_centroids(embeddings, owners, len(books)), stats


def _dedup(book_chunks: Sequence[BookChunks], cfg: DatasetSettings, stats: dict[str, Any]) -> list[BookChunks]:
    """Books that still have passages after the cross-book dedup; raises when none is left."""
    books, dedup = drop_shared_chunks([book for book in book_chunks if book.chunks], min_books=cfg.dedup_min_books)
    stats["dedup"] = dedup.to_dict()
    books = [book for book in books if book.chunks]
    if not books:
        raise ValueError(
            f"no training examples were created: none of {stats['books_found']} books kept a passage "
            f"({stats['chunks_dropped_by_filter']} dropped by the length/English filters, {dedup.dropped_shared} by dedup): "
            "lower --min-chunk-chars / min_stopword_ratio, raise --dedup-min-books, or check that the books are English prose"
        )
    return books


def _neighbours(books: Sequence[BookChunks], centroids: np.ndarray, members: dict[str, list[int]], cfg: DatasetSettings) -> dict[str, list[list[int]]]:
    """Per split, each book's nearest other-author books *of the same split* (pairs never cross splits)."""
    device = resolve_device(cfg.device)
    return {
        split: neighbour_books(
            centroids[indices], [books[i].author for i in indices], cfg.num_hard_negative_books,
            backend=cfg.neighbour_backend, device=device,
        )
        for split, indices in members.items()
    }


def _split_books(books: Sequence[BookChunks], topics: list[np.ndarray], members: list[int], neighbours: list[list[int]]) -> SplitBooks:
    return SplitBooks(
        book_ids=[books[i].book_id for i in members], authors=[books[i].author for i in members],
        chunks=[books[i].chunks for i in members], topics=[topics[i] for i in members], neighbours=neighbours,
    )


def build_dataset(
    book_chunks: Sequence[BookChunks], cfg: DatasetSettings, *, encoder: ChunkEncoder | None = None, timer: PhaseTimer | None = None,
    corpus_of_author: Mapping[str, int] | None = None,
) -> tuple[DatasetDict, dict[str, Any]]:
    """The pair ``DatasetDict`` (train / validation / test) and its stats for the manifest.

    ``book_chunks`` may come in any order (they are sorted by book id, so shards can be merged in
    any order); ``encoder`` defaults to ``cfg.embed_model``; ``timer`` collects seconds and peak
    RSS per phase; ``corpus_of_author`` (author -> corpus folder index) splits each folder's authors
    on their own (:func:`~writing7.prepare.splits.split_authors_by_corpus`; default: one folder).
    """
    timer = timer or PhaseTimer()
    book_chunks = sorted(book_chunks, key=lambda book: book.book_id)
    stats: dict[str, Any] = chunk_stats(book_chunks)
    with timer.phase("dedup"):
        books = _dedup(book_chunks, cfg, stats)
    with timer.phase("split"):
        assignment = split_authors_by_corpus(Counter(book.author for book in books), corpus_of_author or {},
                                             train_ratio=cfg.train_ratio, val_ratio=cfg.val_ratio, seed=cfg.seed)
        members = {split: [i for i, book in enumerate(books) if assignment[book.author] == split] for split in SPLITS}
    with timer.phase("embed"):
        encoder = encoder or ChunkEncoder.load(cfg.embed_model, device=cfg.device, max_seq_length=cfg.max_seq_length, precision=cfg.embed_precision)
        centroids, stats["embedding"] = embed_centroids(books, cfg, encoder)
    stats["embedding"]["chunks_per_second"] = round(stats["embedding"]["chunks_embedded"] / max(timer.seconds["embed"], 1e-9), 1)
    with timer.phase("neighbours"):
        neighbours = _neighbours(books, centroids, members, cfg)
    with timer.phase("topics"):
        flat_topics = assign_topics([chunk.text for book in books for chunk in book.chunks], num_topics=cfg.num_topics, seed=cfg.seed)
        topics = np.split(flat_topics, np.cumsum([len(book.chunks) for book in books])[:-1])
    stats["topic_sizes"] = np.bincount(flat_topics, minlength=cfg.num_topics).tolist()
    counts = PairCounts(cfg.n_positive_per_book, cfg.n_negative_per_book, cfg.n_same_author_per_book, cfg.hard_negative_fraction, cfg.topic_negative_fraction)
    # Pairs are drawn as indices and become Arrow blocks as they are made (prepare/export.py).
    with timer.phase("pairs"):
        exported = {
            split: to_dataset(make_pairs(_split_books(books, topics, members[split], neighbours[split]), counts, seed=cfg.seed), split)
            for split in SPLITS
        }
    stats.update(_split_stats(books, members, exported))
    stats.update(timer.to_dict())
    return DatasetDict({split: exported[split].dataset for split in SPLITS}), stats


def _split_stats(books: Sequence[BookChunks], members: dict[str, list[int]], exported: dict[str, ExportedSplit]) -> dict[str, Any]:
    return {
        "chunks_kept": sum(len(book.chunks) for book in books),
        "books_used": len(books),
        "splits": {
            split: {
                "authors": len({books[i].author for i in members[split]}),
                "books": len(members[split]),
                "chunks": sum(len(books[i].chunks) for i in members[split]),
                "pairs": exported[split].pairs,
                "pair_types": exported[split].pair_types,
                "fingerprint": exported[split].dataset._fingerprint,
                "rows_sha256": exported[split].rows_sha256,
            }
            for split in SPLITS
        },
    }
