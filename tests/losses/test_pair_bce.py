import math

import pytest
import torch

from writing7.losses.pair_bce import PairBCELoss


def balanced_bce_by_loop(logits: list[list[float]], targets: list[list[int]]) -> float:
    columns = []
    for column in range(len(logits[0])):
        positives = [-math.log(1 / (1 + math.exp(-row[column]))) for row, target in zip(logits, targets) if target[column]]
        negatives = [-math.log(1 - 1 / (1 + math.exp(-row[column]))) for row, target in zip(logits, targets) if not target[column]]
        means = [sum(part) / len(part) for part in (positives, negatives) if part]
        columns.append(sum(means) / len(means))
    return sum(columns) / len(columns)


def test_balanced_bce_matches_the_loop_oracle():
    logits = [[2.0, -1.0], [0.5, 0.3], [-1.5, 2.5], [-0.2, -3.0], [1.0, 0.0]]
    targets = [[1, 0], [0, 1], [0, 1], [0, 0], [1, 1]]
    actual = PairBCELoss()(torch.tensor(logits), torch.tensor(targets, dtype=torch.float32))
    assert actual.item() == pytest.approx(balanced_bce_by_loop(logits, targets), rel=1e-6)


def test_a_column_without_positives_uses_its_negatives_only():
    logits, targets = [[0.5], [-1.0]], [[0], [0]]
    actual = PairBCELoss()(torch.tensor(logits), torch.tensor(targets, dtype=torch.float32))
    assert actual.item() == pytest.approx(balanced_bce_by_loop(logits, targets), rel=1e-6)


def test_balancing_gives_the_rare_class_half_the_weight():
    # One positive among many negatives: a wrong positive costs as much as all negatives together.
    logits = torch.tensor([[-2.0]] + [[-2.0]] * 9)
    targets = torch.tensor([[1.0]] + [[0.0]] * 9)
    expected = 0.5 * (math.log(1 + math.exp(2.0)) + math.log(1 + math.exp(-2.0)))
    assert PairBCELoss()(logits, targets).item() == pytest.approx(expected, rel=1e-6)
