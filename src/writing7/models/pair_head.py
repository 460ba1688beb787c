"""The pair head: two logits (same book, same author) from symmetric features of two passages.

Inputs of a pair (u, v are L2-normalised embeddings, f the classical pair features of
:class:`~writing7.models.style_features.StyleFeaturizer`, standardised with training statistics)::

    s = [ cos(u, v) , (f - mean) / std ]                            (1 + k,)
    x = [ |u - v| , u * v , s ]  (use_embedding_features)  or  s      (2 d + 1 + k,) or (1 + k,)
    logits = MLP(x) + W s + b                                        (2,)

Every input is symmetric in (u, v), so ``head(a, b) == head(b, a)`` exactly. The linear path on the
scalar similarities is a low-capacity route that generalises to unseen authors on its own; the MLP on
the element-wise embedding features adds what a cosine cannot express (which dimensions agree).
With ``hidden=0`` there is no MLP: the head is one logistic regression per task on the scalars, which
is what :func:`writing7.training.head_fit.fit_linear_head` fits on authors the encoder never saw.
"""

from __future__ import annotations

import torch
from torch import nn


class PairHead(nn.Module):
    """Symmetric pair classifier with outputs ``[same_book_logit, same_author_logit]``."""

    def __init__(self, embedding_dim: int, num_pair_features: int, *, hidden: int = 256, dropout: float = 0.1, use_embedding_features: bool = False) -> None:
        super().__init__()
        self.embedding_dim = embedding_dim
        self.num_pair_features = num_pair_features
        self.use_embedding_features = use_embedding_features
        # Standardisation of the classical features; set from training pairs by set_feature_scaling.
        self.register_buffer("feature_mean", torch.zeros(num_pair_features))
        self.register_buffer("feature_scale", torch.ones(num_pair_features))
        scalar_inputs = 1 + num_pair_features
        self.linear = nn.Linear(scalar_inputs, 2)
        mlp_inputs = (2 * embedding_dim if use_embedding_features else 0) + scalar_inputs
        self.hidden = hidden
        self.dropout = dropout
        self.mlp = nn.Sequential(nn.Linear(mlp_inputs, hidden), nn.GELU(), nn.Dropout(dropout), nn.Linear(hidden, 2)) if hidden else None

    def config(self) -> dict:
        return {
            "embedding_dim": self.embedding_dim, "num_pair_features": self.num_pair_features,
            "hidden": self.hidden, "dropout": self.dropout, "use_embedding_features": self.use_embedding_features,
        }

    @torch.no_grad()
    def set_feature_scaling(self, pair_features: torch.Tensor) -> None:
        """Standardise the classical features with the mean/std of a sample of training pairs (pairs, k)."""
        self.feature_mean.copy_(pair_features.mean(dim=0))
        self.feature_scale.copy_(pair_features.std(dim=0).clamp(min=1e-6))

    def scalar_inputs(self, first: torch.Tensor, second: torch.Tensor, pair_features: torch.Tensor) -> torch.Tensor:
        """The linear path's inputs ``[cos(u, v), (f - mean) / std]``: (pairs, dim) x2, (pairs, k) -> (pairs, 1 + k)."""
        cosine = (first.float() * second.float()).sum(dim=-1, keepdim=True)  # (pairs, 1)
        return torch.cat([cosine, (pair_features.float() - self.feature_mean) / self.feature_scale], dim=-1)

    def forward(self, first: torch.Tensor, second: torch.Tensor, pair_features: torch.Tensor) -> torch.Tensor:
        """(pairs, dim), (pairs, dim), (pairs, k) -> (pairs, 2) float32 logits."""
        scalars = self.scalar_inputs(first, second, pair_features)  # (pairs, 1 + k)
        if self.mlp is None:
            return self.linear(scalars)
        if not self.use_embedding_features:
            return self.mlp(scalars) + self.linear(scalars)
        first, second = first.float(), second.float()
        mlp_input = torch.cat([(first - second).abs(), first * second, scalars], dim=-1)  # (pairs, 2 d + 1 + k)
        return self.mlp(mlp_input) + self.linear(scalars)
