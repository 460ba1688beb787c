"""One system's metrics row: PAN suite + ranking AUC + ECE/MCE, with NaN and all-abstain guards."""

from __future__ import annotations

import numpy as np
import pytest

from writing7.metrics.evaluation import SystemOutput, system_metrics, task_report
from writing7.metrics.tasks import TaskSelection

LABELS = np.array([1, 1, 1, 0, 0, 0], dtype=bool)
PROBABILITIES = np.array([0.9, 0.6, 0.52, 0.4, 0.7, 0.48])
ANSWERS = np.array([0.9, 0.6, 0.5, 0.4, 0.7, 0.5])  # the band turned 0.52 and 0.48 into "undecided"


def test_row_uses_answers_for_pan_and_probabilities_for_ranking_and_calibration() -> None:
    row = system_metrics(LABELS, SystemOutput("model", PROBABILITIES, ANSWERS), bins=15)
    assert row["overall"] == pytest.approx((6.5 / 9 + 4 / 6 + 0.625 + 0.8 + 0.78) / 5)  # tests/metrics/test_pan_metrics.py
    # ranking AUC of the probabilities: 0.9 beats 3, 0.6 beats 2 (0.4, 0.48), 0.52 beats 2 -> 7 / 9
    assert row["auc_ranking"] == pytest.approx(7 / 9)
    assert row["abstained"] == 2 and 0 < row["ece"] < 1 and row["mce"] >= row["ece"] and 0 < row["ece_if_calibrated"] < 1


def test_nan_scores_are_dropped_with_a_count() -> None:
    probabilities = np.array([0.9, np.nan, 0.52, 0.4, 0.7, 0.48])
    row = system_metrics(LABELS, SystemOutput("model", probabilities, np.where(np.isnan(probabilities), np.nan, ANSWERS)), bins=15)
    assert row["dropped_nan"] == 1 and row["n"] == 5 and "1 pairs with NaN scores were dropped" in row["notes"]


def test_all_nan_gives_an_undefined_row_not_a_crash() -> None:
    row = system_metrics(LABELS, SystemOutput("broken", np.full(6, np.nan), np.full(6, np.nan)), bins=15)
    assert row["overall"] is None and row["dropped_nan"] == 6 and "every score is NaN" in row["notes"][0]


def test_all_abstain_row() -> None:
    row = system_metrics(LABELS, SystemOutput("shy", np.full(6, 0.5), np.full(6, 0.5)), bins=15)
    assert row["abstained"] == 6 and row["c_at_1"] == 0 and row["ece"] == pytest.approx(0.0)


def test_task_report_counts_pairs() -> None:
    task = TaskSelection("book", np.ones(6, dtype=bool), LABELS, "book")
    report = task_report(task, [SystemOutput("model", PROBABILITIES, ANSWERS)], bins=15)
    assert (report["pairs"], report["positives"], report["calibration"]) == (6, 3, "book") and "model" in report["systems"]
