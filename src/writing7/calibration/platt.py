"""Platt scaling (Platt, "Probabilistic Outputs for Support Vector Machines", 1999).

A logistic curve on a raw score: ``p = sigmoid(a * s + b)``, fitted by maximum likelihood against
Platt's smoothed targets ``t+ = (N+ + 1) / (N+ + 2)`` and ``t- = 1 / (N- + 2)`` (they keep the fit
finite on separable data). Unlike temperature scaling it has a bias ``b``, so it also calibrates
scores whose "undecided" point is not 0 — a cosine, a TF-IDF similarity. The slope is constrained to
``a >= 0`` so the output never decreases with the score (a useless score gets a flat ``p``).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit

from writing7.calibration.base import Calibrator, check_binary_labels


def platt_targets(labels: np.ndarray) -> np.ndarray:
    """Platt's smoothed targets: ``(N+ + 1)/(N+ + 2)`` for positives, ``1/(N- + 2)`` for negatives."""
    positives = int(labels.sum())
    negatives = labels.size - positives
    return np.where(labels, (positives + 1.0) / (positives + 2.0), 1.0 / (negatives + 2.0))


def fit_platt(scores: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """``(a, b)`` minimising the cross-entropy of ``sigmoid(a s + b)`` against Platt's targets, ``a >= 0``."""
    center, spread = float(scores.mean()), float(scores.std()) or 1.0
    standard = (scores - center) / spread  # fit on standardised scores: well-conditioned for any score range
    targets = platt_targets(labels)

    def loss_and_gradient(parameters: np.ndarray) -> tuple[float, np.ndarray]:
        logits = parameters[0] * standard + parameters[1]
        loss = np.mean(np.logaddexp(0.0, logits) - targets * logits)
        residual = expit(logits) - targets  # d loss / d logit
        return float(loss), np.array([np.mean(residual * standard), np.mean(residual)])

    result = minimize(loss_and_gradient, x0=np.array([1.0, 0.0]), jac=True, method="L-BFGS-B", bounds=[(0.0, None), (None, None)])
    slope, intercept = result.x
    return float(slope / spread), float(intercept - slope * center / spread)


class PlattCalibrator(Calibrator):
    """``p = sigmoid(slope_ * score + intercept_)`` fitted on validation scores or logits."""

    kind = "platt"
    learned_names = ("slope_", "intercept_")

    def fit(self, scores: np.ndarray, labels: np.ndarray) -> PlattCalibrator:
        scores, labels = check_binary_labels(labels, scores, what="Platt scaling")
        self.slope_, self.intercept_ = fit_platt(scores, labels)
        return self

    def predict(self, scores: np.ndarray) -> np.ndarray:
        """Calibrated probabilities, same shape as ``scores``."""
        self.check_fitted()
        return expit(self.slope_ * np.asarray(scores, dtype=float) + self.intercept_)
