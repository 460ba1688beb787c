"""The bi-encoder's training objective: one module holding every trainable part and every loss term.

    L = w_book SupCon(z, book) + w_author SupCon(z, author) + w_pair BCE(head(z_i, z_j, f_ij), [same book, same author])
        + w_topic TopicAdversary(z, topic) + w_indep rho(cos_ij, same_topic_ij)^2 + w_distill KL(teacher || head)

Zero-weight terms are not computed. The module's ``state_dict`` is what checkpoints save. Under
``torchrun`` each rank encodes its slice of the global batch; the embeddings are gathered with gradient
(:func:`~writing7.training.distributed.gather_with_gradient`) before any term, so every term sees the
global batch exactly as one process would.
"""

from __future__ import annotations

import dataclasses

import torch
from torch import nn

from writing7.losses.distillation import DistillationLoss
from writing7.losses.pair_bce import PairBCELoss
from writing7.losses.supcon import SupConLoss
from writing7.losses.topic_adversary import TopicAdversaryLoss
from writing7.losses.topic_independence import TopicIndependenceLoss
from writing7.models.bi_encoder import BiEncoder
from writing7.models.pair_head import PairHead
from writing7.training.distributed import gather_with_gradient
from writing7.training.frozen_prefix import FrozenPrefixCache


@dataclasses.dataclass
class LossWeights:
    book: float = 1.0
    author: float = 0.5
    pair: float = 1.0
    topic_adversary: float = 0.0
    topic_independence: float = 0.0
    distill: float = 0.0


class ContrastiveObjective(nn.Module):
    """Encoder + pair head (+ topic adversary) and the weighted sum of the loss terms."""

    def __init__(
        self, encoder: BiEncoder, head: PairHead, weights: LossWeights, *, temperature: float, author_temperature: float,
        num_topics: int = 0, topic_reversal_scale: float = 0.1, distill_temperature: float = 2.0, rank: int = 0,
        frozen_prefix: FrozenPrefixCache | None = None,
    ) -> None:
        super().__init__()
        self.rank = rank  # this process's rank: which slice of the gathered embeddings it made
        self.encoder = encoder
        self.frozen_prefix = frozen_prefix  # keeps the frozen layers' output per passage (not a submodule: never checkpointed)
        self.head = head
        self.weights = weights
        self.book_loss = SupConLoss(temperature)
        self.author_loss = SupConLoss(author_temperature)
        self.pair_loss = PairBCELoss()
        self.independence_loss = TopicIndependenceLoss()
        self.distill_loss = DistillationLoss(distill_temperature)
        self.topic_adversary = (
            TopicAdversaryLoss(encoder.embedding_dim, num_topics, topic_reversal_scale) if weights.topic_adversary > 0 and num_topics > 1 else None
        )

    def forward(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict[str, float]]:
        """-> (scalar loss, each weighted term as a float for the log)."""
        if self.frozen_prefix is not None:
            embeddings = self.frozen_prefix(batch["text_rows"], batch["input_ids"], batch["attention_mask"])  # (local texts, dim) float32
        else:
            embeddings = self.encoder(batch["input_ids"], batch["attention_mask"])  # (local texts, dim) float32
        if "text_order" in batch:  # several processes: the global batch, in the single-process layout
            embeddings = gather_with_gradient(embeddings, batch["text_counts"].tolist(), self.rank)[batch["text_order"]]  # (texts, dim)
        chunk_count = batch["books"].shape[0]
        chunks = embeddings[:chunk_count]  # (b, dim)
        first, second = chunks[batch["pair_first"]], chunks[batch["pair_second"]]  # (p, dim) each
        terms: dict[str, torch.Tensor] = {}
        if self.weights.book:
            terms["book"] = self.weights.book * self.book_loss(chunks, batch["books"])
        if self.weights.author:
            terms["author"] = self.weights.author * self.author_loss(chunks, batch["authors"])
        if self.weights.pair:
            logits = self.head(first, second, batch["pair_features"])  # (p, 2)
            terms["pair"] = self.weights.pair * self.pair_loss(logits, batch["pair_targets"])
        if self.topic_adversary is not None:
            terms["topic_adversary"] = self.weights.topic_adversary * self.topic_adversary(chunks, batch["topics"])
        if self.weights.topic_independence:
            similarity = (first * second).sum(dim=-1)  # (p,)
            terms["topic_independence"] = self.weights.topic_independence * self.independence_loss(similarity, batch["same_topic"], batch["topic_pair_mask"])
        if self.weights.distill and "teacher_logits" in batch:
            student = self.head(embeddings[batch["distill_first"]], embeddings[batch["distill_second"]], batch["distill_features"])[:, 0]  # (P,)
            terms["distill"] = self.weights.distill * self.distill_loss(student, batch["teacher_logits"])
        total = torch.stack(list(terms.values())).sum()
        return total, {name: float(value.detach()) for name, value in terms.items()}
