"""Fit the final pair head on authors the encoder never saw.

Why: trained in-batch, the pair head learns how much to trust the embedding cosine from pairs of
*training* authors, whose passages the encoder has learnt to pull together. On new authors the cosine
is weaker, so that head over-trusts it (measured on the shared corpus: the in-batch head's validation
AUC fell below the plain cosine's). Holding a share of the training authors out of encoder training and
fitting the head on their pairs afterwards gives every feature the weight it has on unseen authors.

The fitted head is linear (``PairHead(hidden=0)``): per task an L2-regularised, class-balanced logistic
regression on the selected columns x of ``s = [cos(u, v), (f - mean) / std]``, each standardised on the
head-fit pairs (so C treats them alike; the scaling is folded back into the head's weights)::

    logit_task(s) = w_task . x + b_task,   minimising  sum_i c_i BCE(y_i, logit(x_i)) + ||w||^2 / (2 C)

with ``c_i`` = n / (2 n_class(y_i)) (balanced classes). By default x holds the five similarities
(:data:`SIMILARITY_FEATURES`): the per-statistic differences (punctuation, length, ...) are left at
weight 0, because with a handful of held-out authors they fit those authors' habits (measured on the
shared corpus: in-sample author AUC 0.74, validation 0.63, against 0.66 without them). The tasks are trained on the pairs the evaluate
stage scores: **book** = same-book pairs vs different-author pairs; **author** = same-author-other-book
pairs vs different-author pairs (a same-book pair would teach the author logit to trust shared names).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression

from writing7.models.matcher import MatcherModel
from writing7.models.pair_head import PairHead
from writing7.models.style_features import StyleFeaturizer, pair_feature_tensor
from writing7.training.data import ChunkTable, PairTable, split_columns
from writing7.training.evaluation import task_aucs

logger = logging.getLogger(__name__)
SIMILARITY_FEATURES = ("embedding_cosine", "char_tfidf_cosine", "word_tfidf_cosine", "function_word_cosine", "function_word_delta")
FEATURE_SETS = ("similarities", "all")


def partition_by_author(split: Any, holdout_ratio: float, seed: int) -> tuple[dict[str, list], dict[str, list] | None]:
    """Split a pair split's columns into (encoder pairs, head-fit pairs) by author.

    ``round(holdout_ratio * authors)`` authors (seeded, at least 1 when the ratio is positive) are held
    out. Encoder pairs have no held-out author on either side; head-fit pairs have one on at least one
    side (every positive and same-author pair of a held-out author, and its negatives). ``None`` for the
    head-fit part when the ratio is 0.
    """
    columns = split_columns(split)
    if not holdout_ratio:
        return columns, None
    authors = sorted(set(columns["author1"]) | set(columns["author2"]))
    count = max(1, int(round(holdout_ratio * len(authors))))
    if count >= len(authors) - 1:
        raise ValueError(
            f"train.head_fit_author_ratio = {holdout_ratio} holds out {count} of {len(authors)} training authors, leaving too few to train "
            "the encoder: lower it (e.g. 0.15) or set it to 0"
        )
    held_out = set(np.random.default_rng(seed).choice(authors, size=count, replace=False).tolist())
    in_head = [first in held_out or second in held_out for first, second in zip(columns["author1"], columns["author2"])]
    encoder = {name: [value for value, flag in zip(values, in_head) if not flag] for name, values in columns.items()}
    head = {name: [value for value, flag in zip(values, in_head) if flag] for name, values in columns.items()}
    return encoder, head


def task_masks(pairs: PairTable) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per task: (pairs used, positive label) — the same pair selection as the evaluate stage's tasks."""
    different_author = (pairs.pair_type == "negative") & ~pairs.same_author
    masks = {}
    for task, positive in (("book", pairs.pair_type == "positive"), ("author", pairs.pair_type == "same_author")):
        used = positive | different_author
        masks[task] = (used, positive[used])
    return masks


def fit_linear_head(
    model: MatcherModel, chunks: ChunkTable, pairs: PairTable, *, features: str = "similarities", inverse_regularisation: float = 1.0,
    batch_size: int = 64,
) -> tuple[PairHead, dict[str, Any]]:
    """A linear :class:`PairHead` fitted on ``pairs`` with ``model``'s encoder and feature scaling; and a report.

    ``features``: ``"similarities"`` (:data:`SIMILARITY_FEATURES`) or ``"all"`` pair features.

    The report holds the number of pairs per task, the fitted weights per standard deviation of each
    input (what the head trusts) and the in-sample AUCs.
    """
    used = np.unique(np.concatenate([pairs.first, pairs.second]))
    embeddings = np.zeros((len(chunks), model.encoder.embedding_dim), dtype=np.float32)
    embeddings[used] = model.encode([chunks.texts[row] for row in used], batch_size=batch_size)
    text_features = model.featurizer.transform(chunks.texts) if model.featurizer is not None else None
    old = model.head
    head = PairHead(old.embedding_dim, old.num_pair_features, hidden=0, use_embedding_features=False)
    head.feature_mean.copy_(old.feature_mean.cpu())
    head.feature_scale.copy_(old.feature_scale.cpu())
    inputs = (torch.from_numpy(embeddings[pairs.first]), torch.from_numpy(embeddings[pairs.second]), pair_feature_tensor(text_features, pairs.first, pairs.second))
    with torch.no_grad():
        scalars = head.scalar_inputs(*inputs).numpy().astype(np.float64)  # (p, 1 + k)
    names = ["embedding_cosine", *(StyleFeaturizer.PAIR_FEATURE_NAMES if model.featurizer is not None else ())]
    columns = selected_columns(names, features)
    report: dict[str, Any] = {"pairs": len(pairs), "features": [names[column] for column in columns], "tasks": {}}
    weights = torch.zeros_like(head.linear.weight)
    bias = torch.zeros_like(head.linear.bias)
    for index, (task, (mask, labels)) in enumerate(task_masks(pairs).items()):
        if labels.all() or not labels.any():
            raise ValueError(f"head fit: the held-out authors' pairs have a single class for the {task} task; raise train.head_fit_author_ratio")
        coefficients, intercept, per_deviation = standardised_logistic_regression(scalars[mask][:, columns], labels, inverse_regularisation)
        weights[index, columns] = torch.from_numpy(coefficients.astype(np.float32))
        bias[index] = intercept
        report["tasks"][task] = {
            "pairs": int(mask.sum()), "positives": int(labels.sum()),
            # Weights per standard deviation of each input on the head-fit pairs: how much the head trusts it.
            "weights": {names[column]: round(float(value), 4) for column, value in zip(columns, per_deviation)},
        }
    with torch.no_grad():
        head.linear.weight.copy_(weights)
        head.linear.bias.copy_(bias)
        logits = head(*inputs).numpy()  # (p, 2)
    report["in_sample_auc"] = task_aucs(logits[:, 0], logits[:, 1], pairs)
    return head.to(model.device).eval(), report


def selected_columns(names: Sequence[str], features: str) -> list[int]:
    """Columns of the head's scalar inputs the fit uses."""
    if features not in FEATURE_SETS:
        raise ValueError(f"train.head_fit_features = {features!r} is not one of {', '.join(FEATURE_SETS)}")
    return [index for index, name in enumerate(names) if features == "all" or name in SIMILARITY_FEATURES]


def standardised_logistic_regression(inputs: np.ndarray, labels: np.ndarray, inverse_regularisation: float) -> tuple[np.ndarray, float, np.ndarray]:
    """Balanced L2 logistic regression on standardised columns: (w_raw, b_raw, w) where w are the weights
    per standard deviation (comparable across columns) and w_raw = w / sd, b_raw = b - sum(w mean / sd)
    act on the raw columns."""
    mean, deviation = inputs.mean(axis=0), inputs.std(axis=0)
    deviation = np.where(deviation > 1e-12, deviation, 1.0)
    regression = LogisticRegression(C=inverse_regularisation, class_weight="balanced", max_iter=5000)
    regression.fit((inputs - mean) / deviation, labels)
    coefficients = regression.coef_[0] / deviation
    return coefficients, float(regression.intercept_[0] - np.sum(coefficients * mean)), regression.coef_[0]


def summarise_weights(report: Mapping[str, Any], top: int = 4) -> str:
    """'book: word_tfidf_cosine +1.20, embedding_cosine +0.95, ...; author: ...' (largest |weight| first)."""
    parts = []
    for task, values in report["tasks"].items():
        ranked: Sequence[tuple[str, float]] = sorted(values["weights"].items(), key=lambda item: -abs(item[1]))[:top]
        parts.append(f"{task}: " + ", ".join(f"{name} {weight:+.2f}" for name, weight in ranked))
    return "; ".join(parts)
