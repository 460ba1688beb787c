"""A tiny pair dataset with prepare's schema, built from the fixture corpus (independent of prepare's code).

9 authors x 2 books; every book gives 6 passages of 60 words from the middle of its text. Authors are
split 5 / 2 / 2 into train / validation / test; pairs are same-book positives, same-author-other-book
pairs and different-author negatives whose ``neg_type`` cycles through hard, topic and random.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
import shutil
from pathlib import Path

import pytest
from tiny_models import FIXTURE_CORPUS

from writing7.config.train import TeacherConfig, TrainConfig

WORDS_PER_PASSAGE = 60
PASSAGES_PER_BOOK = 6
SPLIT_AUTHORS = {"train": 5, "validation": 2, "test": 2}


def book_passages(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8-sig", errors="replace").splitlines()
    start = next((i for i, line in enumerate(lines) if "START OF" in line.upper()), 40) + 1
    end = next((i for i, line in enumerate(lines) if i > start and "END OF" in line.upper()), len(lines) - 60)
    words = re.sub(r"\s+", " ", " ".join(lines[start:end])).split(" ")
    return [" ".join(words[i * WORDS_PER_PASSAGE : (i + 1) * WORDS_PER_PASSAGE]) for i in range(PASSAGES_PER_BOOK)]


def build_pair_rows(books: dict[str, list[str]], topic_of: dict[str, int]) -> list[dict]:
    rows = []

    def add(book1: str, index1: int, book2: str, index2: int, pair_type: str, neg_type: str = "") -> None:
        author1, author2 = book1.split("/")[0], book2.split("/")[0]
        rows.append({
            "text1": books[book1][index1], "text2": books[book2][index2], "label": int(book1 == book2),
            "book1": book1, "book2": book2, "author1": author1, "author2": author2, "pair_type": pair_type, "neg_type": neg_type,
            "topic1": topic_of[book1], "topic2": topic_of[book2], "same_topic": topic_of[book1] == topic_of[book2],
        })

    names = sorted(books)
    for book in names:
        for index1, index2 in list(itertools.combinations(range(PASSAGES_PER_BOOK), 2))[:6]:
            add(book, index1, book, index2, "positive")
    for book1, book2 in itertools.combinations(names, 2):
        if book1.split("/")[0] == book2.split("/")[0]:
            for index in range(4):
                add(book1, index, book2, index + 1, "same_author")
    negatives = [(a, b) for a, b in itertools.permutations(names, 2) if a.split("/")[0] != b.split("/")[0]]
    for number, (book1, book2) in enumerate(negatives[:: max(1, len(negatives) // (4 * len(names)))]):
        add(book1, number % PASSAGES_PER_BOOK, book2, (number + 1) % PASSAGES_PER_BOOK, "negative", ("hard", "topic", "random")[number % 3])
    return rows


@pytest.fixture(scope="session")
def pair_dataset_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``data/processed`` of the tiny dataset, saved once per session."""
    from datasets import Dataset, DatasetDict

    authors = sorted(path.name for path in FIXTURE_CORPUS.iterdir() if path.is_dir())
    topic_of: dict[str, int] = {}
    splits, offset = {}, 0
    for split, count in SPLIT_AUTHORS.items():
        books = {}
        for author in authors[offset : offset + count]:
            for path in sorted((FIXTURE_CORPUS / author).glob("*.txt")):
                book = f"{author}/{path.stem}"
                books[book] = book_passages(path)
                topic_of[book] = len(topic_of) % 3
        splits[split] = Dataset.from_list(build_pair_rows(books, topic_of))
        offset += count
    directory = tmp_path_factory.mktemp("data") / "processed"
    DatasetDict(splits).save_to_disk(str(directory))
    return directory


@pytest.fixture()
def artifacts(tmp_path: Path, pair_dataset_dir: Path) -> Path:
    """A fresh artifacts directory holding only ``data/processed``."""
    root = tmp_path / "artifacts"
    shutil.copytree(pair_dataset_dir, root / "data" / "processed")
    return root


@pytest.fixture()
def pair_splits(pair_dataset_dir: Path):
    from datasets import load_from_disk

    return load_from_disk(str(pair_dataset_dir))


TINY_TRAIN = {
    "max_seq_length": 64, "authors_per_batch": 3, "books_per_author": 2, "chunks_per_book": 2, "max_steps": 6,
    "eval_steps": 0, "save_steps": 0, "eval_max_pairs": 40, "hashing_features": 1 << 12, "pair_head_hidden": 16,
    "precision": "fp32", "warmup_ratio": 0.0, "learning_rate": 1e-3, "head_learning_rate": 1e-2, "device": "cpu", "logging_steps": 1, "threads": 1,
}
TINY_TEACHER = {
    "max_seq_length": 96, "batch_size": 8, "max_steps": 4, "eval_steps": 0, "save_steps": 0, "eval_max_pairs": 40,
    "precision": "fp32", "device": "cpu", "logging_steps": 1, "threads": 1,
}


def train_tiny_matcher(root: Path, tiny_bert: Path, pair_dataset_dir: Path, **overrides):
    """Train the tiny matcher (:data:`TINY_TRAIN` with ``overrides``) on the fixture pairs and save it in
    ``root / "final"``; returns ``(matcher, summary, splits)``."""
    from datasets import load_from_disk

    from writing7.training.bi_encoder_training import train_matcher

    splits = load_from_disk(str(pair_dataset_dir))
    cfg = dataclasses.replace(TrainConfig(base_model=str(tiny_bert), **TINY_TRAIN), **overrides)
    matcher, summary = train_matcher(cfg, splits["train"], splits["validation"], checkpoint_dir=root / "checkpoints", log_path=root / "log.jsonl", fingerprint="t")
    matcher.save(root / "final", training_summary=summary)
    return matcher, summary, splits


@pytest.fixture()
def tiny_train_config(tiny_bert: Path) -> TrainConfig:
    return TrainConfig(base_model=str(tiny_bert), **TINY_TRAIN)


@pytest.fixture()
def tiny_teacher_config(tiny_bert: Path) -> TeacherConfig:
    return TeacherConfig(base_model=str(tiny_bert), **TINY_TEACHER)
