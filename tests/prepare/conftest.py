"""Small prepare settings for the fixture corpus (9 authors x 2 books) and one prepared dataset per session."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from writing7.config.prepare import PrepareConfig
from writing7.stages.prepare import run

# Small knobs: every phase runs for real, on the fixtures, in a few seconds.
SMALL = {
    "max_chunks_per_book": 12, "num_chunks_for_embed": 4, "n_positive_per_book": 3, "n_negative_per_book": 4,
    "n_same_author_per_book": 2, "num_hard_negative_books": 3, "train_ratio": 0.6, "val_ratio": 0.2,
    "workers": 1, "embed_batch_size": 16, "device": "cpu",
}


@pytest.fixture(scope="session")
def small_config(tiny_sentence_transformer: Path):
    """``small_config(**overrides)`` -> a PrepareConfig with the small knobs and the tiny encoder."""

    def make(**overrides: Any) -> PrepareConfig:
        return PrepareConfig(**{**SMALL, "embed_model": str(tiny_sentence_transformer), **overrides})

    return make


@pytest.fixture(scope="session")
def prepared(small_config, fixture_corpus_source: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Artifacts root with ``data/processed`` prepared once from the fixture corpus (read-only for tests)."""
    artifacts = tmp_path_factory.mktemp("prepared") / "artifacts"
    run(small_config(), corpus=fixture_corpus_source, artifacts=artifacts)
    return artifacts
