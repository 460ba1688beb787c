"""Independence penalty between embedding similarity and topic, among different-author pairs.

Two passages by different authors should look no more alike because they share a topic. Over the
in-batch pairs k of different authors, with cosine s_k and same-topic indicator t_k in {0, 1}, the
penalty is the squared Pearson correlation (zero correlation is necessary for independence, and the
square is smooth)::

    rho = cov(s, t) / (std(s) * std(t) + eps)          L = rho^2

Inputs:

| name       | shape    | meaning                                                |
|------------|----------|--------------------------------------------------------|
| similarity | (pairs,) | cosine of each pair                                    |
| same_topic | (pairs,) | 1 when both passages have the same topic               |
| mask       | (pairs,) | pairs that count (different authors, known topics)     |

Reference: a correlation regulariser as in A. Beutel et al., "Putting Fairness Principles into
Practice: Challenges, Metrics, and Improvements", AIES 2019.
"""

from __future__ import annotations

import torch
from torch import nn


def squared_correlation(similarity: torch.Tensor, same_topic: torch.Tensor, mask: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """rho(similarity, same_topic)^2 over the masked pairs; 0 when either is constant there."""
    values = similarity[mask].float()  # (m,)
    indicator = same_topic[mask].float()  # (m,)
    if values.numel() < 2:
        return similarity.sum() * 0.0
    centred_values = values - values.mean()
    centred_indicator = indicator - indicator.mean()
    covariance = (centred_values * centred_indicator).mean()
    scale = centred_values.pow(2).mean().sqrt() * centred_indicator.pow(2).mean().sqrt()
    return (covariance / (scale + eps)).pow(2)


class TopicIndependenceLoss(nn.Module):
    """:func:`squared_correlation` as a module."""

    def forward(self, similarity: torch.Tensor, same_topic: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return squared_correlation(similarity, same_topic, mask)
