import math

import pytest
import torch

from writing7.losses.supcon import SupConLoss, supervised_contrastive_loss


def supcon_by_loop(points: list[list[float]], labels: list[int], temperature: float) -> float:
    """Khosla et al. eq. 2, one anchor and one positive at a time."""
    def similarity(i: int, j: int) -> float:
        return sum(a * b for a, b in zip(points[i], points[j])) / temperature

    total, anchors = 0.0, 0
    for i in range(len(points)):
        positives = [p for p in range(len(points)) if p != i and labels[p] == labels[i]]
        if not positives:
            continue
        denominator = sum(math.exp(similarity(i, a)) for a in range(len(points)) if a != i)
        total += -sum(math.log(math.exp(similarity(i, p)) / denominator) for p in positives) / len(positives)
        anchors += 1
    return total / anchors


def unit(angle: float) -> list[float]:
    return [math.cos(angle), math.sin(angle)]


POINTS = [unit(0.0), unit(0.3), unit(1.6), unit(1.9), unit(3.5), unit(-2.0)]
LABELS = [0, 0, 1, 1, 2, 1]  # label 2 has a single member: not an anchor, but a negative for everyone


@pytest.mark.parametrize("temperature", [0.1, 0.5, 1.0])
def test_supcon_matches_the_loop_oracle(temperature):
    expected = supcon_by_loop(POINTS, LABELS, temperature)
    actual = SupConLoss(temperature)(torch.tensor(POINTS), torch.tensor(LABELS))
    assert actual.item() == pytest.approx(expected, rel=1e-5)


def test_supcon_is_lower_when_classes_are_separated():
    tight = torch.tensor([unit(0.0), unit(0.05), unit(3.0), unit(3.05)])
    mixed = torch.tensor([unit(0.0), unit(3.0), unit(0.05), unit(3.05)])
    labels = torch.tensor([0, 0, 1, 1])
    assert supervised_contrastive_loss(tight, labels, 0.1) < supervised_contrastive_loss(mixed, labels, 0.1)


def test_supcon_without_positives_is_zero_and_differentiable():
    embeddings = torch.tensor([unit(0.0), unit(1.0)], requires_grad=True)
    loss = supervised_contrastive_loss(embeddings, torch.tensor([0, 1]), 0.1)
    loss.backward()
    assert loss.item() == 0.0 and embeddings.grad is not None


def test_supcon_rejects_a_non_positive_temperature():
    with pytest.raises(ValueError, match="temperature must be > 0"):
        SupConLoss(0.0)
