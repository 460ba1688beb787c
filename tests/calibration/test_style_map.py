"""The style map: monotone, in [0, 1], smooth (no wide flat steps), a probability where data is plentiful."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.isotonic import IsotonicRegression

from writing7.calibration.style_map import MAX_FLAT_FRACTION, StyleCalibrator, flat_fraction, isotonic_blocks


def _dev_pairs(n: int = 4000, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cosines, labels ~ Bernoulli(true probability), and that probability (a logistic in the cosine)."""
    rng = np.random.default_rng(seed)
    cosines = rng.normal(0.35, 0.15, n)
    truth = 1 / (1 + np.exp(-(cosines - 0.35) * 12))
    return cosines, rng.uniform(size=n) < truth, truth


def test_style_map_is_monotone_and_in_unit_interval_over_the_whole_cosine_range() -> None:
    cosines, labels, _ = _dev_pairs()
    style = StyleCalibrator().fit(cosines, labels).predict(np.linspace(-1.5, 1.5, 3001))
    assert np.all(np.diff(style) >= 0) and style.min() >= 0 and style.max() <= 1


def test_style_map_has_no_flat_step_wider_than_the_documented_fraction() -> None:
    cosines, labels, _ = _dev_pairs()
    calibrator = StyleCalibrator().fit(cosines, labels)
    assert flat_fraction(calibrator) < MAX_FLAT_FRACTION
    # a raw isotonic fit on the same pairs has wide steps: the property is not trivially true
    isotonic = IsotonicRegression(out_of_bounds="clip").fit(cosines, labels)
    grid = np.linspace(cosines.min(), cosines.max(), 4001)
    flat_steps = np.abs(np.diff(isotonic.predict(grid))) <= 1e-9
    assert flat_steps.mean() > 0.9


def test_style_map_approximates_the_true_probability() -> None:
    cosines, labels, _ = _dev_pairs(n=20_000)
    calibrator = StyleCalibrator().fit(cosines, labels)
    grid = np.linspace(0.15, 0.55, 9)  # the well-populated middle of the cosine distribution
    np.testing.assert_allclose(calibrator.predict(grid), 1 / (1 + np.exp(-(grid - 0.35) * 12)), atol=0.08)


def test_knots_are_shrunk_off_zero_and_one() -> None:
    cosines = np.array([0.1, 0.2, 0.3, 0.6, 0.7, 0.8])
    labels = np.array([0, 0, 0, 1, 1, 1], dtype=bool)
    calibrator = StyleCalibrator(prior_strength=2.0).fit(cosines, labels)
    # two blocks of 3: (0 + 2 * 0.5) / (3 + 2) = 0.2 and (3 + 1) / 5 = 0.8, at centres 0.2 and 0.7, plus anchors
    np.testing.assert_allclose(calibrator.knots_x_, [-1.0, 0.2, 0.7, 1.0])
    np.testing.assert_allclose(calibrator.knots_y_, [0.0, 0.2, 0.8, 1.0])
    assert calibrator.base_rate_ == pytest.approx(0.5)


def test_isotonic_blocks_by_hand() -> None:
    # labels 0 1 0 1 1 along the cosine: PAV pools (1, 0) into one block of rate 1/2
    centres, positives, counts = isotonic_blocks(np.array([0.1, 0.2, 0.3, 0.4, 0.5]), np.array([0, 1, 0, 1, 1], dtype=bool))
    np.testing.assert_allclose(centres, [0.1, 0.25, 0.45])
    np.testing.assert_allclose(positives, [0, 1, 2])
    np.testing.assert_array_equal(counts, [1, 2, 2])


def test_degenerate_dev_sets_are_refused() -> None:
    with pytest.raises(ValueError, match="same cosine"):
        StyleCalibrator().fit(np.full(4, 0.3), np.array([0, 1, 0, 1], dtype=bool))
    with pytest.raises(ValueError, match="positive value"):
        StyleCalibrator(prior_strength=0).fit(np.array([0.1, 0.9]), np.array([0, 1], dtype=bool))
