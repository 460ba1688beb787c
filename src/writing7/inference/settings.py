"""How a :class:`~writing7.inference.matcher.Matcher` and a :class:`~writing7.inference.search.Searcher` run.

The defaults live here, in a module without torch, so that ``[inference]`` and ``[search]``
(:mod:`writing7.config.inference`, :mod:`writing7.config.index`) take theirs from the same place and
loading a config stays light; the configs build these with ``matcher_settings()`` / ``search_settings()``.
"""

from __future__ import annotations

import dataclasses

from writing7.models.precisions import DEFAULT_PRECISION
from writing7.models.scoring import ENCODE_BATCH_SIZE


@dataclasses.dataclass(frozen=True)
class MatcherSettings:
    """Batching, precision, the per-text work cap and the uncalibrated mode of a Matcher."""

    batch_size: int = ENCODE_BATCH_SIZE  # passages per model forward
    precision: str = DEFAULT_PRECISION  # auto, fp32, bf16 or int8 (writing7.models.precisions)
    max_chunks_per_document: int = 0  # 0 = as many passages as the verdict was fitted with
    uncalibrated: bool = False  # score with raw, flagged probabilities when no verdict exists


@dataclasses.dataclass(frozen=True)
class SearchSettings:
    """The two-stage search: bi-encoder prefilter, then an optional cross-encoder rerank."""

    top_k: int = 10  # books returned
    candidates: int = 50  # books kept by the prefilter (at least top_k)
    centroid_weight: float = 0.5  # prefilter score = w * centroid cosine + (1 - w) * best-chunk cosine
    rerank_candidates: int = 20  # books the cross-encoder rescores
    rerank_chunks_per_book: int = 3  # a book's best chunks the cross-encoder reads
