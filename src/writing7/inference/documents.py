"""Whole-document comparison: chunk two long texts, score every chunk pair, aggregate calibrated.

Aggregation (the choice, and why). Comparing a document pair gives a matrix of chunk-pair logits
``L`` of shape ``(chunks_a, chunks_b, 2)`` (same-book and same-author logits of the pair head).
Seven features summarise it:

    for c in (book, author):  mean(L[..., c]),  max(L[..., c]),  mean of the top-k L[..., c]
    log(chunks_a * chunks_b)

and one logistic regression per target maps them to a probability,
``p = sigmoid(w . (x - mu) / sigma + b)``, fitted on document pairs cut from the *validation*
books (``writing7 calibrate-documents``) and saved as ``document_calibration.json`` next to the
model. The mean alone under-reacts when two long books share a few close passages, the max alone
over-reacts to one lucky pair and grows with the number of pairs; letting a regression weigh mean,
max and top-k mean, with the pair count as a covariate, is the simplest aggregation that is
calibrated by construction (Platt, 1999) instead of by an ad-hoc rule. Features are standardised
before the (L2, C=1) fit so the penalty treats them alike, and the two classes are weighted equally,
so the probability is for an even prior (matching and non-matching document pairs equally likely
before looking) and the decision is ``p >= 0.5``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from writing7.text.chunks import chunk_text, make_chunks
from writing7.text.sentences import split_sentences

FEATURE_NAMES = ("book_mean", "book_max", "book_top_k_mean", "author_mean", "author_max", "author_top_k_mean", "log_pairs")
TARGETS = ("book", "author")


@dataclasses.dataclass(frozen=True)
class ChunkingSettings:
    """How a document is cut up; fitted calibrations record them so inference cuts the same way."""

    chunk_size: int = 8
    overlap: int = 8
    min_chunk_chars: int = 200
    max_chunks: int = 16
    top_k: int = 3

    @classmethod
    def from_config(cls, config: Any) -> ChunkingSettings:
        """From an :class:`~writing7.config.inference.InferenceConfig`."""
        return cls(config.chunk_size, config.overlap, config.min_chunk_chars, config.max_chunks_per_document, config.top_k)


def document_chunks(text: str, settings: ChunkingSettings) -> list[str]:
    """At most ``settings.max_chunks`` chunk texts spread evenly over ``text`` (the whole text if it has few sentences).

    No stopword filter: the user chose the document, so every window counts; windows shorter than
    ``min_chunk_chars`` are dropped unless nothing else remains.
    """
    if not text.strip():
        raise ValueError("a document is empty: pass a text with at least one sentence")
    sentences = split_sentences(text)
    chunks = make_chunks(text, sentences, book_id="document", author="", chunk_size=settings.chunk_size,
                         overlap=settings.overlap, min_chars=settings.min_chunk_chars, min_stopword_ratio=0.0)
    texts = [chunk.text for chunk in chunks]
    if not texts:  # a short document: one chunk of all of it
        texts = [chunk_text(text, 0, len(text)).strip()]
    if len(texts) <= settings.max_chunks:
        return texts
    positions = np.linspace(0, len(texts) - 1, settings.max_chunks).round().astype(int)
    return [texts[position] for position in positions]


def aggregation_features(logits: np.ndarray, top_k: int) -> np.ndarray:
    """The seven features of the module docstring for one document pair.

    ``logits``: (chunks_a, chunks_b, 2) chunk-pair logits, [..., 0] same book, [..., 1] same author.
    Returns (7,) in the order of :data:`FEATURE_NAMES`.
    """
    features = []
    for column in range(2):
        values = np.sort(logits[..., column].ravel())[::-1]  # (pairs,), descending
        features += [values.mean(), values[0], values[: min(top_k, values.size)].mean()]
    features.append(np.log(logits.shape[0] * logits.shape[1]))
    return np.asarray(features, dtype=np.float64)


class DocumentAggregationCalibrator:
    """Logistic regression on standardised aggregation features -> a calibrated probability.

    ``fit(features, labels)`` returns ``self``; learned state: ``mean_``, ``scale_`` (standardisation),
    ``coef_``, ``intercept_``. ``predict_proba(features)`` returns ``sigmoid(coef_ . z + intercept_)``.
    """

    def __init__(self, regularization: float = 1.0) -> None:
        self.regularization = regularization

    def fit(self, features: np.ndarray, labels: np.ndarray) -> DocumentAggregationCalibrator:
        from sklearn.linear_model import LogisticRegression

        labels = np.asarray(labels).astype(int)
        if len(set(labels.tolist())) < 2:
            raise ValueError("document calibration needs both matching and non-matching pairs; "
                             "give calibrate-documents more validation books (at least two authors with two books)")
        features = np.asarray(features, dtype=np.float64)  # (pairs, features)
        self.mean_ = features.mean(axis=0)
        self.scale_ = np.where(features.std(axis=0) > 1e-12, features.std(axis=0), 1.0)
        regression = LogisticRegression(C=self.regularization, class_weight="balanced", max_iter=1000)
        regression.fit((features - self.mean_) / self.scale_, labels)
        self.coef_ = regression.coef_[0]
        self.intercept_ = float(regression.intercept_[0])
        return self

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        """(pairs, features) -> (pairs,) probabilities."""
        z = (np.atleast_2d(features) - self.mean_) / self.scale_ @ self.coef_ + self.intercept_
        return 1.0 / (1.0 + np.exp(-z))

    def to_dict(self) -> dict[str, Any]:
        return {"regularization": self.regularization, "mean": self.mean_.tolist(), "scale": self.scale_.tolist(),
                "coef": self.coef_.tolist(), "intercept": self.intercept_}

    @classmethod
    def from_dict(cls, payload: dict[str, Any]) -> DocumentAggregationCalibrator:
        calibrator = cls(payload.get("regularization", 1.0))
        calibrator.mean_ = np.asarray(payload["mean"], dtype=np.float64)
        calibrator.scale_ = np.asarray(payload["scale"], dtype=np.float64)
        calibrator.coef_ = np.asarray(payload["coef"], dtype=np.float64)
        calibrator.intercept_ = float(payload["intercept"])
        return calibrator


@dataclasses.dataclass
class DocumentCalibration:
    """Both targets' calibrators plus the chunking they were fitted with (``document_calibration.json``)."""

    settings: ChunkingSettings
    book: DocumentAggregationCalibrator
    author: DocumentAggregationCalibrator
    fit_stats: dict[str, Any] = dataclasses.field(default_factory=dict)

    FILE_NAME = "document_calibration.json"

    def to_dict(self) -> dict[str, Any]:
        return {"version": 1, "method": "logistic regression on chunk-pair logit aggregates",
                "features": list(FEATURE_NAMES), "settings": dataclasses.asdict(self.settings),
                "book": self.book.to_dict(), "author": self.author.to_dict(), "fit": self.fit_stats}

    @classmethod
    def from_dict(cls, payload: dict[str, Any]) -> DocumentCalibration:
        if tuple(payload.get("features", ())) != FEATURE_NAMES:
            raise ValueError("document_calibration.json was written by another Writing7 version (different features); "
                             "rerun `writing7 calibrate-documents --force`")
        return cls(ChunkingSettings(**payload["settings"]), DocumentAggregationCalibrator.from_dict(payload["book"]),
                   DocumentAggregationCalibrator.from_dict(payload["author"]), payload.get("fit", {}))


def chunk_pair_logits(model: Any, chunks_a: list[str], embeddings_a: np.ndarray, chunks_b: list[str], embeddings_b: np.ndarray) -> np.ndarray:
    """(chunks_a, chunks_b, 2) pair-head logits of every chunk pair, from the chunks' (n, dim) embeddings."""
    first = np.repeat(np.arange(len(chunks_a)), len(chunks_b))  # (n_a * n_b,)
    second = np.tile(np.arange(len(chunks_b)), len(chunks_a))  # (n_a * n_b,)
    logits = model.pair_logits_from_embeddings(
        embeddings_a[first], embeddings_b[second], [chunks_a[i] for i in first], [chunks_b[j] for j in second]
    )
    return np.asarray(logits, dtype=np.float64).reshape(len(chunks_a), len(chunks_b), 2)


def compare_documents(matcher: Any, document_a: str, document_b: str) -> dict[str, Any]:
    """Chunk both documents, score every chunk pair, aggregate into calibrated probabilities.

    ``matcher`` is a :class:`writing7.inference.matcher.Matcher`. With its document calibration the
    probabilities come from the fitted regressions; in the explicit uncalibrated mode (no document
    calibration) they are ``sigmoid(mean chunk-pair logit)``, and ``calibrated`` is False.
    """
    settings = matcher.chunking()
    chunks_a, chunks_b = document_chunks(document_a, settings), document_chunks(document_b, settings)
    embeddings = matcher.embed(chunks_a + chunks_b)  # (n_a + n_b, dim), one forward
    logits = chunk_pair_logits(matcher.model, chunks_a, embeddings[: len(chunks_a)], chunks_b, embeddings[len(chunks_a):])
    features = aggregation_features(logits, settings.top_k)  # (7,)
    calibration = matcher.document_calibration
    if calibration is not None:
        p_book = float(calibration.book.predict_proba(features)[0])
        p_author = float(calibration.author.predict_proba(features)[0])
    else:
        p_book = float(matcher.calibration.book.probability(np.array([features[0]]))[0])
        p_author = float(matcher.calibration.author.probability(np.array([features[3]]))[0])
    return {
        "p_same_book": p_book, "p_same_author": p_author,
        "decision": p_book >= 0.5, "author_decision": p_author >= 0.5,
        "chunks_a": len(chunks_a), "chunks_b": len(chunks_b), "chunk_pairs": len(chunks_a) * len(chunks_b),
        "features": dict(zip(FEATURE_NAMES, features.round(6).tolist())),
        "calibrated": calibration is not None,
        "aggregation": "document_calibration.json" if calibration is not None else "sigmoid(mean logit), uncalibrated",
    }
