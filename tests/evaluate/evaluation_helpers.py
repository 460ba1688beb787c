"""A tiny artifacts directory for the calibrate / evaluate tests.

``data/processed`` is a real HF DatasetDict with the pair columns of the data contract, built from
fixture-corpus chunks with author-disjoint splits (3 authors each); the model folder is written by
the real ``train`` stage: the tiny BERT trained for a few steps on the train split.
"""

from __future__ import annotations

import itertools
import random
from pathlib import Path

from matcher_models import fixture_chunks

SPLIT_AUTHORS = {
    "train": ("alcott-louisa-may", "burroughs-edgar-rice", "conrad-joseph"),
    "validation": ("doyle-arthur-conan", "gaskell-elizabeth-cleghorn", "grey-zane"),
    "test": ("jerome-jerome-k", "montgomery-l-m", "stevenson-robert-louis"),
}
NEGATIVE_KINDS = ("hard", "topic", "random")
TINY_TRAINING = {
    "max_seq_length": 64, "authors_per_batch": 3, "books_per_author": 2, "chunks_per_book": 2, "max_steps": 6,
    "eval_steps": 0, "save_steps": 0, "eval_max_pairs": 40, "hashing_features": 1 << 12, "pair_head_hidden": 16,
    "precision": "fp32", "warmup_ratio": 0.0, "learning_rate": 1e-3, "head_learning_rate": 1e-2, "device": "cpu", "logging_steps": 6,
}


def _row(a, b, pair_type: str, neg_type: str, topics: dict[str, int]) -> dict:
    topic1, topic2 = topics[a.book_id], topics[b.book_id]
    return {"text1": a.text, "text2": b.text, "label": int(pair_type == "positive"), "book1": a.book_id, "book2": b.book_id,
            "author1": a.author, "author2": b.author, "pair_type": pair_type, "neg_type": neg_type,
            "topic1": topic1, "topic2": topic2, "same_topic": topic1 == topic2}


def split_rows(chunks: list, rng: random.Random) -> list[dict]:
    """All same-book pairs, as many same-author pairs, twice as many different-author negatives (hard/topic/random)."""
    topics = {chunk.book_id: rng.randrange(3) for chunk in chunks}
    combos = list(itertools.combinations(chunks, 2))
    positives = [(a, b) for a, b in combos if a.book_id == b.book_id]
    same_author = [(a, b) for a, b in combos if a.author == b.author and a.book_id != b.book_id]
    negatives = [(a, b) for a, b in combos if a.author != b.author]
    rows = [_row(a, b, "positive", "", topics) for a, b in positives]
    rows += [_row(a, b, "same_author", "", topics) for a, b in rng.sample(same_author, min(len(same_author), len(positives)))]
    rows += [_row(a, b, "negative", NEGATIVE_KINDS[i % 3], topics) for i, (a, b) in enumerate(rng.sample(negatives, 2 * len(positives)))]
    rng.shuffle(rows)
    return rows


def build_pair_dataset(directory: Path, *, chunks_per_book: int = 5) -> Path:
    """Save the DatasetDict train/validation/test of fixture chunk pairs to ``directory``."""
    from datasets import Dataset, DatasetDict

    chunks = fixture_chunks(chunks_per_book)
    rng = random.Random(0)
    splits = {name: Dataset.from_list(split_rows([c for c in chunks if c.author in authors], rng)) for name, authors in SPLIT_AUTHORS.items()}
    DatasetDict(splits).save_to_disk(str(directory))
    return directory


def build_artifacts(root: Path, bert_directory: Path) -> Path:
    """``root/data/processed`` and ``root/models/book_matcher_contrastive/final`` (trained, uncalibrated)."""
    from writing7.config.train import TrainConfig
    from writing7.stages.train import run as train

    build_pair_dataset(root / "data" / "processed")
    train(TrainConfig(base_model=str(bert_directory), **TINY_TRAINING), artifacts=root)
    return root
