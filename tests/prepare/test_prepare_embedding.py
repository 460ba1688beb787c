import logging

import numpy as np
import pytest
import torch
from sentence_transformers import SentenceTransformer

from writing7.models.runtime import native_bf16
from writing7.prepare.embedding import ChunkEncoder, book_centroids

TEXTS = [
    "It was a dark and stormy night.",
    "The rain fell in torrents, except at occasional intervals, when it was checked by a violent gust of wind "
    "which swept up the streets, rattling along the housetops, and fiercely agitating the scanty flame of the lamps.",
    "Call me Ishmael.",
    "Some years ago, never mind how long precisely, having little or no money in my purse, I thought I would sail about.",
    "Yes.",
] * 3


def test_float32_encoder_matches_sentence_transformer_encode(tiny_sentence_transformer):
    encoder = ChunkEncoder.load(str(tiny_sentence_transformer), device="cpu", max_seq_length=128, precision="fp32")
    ours = encoder.encode(TEXTS, batch_size=4)  # sorted batches, several per window, input order restored
    reference = SentenceTransformer(str(tiny_sentence_transformer), device="cpu").encode(TEXTS, normalize_embeddings=True)
    assert ours.shape == (len(TEXTS), encoder.dimension) and ours.dtype == np.float32
    np.testing.assert_allclose(ours, reference, atol=2e-5)
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert encoder.check_precision(TEXTS) == "fp32" and encoder.precision_check_cosine is None


@pytest.mark.skipif(not native_bf16(torch.device("cpu")), reason="this CPU has no native bf16")
def test_bf16_is_dropped_when_it_does_not_match_float32(tiny_sentence_transformer, caplog):
    encoder = ChunkEncoder.load(str(tiny_sentence_transformer), device="cpu", precision="auto")
    assert encoder.bf16
    with caplog.at_level(logging.WARNING, logger="writing7.prepare.embedding"):
        assert encoder.check_precision(TEXTS, min_cosine=1.5) == "fp32"  # an impossible bar: always falls back
    assert not encoder.bf16 and 0.99 < encoder.precision_check_cosine <= 1.0 + 1e-6
    assert "bf16 embeddings differ from float32" in caplog.text
    encoder = ChunkEncoder.load(str(tiny_sentence_transformer), device="cpu", precision="auto")
    assert encoder.check_precision(TEXTS, min_cosine=0.9) == "bf16"


def test_missing_model_is_explained(tmp_path):
    with pytest.raises(FileNotFoundError, match="embedding model .* could not be loaded .* pass --embed-model"):
        ChunkEncoder.load(str(tmp_path / "no-such-model"), device="cpu")


def test_book_centroids_are_normalized_means():
    embeddings = np.asarray([[1, 0], [0, 1], [1, 0], [0.6, 0.8]], dtype=np.float32)
    centroids = book_centroids(embeddings, np.asarray([0, 0, 1, 1]), 3)
    np.testing.assert_allclose(centroids[0], [2 ** -0.5, 2 ** -0.5], rtol=1e-6)
    np.testing.assert_allclose(centroids[1], np.asarray([1.6, 0.8]) / np.hypot(1.6, 0.8), rtol=1e-6)
    assert (centroids[2] == 0).all()  # a book without embeddings


def test_auto_is_checked_against_float32_on_the_first_texts_encoded(tiny_sentence_transformer, monkeypatch):
    from writing7.models import runtime

    monkeypatch.setattr(runtime, "native_bf16", lambda device: False)
    monkeypatch.setattr(runtime, "AUTO_CPU_FALLBACK", "int8")  # what `auto` runs on a CPU without native bf16
    encoder = ChunkEncoder.load(str(tiny_sentence_transformer), device="cpu", precision="auto")
    assert encoder.plan.check_pending and encoder.dtype_name == "int8"
    first = encoder.encode(TEXTS, batch_size=4)  # no explicit check_precision call: encode runs it
    assert not encoder.plan.check_pending and encoder.precision_check_cosine is not None
    assert encoder.dtype_name in ("int8", "fp32")  # kept or fallen back, and every later call at that precision
    np.testing.assert_allclose(encoder.encode(TEXTS, batch_size=4), first, atol=1e-6)
