"""ECE / MCE: hand-computed bins, and about 0 for a perfectly calibrated sample."""

from __future__ import annotations

import numpy as np
import pytest

from writing7.metrics.calibration_error import expected_calibration_error, expected_ece_if_calibrated, maximum_calibration_error, reliability_bins


def test_ece_and_mce_by_hand() -> None:
    # 15 bins of width 1/15: 0.10 and 0.12 -> bin 1 (15p = 1.5, 1.8), 0.90 -> bin 13 (13.5), 0.95 -> bin 14 (14.25)
    # bin 1: mean p 0.11, fraction positive 1/2 -> gap 0.39 (weight 2/4); bin 13: |1 - 0.9| = 0.1; bin 14: |1 - 0.95| = 0.05
    labels, probabilities = [0, 1, 1, 1], [0.10, 0.12, 0.90, 0.95]
    assert expected_calibration_error(labels, probabilities) == pytest.approx(0.5 * 0.39 + 0.25 * 0.1 + 0.25 * 0.05)
    assert maximum_calibration_error(labels, probabilities) == pytest.approx(0.39)


def test_probability_one_falls_in_the_last_bin() -> None:
    table = reliability_bins([1, 0], [1.0, 0.0], bins=15)
    assert table.count[14] == 1 and table.count[0] == 1 and table.count.sum() == 2


def test_perfectly_calibrated_sample_has_ece_near_zero() -> None:
    rng = np.random.default_rng(0)
    probabilities = rng.uniform(size=200_000)
    labels = rng.uniform(size=probabilities.size) < probabilities  # Bernoulli(p)
    assert expected_calibration_error(labels, probabilities) < 0.02


def test_overconfident_sample_has_large_ece() -> None:
    rng = np.random.default_rng(1)
    truth = rng.uniform(size=50_000)
    labels = rng.uniform(size=truth.size) < truth
    overconfident = np.where(truth > 0.5, 1.0, 0.0)
    assert expected_calibration_error(labels, overconfident) > 0.2


def test_invalid_input_is_refused() -> None:
    with pytest.raises(ValueError, match="finite and in"):
        expected_calibration_error([1, 0], [0.5, np.nan])
    with pytest.raises(ValueError, match="at least one bin"):
        expected_calibration_error([1, 0], [0.5, 0.2], bins=0)


def test_ece_floor_is_the_finite_sample_bias_of_a_calibrated_model() -> None:
    rng = np.random.default_rng(2)
    probabilities = rng.uniform(size=500)
    floor = expected_ece_if_calibrated(probabilities)
    # on 500 pairs a perfectly calibrated model still shows ECE of a few points; with 200 000 it is about 0
    assert 0.02 < floor < 0.08
    assert expected_ece_if_calibrated(rng.uniform(size=200_000), draws=5) < 0.01
