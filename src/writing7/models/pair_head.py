"""The pair head: two logits (same book, same author) from symmetric features of two passages.

Inputs of a pair (u, v are L2-normalised embeddings, f the classical pair features of
:class:`~writing7.models.style_features.StyleFeaturizer`, standardised with training statistics)::

    x = [ |u - v| , u * v , cos(u, v) , (f - mean) / std ]          (2 d + 1 + k,)
    logits = MLP(x) + W [cos(u, v), (f - mean) / std] + b           (2,)

Every input is symmetric in (u, v), so ``head(a, b) == head(b, a)`` exactly. The linear path on the
scalar similarities is a low-capacity route that generalises to unseen authors on its own; the MLP on
the element-wise embedding features adds what a cosine cannot express (which dimensions agree).
"""

from __future__ import annotations

import torch
from torch import nn


def symmetric_features(first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
    """[|u - v|, u * v, cos]: (pairs, dim), (pairs, dim) -> (pairs, 2 dim + 1); inputs L2-normalised."""
    cosine = (first * second).sum(dim=-1, keepdim=True)  # (pairs, 1)
    return torch.cat([(first - second).abs(), first * second, cosine], dim=-1)


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
        self.mlp = nn.Sequential(nn.Linear(mlp_inputs, hidden), nn.GELU(), nn.Dropout(dropout), nn.Linear(hidden, 2))

    def config(self) -> dict:
        return {
            "embedding_dim": self.embedding_dim, "num_pair_features": self.num_pair_features,
            "hidden": self.mlp[0].out_features, "dropout": self.mlp[2].p, "use_embedding_features": self.use_embedding_features,
        }

    @torch.no_grad()
    def set_feature_scaling(self, pair_features: torch.Tensor) -> None:
        """Standardise the classical features with the mean/std of a sample of training pairs (pairs, k)."""
        self.feature_mean.copy_(pair_features.mean(dim=0))
        self.feature_scale.copy_(pair_features.std(dim=0).clamp(min=1e-6))

    def forward(self, first: torch.Tensor, second: torch.Tensor, pair_features: torch.Tensor) -> torch.Tensor:
        """(pairs, dim), (pairs, dim), (pairs, k) -> (pairs, 2) float32 logits."""
        symmetric = symmetric_features(first.float(), second.float())  # (pairs, 2d + 1), cosine last
        scaled = (pair_features.float() - self.feature_mean) / self.feature_scale  # (pairs, k)
        scalars = torch.cat([symmetric[:, -1:], scaled], dim=-1)  # (pairs, 1 + k)
        mlp_input = torch.cat([symmetric, scaled], dim=-1) if self.use_embedding_features else scalars
        return self.mlp(mlp_input) + self.linear(scalars)
