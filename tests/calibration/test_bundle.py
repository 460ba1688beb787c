"""MatcherCalibration: fit, save next to a model, load, and the API inference uses."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy.special import expit

from writing7.artifacts import MissingInputError
from writing7.calibration.bundle import CALIBRATION_FILE, STYLE_CALIBRATION_FILE, MatcherCalibration, TaskCalibration, fit_task_calibration
from writing7.calibration.style_map import StyleCalibrator
from writing7.calibration.temperature import TemperatureCalibrator
from writing7.calibration.threshold import ThresholdCalibrator


def _calibration(method: str = "temperature") -> MatcherCalibration:
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 2, (3000, 2))
    labels = rng.uniform(size=logits.shape) < expit(logits / 2.5)  # the model is over-confident by 2.5
    book = fit_task_calibration("book", logits[:, 0], labels[:, 0], method=method, target_metric="accuracy", logit_index=0)
    author = fit_task_calibration("author", logits[:, 1], labels[:, 1], method=method, target_metric="f1", logit_index=1)
    cosines = rng.uniform(-0.1, 0.9, 1000)
    style = StyleCalibrator().fit(cosines, rng.uniform(size=1000) < cosines)
    return MatcherCalibration(book=book, author=author, style=style, metadata={"split": "validation"}, style_metadata={"source": "validation"})


@pytest.mark.parametrize("method", ["temperature", "platt"])
def test_save_then_load_gives_the_same_answers(method: str, tmp_path: Path) -> None:
    calibration = _calibration(method)
    calibration.save(tmp_path)
    loaded = MatcherCalibration.load(tmp_path)
    logits = np.array([[-3.0, 0.5], [0.0, 0.0], [4.0, -1.0]])
    for task in ("book", "author"):
        original, restored = getattr(calibration, task), getattr(loaded, task)
        np.testing.assert_allclose(restored.probability(logits), original.probability(logits))
        assert restored.band_ == original.band_ and restored.threshold_ == original.threshold_
    np.testing.assert_allclose(loaded.style.predict([0.1, 0.5]), calibration.style.predict([0.1, 0.5]))
    saved = json.loads((tmp_path / CALIBRATION_FILE).read_text())
    assert saved["method"] == method and saved["tasks"]["book"]["logit_index"] == 0
    assert "share an author" in json.loads((tmp_path / STYLE_CALIBRATION_FILE).read_text())["meaning"]


def test_temperature_is_recovered_and_probabilities_take_either_logit_shape() -> None:
    calibration = _calibration()
    assert calibration.book.scaler.temperature_ == pytest.approx(2.5, rel=0.15)
    pair_logits = np.array([[2.5, -5.0]])
    assert calibration.book.probability(pair_logits)[0] == pytest.approx(calibration.book.probability(np.array([2.5]))[0])
    assert calibration.author.probability(pair_logits)[0] == pytest.approx(calibration.author.probability(-5.0))
    assert isinstance(calibration.book.probability(1.0), float)


def _known_task() -> TaskCalibration:
    """T = 1, threshold 0.6, band (0.5, 0.7): every decision below is known by hand."""
    scaler = TemperatureCalibrator.from_dict({"kind": "temperature", "learned": {"temperature_": 1.0}})
    decision = ThresholdCalibrator.from_dict({"kind": "threshold", "learned": {"threshold_": 0.6, "band_": [0.5, 0.7], "target_score_": 1.0, "overall_": 1.0}})
    return TaskCalibration(name="book", logit_index=0, scaler=scaler, decision=decision)


def test_decide_single_and_batch() -> None:
    task = _known_task()
    assert task.band_ == (0.5, 0.7) and task.threshold_ == 0.6
    assert [task.decide(p) for p in (0.2, 0.55, 0.6, 0.65, 0.7, 0.9)] == [
        (False, False), (None, True), (None, True), (None, True), (True, False), (True, False)]
    decisions, abstained = task.decide_batch(np.array([0.2, 0.65, 0.9]))
    assert decisions.tolist() == [False, True, True] and abstained.tolist() == [False, True, False]
    # PAN answers: 0.2 -> 0.5 * 0.2 / 0.6; inside the band -> 0.5; 0.9 -> 0.5 + 0.5 * 0.3 / 0.4
    np.testing.assert_allclose(task.pan_values(np.array([0.2, 0.65, 0.9])), [1 / 6, 0.5, 0.875])
    assert task.probability(0.0) == pytest.approx(0.5)


def test_missing_files_name_the_calibrate_stage(tmp_path: Path) -> None:
    with pytest.raises(MissingInputError, match=r"calibration.json not found: run `writing7 calibrate` first"):
        MatcherCalibration.load(tmp_path)
    _calibration().save(tmp_path)
    (tmp_path / STYLE_CALIBRATION_FILE).unlink()
    assert not MatcherCalibration.exists(tmp_path)
    with pytest.raises(MissingInputError, match="style_calibration.json not found"):
        MatcherCalibration.load(tmp_path)


def test_a_foreign_or_damaged_file_asks_for_recalibration(tmp_path: Path) -> None:
    _calibration().save(tmp_path)
    (tmp_path / CALIBRATION_FILE).write_text(json.dumps({"format": "something-else", "version": 1}))
    with pytest.raises(ValueError, match="writing7 calibrate --force"):
        MatcherCalibration.load(tmp_path)
    (tmp_path / CALIBRATION_FILE).write_text("{not json")
    with pytest.raises(ValueError, match=r"calibration.json is damaged \(.*\): re-run `writing7 calibrate --force`"):
        MatcherCalibration.load(tmp_path)


def test_unknown_method_is_refused() -> None:
    with pytest.raises(ValueError, match="method 'isotonic' is not known"):
        fit_task_calibration("book", np.array([0.0, 1.0]), np.array([0, 1]), method="isotonic", target_metric="accuracy")
