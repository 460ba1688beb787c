"""Shared fixtures: the fixture corpus and tiny real models built locally (session-scoped, offline)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("WRITING7_QUIET", "1")
# What Writing7 caches (int8 graphs, attribution's representations) goes to a folder of this run, not the user's cache.
os.environ.setdefault("WRITING7_CACHE", tempfile.mkdtemp(prefix="writing7-test-cache-"))

from tiny_models import FIXTURE_CORPUS, build_tiny_bert, build_tiny_sentence_transformer  # noqa: E402

SHARED_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "data" / "gutenberg"


@pytest.fixture(scope="session", autouse=True)
def cpu_independent_auto_precision():
    """``precision = "auto"`` never picks int8 in the suite: bf16 where native (as in production), else fp32.

    On a CPU without native bf16, production ``auto`` picks int8, whose per-batch activation scales let a text's
    embedding move slightly with the texts batched beside it (docs/architecture.md); the suite's exact equality tests
    (served = Python API, batched = one at a time) would then pass on an AMX machine and fail on an AVX2 one. bf16 is
    not forced either: emulated on AVX2, it would make the suite several times slower there. The int8 path itself is
    tested explicitly, on every CPU, in tests/inference/test_int8_precision.py.
    """
    from writing7.models import runtime

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(runtime, "AUTO_CPU_FALLBACK", "fp32")
        yield


@pytest.fixture()
def restore_logging():
    """The CLI points logging at CliRunner's stderr, which is closed after the call: put the handlers back."""
    import logging

    handlers, level = logging.root.handlers[:], logging.root.level
    yield
    logging.root.handlers[:], logging.root.level = handlers, level


@pytest.fixture(scope="session")
def fixture_corpus_source() -> Path:
    return FIXTURE_CORPUS


@pytest.fixture()
def fixture_corpus(tmp_path: Path) -> Path:
    """A writable copy of the fixture corpus (18 real excerpts, 9 authors x 2 books)."""
    destination = tmp_path / "corpus"
    shutil.copytree(FIXTURE_CORPUS, destination)
    return destination


@pytest.fixture(scope="session")
def shared_corpus() -> Path:
    if not SHARED_CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {SHARED_CORPUS}")
    return SHARED_CORPUS


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A plain HF BERT folder (2 layers, width 32) with a WordPiece tokenizer trained on the fixtures."""
    return build_tiny_bert(tmp_path_factory.mktemp("models") / "tiny-bert")


@pytest.fixture(scope="session")
def tiny_sentence_transformer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny BERT as a SentenceTransformer folder: usable wherever a base/embedding model path is accepted."""
    return build_tiny_sentence_transformer(tmp_path_factory.mktemp("models") / "tiny-st")


@pytest.fixture(scope="session")
def calibrated_matcher_dir(tmp_path_factory: pytest.TempPathFactory, tiny_bert: Path) -> Path:
    """A tiny trained model folder (train stage, 8 steps on fixture pairs) with calibration.json,
    style_calibration.json and the verdict (see tests/matcher_models.py); used by the
    inference and serve tests, which must not modify it."""
    from matcher_models import build_trained_artifacts

    return build_trained_artifacts(tmp_path_factory.mktemp("matcher") / "artifacts", tiny_bert)


@pytest.fixture(scope="session")
def fixture_index_dir(tmp_path_factory: pytest.TempPathFactory, calibrated_matcher_dir: Path) -> Path:
    """A search index over the fixture corpus built with ``calibrated_matcher_dir`` by the index stage."""
    from writing7.config.index import IndexConfig
    from writing7.stages.index import run

    out = tmp_path_factory.mktemp("index") / "index"
    run(IndexConfig(chunk_size=4, overlap=4, max_chunks_per_book=8, held_out_per_book=2), corpus=FIXTURE_CORPUS,
        model_dir=calibrated_matcher_dir, output=out)
    return out


@pytest.fixture(scope="session")
def attribution_model_dir(tmp_path_factory: pytest.TempPathFactory, calibrated_matcher_dir: Path) -> Path:
    """A copy of the tiny calibrated artifacts with attribution fitted by the real stage (validation authors of the
    fixture pair dataset, 200- and 1,000-word queries); returns its model folder."""
    from writing7.config.attribution import AttributionConfig
    from writing7.stages import attribution

    source_root = calibrated_matcher_dir.parents[2]
    root = tmp_path_factory.mktemp("attribution") / "artifacts"
    shutil.copytree(source_root, root)
    attribution.run(AttributionConfig(lengths=["200", "1000"]), corpus=FIXTURE_CORPUS, artifacts=root)
    return root / calibrated_matcher_dir.relative_to(source_root)
