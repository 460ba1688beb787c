"""Scoring passages with a trained :class:`~writing7.inference.matcher.Matcher`, and the per-author summary.

The Matcher part is thin on purpose: every passage is paired with every reference chunk, scored once
by ``score_batch`` (``style_similarity`` and ``p_same_author``), and averaged per candidate
author; everything after that is the array math of :mod:`writing7.bench_style.measures`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from writing7.bench_style import measures

ROW_KINDS = ("imitation", "neutral", "control")


class PairScorer(Protocol):
    """The Matcher method the benchmark uses."""

    def score_batch(self, pairs: Sequence[tuple[str, str]]) -> list[dict[str, Any]]: ...


@dataclasses.dataclass(frozen=True)
class PassageScores:
    """Mean scores of passages against each candidate author's reference chunks."""

    similarity: np.ndarray  # (n_passages, n_candidates) mean calibrated style similarity
    p_same_author: np.ndarray  # (n_passages, n_candidates) mean calibrated P(same author)

    def rows(self, indices: Sequence[int]) -> PassageScores:
        return PassageScores(self.similarity[list(indices)], self.p_same_author[list(indices)])


def score_passages(matcher: PairScorer, passages: Sequence[str], references: Sequence[str],
                   reference_authors: Sequence[str], candidates: Sequence[str]) -> PassageScores:
    """Score every (passage, reference) pair and average per candidate author."""
    pairs = [(passage, reference) for passage in passages for reference in references]
    shape = (len(passages), len(references))
    results = matcher.score_batch(pairs)
    similarity = np.asarray([result["style_similarity"] for result in results], dtype=float).reshape(shape)
    p_same_author = np.asarray([result["p_same_author"] for result in results], dtype=float).reshape(shape)
    return PassageScores(measures.author_means(similarity, reference_authors, candidates),
                         measures.author_means(p_same_author, reference_authors, candidates))


def summarize_row(scores: PassageScores, target: int) -> dict[str, float]:
    """Similarity and P(same author) to the target vs the mean over the other candidates, and attribution."""
    others = [column for column in range(scores.similarity.shape[1]) if column != target]
    similarity_target = float(scores.similarity[:, target].mean())
    similarity_others = float(scores.similarity[:, others].mean())
    return {
        "n": int(scores.similarity.shape[0]),
        "similarity_target": similarity_target,
        "similarity_others": similarity_others,
        "margin": similarity_target - similarity_others,
        "p_same_author_target": float(scores.p_same_author[:, target].mean()),
        "p_same_author_others": float(scores.p_same_author[:, others].mean()),
        "top1_accuracy": float((measures.attributed(scores.similarity) == target).mean()),
        "mean_rank": float(measures.true_author_ranks(scores.similarity, target).mean()),
    }


def imitation_measures(imitation: PassageScores, neutral: PassageScores, imitation_vs_neutral: np.ndarray,
                       target: int, candidates: Sequence[str]) -> dict[str, Any]:
    """Towards/away shares, STYLL towards/away and confusion of one author's imitations (row ``k`` = sample ``k``)."""
    imitation_target, neutral_target = imitation.similarity[:, target], neutral.similarity[:, target]
    towards, away = measures.towards_away_shares(imitation_target, neutral_target)
    confused, confused_with = measures.confusion(measures.attributed(imitation.similarity), target, candidates)
    return {
        "towards_share": towards,
        "away_share": away,
        "styll_towards": measures.styll_towards(imitation_target, neutral_target),
        "styll_away": measures.styll_away(imitation_vs_neutral, neutral_target),
        "confusion": confused,
        "confused_with": confused_with,
    }


def overall(author_rows: Sequence[dict[str, dict[str, Any]]]) -> dict[str, dict[str, float]]:
    """Macro average over authors of every numeric field of each row kind (``n`` is summed)."""
    summary: dict[str, dict[str, float]] = {}
    for kind in ROW_KINDS:
        rows = [rows_by_kind[kind] for rows_by_kind in author_rows if kind in rows_by_kind]
        if not rows:
            continue
        numeric = [key for key, value in rows[0].items() if isinstance(value, (int, float)) and not isinstance(value, bool)]
        summary[kind] = {key: float(np.mean([row[key] for row in rows])) for key in numeric}
        summary[kind]["n"] = int(sum(row["n"] for row in rows))
    return summary
