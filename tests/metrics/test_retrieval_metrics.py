"""Recall@k and MRR on hand-made rankings."""

from __future__ import annotations

import pytest

from writing7.metrics.retrieval import first_relevant_rank, mean_reciprocal_rank, rankings_from_scores, recall_at_k

RANKINGS = [["a", "b", "c"], ["b", "c", "a"], ["c", "a", "b"]]
GOLD = ["a", "a", "x"]  # ranks 1, 3, absent


def test_recall_at_k_by_hand() -> None:
    assert recall_at_k(RANKINGS, GOLD, 1) == pytest.approx(1 / 3)  # only query 1 hits at rank 1
    assert recall_at_k(RANKINGS, GOLD, 3) == pytest.approx(2 / 3)  # query 2's "a" is at rank 3


def test_recall_with_several_relevant_ids_is_the_found_fraction() -> None:
    # query: top-2 {"a", "b"} holds 1 of the 2 relevant {"b", "z"}
    assert recall_at_k([["a", "b", "z"]], [{"b", "z"}], 2) == pytest.approx(0.5)


def test_mrr_by_hand() -> None:
    assert mean_reciprocal_rank(RANKINGS, GOLD) == pytest.approx((1 + 1 / 3 + 0) / 3)
    assert mean_reciprocal_rank(RANKINGS, GOLD, cutoff=2) == pytest.approx((1 + 0 + 0) / 3)


def test_first_relevant_rank_and_rankings_from_scores() -> None:
    assert first_relevant_rank(["x", "y"], "y") == 2 and first_relevant_rank(["x"], "q") is None
    assert rankings_from_scores([[0.1, 0.9, 0.5]], ["a", "b", "c"], k=2) == [["b", "c"]]


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="one of each per query"):
        recall_at_k(RANKINGS, GOLD[:2], 1)
    with pytest.raises(ValueError, match="k >= 1"):
        recall_at_k(RANKINGS, GOLD, 0)
    with pytest.raises(ValueError, match="empty relevant set"):
        mean_reciprocal_rank([["a"]], [set()])
