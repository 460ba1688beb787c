"""Class-balanced binary cross-entropy on the pair head's logits.

For each output column c (same book, same author) with positive pairs P_c and negative pairs N_c::

    L_c = 1/2 * ( mean_{k in P_c} softplus(-s_kc) + mean_{k in N_c} softplus(s_kc) )
    L   = mean_c L_c

softplus(-s) = -log sigmoid(s) is the BCE of a positive, softplus(s) that of a negative. Averaging
the two classes separately keeps in-batch pairs (mostly negatives) from drowning the positives, and
is the loss whose minimiser maximises balanced accuracy, close to what AUC rewards. A column with
no positives (or no negatives) in the batch uses the class it has.

Inputs:

| name    | shape        | meaning                                     |
|---------|--------------|---------------------------------------------|
| logits  | (pairs, c)   | raw scores                                  |
| targets | (pairs, c)   | 0/1 labels (float or bool)                  |

Reference: binary cross-entropy with class re-weighting, e.g. C. Elkan, "The Foundations of
Cost-Sensitive Learning", IJCAI 2001.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def balanced_binary_cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Scalar mean over columns of the class-balanced BCE."""
    logits = logits.float()
    positive = targets.bool()  # (pairs, c)
    losses = torch.where(positive, F.softplus(-logits), F.softplus(logits))  # (pairs, c)
    positive_count = positive.sum(dim=0)  # (c,)
    negative_count = (~positive).sum(dim=0)  # (c,)
    positive_mean = (losses * positive).sum(dim=0) / positive_count.clamp(min=1)  # (c,)
    negative_mean = (losses * ~positive).sum(dim=0) / negative_count.clamp(min=1)  # (c,)
    classes_present = (positive_count > 0).float() + (negative_count > 0).float()  # (c,)
    return ((positive_mean + negative_mean) / classes_present.clamp(min=1)).mean()


class PairBCELoss(nn.Module):
    """:func:`balanced_binary_cross_entropy` as a module (pair head logits vs same-book/same-author labels)."""

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return balanced_binary_cross_entropy(logits, targets)
