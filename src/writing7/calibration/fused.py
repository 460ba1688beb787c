"""Fused logistic head: many similarity features of a pair -> one calibrated probability.

``p = sigmoid(sum_j coef_j * (x_j - mean_j) / scale_j + intercept)``, an L2-penalised logistic
regression on standardised features (scikit-learn's ``LogisticRegression``). Fitted on pairs of
authors the encoder never saw, on a balanced set (as many matching as non-matching pairs), so the
probability is the posterior at an even prior and the decision point is 0.5. A logistic regression
fitted by maximum likelihood is calibrated on its fitting distribution by construction (Platt,
1999); the length bands of :mod:`writing7.inference.verdict` keep that distribution narrow.

Being linear, the logit decomposes exactly into one contribution per feature plus the intercept
(:meth:`FusedLogisticCalibrator.contributions`): the "why" of a verdict.

On its fitting pairs such a head is calibrated; on new authors it need not be, since the weights also
learn the fitting authors' quirks. :func:`out_of_fold_logits` gives each pair the logit of a head fitted
without its group (author-grouped folds): what the head does on authors it has not seen.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from writing7.calibration.base import Calibrator, check_binary_labels


class FusedLogisticCalibrator(Calibrator):
    """``fit(features (n, k), labels (n,)) -> self``; ``predict(features) -> (n,)`` probabilities."""

    kind = "fused_logistic"
    learned_names = ("mean_", "scale_", "coef_", "intercept_")

    def __init__(self, inverse_regularisation: float = 1.0) -> None:
        self.inverse_regularisation = inverse_regularisation

    def fit(self, features: Any, labels: Any) -> FusedLogisticCalibrator:
        from sklearn.linear_model import LogisticRegression

        features = np.asarray(features, dtype=np.float64)  # (n, k)
        _, labels = check_binary_labels(labels, features[:, 0], what="fused head")
        self.mean_ = features.mean(axis=0)
        spread = features.std(axis=0)
        self.scale_ = np.where(spread > 1e-12, spread, 1.0)
        regression = LogisticRegression(C=self.inverse_regularisation, max_iter=2000)
        regression.fit((features - self.mean_) / self.scale_, labels.astype(int))
        self.coef_ = regression.coef_[0].astype(np.float64)
        self.intercept_ = float(regression.intercept_[0])
        return self

    def logit(self, features: Any) -> np.ndarray:
        """(n, k) -> (n,) the fused logit."""
        self.check_fitted()
        return self.contributions(features).sum(axis=1) + self.intercept_

    def contributions(self, features: Any) -> np.ndarray:
        """(n, k): ``coef_j * (x_j - mean_j) / scale_j``; each row plus ``intercept_`` sums to the logit."""
        self.check_fitted()
        return (np.atleast_2d(np.asarray(features, dtype=np.float64)) - self.mean_) / self.scale_ * self.coef_

    def predict(self, features: Any) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.logit(features)))


def out_of_fold_logits(features: np.ndarray, labels: np.ndarray, groups: np.ndarray, *, inverse_regularisation: float,
                       folds: int = 5) -> np.ndarray | None:
    """(n,) each pair's logit from a head fitted without its group (``folds`` folds, grouped); None when a fold
    cannot be fitted (fewer than two groups, or a training part with one class)."""
    from sklearn.model_selection import GroupKFold

    group_count = len(set(np.asarray(groups).tolist()))
    if group_count < 2:
        return None
    logits = np.zeros(len(labels))
    for train, held_out in GroupKFold(n_splits=min(folds, group_count)).split(features, labels, groups):
        if len(set(labels[train].tolist())) < 2:
            return None
        logits[held_out] = FusedLogisticCalibrator(inverse_regularisation).fit(features[train], labels[train]).logit(features[held_out])
    return logits
