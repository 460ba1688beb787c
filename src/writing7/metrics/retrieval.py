"""Retrieval metrics for search ("which book / author does this passage come from?").

Each query has a ranked list of candidate ids (best first) and a set of relevant ids (often one: the
true book). With ``rank_q`` the 1-based rank of the first relevant id in query ``q``'s list:

- **Recall@k** = ``mean_q |top_k(q) ∩ relevant(q)| / |relevant(q)|``; with one relevant id per query
  this is the hit rate, the fraction of queries whose answer is in the top ``k``.
- **MRR** (mean reciprocal rank) = ``mean_q 1 / rank_q``, counting ``0`` for a query whose relevant ids
  are not in its list (or not within ``cutoff`` when one is given).

Reference: Manning, Raghavan & Schütze, *Introduction to Information Retrieval*, ch. 8 (2008).
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Sequence
from typing import Any

import numpy as np


def _relevant_set(relevant: Hashable | Collection[Hashable]) -> set[Hashable]:
    if isinstance(relevant, (str, bytes)) or not isinstance(relevant, Collection):
        return {relevant}
    return set(relevant)


def _pairs(rankings: Sequence[Sequence[Hashable]], relevant: Sequence[Any]) -> list[tuple[Sequence[Hashable], set[Hashable]]]:
    if len(rankings) != len(relevant):
        raise ValueError(f"{len(rankings)} rankings but {len(relevant)} relevant sets: give one of each per query")
    if not rankings:
        raise ValueError("no queries: retrieval metrics need at least one query")
    pairs = [(ranking, _relevant_set(gold)) for ranking, gold in zip(rankings, relevant)]
    if any(not gold for _, gold in pairs):
        raise ValueError("a query has an empty relevant set: every query needs at least one relevant id")
    return pairs


def first_relevant_rank(ranking: Sequence[Hashable], relevant: Hashable | Collection[Hashable]) -> int | None:
    """1-based rank of the first relevant id in ``ranking``, or ``None`` when none is present."""
    gold = _relevant_set(relevant)
    for rank, candidate in enumerate(ranking, start=1):
        if candidate in gold:
            return rank
    return None


def recall_at_k(rankings: Sequence[Sequence[Hashable]], relevant: Sequence[Any], k: int) -> float:
    """Mean fraction of each query's relevant ids found in its top ``k``."""
    if k < 1:
        raise ValueError(f"k = {k}: use k >= 1")
    pairs = _pairs(rankings, relevant)
    return float(np.mean([len(set(ranking[:k]) & gold) / len(gold) for ranking, gold in pairs]))


def mean_reciprocal_rank(rankings: Sequence[Sequence[Hashable]], relevant: Sequence[Any], *, cutoff: int | None = None) -> float:
    """Mean of ``1 / rank`` of the first relevant id (0 when absent or ranked below ``cutoff``)."""
    reciprocal = []
    for ranking, gold in _pairs(rankings, relevant):
        rank = first_relevant_rank(ranking if cutoff is None else ranking[:cutoff], gold)
        reciprocal.append(0.0 if rank is None else 1.0 / rank)
    return float(np.mean(reciprocal))


def rankings_from_scores(scores: Any, candidate_ids: Sequence[Hashable], *, k: int | None = None) -> list[list[Hashable]]:
    """Turn a (queries, candidates) score matrix into ranked id lists, best first (ties keep candidate order)."""
    scores = np.asarray(scores, dtype=float)  # (queries, candidates)
    if scores.ndim != 2 or scores.shape[1] != len(candidate_ids):
        raise ValueError(f"scores {scores.shape} must be (queries, {len(candidate_ids)} candidates)")
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]  # (queries, k)
    return [[candidate_ids[index] for index in row] for row in order]
