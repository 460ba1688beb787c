"""Temperature and Platt scaling recover known parameters from synthetic logits."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit

from writing7.calibration.platt import PlattCalibrator, platt_targets
from writing7.calibration.temperature import TemperatureCalibrator, temperature_nll
from writing7.metrics.calibration_error import expected_calibration_error


def _synthetic(n: int = 40_000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """True logits z and labels ~ Bernoulli(sigmoid(z))."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0.0, 2.0, n)
    return logits, rng.uniform(size=n) < expit(logits)


@pytest.mark.parametrize("temperature", [0.5, 1.0, 3.0])
def test_temperature_scaling_recovers_a_known_temperature(temperature: float) -> None:
    logits, labels = _synthetic()
    fitted = TemperatureCalibrator().fit(logits * temperature, labels)  # a model over-confident by `temperature`
    assert fitted.temperature_ == pytest.approx(temperature, rel=0.05)
    assert expected_calibration_error(labels, fitted.predict(logits * temperature)) < 0.02


def test_temperature_nll_by_hand() -> None:
    # one pair z = 2, y = 1, T = 2: -log sigmoid(1) = log(1 + e^-1)
    assert temperature_nll(np.array([2.0]), np.array([1.0]), 2.0) == pytest.approx(np.log1p(np.exp(-1.0)))


def test_platt_scaling_recovers_slope_and_intercept_of_a_shifted_score() -> None:
    logits, labels = _synthetic()
    fitted = PlattCalibrator().fit((logits - 1.0) / 4.0, labels)  # score = (z - 1) / 4 -> z = 4 s + 1
    assert fitted.slope_ == pytest.approx(4.0, rel=0.05)
    assert fitted.intercept_ == pytest.approx(1.0, abs=0.08)


def test_platt_targets_by_hand() -> None:
    # N+ = 2, N- = 1: positives (2 + 1) / (2 + 2) = 0.75, negatives 1 / (1 + 2)
    np.testing.assert_allclose(platt_targets(np.array([True, True, False])), [0.75, 0.75, 1 / 3])


def test_platt_slope_never_goes_negative() -> None:
    logits, labels = _synthetic(n=5000)
    fitted = PlattCalibrator().fit(-logits, labels)  # an anti-correlated score
    assert fitted.slope_ == pytest.approx(0.0, abs=1e-6)


def test_temperature_bounds_are_checked() -> None:
    logits, labels = _synthetic(n=100)
    with pytest.raises(ValueError, match="0 < min < max"):
        TemperatureCalibrator(min_temperature=2.0, max_temperature=1.0).fit(logits, labels)
    with pytest.raises(ValueError, match="NaN or infinite"):
        TemperatureCalibrator().fit(np.r_[logits[:-1], np.nan], labels)
