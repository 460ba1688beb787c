"""Temperature scaling (Guo et al., "On Calibration of Modern Neural Networks", ICML 2017).

One scalar ``T > 0`` divides the logit: ``p = sigmoid(z / T)``. ``T`` minimises the negative
log-likelihood on held-out pairs,

    NLL(T) = mean_i [ log(1 + exp(z_i / T)) - y_i * z_i / T ],

which is convex in ``1 / T``; we search ``log T`` with bounded Brent. ``T > 1`` softens an over-confident
model, ``T < 1`` sharpens an under-confident one. The ranking (and so the AUC) never changes, and the
output is non-decreasing in ``z`` by construction.
"""

from __future__ import annotations

import logging

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import expit

from writing7.calibration.base import Calibrator, check_binary_labels

logger = logging.getLogger(__name__)


def temperature_nll(logits: np.ndarray, labels: np.ndarray, temperature: float) -> float:
    """Mean binary cross-entropy of ``sigmoid(logits / temperature)`` against ``labels``."""
    scaled = logits / temperature
    return float(np.mean(np.logaddexp(0.0, scaled) - labels * scaled))


def fit_temperature(logits: np.ndarray, labels: np.ndarray, *, bounds: tuple[float, float]) -> float:
    """The ``T`` in ``bounds`` that minimises :func:`temperature_nll`."""
    labels = labels.astype(float)
    result = minimize_scalar(
        lambda log_temperature: temperature_nll(logits, labels, float(np.exp(log_temperature))),
        bounds=(np.log(bounds[0]), np.log(bounds[1])), method="bounded", options={"xatol": 1e-6},
    )
    return float(np.exp(result.x))


class TemperatureCalibrator(Calibrator):
    """``p = sigmoid(z / temperature_)`` with ``temperature_`` fitted by NLL on validation logits."""

    kind = "temperature"
    learned_names = ("temperature_",)

    def __init__(self, min_temperature: float = 0.01, max_temperature: float = 100.0) -> None:
        self.min_temperature = min_temperature
        self.max_temperature = max_temperature

    def fit(self, logits: np.ndarray, labels: np.ndarray) -> TemperatureCalibrator:
        if not 0 < self.min_temperature < self.max_temperature:
            raise ValueError(f"temperature bounds ({self.min_temperature}, {self.max_temperature}) must satisfy 0 < min < max")
        logits, labels = check_binary_labels(labels, logits, what="temperature scaling")
        self.temperature_ = fit_temperature(logits, labels, bounds=(self.min_temperature, self.max_temperature))
        if not self.min_temperature * 1.01 < self.temperature_ < self.max_temperature * 0.99:
            # At the upper bound the logits carry (almost) no signal; temperature has no bias to fall back on the base rate.
            logger.warning("temperature %.3g is at its bound: the logits barely separate the classes; "
                           "check the model, or calibrate with method = platt", self.temperature_)
        return self

    def predict(self, logits: np.ndarray) -> np.ndarray:
        """Calibrated probabilities, same shape as ``logits``."""
        self.check_fitted()
        return expit(np.asarray(logits, dtype=float) / self.temperature_)
