"""One contract battery over every calibrator (scikit-learn's estimator shape)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from writing7.calibration.base import Calibrator, NotFittedError
from writing7.calibration.fused import FusedLogisticCalibrator
from writing7.calibration.platt import PlattCalibrator
from writing7.calibration.style_map import StyleCalibrator
from writing7.calibration.temperature import TemperatureCalibrator
from writing7.calibration.threshold import ThresholdCalibrator


def _logit_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 2, 2000)
    return logits, rng.uniform(size=logits.size) < 1 / (1 + np.exp(-logits))


def _probability_data() -> tuple[np.ndarray, np.ndarray]:
    logits, labels = _logit_data()
    return 1 / (1 + np.exp(-logits)), labels


def _cosine_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    cosines = rng.uniform(-0.2, 0.9, 2000)
    return cosines, rng.uniform(size=cosines.size) < np.clip(cosines + 0.1, 0, 1)


def _feature_data() -> tuple[np.ndarray, np.ndarray]:
    """The logit data as a one-column feature matrix, (n, 1): the fused head reads rows of features."""
    logits, labels = _logit_data()
    return logits[:, None], labels


CASES = [
    (TemperatureCalibrator, _logit_data, np.linspace(-8, 8, 201)),
    (PlattCalibrator, _logit_data, np.linspace(-8, 8, 201)),
    (ThresholdCalibrator, _probability_data, np.linspace(0, 1, 201)),
    (StyleCalibrator, _cosine_data, np.linspace(-1, 1, 201)),
    (FusedLogisticCalibrator, _feature_data, np.linspace(-8, 8, 201)[:, None]),
]
IDS = [case[0].__name__ for case in CASES]


@pytest.mark.parametrize(("cls", "data", "grid"), CASES, ids=IDS)
def test_fit_returns_self_and_learns_underscore_attributes(cls: type[Calibrator], data, grid) -> None:
    calibrator = cls()
    assert not any(name.endswith("_") for name in vars(calibrator)), "__init__ must only store parameters"
    assert calibrator.fit(*data()) is calibrator
    assert calibrator.is_fitted() and all(name.endswith("_") for name in cls.learned_names)


@pytest.mark.parametrize(("cls", "data", "grid"), CASES, ids=IDS)
def test_unfitted_predict_raises_a_clear_error(cls: type[Calibrator], data, grid) -> None:
    with pytest.raises(NotFittedError, match=rf"{cls.__name__} is not fitted: call fit"):
        cls().predict(grid)


@pytest.mark.parametrize(("cls", "data", "grid"), CASES, ids=IDS)
def test_save_load_round_trip(cls: type[Calibrator], data, grid, tmp_path: Path) -> None:
    fitted = cls().fit(*data())
    loaded = cls.load(fitted.save(tmp_path / "calibrator.json"))
    np.testing.assert_array_equal(loaded.predict(grid), fitted.predict(grid))
    assert loaded.get_params() == fitted.get_params()


@pytest.mark.parametrize(("cls", "data", "grid"), CASES, ids=IDS)
def test_output_is_monotone_non_decreasing(cls: type[Calibrator], data, grid) -> None:
    output = cls().fit(*data()).predict(grid)
    assert np.all(np.diff(output) >= 0)
    assert output.min() >= 0 and output.max() <= 1


@pytest.mark.parametrize(("cls", "data", "grid"), CASES, ids=IDS)
def test_single_class_labels_are_refused(cls: type[Calibrator], data, grid) -> None:
    scores, _ = data()
    with pytest.raises(ValueError, match="one class only"):
        cls().fit(scores, np.ones(scores.size, dtype=bool))


def test_every_calibrator_is_in_the_battery() -> None:
    """A new Calibrator subclass must join CASES, so the contract keeps covering all of them."""
    import writing7.calibration.bundle  # noqa: F401  (imports the calibrator modules the bundle uses)

    assert set(_subclasses(Calibrator)) == {case[0] for case in CASES}


def _subclasses(cls: type) -> list[type]:
    return [sub for direct in cls.__subclasses__() for sub in (direct, *_subclasses(direct))]


def test_loading_the_wrong_kind_is_refused(tmp_path: Path) -> None:
    path = PlattCalibrator().fit(*_logit_data()).save(tmp_path / "platt.json")
    with pytest.raises(ValueError, match="cannot be loaded as TemperatureCalibrator"):
        TemperatureCalibrator.load(path)
