"""The benchmark measures against slow, obvious re-implementations on hand-placed scores."""

from __future__ import annotations

import numpy as np
import pytest

from writing7.bench_style import measures
from writing7.bench_style.scoring import PassageScores, imitation_measures, overall, summarize_row

CANDIDATES = ["austen", "conrad", "grey"]


def test_author_means_average_each_authors_references() -> None:
    values = np.array([[0.1, 0.3, 0.5, 0.9], [1.0, 0.0, 0.2, 0.4]])
    owners = ["conrad", "austen", "conrad", "grey"]
    means = measures.author_means(values, owners, CANDIDATES)
    expected = [[np.mean([row[i] for i, o in enumerate(owners) if o == c]) for c in CANDIDATES] for row in values]
    np.testing.assert_allclose(means, expected)
    with pytest.raises(ValueError, match="author 'woolf' has no reference chunks"):
        measures.author_means(values, owners, ["woolf"])


def test_ranks_and_attribution() -> None:
    scores = np.array([[0.2, 0.9, 0.5], [0.7, 0.1, 0.3], [0.5, 0.5, 0.1]])
    assert measures.attributed(scores).tolist() == [1, 0, 0]
    assert measures.true_author_ranks(scores, target=1).tolist() == [1, 3, 1]  # a tie favours the target
    assert measures.true_author_ranks(scores, target=2).tolist() == [2, 2, 3]


def test_towards_away_shares() -> None:
    imitation = np.array([0.6, 0.4, 0.5, 0.9])
    neutral = np.array([0.5, 0.5, 0.5, 0.2])
    assert measures.towards_away_shares(imitation, neutral) == (0.5, 0.25)
    with pytest.raises(ValueError, match="equal, non-empty shapes"):
        measures.towards_away_shares(imitation, neutral[:2])


def test_styll_measures_match_a_loop() -> None:
    rng = np.random.default_rng(0)
    imitation, neutral, direct = rng.uniform(0, 1, 20), rng.uniform(0, 0.99, 20), rng.uniform(0, 1, 20)
    towards = np.mean([min(1.0, max(0.0, (i - n) / (1 - n))) for i, n in zip(imitation, neutral)])
    away = np.mean([min(1.0, max(0.0, (1 - d) / (1 - n))) for d, n in zip(direct, neutral)])
    assert measures.styll_towards(imitation, neutral) == pytest.approx(towards)
    assert measures.styll_away(direct, neutral) == pytest.approx(away)
    assert measures.styll_towards(np.array([1.0]), np.array([1.0])) == 0.0  # no room left: no credit, no NaN


def test_confusion() -> None:
    assert measures.confusion(np.array([1, 2, 2, 0]), 1, CANDIDATES) == (0.75, "grey")
    assert measures.confusion(np.array([1, 1]), 1, CANDIDATES) == (0.0, None)


def test_rows_and_overall() -> None:
    target = 1
    imitation = PassageScores(np.array([[0.2, 0.8, 0.4], [0.6, 0.5, 0.1]]), np.array([[0.1, 0.7, 0.3], [0.4, 0.6, 0.2]]))
    neutral = PassageScores(np.array([[0.3, 0.6, 0.3], [0.5, 0.6, 0.4]]), np.zeros((2, 3)))
    row = summarize_row(imitation, target)
    assert row["similarity_target"] == pytest.approx(0.65) and row["similarity_others"] == pytest.approx(0.325)
    assert row["margin"] == pytest.approx(0.325) and row["p_same_author_target"] == pytest.approx(0.65)
    assert row["top1_accuracy"] == 0.5 and row["mean_rank"] == 1.5 and row["n"] == 2
    extra = imitation_measures(imitation, neutral, np.array([0.9, 0.7]), target, CANDIDATES)
    assert (extra["towards_share"], extra["away_share"], extra["confusion"], extra["confused_with"]) == (0.5, 0.5, 0.5, "austen")
    row.update(extra)
    other = dict(row, similarity_target=0.45, n=4)
    summary = overall([{"imitation": row}, {"imitation": other}])
    assert summary["imitation"]["similarity_target"] == pytest.approx(0.55) and summary["imitation"]["n"] == 6
    assert "confused_with" not in summary["imitation"]
