"""Stage ``calibrate-documents``: fit the whole-document aggregation on validation-split books.

The validation split of ``data/processed`` names its books (authors never seen in training). Each
of those books is read from the corpus, cut into chunks like ``compare`` does, and
``documents_per_book`` disjoint excerpts of 1 to ``2 * max_chunks_per_document`` consecutive chunks
are taken from it (varied lengths, so the regression sees the pair-count feature vary). Document
pairs are then every pair of excerpts of one book (same book), as many excerpt pairs of two books
by one author (same author, other book) as there are, capped at the same-book count, and as many
excerpt pairs of two authors as the two others together. Each pair goes through exactly the
inference path (:func:`~writing7.inference.documents.document_chunks` on the excerpt text, chunk
embeddings, pair head) and the aggregation calibrators are fitted on the resulting features
(:mod:`writing7.inference.documents`). The result, ``document_calibration.json``, is written
atomically into the model folder, then ``document_calibration_manifest.json`` beside it; the stage
is skipped while that manifest matches its inputs, config and output.
"""

from __future__ import annotations

import itertools
import json
import logging
import random
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from writing7.artifacts import Manifest, atomic_write_json, files_current, finish_files, hash_tree, require_input
from writing7.progress import progress_disabled
from writing7.config.inference import InferenceConfig
from writing7.corpus import discover_books, read_book
from writing7.inference.documents import (
    ChunkingSettings,
    DocumentAggregationCalibrator,
    DocumentCalibration,
    aggregation_features,
    chunk_pair_logits,
    document_chunks,
)
from writing7.text.chunks import make_chunks
from writing7.text.sentences import split_sentences

logger = logging.getLogger(__name__)
STAGE = "calibrate-documents"
MANIFEST_FILE = "document_calibration_manifest.json"


def validation_books(processed: Path) -> dict[str, str]:
    """``{book_id: author}`` of every book in the validation split of the pair dataset."""
    from datasets import load_from_disk

    split = load_from_disk(str(processed))["validation"]
    books = dict(zip(split["book1"], split["author1"])) | dict(zip(split["book2"], split["author2"]))
    return dict(sorted(books.items()))


def book_excerpts(text: str, cfg: InferenceConfig, rng: random.Random) -> list[str]:
    """``documents_per_book`` disjoint excerpts of consecutive chunks (fewer for a short book)."""
    chunks = make_chunks(text, split_sentences(text), book_id="book", author="", chunk_size=cfg.chunk_size, overlap=cfg.chunk_size,
                         min_chars=cfg.min_chunk_chars, min_stopword_ratio=0.2)
    if not chunks:
        return []
    segments = np.array_split(np.arange(len(chunks)), min(cfg.documents_per_book, len(chunks)))
    excerpts = []
    for segment in segments:
        length = rng.randint(1, min(len(segment), 2 * cfg.max_chunks_per_document))
        start = int(segment[0]) + rng.randint(0, len(segment) - length)
        excerpts.append("\n\n".join(chunk.text for chunk in chunks[start:start + length]))
    return excerpts


def document_pairs(excerpts: dict[str, list[str]], authors: dict[str, str], rng: random.Random) -> list[tuple[tuple[str, int], tuple[str, int]]]:
    """Same-book, same-author-other-book and other-author pairs of ``(book_id, excerpt position)``."""
    same_book = [((book, i), (book, j)) for book, texts in excerpts.items() for i, j in itertools.combinations(range(len(texts)), 2)]
    books_by_author = defaultdict(list)
    for book in excerpts:
        books_by_author[authors[book]].append(book)
    same_author = [((a, i), (b, j)) for books in books_by_author.values() for a, b in itertools.combinations(books, 2)
                   for i in range(len(excerpts[a])) for j in range(len(excerpts[b]))]
    rng.shuffle(same_author)
    same_author = same_author[: len(same_book)]
    books = list(excerpts)
    other_author = []
    for _ in range(50 * (len(same_book) + len(same_author))):  # rejection sampling, bounded
        if len(other_author) >= len(same_book) + len(same_author) or len(set(authors.values())) < 2:
            break
        a, b = rng.sample(books, 2)
        if authors[a] != authors[b]:
            other_author.append(((a, rng.randrange(len(excerpts[a]))), (b, rng.randrange(len(excerpts[b])))))
    return same_book + same_author + other_author


def fit_document_calibration(model: Any, excerpts: dict[str, list[str]], authors: dict[str, str], cfg: InferenceConfig) -> DocumentCalibration:
    """Features of every document pair through the inference path, then one calibrator per target.

    ``model`` is a :class:`~writing7.models.matcher.MatcherModel`; the chunk-level calibration is not needed.
    """
    settings = ChunkingSettings.from_config(cfg)
    chunked = {key: document_chunks(text, settings) for key, text in _keyed(excerpts)}
    order = list(chunked)
    flat = [chunk for key in order for chunk in chunked[key]]
    embeddings = model.encode(flat, batch_size=cfg.batch_size)  # (all chunks, dim)
    offsets = dict(zip(order, np.cumsum([0] + [len(chunked[key]) for key in order[:-1]])))
    rows = {key: embeddings[offsets[key]:offsets[key] + len(chunked[key])] for key in order}
    pairs = document_pairs(excerpts, authors, random.Random(cfg.seed + 1))
    features, book_labels, author_labels = [], [], []
    for first, second in tqdm(pairs, desc="calibrate-documents", unit="pair", disable=progress_disabled()):
        logits = chunk_pair_logits(model, chunked[first], rows[first], chunked[second], rows[second])
        features.append(aggregation_features(logits, settings.top_k))
        book_labels.append(first[0] == second[0])
        author_labels.append(authors[first[0]] == authors[second[0]])
    features = np.stack(features)  # (pairs, 7)
    book = DocumentAggregationCalibrator().fit(features, np.array(book_labels))
    author = DocumentAggregationCalibrator().fit(features, np.array(author_labels))
    stats = {"pairs": len(pairs), "same_book": int(sum(book_labels)), "same_author": int(sum(author_labels)),
             "books": len(excerpts), "authors": len(set(authors[book] for book in excerpts)),
             "book_accuracy": _accuracy(book, features, book_labels), "author_accuracy": _accuracy(author, features, author_labels)}
    return DocumentCalibration(settings, book, author, stats)


def _keyed(excerpts: dict[str, list[str]]) -> list[tuple[tuple[str, int], str]]:
    return [((book, position), text) for book, texts in excerpts.items() for position, text in enumerate(texts)]


def _accuracy(calibrator: DocumentAggregationCalibrator, features: np.ndarray, labels: list[bool]) -> float:
    """Balanced accuracy at p >= 0.5 on the fitting pairs (in-sample: a sanity figure, not an evaluation)."""
    predictions, labels_array = calibrator.predict_proba(features) >= 0.5, np.array(labels)
    return round(float((np.mean(predictions[labels_array]) + np.mean(~predictions[~labels_array])) / 2), 4)


def run(cfg: InferenceConfig, *, corpus: Path, processed: Path, model_dir: Path, force: bool = False, device: str | None = None) -> Manifest:
    """Fit and write ``model_dir/document_calibration.json`` (+ its manifest); skipped when current."""
    from writing7.models.matcher import MatcherModel

    require_input(processed, stage="prepare", what="pair dataset (validation split)")
    require_input(model_dir, stage="train", what="bi-encoder model")
    require_input(corpus, stage="ingest", what="corpus directory")
    inputs = {"processed": hash_tree(processed), "model": hash_tree(model_dir), "corpus": hash_tree(corpus, suffixes=(".txt",))}
    output, manifest_path = Path(model_dir) / DocumentCalibration.FILE_NAME, Path(model_dir) / MANIFEST_FILE
    if not force and files_current(manifest_path, stage=STAGE, config=cfg.to_dict(), inputs=inputs, outputs=[output]):
        logger.info("calibrate-documents: skipped (current) %s", output)
        return Manifest(**json.loads(manifest_path.read_text(encoding="utf-8")))
    authors = validation_books(processed)
    rng = random.Random(cfg.seed)
    files = {book.book_id: book for book in discover_books(corpus) if book.book_id in authors}
    missing = sorted(set(authors) - set(files))
    if missing:
        raise FileNotFoundError(f"{len(missing)} validation book(s) are not in {corpus} (e.g. {missing[0]}): "
                                "pass the --corpus the pair dataset was prepared from")
    excerpts = {book_id: book_excerpts(read_book(files[book_id].path).text, cfg, rng) for book_id in files}
    excerpts = {book_id: texts for book_id, texts in excerpts.items() if texts}
    calibration = fit_document_calibration(MatcherModel.load(model_dir, device=device), excerpts, authors, cfg)
    atomic_write_json(output, calibration.to_dict())
    logger.info("calibrate-documents: %s", calibration.fit_stats)
    return finish_files(manifest_path, stage=STAGE, config=cfg.to_dict(), inputs=inputs, outputs=[output], stats=calibration.fit_stats)
