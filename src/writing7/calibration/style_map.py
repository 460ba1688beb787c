"""Style similarity: a smooth monotone map from bi-encoder cosine to [0, 1].

**Meaning.** ``style_similarity = predict(cosine)`` estimates the probability that two passages share an
author *given* their cosine, for pairs like the dev pairs it was fitted on (same-author-other-book vs
different-author). The dev set's share of same-author pairs (``base_rate_``) is the prior built into the
estimate: on a 50/50 dev set, 0.5 means "no evidence either way".

**Fit.**

1. Isotonic regression (pool-adjacent-violators) of the same-author label on the cosine gives blocks of
   pairs with a constant fitted rate ``k_b / n_b``, non-decreasing in cosine.
2. Each block becomes one knot at its centre (mean cosine), with the rate shrunk towards the base rate,
   ``(k_b + s * base_rate) / (n_b + s)`` with ``s = prior_strength``, so no knot claims 0 or 1 from a
   handful of pairs; a weighted isotonic pass over the knots restores monotonicity, and knots with equal
   values are merged.
3. Anchors ``(-1, 0)`` and ``(1, 1)`` close the cosine range, and a PCHIP curve (Fritsch & Carlson 1980),
   which is monotone wherever its knots are, joins the knots.

A raw isotonic fit is a staircase with wide flat steps; this curve rises strictly between knots, so no
interval wider than :data:`MAX_FLAT_FRACTION` of the fitted cosine range maps to one value (checked by
:func:`flat_fraction`). References: Zadrozny & Elkan, KDD 2002 (isotonic calibration).
"""

from __future__ import annotations

import numpy as np
from scipy.interpolate import PchipInterpolator
from sklearn.isotonic import IsotonicRegression

from writing7.calibration.base import Calibrator, check_binary_labels

MAX_FLAT_FRACTION = 0.02  # documented bound on the widest constant stretch, as a fraction of the fitted cosine range
COSINE_RANGE = (-1.0, 1.0)


def isotonic_blocks(cosines: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(centres, positives, counts)`` of the constant blocks of an isotonic fit, in cosine order."""
    order = np.argsort(cosines, kind="stable")
    x, y = cosines[order], labels[order].astype(float)
    fitted = IsotonicRegression(increasing=True).fit_transform(x, y)  # (n,) non-decreasing
    starts = np.flatnonzero(np.r_[True, np.diff(fitted) != 0])
    counts = np.diff(np.r_[starts, x.size])
    return np.add.reduceat(x, starts) / counts, np.add.reduceat(y, starts), counts


def smoothed_knots(cosines: np.ndarray, labels: np.ndarray, prior_strength: float) -> tuple[np.ndarray, np.ndarray]:
    """Knots ``(x, y)``: shrunk block rates, made monotone again, equal neighbours merged, anchors added."""
    centres, positives, counts = isotonic_blocks(cosines, labels)
    base_rate = labels.mean()
    rates = (positives + prior_strength * base_rate) / (counts + prior_strength)
    rates = IsotonicRegression(increasing=True).fit_transform(centres, rates, sample_weight=counts)
    starts = np.flatnonzero(np.r_[True, np.diff(rates) != 0])
    weights = np.add.reduceat(counts, starts)
    x = np.add.reduceat(centres * counts, starts) / weights
    y = rates[starts]
    if x[0] > COSINE_RANGE[0]:
        x, y = np.r_[COSINE_RANGE[0], x], np.r_[0.0, y]
    if x[-1] < COSINE_RANGE[1]:
        x, y = np.r_[x, COSINE_RANGE[1]], np.r_[y, 1.0]
    return x, y


class StyleCalibrator(Calibrator):
    """Monotone, smooth ``cosine -> P(same author)``: isotonic knots joined by PCHIP (see the module doc)."""

    kind = "style_map"
    learned_names = ("knots_x_", "knots_y_", "base_rate_", "fitted_range_")

    def __init__(self, prior_strength: float = 2.0) -> None:
        self.prior_strength = prior_strength

    def fit(self, cosines: np.ndarray, labels: np.ndarray) -> StyleCalibrator:
        if self.prior_strength <= 0:
            raise ValueError(f"prior_strength = {self.prior_strength}: use a positive value (it keeps knots off 0 and 1)")
        cosines, labels = check_binary_labels(labels, cosines, what="style map")
        cosines = np.clip(cosines, *COSINE_RANGE)
        if np.ptp(cosines) == 0:
            raise ValueError("style map: every dev pair has the same cosine; the encoder gives no signal to calibrate")
        self.knots_x_, self.knots_y_ = smoothed_knots(cosines, labels, self.prior_strength)
        self.base_rate_ = float(labels.mean())
        self.fitted_range_ = (float(cosines.min()), float(cosines.max()))
        return self

    def predict(self, cosines: np.ndarray) -> np.ndarray:
        """Style similarity in [0, 1], non-decreasing in the cosine; same shape as ``cosines``."""
        self.check_fitted()
        curve = PchipInterpolator(self.knots_x_, self.knots_y_, extrapolate=False)
        return np.clip(curve(np.clip(np.asarray(cosines, dtype=float), *COSINE_RANGE)), 0.0, 1.0)

    def _restore(self, name: str, value: object) -> object:
        if name == "fitted_range_":
            return tuple(float(item) for item in value)  # type: ignore[union-attr]
        return super()._restore(name, value)


def flat_fraction(calibrator: StyleCalibrator, *, points: int = 4001, tolerance: float = 1e-9) -> float:
    """Widest stretch of the fitted cosine range on which ``predict`` is constant, as a fraction of that range."""
    low, high = calibrator.fitted_range_
    grid = np.linspace(low, high, points)
    flat = np.abs(np.diff(calibrator.predict(grid))) <= tolerance  # (points - 1,) is each grid step flat?
    longest = current = 0
    for step_is_flat in flat:
        current = current + 1 if step_is_flat else 0
        longest = max(longest, current)
    return longest / (points - 1)
