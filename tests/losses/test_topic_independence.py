import pytest
import torch

from writing7.losses.topic_independence import TopicIndependenceLoss


def squared_pearson_by_loop(xs: list[float], ys: list[float]) -> float:
    n = len(xs)
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    covariance = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys)) / n
    std_x = (sum((x - mean_x) ** 2 for x in xs) / n) ** 0.5
    std_y = (sum((y - mean_y) ** 2 for y in ys) / n) ** 0.5
    return (covariance / (std_x * std_y)) ** 2


def test_independence_penalty_matches_the_loop_oracle_on_masked_pairs():
    similarity = [0.9, 0.2, 0.5, 0.7, 0.1, 0.95]
    same_topic = [1, 0, 1, 0, 0, 1]
    mask = [True, True, True, True, True, False]  # the last pair (e.g. same author) does not count
    expected = squared_pearson_by_loop([s for s, m in zip(similarity, mask) if m], [t for t, m in zip(same_topic, mask) if m])
    actual = TopicIndependenceLoss()(torch.tensor(similarity), torch.tensor(same_topic, dtype=torch.bool), torch.tensor(mask))
    assert actual.item() == pytest.approx(expected, rel=1e-4)


def test_independence_penalty_is_zero_for_a_constant_topic_indicator():
    value = TopicIndependenceLoss()(torch.tensor([0.1, 0.5, 0.9]), torch.ones(3, dtype=torch.bool), torch.ones(3, dtype=torch.bool))
    assert value.item() == pytest.approx(0.0)
