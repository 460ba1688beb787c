"""PAN authorship-verification metrics, as defined by the PAN 2020-2023 evaluator.

A system answers each pair with a score in [0, 1]: ``> 0.5`` means "same", ``< 0.5`` means "different"
and exactly ``0.5`` means "undecided" (an abstention). Five metrics are averaged into ``overall``:

- **AUC**: area under the ROC curve of the scores (abstentions stay in as 0.5).
- **c@1** (Peñas & Rodrigo 2011): ``(n_c + n_u * n_c / n) / n`` with ``n_c`` correct answers and ``n_u``
  abstentions: an abstention earns the accuracy of the answered pairs instead of zero.
- **F0.5u** (Bevendorff et al. 2019; the PAN 2021 definition): ``1.25 TP / (1.25 TP + 0.25 (FN + n_u) + FP)``;
  abstentions count as false negatives, so abstaining on a true negative *lowers* the score while
  answering it correctly does not change it.
- **F1**: ordinary F1 of the answered pairs only (abstentions removed).
- **Brier**: the complement ``1 - mean((score - label)^2)``, abstentions included as 0.5.

References: Peñas & Rodrigo, "A Simple Measure to Assess Non-response", ACL 2011; Bevendorff, Stein, Hagen
& Potthast, "Generalizing Unmasking for Short Texts", NAACL 2019; Kestemont et al., "Overview of the
Cross-Domain Authorship Verification Task at PAN 2021".

The single-metric functions raise ``ValueError`` on NaN or out-of-range scores; :func:`pan_scores`
drops NaN scores with a warning and counts them, and reports an undefined AUC (one class only) as
``None`` with a note instead of failing.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import numpy as np
from sklearn.metrics import roc_auc_score

logger = logging.getLogger(__name__)

ABSTAIN = 0.5


def _check(labels: Any, scores: Any) -> tuple[np.ndarray, np.ndarray]:
    labels = np.asarray(labels).astype(bool)
    scores = np.asarray(scores, dtype=float)
    if labels.shape != scores.shape or labels.ndim != 1:
        raise ValueError(f"labels {labels.shape} and scores {scores.shape} must be 1-D arrays of the same length")
    if labels.size == 0:
        raise ValueError("no pairs to score: the metric needs at least one labelled pair")
    if np.isnan(scores).any():
        raise ValueError(f"{int(np.isnan(scores).sum())} scores are NaN: drop them first (pan_scores does) or fix the scorer")
    if scores.min() < 0 or scores.max() > 1:
        raise ValueError(f"scores must lie in [0, 1], got [{scores.min():.4g}, {scores.max():.4g}]: pass probabilities")
    return labels, scores


def auc(labels: Any, scores: Any) -> float | None:
    """ROC AUC of ``scores``; ``None`` when only one class is present (the AUC is undefined)."""
    labels, scores = _check(labels, scores)
    if labels.all() or not labels.any():
        return None
    return float(roc_auc_score(labels, scores))


def c_at_1(labels: Any, scores: Any) -> float:
    """c@1 = ``(n_c + n_u * n_c / n) / n``; with no abstentions it equals accuracy."""
    labels, scores = _check(labels, scores)
    answered = scores != ABSTAIN
    n = labels.size
    correct = int(((scores > ABSTAIN) == labels)[answered].sum())
    unanswered = n - int(answered.sum())
    return (correct + unanswered * correct / n) / n


def _counts(labels: np.ndarray, scores: np.ndarray) -> tuple[int, int, int, int]:
    """(true positives, false positives, false negatives, abstentions) of the answered/abstained pairs."""
    said_same = scores > ABSTAIN
    said_different = scores < ABSTAIN
    true_positives = int((said_same & labels).sum())
    false_positives = int((said_same & ~labels).sum())
    false_negatives = int((said_different & labels).sum())
    abstentions = int((scores == ABSTAIN).sum())
    return true_positives, false_positives, false_negatives, abstentions


def f05_u(labels: Any, scores: Any) -> float:
    """F0.5u = ``1.25 TP / (1.25 TP + 0.25 (FN + n_u) + FP)``; 0.0 when the denominator is 0."""
    labels, scores = _check(labels, scores)
    true_positives, false_positives, false_negatives, abstentions = _counts(labels, scores)
    denominator = 1.25 * true_positives + 0.25 * (false_negatives + abstentions) + false_positives
    return 1.25 * true_positives / denominator if denominator else 0.0


def f1(labels: Any, scores: Any) -> float:
    """F1 = ``2 TP / (2 TP + FP + FN)`` over answered pairs only; 0.0 when nothing positive was answered or true."""
    labels, scores = _check(labels, scores)
    true_positives, false_positives, false_negatives, _ = _counts(labels, scores)
    denominator = 2 * true_positives + false_positives + false_negatives
    return 2 * true_positives / denominator if denominator else 0.0


def brier_complement(labels: Any, scores: Any) -> float:
    """``1 - mean((score - label)^2)``; higher is better, abstentions are scored as 0.5."""
    labels, scores = _check(labels, scores)
    return float(1.0 - np.mean((scores - labels.astype(float)) ** 2))


@dataclasses.dataclass
class PanScores:
    """The PAN suite on one set of pairs; ``None`` marks an undefined metric (see ``notes``)."""

    n: int
    positives: int
    abstained: int
    dropped_nan: int
    auc: float | None
    c_at_1: float
    f05_u: float
    f1: float
    brier: float
    overall: float | None
    notes: list[str] = dataclasses.field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def drop_nan(labels: Any, scores: Any, *, what: str = "scores") -> tuple[np.ndarray, np.ndarray, int]:
    """Remove pairs whose score is NaN, logging how many were dropped."""
    labels = np.asarray(labels).astype(bool)
    scores = np.asarray(scores, dtype=float)
    finite = ~np.isnan(scores)
    dropped = int((~finite).sum())
    if dropped:
        logger.warning("dropped %d of %d pairs with NaN %s", dropped, scores.size, what)
    return labels[finite], scores[finite], dropped


def pan_scores(labels: Any, scores: Any) -> PanScores:
    """All five PAN metrics and their mean; NaN scores are dropped and counted, never silently kept."""
    labels, scores, dropped = drop_nan(labels, scores)
    if labels.size == 0:
        raise ValueError(f"all {dropped} scores are NaN: the scorer produced no usable value")
    notes = []
    area = auc(labels, scores)
    if area is None:
        notes.append("AUC undefined: only one class present, so overall is undefined too")
    abstained = int((scores == ABSTAIN).sum())
    if abstained == labels.size:
        notes.append("every pair was abstained on (score 0.5): F1 has no answered pairs and is 0")
    if dropped:
        notes.append(f"{dropped} pairs with NaN scores were dropped")
    components = [area, c_at_1(labels, scores), f05_u(labels, scores), f1(labels, scores), brier_complement(labels, scores)]
    overall = None if area is None else float(np.mean(components))
    return PanScores(
        n=int(labels.size), positives=int(labels.sum()), abstained=abstained, dropped_nan=dropped,
        auc=area, c_at_1=components[1], f05_u=components[2], f1=components[3], brier=components[4],
        overall=overall, notes=notes,
    )
