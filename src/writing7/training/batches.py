"""Training batches as map-style datasets indexed by step (so DataLoader workers can build them).

Texts are tokenised and their style features computed once, before training; building a batch is
then a gather, a pad and a few sparse row products for the pair features of all in-batch pairs.

With several processes (``world_size > 1``) every rank builds the same global batch description
(labels, pairs, pair features: pure functions of the step) but tokenises only the texts it encodes:
its share of the sampler's author groups and of the distillation pairs. ``text_counts`` says how many
texts each rank encodes and ``text_order`` puts the gathered embeddings (rank order) back into the
single-process layout ``[chunks, distillation firsts, distillation seconds]``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch.utils.data import Dataset

from writing7.models.bi_encoder import pad_token_ids
from writing7.models.style_features import StyleFeaturizer, TextFeatures, pair_feature_tensor
from writing7.training.data import ChunkTable, PairTable
from writing7.training.sampler import BookBatchSampler


@dataclasses.dataclass
class DistillPairs:
    """Training pairs with the teacher's same-book logits (rows index the ChunkTable)."""

    first: np.ndarray  # (p,)
    second: np.ndarray  # (p,)
    teacher_logits: np.ndarray  # (p,) float32


def upper_triangle_pairs(size: int) -> tuple[np.ndarray, np.ndarray]:
    """All (i, j) with i < j of ``size`` rows: two (size * (size - 1) / 2,) index arrays."""
    first, second = np.triu_indices(size, k=1)
    return first.astype(np.int64), second.astype(np.int64)


class ContrastiveBatches(Dataset):
    """Batch ``step``: the sampler's chunks (+ distillation pairs), tokenised, with every in-batch pair."""

    def __init__(
        self, sampler: BookBatchSampler, chunks: ChunkTable, token_ids: Sequence[Sequence[int]], features: TextFeatures | None,
        *, pad_id: int, num_steps: int, distill: DistillPairs | None = None, distill_pairs_per_batch: int = 0,
        rank: int = 0, world_size: int = 1,
    ) -> None:
        if len(sampler.author_list) < world_size:
            raise ValueError(f"{world_size} processes need at least {world_size} training authors with 2+ chunks per book "
                             f"(there are {len(sampler.author_list)}): use fewer processes or prepare more books")
        self.sampler = sampler
        self.chunks = chunks
        self.token_ids = token_ids
        self.features = features
        self.pad_id = pad_id
        self.num_steps = num_steps
        self.distill = distill
        self.distill_pairs_per_batch = distill_pairs_per_batch if distill is not None else 0
        self.rank = rank
        self.world_size = world_size

    def __len__(self) -> int:
        return self.num_steps

    def __getitem__(self, step: int) -> dict[str, torch.Tensor]:
        groups = self.sampler.author_groups(step)
        rows = np.concatenate(groups)  # (b,) chunk rows of the global batch
        first, second = upper_triangle_pairs(len(rows))  # (p,), (p,) positions in the batch
        books, authors, topics = self.chunks.books[rows], self.chunks.authors[rows], self.chunks.topics[rows]
        batch = {
            "books": torch.from_numpy(books), "authors": torch.from_numpy(authors), "topics": torch.from_numpy(topics),
            "pair_first": torch.from_numpy(first), "pair_second": torch.from_numpy(second),
            "pair_features": self._within_batch_features(rows, first, second),
            "pair_targets": torch.from_numpy(np.stack([books[first] == books[second], authors[first] == authors[second]], axis=1).astype(np.float32)),
            "same_topic": torch.from_numpy((topics[first] == topics[second]) & (topics[first] >= 0)),
            "topic_pair_mask": torch.from_numpy((authors[first] != authors[second]) & (topics[first] >= 0) & (topics[second] >= 0)),
        }
        all_rows, distill_count = rows, 0
        if self.distill_pairs_per_batch:
            all_rows = self._add_distillation(batch, rows, step)
            distill_count = len(batch["teacher_logits"])
        shares = self._rank_positions([len(group) for group in groups], distill_count)  # canonical positions each rank encodes
        batch["text_counts"] = torch.tensor([len(share) for share in shares], dtype=torch.int64)
        if self.world_size > 1:
            batch["text_order"] = torch.from_numpy(np.argsort(np.concatenate(shares), kind="stable"))  # canonical <- gathered
        local_rows = all_rows[shares[self.rank]]
        batch["text_rows"] = torch.from_numpy(local_rows)  # chunk row of each text this process encodes
        batch["input_ids"], batch["attention_mask"] = pad_token_ids([self.token_ids[row] for row in local_rows], self.pad_id)
        return batch

    def _rank_positions(self, group_sizes: list[int], distill_count: int) -> list[np.ndarray]:
        """Per rank, the positions (in ``[chunks, distillation firsts, distillation seconds]``) of the texts it
        encodes: a contiguous run of whole author groups, then its share of the distillation pairs (both texts)."""
        chunk_count = sum(group_sizes)
        group_ends = np.cumsum([0, *group_sizes])
        group_parts = np.array_split(np.arange(len(group_sizes)), self.world_size)
        distill_parts = np.array_split(np.arange(distill_count), self.world_size)
        shares = []
        for groups, pairs in zip(group_parts, distill_parts):
            chunk_positions = np.arange(group_ends[groups[0]], group_ends[groups[-1] + 1]) if len(groups) else np.arange(0)
            shares.append(np.concatenate([chunk_positions, chunk_count + pairs, chunk_count + distill_count + pairs]).astype(np.int64))
        return shares

    def _within_batch_features(self, rows: np.ndarray, first: np.ndarray, second: np.ndarray) -> torch.Tensor:
        """(p, k) classical features of all in-batch pairs ((p, 0) when style features are off)."""
        if self.features is None:
            return torch.zeros((len(first), 0), dtype=torch.float32)
        return torch.from_numpy(StyleFeaturizer.pair_features_within(self.features, rows, first, second))

    def _add_distillation(self, batch: dict[str, torch.Tensor], rows: np.ndarray, step: int) -> np.ndarray:
        """Append distillation pairs' texts after the chunks; their positions go into ``batch``."""
        generator = np.random.default_rng([self.sampler.seed, step, 1])
        chosen = generator.choice(len(self.distill.first), size=min(self.distill_pairs_per_batch, len(self.distill.first)), replace=False)
        first_rows, second_rows = self.distill.first[chosen], self.distill.second[chosen]
        count = len(chosen)
        batch["distill_first"] = torch.arange(len(rows), len(rows) + count)
        batch["distill_second"] = torch.arange(len(rows) + count, len(rows) + 2 * count)
        batch["distill_features"] = pair_feature_tensor(self.features, first_rows, second_rows)
        batch["teacher_logits"] = torch.from_numpy(self.distill.teacher_logits[chosen].astype(np.float32))
        return np.concatenate([rows, first_rows, second_rows])


class TeacherBatches(Dataset):
    """Batch ``step`` for the cross-encoder: ``batch_size`` training pairs, tokenised jointly, same-book labels."""

    def __init__(self, pairs: PairTable, texts: Sequence[str], tokenize: Callable[[list[str], list[str]], dict], *, batch_size: int, num_steps: int, seed: int) -> None:
        self.pairs = pairs
        self.texts = texts
        self.tokenize = tokenize
        self.batch_size = min(batch_size, len(pairs))
        self.num_steps = num_steps
        self.seed = seed

    def __len__(self) -> int:
        return self.num_steps

    def __getitem__(self, step: int) -> dict[str, torch.Tensor]:
        generator = np.random.default_rng([self.seed, step])
        chosen = generator.choice(len(self.pairs), size=self.batch_size, replace=False)
        inputs = dict(self.tokenize([self.texts[row] for row in self.pairs.first[chosen]], [self.texts[row] for row in self.pairs.second[chosen]]))
        inputs["labels"] = torch.from_numpy(self.pairs.same_book[chosen].astype(np.float32))
        return inputs
