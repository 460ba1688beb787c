"""Distillation of the cross-encoder teacher's same-book scores into the pair head.

With student logit s, teacher logit t and temperature T, p = sigmoid(t / T), q = sigmoid(s / T)::

    L = T^2 * mean_k [ p_k log(p_k / q_k) + (1 - p_k) log((1 - p_k) / (1 - q_k)) ]

the binary KL divergence KL(p || q), computed stably as BCE-with-logits(s / T, p) - H(p). The T^2
factor keeps gradient magnitudes comparable across temperatures (Hinton et al.).

Inputs:

| name           | shape    | meaning                          |
|----------------|----------|----------------------------------|
| student_logits | (pairs,) | pair head same-book logits       |
| teacher_logits | (pairs,) | cross-encoder same-book logits   |

Reference: G. Hinton, O. Vinyals, J. Dean, "Distilling the Knowledge in a Neural Network", 2015;
for pair scores: S. Hofstätter et al., "Improving Efficient Neural Ranking Models with
Cross-Architecture Knowledge Distillation", 2020.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from writing7.losses.temperature import TemperatureLoss


def binary_distillation_kl(student_logits: torch.Tensor, teacher_logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """Scalar mean binary KL(teacher || student) at ``temperature``, times temperature^2."""
    student = student_logits.float() / temperature  # (pairs,)
    target = torch.sigmoid(teacher_logits.float() / temperature)  # (pairs,)
    cross_entropy = F.binary_cross_entropy_with_logits(student, target, reduction="none")  # (pairs,)
    entropy = F.binary_cross_entropy(target, target, reduction="none")  # (pairs,) H(p)
    return (cross_entropy - entropy).mean() * temperature**2


class DistillationLoss(TemperatureLoss):
    """:func:`binary_distillation_kl` with a fixed temperature."""

    loss_name = "distillation"

    def __init__(self, temperature: float = 2.0) -> None:
        super().__init__(temperature)

    def forward(self, student_logits: torch.Tensor, teacher_logits: torch.Tensor) -> torch.Tensor:
        return binary_distillation_kl(student_logits, teacher_logits, self.temperature)
