"""The built-in baselines: char 4-gram TF-IDF cosine and an untrained encoder's cosine."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from writing7.baselines import CharNgramTfidfBaseline, EmbeddingCosineBaseline, calibrate_baseline
from writing7.metrics.tasks import TaskSelection

TEXTS = [
    "It was a dark and stormy night; the rain fell in torrents.",
    "The rain fell in torrents, except at occasional intervals.",
    "Call me Ishmael. Some years ago, never mind how long precisely.",
    "Happy families are all alike; every unhappy family is unhappy in its own way.",
]


def test_tfidf_cosine_matches_a_direct_computation() -> None:
    baseline = CharNgramTfidfBaseline().fit(TEXTS)
    scores = baseline.score([TEXTS[0], TEXTS[0], TEXTS[2]], [TEXTS[0], TEXTS[1], TEXTS[3]])
    vectors = TfidfVectorizer(analyzer="char", ngram_range=(4, 4), sublinear_tf=True).fit(TEXTS).transform(TEXTS).toarray()
    expected = [vectors[0] @ vectors[0], vectors[0] @ vectors[1], vectors[2] @ vectors[3]]  # rows are L2-normalised
    np.testing.assert_allclose(scores, expected, rtol=1e-5)
    assert scores[0] == pytest.approx(1.0, abs=1e-5) and scores[1] > scores[2]


def test_unfitted_or_empty_tfidf_is_refused() -> None:
    with pytest.raises(ValueError, match="not fitted: call fit"):
        CharNgramTfidfBaseline().score(TEXTS[:1], TEXTS[1:2])
    with pytest.raises(ValueError, match="no training texts"):
        CharNgramTfidfBaseline().fit([])


def test_embedding_cosine_of_identical_texts_is_one(tiny_bert: Path) -> None:
    baseline = EmbeddingCosineBaseline(str(tiny_bert))  # a plain HF folder gets mean pooling
    scores = baseline.score([TEXTS[0], TEXTS[0]], [TEXTS[0], TEXTS[2]])
    assert scores[0] == pytest.approx(1.0, abs=1e-5) and -1 <= scores[1] <= 1


def test_embedding_baseline_names_a_missing_model(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot load .*set evaluate.base_model"):
        EmbeddingCosineBaseline(str(tmp_path / "no-model"))


def test_calibrate_baseline_fits_platt_per_task() -> None:
    rng = np.random.default_rng(0)
    texts = [f"{word} " * 30 for word in ("alpha", "beta", "gamma", "delta", "epsilon", "zeta")]
    first = [texts[i] for i in rng.integers(0, 6, 200)]
    second = [texts[i] if rng.uniform() < 0.5 else texts[(i + 1) % 6] for i in (texts.index(t) for t in first)]
    same = np.array([a == b for a, b in zip(first, second)])
    task = TaskSelection("book", np.ones(200, dtype=bool), same, "book")
    fitted = calibrate_baseline("char4_tfidf", CharNgramTfidfBaseline().fit(texts), first, second, {"book": task},
                                target_metric="accuracy", max_band_fraction=0.3)
    calibration = fitted.calibrations["book"]
    assert calibration.scaler.kind == "platt" and calibration.validation["target_score"] == pytest.approx(1.0)
    assert fitted.info()["book"]["validation"]["pairs"] == 200


def test_embedding_cosine_runs_at_the_requested_precision(tiny_bert: Path) -> None:
    texts1, texts2 = [TEXTS[0], TEXTS[1], TEXTS[2]], [TEXTS[1], TEXTS[3], TEXTS[3]]
    reference = EmbeddingCosineBaseline(str(tiny_bert), precision="fp32")
    quantized = EmbeddingCosineBaseline(str(tiny_bert), precision="int8")
    assert (reference.encoder.dtype_name, quantized.encoder.dtype_name) == ("fp32", "int8")
    np.testing.assert_allclose(quantized.score(texts1, texts2), reference.score(texts1, texts2), atol=0.05)


def test_document_cosine_is_the_cosine_of_mean_passage_embeddings(tiny_bert: Path) -> None:
    baseline = EmbeddingCosineBaseline(str(tiny_bert), precision="fp32")
    passages = {"a": TEXTS[:2], "b": TEXTS[2:]}
    scores = baseline.score_documents(["a", "a"], ["b", "a"], passages.__getitem__)
    means = {name: baseline.encode(group).mean(axis=0) for name, group in passages.items()}
    expected = means["a"] @ means["b"] / (np.linalg.norm(means["a"]) * np.linalg.norm(means["b"]))
    np.testing.assert_allclose(scores, [expected, 1.0], atol=1e-5)
    with pytest.raises(ValueError, match="no passages"):
        baseline.centroids([TEXTS[:1], []])
