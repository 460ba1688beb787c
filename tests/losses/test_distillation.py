import math

import pytest
import torch

from writing7.losses.distillation import DistillationLoss


def binary_kl_by_loop(student: list[float], teacher: list[float], temperature: float) -> float:
    total = 0.0
    for s, t in zip(student, teacher):
        p = 1 / (1 + math.exp(-t / temperature))
        q = 1 / (1 + math.exp(-s / temperature))
        total += p * math.log(p / q) + (1 - p) * math.log((1 - p) / (1 - q))
    return total / len(student) * temperature**2


@pytest.mark.parametrize("temperature", [1.0, 2.0])
def test_distillation_matches_the_loop_oracle(temperature):
    student, teacher = [0.5, -1.0, 2.0, 0.0], [1.5, -0.5, 3.0, -2.0]
    actual = DistillationLoss(temperature)(torch.tensor(student), torch.tensor(teacher))
    assert actual.item() == pytest.approx(binary_kl_by_loop(student, teacher, temperature), rel=1e-5)


def test_distillation_is_zero_when_student_equals_teacher():
    logits = torch.tensor([0.3, -2.0, 4.0])
    assert DistillationLoss(2.0)(logits, logits).item() == pytest.approx(0.0, abs=1e-6)
