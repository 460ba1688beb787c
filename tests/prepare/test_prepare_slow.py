"""The real all-MiniLM-L6-v2 (packaged) on the fixtures, and prepare on part of the shared corpus."""

import json

import numpy as np
import pytest
import torch
from sentence_transformers import SentenceTransformer

from writing7.corpus import discover_books
from writing7.models.bi_encoder import resolve_base_model
from writing7.models.runtime import native_bf16
from writing7.prepare.chunking import chunk_books
from writing7.prepare.embedding import BF16_MIN_COSINE, ChunkEncoder
from writing7.stages.prepare import run

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def passages(fixture_corpus_source, small_config):
    books = chunk_books(discover_books(fixture_corpus_source), small_config(max_chunks_per_book=6))
    return [chunk.text for book in books for chunk in book.chunks]


def test_minilm_float32_matches_sentence_transformers(passages):
    encoder = ChunkEncoder.load("all-MiniLM-L6-v2", device="cpu", max_seq_length=256, precision="fp32")
    reference = SentenceTransformer(resolve_base_model("all-MiniLM-L6-v2"), device="cpu").encode(passages, normalize_embeddings=True)
    np.testing.assert_allclose(encoder.encode(passages, batch_size=16), reference, atol=1e-4)


@pytest.mark.skipif(not native_bf16(torch.device("cpu")), reason="this CPU has no native bf16")
def test_minilm_bf16_matches_float32_on_every_passage(passages):
    encoder = ChunkEncoder.load("all-MiniLM-L6-v2", device="cpu", max_seq_length=256, precision="auto")
    assert encoder.check_precision(passages) == "bf16" and encoder.precision_check_cosine >= BF16_MIN_COSINE
    reference = ChunkEncoder.load("all-MiniLM-L6-v2", device="cpu", max_seq_length=256, precision="fp32")
    cosines = np.sum(encoder.encode(passages) * reference.encode(passages), axis=1)
    assert cosines.min() >= BF16_MIN_COSINE


def test_prepare_with_minilm_on_the_fixtures(fixture_corpus_source, small_config, tmp_path):
    stats = run(small_config(embed_model="all-MiniLM-L6-v2"), corpus=fixture_corpus_source, artifacts=tmp_path).stats
    assert stats["embedding"]["dtype"] == ("bf16" if native_bf16(torch.device("cpu")) else "fp32")
    assert all(info["pairs"] > 0 for info in stats["splits"].values())


def test_prepare_on_forty_shared_books(shared_corpus, tmp_path):
    from writing7.config.prepare import PrepareConfig

    manifest = run(PrepareConfig(max_books=40), corpus=shared_corpus, artifacts=tmp_path)
    stats = json.loads((tmp_path / "data" / "processed" / "manifest.json").read_text())["stats"]
    assert stats == manifest.stats and stats["books_used"] >= 40
    for info in stats["splits"].values():
        assert info["authors"] >= 2 and {"positive", "negative", "same_author"} <= set(info["pair_types"])
