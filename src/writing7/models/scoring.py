"""Run a matcher on pairs of texts: the one path from ``(texts1, texts2)`` to pair logits and cosines.

A pair dataset repeats texts (a chunk appears in several pairs), so encoding the distinct texts once
and indexing is several times cheaper than encoding both sides of every pair. Every caller that
scores labelled pairs (calibrate, evaluate, score-pairs' benches, the tests) goes through
:func:`score_text_pairs` or :func:`pair_cosines`; :func:`unique_texts` is the one dedup helper.

This module needs only numpy: the model is any object with ``encode(texts, batch_size=...)`` and
``pair_logits_from_embeddings(...)`` (:class:`~writing7.models.matcher.MatcherModel`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

# Texts per encoder forward when a caller does not choose: the default of every encode batch setting.
ENCODE_BATCH_SIZE = 64


def check_pairs(texts1: Sequence[str], texts2: Sequence[str]) -> None:
    """Refuse two sides of different lengths (a pair is one text of each side at one position)."""
    if len(texts1) != len(texts2):
        raise ValueError(f"{len(texts1)} first texts but {len(texts2)} second texts: pass two lists of equal length, one text of each per pair")


def unique_texts(texts1: Sequence[str], texts2: Sequence[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """``(distinct texts, index of each text1, index of each text2)`` into the distinct list (first-seen order)."""
    position: dict[str, int] = {}
    for text in (*texts1, *texts2):
        position.setdefault(text, len(position))
    index1 = np.fromiter((position[text] for text in texts1), dtype=np.int64, count=len(texts1))
    index2 = np.fromiter((position[text] for text in texts2), dtype=np.int64, count=len(texts2))
    return list(position), index1, index2


@dataclasses.dataclass
class PairScores:
    """A model's raw outputs on n pairs."""

    logits: np.ndarray  # (n, 2): [:, 0] same-book logit, [:, 1] same-author logit (uncalibrated)
    cosines: np.ndarray  # (n,) cosine of the two L2-normalised embeddings


def score_text_pairs(model: Any, texts1: Sequence[str], texts2: Sequence[str], *, batch_size: int = ENCODE_BATCH_SIZE) -> PairScores:
    """Encode the distinct texts once, then the pair head's logits and the cosine of each pair."""
    if not texts1 and not texts2:
        return PairScores(logits=np.zeros((0, 2)), cosines=np.zeros(0))
    first, second = pair_embeddings(model, texts1, texts2, batch_size=batch_size)
    logits = np.asarray(model.pair_logits_from_embeddings(first, second, list(texts1), list(texts2)), dtype=float)
    return PairScores(logits=logits, cosines=np.sum(first * second, axis=1).astype(float))


def pair_cosines(model: Any, texts1: Sequence[str], texts2: Sequence[str], *, batch_size: int = ENCODE_BATCH_SIZE) -> np.ndarray:
    """(n,) cosine of each pair's L2-normalised embeddings (no pair head: cheaper when only the cosine is wanted)."""
    first, second = pair_embeddings(model, texts1, texts2, batch_size=batch_size)
    return np.sum(first * second, axis=1).astype(float)


def pair_embeddings(model: Any, texts1: Sequence[str], texts2: Sequence[str], *, batch_size: int = ENCODE_BATCH_SIZE) -> tuple[np.ndarray, np.ndarray]:
    """``(first, second)``, each (n, dim) float32: the embedding of each side of each pair, each distinct text encoded once."""
    check_pairs(texts1, texts2)
    distinct, index1, index2 = unique_texts(texts1, texts2)
    embeddings = np.asarray(model.encode(distinct, batch_size=batch_size), dtype=np.float32)  # (distinct, dim)
    return embeddings[index1], embeddings[index2]
