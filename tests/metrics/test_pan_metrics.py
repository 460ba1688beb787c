"""Oracle tests: every PAN metric on hand-made pairs, with the hand computation written out."""

from __future__ import annotations

import numpy as np
import pytest

from writing7.metrics.pan import auc, brier_complement, c_at_1, f05_u, f1, pan_scores

# Six pairs: three same (1), three different (0); two abstentions (0.5).
LABELS = [1, 1, 1, 0, 0, 0]
SCORES = [0.9, 0.6, 0.5, 0.4, 0.7, 0.5]
# answered: (1, 0.9) TP, (1, 0.6) TP, (0, 0.4) TN, (0, 0.7) FP; abstained: (1, 0.5), (0, 0.5)


def test_c_at_1_by_hand() -> None:
    # n = 6, n_c = 3 correct answers (0.9, 0.6, 0.4), n_u = 2 -> (3 + 2 * 3 / 6) / 6 = 4 / 6
    assert c_at_1(LABELS, SCORES) == pytest.approx(4 / 6)


def test_c_at_1_without_abstentions_is_accuracy() -> None:
    assert c_at_1([1, 0, 1, 0], [0.9, 0.2, 0.3, 0.6]) == pytest.approx(2 / 4)


def test_f05u_by_hand() -> None:
    # TP = 2, FP = 1, FN = 0, n_u = 2 -> 1.25*2 / (1.25*2 + 0.25*(0 + 2) + 1) = 2.5 / 4
    assert f05_u(LABELS, SCORES) == pytest.approx(0.625)


def test_f05u_abstaining_on_a_true_negative_lowers_the_score() -> None:
    # answered: TP = 1, TN = 1 -> 1.25 / 1.25 = 1.0
    assert f05_u([1, 0], [0.9, 0.1]) == pytest.approx(1.0)
    # abstain on the negative: TP = 1, n_u = 1 -> 1.25 / (1.25 + 0.25) = 0.8333
    assert f05_u([1, 0], [0.9, 0.5]) == pytest.approx(1.25 / 1.5)


def test_f1_counts_answered_pairs_only() -> None:
    # answered labels [1, 1, 0, 0], answers [1, 1, 0, 1]: TP = 2, FP = 1, FN = 0 -> 2*2 / (2*2 + 1) = 0.8
    assert f1(LABELS, SCORES) == pytest.approx(0.8)


def test_brier_complement_by_hand() -> None:
    # squared errors 0.01, 0.16, 0.25, 0.16, 0.49, 0.25 -> mean 1.32 / 6 = 0.22 -> 1 - 0.22
    assert brier_complement(LABELS, SCORES) == pytest.approx(0.78)


def test_auc_by_hand_with_ties() -> None:
    # positives {0.9, 0.6, 0.5} vs negatives {0.4, 0.7, 0.5}: 0.9 beats 3; 0.6 beats 0.4, 0.5 (2);
    # 0.5 beats 0.4 and ties 0.5 (1 + 0.5) -> 6.5 / 9
    assert auc(LABELS, SCORES) == pytest.approx(6.5 / 9)


def test_overall_is_the_mean_of_the_five() -> None:
    scores = pan_scores(LABELS, SCORES)
    assert scores.overall == pytest.approx((6.5 / 9 + 4 / 6 + 0.625 + 0.8 + 0.78) / 5)
    assert (scores.n, scores.positives, scores.abstained, scores.dropped_nan) == (6, 3, 2, 0)


def test_single_class_gives_null_auc_and_overall_with_a_note() -> None:
    scores = pan_scores([1, 1, 1], [0.9, 0.2, 0.5])
    assert scores.auc is None and scores.overall is None
    assert any("one class" in note for note in scores.notes)
    assert scores.c_at_1 == pytest.approx((1 + 1 * 1 / 3) / 3)  # n_c = 1, n_u = 1


def test_all_abstain_never_crashes() -> None:
    scores = pan_scores([1, 0, 1, 0], [0.5] * 4)
    # c@1: n_c = 0 -> 0; F0.5u: 0 / (0.25 * (0 + 4)) = 0; F1: no answered pairs -> 0; Brier: 1 - 0.25; AUC: all tied = 0.5
    assert (scores.c_at_1, scores.f05_u, scores.f1) == (0.0, 0.0, 0.0)
    assert scores.brier == pytest.approx(0.75) and scores.auc == pytest.approx(0.5)
    assert scores.abstained == 4 and any("abstained" in note for note in scores.notes)


def test_nan_scores_are_dropped_and_counted_by_pan_scores() -> None:
    scores = pan_scores([1, 0, 1], [0.9, float("nan"), 0.8])
    assert scores.dropped_nan == 1 and scores.n == 2 and scores.auc is None


def test_single_metrics_refuse_nan_and_out_of_range_scores() -> None:
    with pytest.raises(ValueError, match="NaN"):
        c_at_1([1, 0], [0.9, float("nan")])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        f1([1, 0], [1.5, 0.2])
    with pytest.raises(ValueError, match="same length"):
        auc([1, 0, 1], [0.2, 0.3])
    with pytest.raises(ValueError, match="all 2 scores are NaN"):
        pan_scores([1, 0], [np.nan, np.nan])
