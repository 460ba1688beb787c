"""Small prepare settings for the sharded tests: 18 fixture books in 3 shards of 6, the tiny encoder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from writing7.config.prepare import PrepareConfig

# Every phase runs for real on the fixtures in seconds; 6 books a shard gives 3 shards.
SMALL = {
    "max_chunks_per_book": 12, "num_chunks_for_embed": 4, "n_positive_per_book": 3, "n_negative_per_book": 4,
    "n_same_author_per_book": 2, "num_hard_negative_books": 3, "train_ratio": 0.6, "val_ratio": 0.2,
    "workers": 1, "embed_batch_size": 16, "device": "cpu", "embed_precision": "fp32", "books_per_shard": 6,
}


@pytest.fixture(scope="session")
def chunking_config():
    """``chunking_config(**overrides)`` for stage A alone: the small knobs without building an encoder."""

    def make(**overrides: Any) -> PrepareConfig:
        return PrepareConfig(**{**SMALL, **overrides})

    return make


@pytest.fixture(scope="session")
def small_config(tiny_sentence_transformer: Path):
    """``small_config(**overrides)`` -> a PrepareConfig with the small knobs and the tiny encoder."""

    def make(**overrides: Any) -> PrepareConfig:
        return PrepareConfig(**{**SMALL, "embed_model": str(tiny_sentence_transformer), **overrides})

    return make
