"""Validation metrics during training: ROC AUC of the book and author tasks on held-out authors.

Tasks follow the evaluate stage: **book** = same-book pairs vs different-author negatives (same-book
logit); **author** = same-author-other-book pairs vs different-author negatives (same-author logit).
The embedding cosine's AUC on both is logged too, to see what the pair head adds.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score

from writing7.models.matcher import MatcherModel
from writing7.models.scoring import pair_embeddings
from writing7.training.data import ChunkTable, PairTable


def sample_pairs(pairs: PairTable, max_pairs: int, seed: int) -> PairTable:
    """At most ``max_pairs`` pairs (seeded, without replacement); all when ``max_pairs`` is 0."""
    if not max_pairs or len(pairs) <= max_pairs:
        return pairs
    rows = np.sort(np.random.default_rng(seed).choice(len(pairs), size=max_pairs, replace=False))
    return pairs.subset(rows)


def task_aucs(book_scores: np.ndarray, author_scores: np.ndarray, pairs: PairTable) -> dict[str, float]:
    """AUC of each task whose pairs include both classes (a missing class leaves the task out)."""
    negative = (pairs.pair_type == "negative") & ~pairs.same_author
    results = {}
    for task, positive, scores in (("book", pairs.pair_type == "positive", book_scores), ("author", pairs.pair_type == "same_author", author_scores)):
        mask = positive | negative
        if positive[mask].any() and (~positive[mask]).any():
            results[task] = float(roc_auc_score(positive[mask], scores[mask]))
    return results


class ValidationSet:
    """Validation pairs scored during training: ``book_auc``/``author_auc`` of the pair logits and
    ``book_cosine_auc``/``author_cosine_auc``.

    :meth:`evaluate` encodes the passages with the current encoder; :meth:`rescore` reuses the last
    encoding, for a pair head swapped in after the last step (the encoder has not changed since).
    """

    def __init__(self, model: MatcherModel, chunks: ChunkTable, pairs: PairTable, *, batch_size: int = 64) -> None:
        self.model = model
        self.pairs = pairs
        self.batch_size = batch_size
        self.texts1 = [chunks.texts[row] for row in pairs.first]
        self.texts2 = [chunks.texts[row] for row in pairs.second]
        self._embeddings: tuple[np.ndarray, np.ndarray] | None = None

    def evaluate(self) -> dict[str, float]:
        self._embeddings = pair_embeddings(self.model, self.texts1, self.texts2, batch_size=self.batch_size)
        return self.rescore()

    def rescore(self) -> dict[str, float]:
        if self._embeddings is None:
            raise RuntimeError("ValidationSet.rescore needs a previous evaluate()")
        first, second = self._embeddings
        logits = self.model.pair_logits_from_embeddings(first, second, self.texts1, self.texts2)  # (p, 2)
        cosine = np.sum(first * second, axis=1)  # (p,)
        metrics = {f"{task}_auc": value for task, value in task_aucs(logits[:, 0], logits[:, 1], self.pairs).items()}
        metrics.update({f"{task}_cosine_auc": value for task, value in task_aucs(cosine, cosine, self.pairs).items()})
        return metrics
