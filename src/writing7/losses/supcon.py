"""Supervised contrastive loss (SupCon).

For L2-normalised embeddings z_i with labels y_i (book or author), temperature tau, anchors I' (those
with at least one positive) and positives P(i) = {p != i : y_p = y_i}::

    L = 1/|I'| * sum_{i in I'} -1/|P(i)| * sum_{p in P(i)} log( exp(z_i.z_p / tau) / sum_{a != i} exp(z_i.z_a / tau) )

This is the "L_out" form, which Khosla et al. found to train better than averaging inside the log.

Inputs:

| name       | shape        | meaning                                      |
|------------|--------------|----------------------------------------------|
| embeddings | (batch, dim) | L2-normalised embeddings                     |
| labels     | (batch,)     | integer class of each row (book or author id) |

Reference: P. Khosla et al., "Supervised Contrastive Learning", NeurIPS 2020 (eq. 2).
"""

from __future__ import annotations

import torch

from writing7.losses.temperature import TemperatureLoss


def supervised_contrastive_loss(embeddings: torch.Tensor, labels: torch.Tensor, temperature: float) -> torch.Tensor:
    """Scalar SupCon loss; 0 (with a gradient path) when no row has a positive."""
    embeddings = embeddings.float()
    batch = embeddings.shape[0]
    self_mask = torch.eye(batch, dtype=torch.bool, device=embeddings.device)  # (batch, batch)
    logits = embeddings @ embeddings.T / temperature  # (batch, batch)
    logits = logits.masked_fill(self_mask, float("-inf"))
    log_probability = logits - torch.logsumexp(logits, dim=1, keepdim=True)  # (batch, batch), -inf on the diagonal
    positives = (labels.unsqueeze(0) == labels.unsqueeze(1)) & ~self_mask  # (batch, batch)
    positive_count = positives.sum(dim=1)  # (batch,)
    anchors = positive_count > 0  # (batch,)
    if not anchors.any():
        return embeddings.sum() * 0.0
    positive_log_probability = log_probability.masked_fill(~positives, 0.0).sum(dim=1)  # (batch,)
    return -(positive_log_probability[anchors] / positive_count[anchors]).mean()


class SupConLoss(TemperatureLoss):
    """:func:`supervised_contrastive_loss` with a fixed temperature (Khosla et al. use 0.1; smaller is sharper)."""

    loss_name = "SupCon"

    def __init__(self, temperature: float = 0.05) -> None:
        super().__init__(temperature)

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return supervised_contrastive_loss(embeddings, labels, self.temperature)
