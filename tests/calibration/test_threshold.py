"""Decision threshold, abstention band and the PAN answers they imply."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit

from writing7.calibration.threshold import ThresholdCalibrator, best_threshold, pan_values
from writing7.metrics.pan import pan_scores


def test_pan_values_send_the_threshold_to_one_half_and_the_band_to_exactly_one_half() -> None:
    # t = 0.4: p = 0.2 -> 0.5 * 0.2 / 0.4 = 0.25; p = 0.7 -> 0.5 + 0.5 * 0.3 / 0.6 = 0.75; 0.45 in band -> 0.5
    values = pan_values([0.0, 0.2, 0.45, 0.7, 1.0], 0.4, (0.42, 0.48))
    np.testing.assert_allclose(values, [0.0, 0.25, 0.5, 0.75, 1.0])


def test_pan_values_are_the_identity_at_threshold_one_half() -> None:
    probabilities = np.array([0.1, 0.3, 0.6, 0.99])
    np.testing.assert_allclose(pan_values(probabilities, 0.5), probabilities)


def test_a_same_answer_exactly_at_the_threshold_is_not_read_as_undecided() -> None:
    assert pan_values([0.4], 0.4)[0] > 0.5


def test_accuracy_threshold_by_hand() -> None:
    # sorted p 0.1 0.3 0.35 0.6 0.8 with labels 0 0 1 1 1: the midpoint 0.325 classifies all five correctly
    threshold, accuracy = best_threshold(np.array([0.1, 0.3, 0.35, 0.6, 0.8]), np.array([0, 0, 1, 1, 1], dtype=bool),
                                         metric="accuracy", max_candidates=256)
    assert threshold == pytest.approx(0.325) and accuracy == pytest.approx(1.0)


def test_f1_threshold_prefers_recall_on_imbalanced_positives() -> None:
    # p 0.2 0.4 0.45 0.7 (labels 1 1 0 1): accuracy peaks at t = 0.3 (3/4); F1 peaks at t <= 0.2 (all "same": 6/7)
    probabilities, labels = np.array([0.2, 0.4, 0.45, 0.7]), np.array([1, 1, 0, 1], dtype=bool)
    threshold, score = best_threshold(probabilities, labels, metric="f1", max_candidates=256)
    assert score == pytest.approx(6 / 7) and threshold <= 0.2


def test_band_abstains_where_the_model_is_unsure_and_improves_overall() -> None:
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 2, 4000)
    probabilities = expit(logits)
    labels = rng.uniform(size=logits.size) < probabilities
    calibrator = ThresholdCalibrator(target_metric="accuracy").fit(probabilities, labels)
    low, high = calibrator.band_
    assert low < calibrator.threshold_ < high
    no_band = pan_scores(labels, pan_values(probabilities, calibrator.threshold_)).overall
    assert calibrator.overall_ >= no_band
    decisions, abstained = calibrator.decide(np.array([low - 0.01, calibrator.threshold_, high + 0.01]))
    assert decisions.tolist() == [False, True, True] and abstained.tolist() == [False, True, False]


def test_zero_band_fraction_never_abstains() -> None:
    rng = np.random.default_rng(1)
    probabilities = rng.uniform(size=500)
    calibrator = ThresholdCalibrator(max_band_fraction=0.0).fit(probabilities, rng.uniform(size=500) < probabilities)
    assert calibrator.band_[0] == calibrator.band_[1] == calibrator.threshold_
    assert not calibrator.decide(probabilities)[1].any()


def test_bad_parameters_are_refused() -> None:
    probabilities, labels = np.array([0.2, 0.8]), np.array([0, 1], dtype=bool)
    with pytest.raises(ValueError, match="target_metric 'auc' is not known"):
        ThresholdCalibrator(target_metric="auc").fit(probabilities, labels)
    with pytest.raises(ValueError, match="max_band_fraction"):
        ThresholdCalibrator(max_band_fraction=1.0).fit(probabilities, labels)
