"""Expected and maximum calibration error of binary probabilities, over equal-width bins.

The probabilities ``p`` of the positive class are put in ``B`` equal-width bins ``[k/B, (k+1)/B)`` (the
last bin also holds ``p = 1``). For each non-empty bin ``b`` with ``n_b`` pairs, ``conf_b`` is the mean
probability and ``freq_b`` the fraction of positive labels; then

    ECE = sum_b (n_b / n) * |freq_b - conf_b|        MCE = max_b |freq_b - conf_b|

This is the reliability-diagram form for a binary probability (Naeini et al., "Obtaining Well Calibrated
Probabilities Using Bayesian Binning", AAAI 2015; Guo et al., "On Calibration of Modern Neural Networks",
ICML 2017, use the same binning on the top-label confidence). A perfectly calibrated ``p`` gives ECE -> 0
as ``n`` grows.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

DEFAULT_BINS = 15


@dataclasses.dataclass
class ReliabilityBins:
    """Per-bin statistics: what a reliability diagram draws. Empty bins have ``count == 0`` and NaN means."""

    edges: np.ndarray  # (bins + 1,)
    count: np.ndarray  # (bins,)
    confidence: np.ndarray  # (bins,) mean probability
    frequency: np.ndarray  # (bins,) fraction positive

    @property
    def gaps(self) -> np.ndarray:
        return np.abs(self.frequency - self.confidence)


def reliability_bins(labels: Any, probabilities: Any, *, bins: int = DEFAULT_BINS) -> ReliabilityBins:
    """Bin ``probabilities`` into ``bins`` equal-width bins and average probability and label per bin."""
    labels = np.asarray(labels, dtype=float)
    probabilities = np.asarray(probabilities, dtype=float)
    if labels.shape != probabilities.shape or labels.ndim != 1 or labels.size == 0:
        raise ValueError(f"labels {labels.shape} and probabilities {probabilities.shape} must be non-empty 1-D arrays of one length")
    if bins < 1:
        raise ValueError(f"bins = {bins}: use at least one bin")
    if np.isnan(probabilities).any() or probabilities.min() < 0 or probabilities.max() > 1:
        raise ValueError("probabilities must be finite and in [0, 1]: drop NaN scores and calibrate first")
    index = np.minimum((probabilities * bins).astype(int), bins - 1)  # (n,) bin of each pair
    count = np.bincount(index, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        confidence = np.bincount(index, weights=probabilities, minlength=bins) / count
        frequency = np.bincount(index, weights=labels, minlength=bins) / count
    return ReliabilityBins(edges=np.linspace(0.0, 1.0, bins + 1), count=count, confidence=confidence, frequency=frequency)


def expected_calibration_error(labels: Any, probabilities: Any, *, bins: int = DEFAULT_BINS) -> float:
    """ECE = ``sum_b (n_b / n) |freq_b - conf_b|`` over non-empty equal-width bins."""
    table = reliability_bins(labels, probabilities, bins=bins)
    filled = table.count > 0
    return float(np.sum(table.count[filled] * table.gaps[filled]) / table.count.sum())


def maximum_calibration_error(labels: Any, probabilities: Any, *, bins: int = DEFAULT_BINS) -> float:
    """MCE = ``max_b |freq_b - conf_b|`` over non-empty equal-width bins."""
    table = reliability_bins(labels, probabilities, bins=bins)
    return float(table.gaps[table.count > 0].max())


def expected_ece_if_calibrated(probabilities: Any, *, bins: int = DEFAULT_BINS, draws: int = 200, seed: int = 0) -> float:
    """Mean ECE of *perfectly calibrated* labels (``y ~ Bernoulli(p)``) at these probabilities: the sampling floor.

    ECE is biased upwards on finite samples (each bin's frequency is noisy), so an observed ECE near this
    floor is what a perfectly calibrated model would show on a test set of this size.
    """
    probabilities = np.asarray(probabilities, dtype=float)
    rng = np.random.default_rng(seed)
    simulated = rng.uniform(size=(draws, probabilities.size)) < probabilities  # (draws, n) labels drawn from p
    return float(np.mean([expected_calibration_error(labels, probabilities, bins=bins) for labels in simulated]))
