"""Decision threshold and abstention band on calibrated probabilities, and the PAN answer they imply.

Fitting (on validation pairs, after temperature or Platt scaling):

1. **threshold** ``t``: among the midpoints between observed probabilities (at most ``max_candidates``
   quantiles), the two ends and 0.5, the one that maximises ``target_metric`` with no abstention
   (``accuracy``, ``f1``, ``c_at_1`` or the PAN ``overall``; without abstentions c@1 equals accuracy).
   Ties go to the candidate closest to 0.5.
2. **band** ``(t - m, t + m)``: the half-width ``m`` (0, or the distance from ``t`` below which a given
   fraction of validation pairs lies, up to ``max_band_fraction``) that maximises the PAN ``overall``
   score. Probabilities strictly inside the band are "undecided". Ties go to the narrower band.

The PAN answer of a probability ``p`` (:func:`pan_values`) is a monotone piecewise-linear map that sends
0 -> 0, ``t`` -> 0.5 and 1 -> 1, so the PAN reading (> 0.5 same, < 0.5 different) agrees with the
decision ``p >= t``; a ``p`` inside the band becomes exactly 0.5. With ``t = 0.5`` the map is the identity.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from writing7.calibration.base import Calibrator, check_binary_labels
from writing7.metrics.pan import ABSTAIN, c_at_1, f1, pan_scores

TARGET_METRICS = ("accuracy", "f1", "c_at_1", "overall")
ABOVE_ABSTAIN = float(np.nextafter(ABSTAIN, 1.0))  # a "same" answer exactly at t must not read as undecided
THRESHOLD_LIMITS = (1e-6, 1 - 1e-6)


def pan_values(probabilities: Any, threshold: float, band: tuple[float, float] | None = None) -> np.ndarray:
    """PAN answers: ``p`` mapped so that ``threshold`` -> 0.5, and ``p`` strictly inside ``band`` -> 0.5."""
    probabilities = np.asarray(probabilities, dtype=float)
    threshold = float(np.clip(threshold, *THRESHOLD_LIMITS))
    above = probabilities >= threshold
    values = np.where(
        above,
        np.maximum(ABSTAIN + ABSTAIN * (probabilities - threshold) / (1.0 - threshold), ABOVE_ABSTAIN),
        ABSTAIN * probabilities / threshold,
    )
    if band is not None:
        values = np.where((probabilities > band[0]) & (probabilities < band[1]), ABSTAIN, values)
    return np.clip(values, 0.0, 1.0)


def _accuracy(labels: np.ndarray, values: np.ndarray) -> float:
    return float(np.mean((values > ABSTAIN) == labels))


def _overall(labels: np.ndarray, values: np.ndarray) -> float:
    return pan_scores(labels, values).overall or 0.0


METRIC_FUNCTIONS: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {
    "accuracy": _accuracy, "f1": f1, "c_at_1": c_at_1, "overall": _overall,
}


def threshold_candidates(probabilities: np.ndarray, max_candidates: int) -> np.ndarray:
    """Midpoints between neighbouring distinct probabilities (thinned to quantiles), both ends, and 0.5."""
    distinct = np.unique(probabilities)
    if distinct.size > max_candidates:
        distinct = np.unique(np.quantile(probabilities, np.linspace(0.0, 1.0, max_candidates)))
    midpoints = (distinct[:-1] + distinct[1:]) / 2.0
    every_same, every_different = distinct[0], np.nextafter(distinct[-1], 2.0)  # the two one-answer thresholds
    return np.clip(np.unique(np.r_[midpoints, every_same, every_different, ABSTAIN]), *THRESHOLD_LIMITS)


def best_threshold(probabilities: np.ndarray, labels: np.ndarray, *, metric: str, max_candidates: int) -> tuple[float, float]:
    """``(threshold, metric value)`` maximising ``metric`` with no abstention; ties -> closest to 0.5."""
    score = METRIC_FUNCTIONS[metric]
    candidates = threshold_candidates(probabilities, max_candidates)
    values = np.array([score(labels, pan_values(probabilities, threshold)) for threshold in candidates])
    best = np.flatnonzero(values >= values.max() - 1e-12)
    chosen = best[np.argmin(np.abs(candidates[best] - ABSTAIN))]
    return float(candidates[chosen]), float(values[chosen])


def best_band(
    probabilities: np.ndarray, labels: np.ndarray, threshold: float, *, max_fraction: float, steps: int,
) -> tuple[tuple[float, float], float]:
    """``((low, high), overall)`` for the half-width that maximises PAN overall; ties -> narrower band."""
    distances = np.abs(probabilities - threshold)
    widths = np.unique(np.append(np.quantile(distances, np.linspace(0.0, max_fraction, steps)), 0.0)) if max_fraction > 0 else np.zeros(1)
    overall = np.array([_overall(labels, pan_values(probabilities, threshold, (threshold - m, threshold + m))) for m in widths])
    chosen = int(np.flatnonzero(overall >= overall.max() - 1e-12)[0])
    width = float(widths[chosen])
    return (max(threshold - width, 0.0), min(threshold + width, 1.0)), float(overall[chosen])


class ThresholdCalibrator(Calibrator):
    """Decision threshold for ``target_metric`` plus an abstention band maximising PAN ``overall``."""

    kind = "threshold"
    learned_names = ("threshold_", "band_", "target_score_", "overall_")

    def __init__(self, target_metric: str = "accuracy", max_candidates: int = 256, max_band_fraction: float = 0.3, band_steps: int = 31) -> None:
        self.target_metric = target_metric
        self.max_candidates = max_candidates
        self.max_band_fraction = max_band_fraction
        self.band_steps = band_steps

    def fit(self, probabilities: np.ndarray, labels: np.ndarray) -> ThresholdCalibrator:
        if self.target_metric not in TARGET_METRICS:
            raise ValueError(f"target_metric {self.target_metric!r} is not known; use one of: {', '.join(TARGET_METRICS)}")
        if not 0 <= self.max_band_fraction < 1:
            raise ValueError(f"max_band_fraction = {self.max_band_fraction}: use a fraction in [0, 1)")
        probabilities, labels = check_binary_labels(labels, probabilities, what="threshold selection")
        self.threshold_, self.target_score_ = best_threshold(probabilities, labels, metric=self.target_metric, max_candidates=self.max_candidates)
        self.band_, self.overall_ = best_band(probabilities, labels, self.threshold_, max_fraction=self.max_band_fraction, steps=self.band_steps)
        return self

    def predict(self, probabilities: Any) -> np.ndarray:
        """PAN answers (0.5 = undecided); non-decreasing in ``probabilities``."""
        self.check_fitted()
        return pan_values(probabilities, self.threshold_, self.band_)

    def decide(self, probabilities: Any) -> tuple[np.ndarray, np.ndarray]:
        """``(decisions, abstained)`` boolean arrays: ``p >= threshold_``, and ``p`` strictly inside ``band_``."""
        self.check_fitted()
        probabilities = np.asarray(probabilities, dtype=float)
        abstained = (probabilities > self.band_[0]) & (probabilities < self.band_[1])
        return probabilities >= self.threshold_, abstained

    def _restore(self, name: str, value: Any) -> Any:
        return tuple(float(item) for item in value) if name == "band_" else value
