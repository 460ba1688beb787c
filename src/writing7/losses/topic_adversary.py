"""Topic adversary through a gradient reversal layer.

A small classifier predicts the topic t_i of each passage from its embedding z_i. The gradient
reversal layer R is the identity forwards and multiplies the gradient by -lambda backwards, so one
loss trains the classifier to find topic information while pushing the encoder to remove it::

    L = 1/B * sum_i CE( W R(z_i) + b, t_i )      dL/dz through R = -lambda * dCE/dz

Inputs:

| name       | shape        | meaning                                  |
|------------|--------------|------------------------------------------|
| embeddings | (batch, dim) | embeddings of the passages               |
| topics     | (batch,)     | topic id in [0, num_topics); -1 = unknown |

Reference: Y. Ganin and V. Lempitsky, "Unsupervised Domain Adaptation by Backpropagation",
ICML 2015.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class _GradientReversal(torch.autograd.Function):
    @staticmethod
    def forward(context, inputs: torch.Tensor, scale: float) -> torch.Tensor:
        context.scale = scale
        return inputs.view_as(inputs)

    @staticmethod
    def backward(context, gradient: torch.Tensor) -> tuple[torch.Tensor, None]:
        return -context.scale * gradient, None


def reverse_gradient(inputs: torch.Tensor, scale: float = 1.0) -> torch.Tensor:
    """Identity forwards; gradient times ``-scale`` backwards."""
    return _GradientReversal.apply(inputs, scale)


def topic_adversary_loss(logits: torch.Tensor, topics: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over rows with a known topic (topic >= 0): (batch, topics), (batch,) -> scalar."""
    known = topics >= 0  # (batch,)
    if not known.any():
        return logits.sum() * 0.0
    return F.cross_entropy(logits[known].float(), topics[known])


class TopicAdversaryLoss(nn.Module):
    """A linear topic classifier behind a gradient reversal layer of strength ``reversal_scale``."""

    def __init__(self, embedding_dim: int, num_topics: int, reversal_scale: float = 1.0) -> None:
        super().__init__()
        self.classifier = nn.Linear(embedding_dim, num_topics)
        self.reversal_scale = reversal_scale

    def forward(self, embeddings: torch.Tensor, topics: torch.Tensor) -> torch.Tensor:
        logits = self.classifier(reverse_gradient(embeddings.float(), self.reversal_scale))  # (batch, topics)
        return topic_adversary_loss(logits, topics)
