"""Score labelled pairs with a model once, reusing each distinct text's embedding.

A pair dataset repeats texts (a chunk appears in several pairs), so encoding the distinct texts once
and indexing is several times cheaper than encoding both sides of every pair.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np


def unique_texts(texts1: Sequence[str], texts2: Sequence[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """``(distinct texts, index of each text1, index of each text2)`` into the distinct list."""
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


def score_pairs(model: Any, texts1: Sequence[str], texts2: Sequence[str], *, batch_size: int = 64) -> PairScores:
    """Encode the distinct texts once, then pair logits from the embeddings and cosines."""
    if len(texts1) != len(texts2):
        raise ValueError(f"{len(texts1)} first texts but {len(texts2)} second texts: pairs need one of each")
    if not texts1:
        return PairScores(logits=np.zeros((0, 2)), cosines=np.zeros(0))
    distinct, index1, index2 = unique_texts(texts1, texts2)
    embeddings = np.asarray(model.encode(distinct, batch_size=batch_size), dtype=np.float32)  # (distinct, dim)
    first, second = embeddings[index1], embeddings[index2]  # (n, dim) each
    logits = np.asarray(model.pair_logits_from_embeddings(first, second, list(texts1), list(texts2)), dtype=float)
    return PairScores(logits=logits, cosines=np.sum(first * second, axis=1).astype(float))


def pair_cosines(model: Any, texts1: Sequence[str], texts2: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
    """Cosine of each pair's L2-normalised embeddings, encoding each distinct text once."""
    distinct, index1, index2 = unique_texts(texts1, texts2)
    embeddings = np.asarray(model.encode(distinct, batch_size=batch_size), dtype=np.float32)  # (distinct, dim)
    return np.sum(embeddings[index1] * embeddings[index2], axis=1).astype(float)
