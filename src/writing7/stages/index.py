"""Stage ``index``: embed a library of books for two-stage search (see :mod:`writing7.inference.index`).

Each book is standardized, split into sentences and cut into chunks exactly like ``prepare`` does;
a seeded sample of at most ``max_chunks_per_book`` chunks is embedded with the bi-encoder, and up to
``held_out_per_book`` chunks that share no sentence with an indexed chunk are kept aside as queries
for ``writing7 evaluate --retrieval`` (:mod:`writing7.stages.retrieval`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from writing7.artifacts import Manifest, atomic_directory, finish, hash_tree, is_current, require_input
from writing7.config.index import IndexConfig
from writing7.corpus import BookFile, corpus_inputs, discover_corpora, read_corpus_book
from writing7.inference.index import BookIndex, IndexedBook
from writing7.parallel import map_in_order, worker_count
from writing7.text.chunks import Chunk, make_chunks, sample_chunks
from writing7.text.sentences import book_sentences
from writing7.stages import StageResult

logger = logging.getLogger(__name__)
STAGE = "index"
def book_chunks(book: BookFile, cfg: IndexConfig) -> tuple[list[Chunk], list[Chunk]]:
    """``(indexed, held_out)`` chunks of one book; both empty when the book is unusable."""
    standardized = read_corpus_book(book)
    if standardized.skip_reason:
        logger.warning("skipping %s: %s", book.book_id, standardized.skip_reason)
        return [], []
    chunks = make_chunks(standardized.text, book_sentences(standardized.text), book_id=book.book_id, author=book.author,
                         chunk_size=cfg.chunk_size, overlap=cfg.overlap, min_chars=cfg.min_chunk_chars,
                         min_stopword_ratio=cfg.min_stopword_ratio)
    indexed = sample_chunks(chunks, cfg.max_chunks_per_book, cfg.seed)
    used = {sentence for chunk in indexed for sentence in range(chunk.sentence_start, chunk.sentence_end)}
    unseen = [chunk for chunk in chunks if used.isdisjoint(range(chunk.sentence_start, chunk.sentence_end))]
    return indexed, sample_chunks(unseen, cfg.held_out_per_book, cfg.seed + 1)


def no_usable_chunk_message(cfg: IndexConfig, books: list[BookFile], corpus: Path | str | None) -> str:
    """The one line for a corpus none of whose books gave a chunk: where, how many, one book's reason, and the fix."""
    where = f"under {corpus} " if corpus is not None else ""
    example = ""
    if books:  # re-read one book (only on this failure path) to say why it gave nothing
        reason = read_corpus_book(books[0]).skip_reason or f"less than {cfg.min_chunk_chars} characters of usable prose"
        example = f", e.g. {books[0].book_id}: {reason}"
    return (f"no book {where}gave a usable chunk ({len(books)} book(s) read{example}): "
            "put plain-text English prose there as AUTHOR/TITLE.txt, or lower min_chunk_chars")


def build_index(cfg: IndexConfig, books: list[BookFile], model: Any, *, model_dir: Path, corpus: Path | str | None = None) -> BookIndex:
    """Chunk and embed ``books`` with ``model`` (a MatcherModel); books without chunks are left out.

    When not one book gives a chunk it raises one line naming ``corpus`` (the folder the books came from).
    """
    indexed_books, chunk_records, texts, held_out = [], [], [], []
    chunked = map_in_order(book_chunks, books, cfg, workers=worker_count(cfg.workers, len(books)), description="index: chunk")
    for book, (indexed, queries) in zip(books, chunked):
        if not indexed:
            logger.warning("%s has no usable chunks: not indexed", book.book_id)
            continue
        indexed_books.append(IndexedBook(book.book_id, book.author, book.title, len(chunk_records), len(indexed)))
        chunk_records += [{"book": len(indexed_books) - 1, "index": c.index, "start": c.start, "end": c.end, "text": c.text} for c in indexed]
        texts += [chunk.text for chunk in indexed]
        held_out += [{"book_id": c.book_id, "index": c.index, "start": c.start, "end": c.end, "text": c.text} for c in queries]
    if not indexed_books:
        raise ValueError(no_usable_chunk_message(cfg, books, corpus))
    logger.info("index: embedding %d chunks of %d books", len(texts), len(indexed_books))
    embeddings = np.asarray(model.encode(texts, batch_size=cfg.batch_size), dtype=np.float32)  # (chunks, dim)
    info = {"backend": cfg.backend, "vector_index": cfg.vector_index.to_dict(), "dimension": int(embeddings.shape[1]), "books": len(indexed_books),
            "chunks": len(texts), "held_out": len(held_out), "model_dir": str(Path(model_dir).resolve()),
            "chunking": {"chunk_size": cfg.chunk_size, "overlap": cfg.overlap, "min_chunk_chars": cfg.min_chunk_chars}}
    return BookIndex.from_embeddings(embeddings, indexed_books, chunk_records, info, held_out)


def summary_line(stats: dict[str, Any]) -> str:
    """``18 books, 144 chunks, 36 held-out queries``: the stage's one line."""
    return f"{stats['books']} books, {stats['chunks']} chunks, {stats['held_out']} held-out queries"


def run(cfg: IndexConfig, *, corpus: Path | Sequence[Path], model_dir: Path, output: Path, force: bool = False) -> StageResult:
    """Build the index of every book under ``corpus`` (one folder or several) into ``output`` (atomic, with manifest;
    skipped when current)."""
    from writing7.models.matcher import MatcherModel

    corpus, corpus_hashes = corpus_inputs(corpus)
    require_input(model_dir, stage="train", what="bi-encoder model")
    inputs = {**corpus_hashes, "model": hash_tree(model_dir)}  # calibration sidecars are not hashed
    if not force and is_current(output, stage=STAGE, config=cfg.to_dict(), inputs=inputs):
        logger.info("index: skipped (current) %s", output)
        manifest = Manifest.load(output)
        return StageResult(STAGE, manifest, ran=False, summary=summary_line(manifest.stats))
    books = discover_corpora(corpus)
    model = MatcherModel.load(model_dir, precision=cfg.precision)
    index = build_index(cfg, books, model, model_dir=model_dir, corpus=", ".join(str(folder) for folder in corpus))
    with atomic_directory(output) as temporary:
        index.save(temporary)
        stats = {key: index.info[key] for key in ("books", "chunks", "held_out", "dimension", "backend")}
        stats["skipped_books"] = len(books) - len(index.books)
        manifest = finish(temporary, stage=STAGE, config=cfg.to_dict(), inputs=inputs, stats=stats)
    return StageResult(STAGE, manifest, ran=True, summary=summary_line(stats))
