"""Tiny real models for tests, built from the fixture corpus.

:func:`build_model`: an untrained :class:`~writing7.models.matcher.MatcherModel` around the tiny BERT
(2 layers, width 32) with style features fitted on fixture chunks and a seeded pair head.

:func:`build_trained_artifacts`: the real pipeline, small: a pair dataset of fixture chunk pairs
(author-disjoint splits), the ``train`` stage for 8 steps on the tiny BERT, the ``calibrate`` stage
including the verdict, so every file inference and serving read is the real thing.
"""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import numpy as np

from tiny_models import FIXTURE_CORPUS

CHUNK_SIZE = 4
CHUNKS_PER_BOOK = 6


def fixture_chunks(chunks_per_book: int = CHUNKS_PER_BOOK) -> list:
    """Up to ``chunks_per_book`` 4-sentence chunks of every fixture book (Chunk objects)."""
    from writing7.corpus import discover_books, read_book
    from writing7.text.chunks import make_chunks, sample_chunks
    from writing7.text.sentences import split_sentences

    chunks = []
    for book in discover_books(FIXTURE_CORPUS):
        text = read_book(book.path).text
        book_chunks = make_chunks(text, split_sentences(text, use_spacy=False), book_id=book.book_id, author=book.author,
                                  chunk_size=CHUNK_SIZE, overlap=CHUNK_SIZE, min_chars=200, min_stopword_ratio=0.2)
        chunks += sample_chunks(book_chunks, chunks_per_book, seed=0)
    return chunks


def labelled_pairs(chunks: list, seed: int = 0) -> tuple[list[str], list[str], np.ndarray, np.ndarray]:
    """``(texts1, texts2, same_book, same_author)``: all same-book pairs, then as many same-author and other-author pairs."""
    rng = random.Random(seed)
    pairs = [(a, b) for a, b in itertools.combinations(chunks, 2) if a.book_id == b.book_id]
    same_author = [(a, b) for a, b in itertools.combinations(chunks, 2) if a.author == b.author and a.book_id != b.book_id]
    other = [(a, b) for a, b in itertools.combinations(chunks, 2) if a.author != b.author]
    pairs += rng.sample(same_author, min(len(same_author), len(pairs))) + rng.sample(other, 2 * len(pairs))
    return ([a.text for a, _ in pairs], [b.text for _, b in pairs],
            np.array([a.book_id == b.book_id for a, b in pairs]), np.array([a.author == b.author for a, b in pairs]))


def build_model(directory: Path, bert_directory: Path) -> Path:
    """Save a MatcherModel (tiny BERT bi-encoder, seeded pair head, style features fitted on fixture chunks)."""
    import torch

    from writing7.models.bi_encoder import BiEncoder
    from writing7.models.matcher import MatcherModel
    from writing7.models.pair_head import PairHead
    from writing7.models.style_features import StyleFeaturizer

    torch.manual_seed(0)
    encoder = BiEncoder.from_base(str(bert_directory), max_seq_length=128)
    featurizer = StyleFeaturizer().fit([chunk.text for chunk in fixture_chunks()])
    head = PairHead(encoder.embedding_dim, featurizer.num_pair_features, hidden=16)
    info = {"base_model": str(bert_directory), "note": "test model: tiny BERT, untrained pair head"}
    MatcherModel(encoder, head, featurizer, info, device="cpu", precision="fp32").save(directory)
    return directory


SPLIT_AUTHORS = {
    "train": ("alcott-louisa-may", "burroughs-edgar-rice", "conrad-joseph", "doyle-arthur-conan", "gaskell-elizabeth-cleghorn"),
    "validation": ("grey-zane", "jerome-jerome-k"),
    "test": ("montgomery-l-m", "stevenson-robert-louis"),
}
TINY_TRAIN = {
    "max_seq_length": 64, "authors_per_batch": 3, "books_per_author": 2, "chunks_per_book": 2, "max_steps": 8,
    "eval_steps": 0, "save_steps": 0, "eval_max_pairs": 40, "hashing_features": 1 << 12, "pair_head_hidden": 16,
    "precision": "fp32", "warmup_ratio": 0.0, "learning_rate": 1e-3, "head_learning_rate": 1e-2, "device": "cpu", "threads": 1,
}


def pair_rows(chunks: list) -> list[dict]:
    """Rows of the pair-dataset contract from :func:`labelled_pairs` of ``chunks``."""
    by_text = {chunk.text: chunk for chunk in chunks}
    texts1, texts2, same_book, _ = labelled_pairs(chunks)
    rows = []
    for text1, text2, label in zip(texts1, texts2, same_book):
        a, b = by_text[text1], by_text[text2]
        kind = "positive" if label else "same_author" if a.author == b.author else "negative"
        rows.append({"text1": text1, "text2": text2, "label": int(label), "book1": a.book_id, "book2": b.book_id,
                     "author1": a.author, "author2": b.author, "pair_type": kind, "neg_type": "random" if kind == "negative" else "",
                     "topic1": 0, "topic2": 0, "same_topic": True})
    return rows


def build_pair_dataset(directory: Path) -> Path:
    """``data/processed`` with author-disjoint train / validation / test splits of fixture chunk pairs."""
    from datasets import Dataset, DatasetDict

    chunks = fixture_chunks()
    splits = {name: Dataset.from_list(pair_rows([c for c in chunks if c.author in authors])) for name, authors in SPLIT_AUTHORS.items()}
    DatasetDict(splits).save_to_disk(str(directory))
    return directory


def build_trained_artifacts(root: Path, bert_directory: Path) -> Path:
    """``root`` as artifacts after prepare (fixture pairs), train (8 tiny steps) and calibrate (passages, style map, verdict).

    Returns the model folder ``root/models/book_matcher_contrastive/final``.
    """
    from writing7.artifacts import ArtifactLayout
    from writing7.config.calibrate import CalibrateConfig
    from writing7.config.train import TrainConfig
    from writing7.stages import calibrate, train, verdict

    layout = ArtifactLayout(root)
    build_pair_dataset(layout.processed)
    train.run(TrainConfig(base_model=str(bert_directory), **TINY_TRAIN), artifacts=root)
    cfg = CalibrateConfig(method="platt", verdict_pairs_per_kind=60)
    calibrate.run(cfg, artifacts=root)
    verdict.run(cfg, corpus=FIXTURE_CORPUS, artifacts=root)
    return layout.bi_encoder
