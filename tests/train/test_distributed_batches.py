"""How a global batch is shared between processes (no process group needed), and the gather's gradient
against one process (two spawned gloo processes, no model)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import multiprocessing

from writing7.losses.supcon import supervised_contrastive_loss
from writing7.training.batches import ContrastiveBatches, DistillPairs
from writing7.training.data import tables_from_split
from writing7.training.distributed import from_environment, gather_with_gradient
from writing7.training.sampler import BookBatchSampler


def batches_for(chunks, pairs, *, rank: int, world_size: int) -> ContrastiveBatches:
    sampler = BookBatchSampler(chunks.books, chunks.authors, chunks.neighbours, authors_per_batch=2 * world_size, books_per_author=2,
                               chunks_per_book=2, hard_negative_fraction=0.5, seed=1)
    token_ids = [[row + 1] * (1 + row % 3) for row in range(len(chunks))]  # a text's tokens name its row
    distill = DistillPairs(pairs.first, pairs.second, np.linspace(-1, 1, len(pairs)).astype(np.float32))
    return ContrastiveBatches(sampler, chunks, token_ids, None, pad_id=0, num_steps=5, distill=distill, distill_pairs_per_batch=3,
                              rank=rank, world_size=world_size)


def test_ranks_encode_disjoint_author_groups_that_reassemble_the_single_process_batch(pair_splits):
    chunks, pairs = tables_from_split(pair_splits["train"])
    single = batches_for(chunks, pairs, rank=0, world_size=1)
    single.sampler.authors_per_batch = 4  # the global batch of two processes
    single.distill_pairs_per_batch = 3
    for step in range(3):
        expected = single[step]["input_ids"][:, 0]  # (texts,) the row + 1 of each text, single-process layout
        shares = [batches_for(chunks, pairs, rank=rank, world_size=2)[step] for rank in range(2)]
        local_texts = [share["input_ids"][:, 0] for share in shares]
        assert all(len(texts) for texts in local_texts) and len(shares[0]["books"]) == len(expected) - 6  # 3 distillation pairs
        gathered = torch.cat(local_texts)[shares[0]["text_order"]]
        assert torch.equal(gathered, expected)  # every text once, back in the single-process order
        assert torch.equal(shares[0]["text_counts"], torch.tensor([len(text) for text in local_texts]))
        for name in ("books", "authors", "pair_first", "pair_targets", "teacher_logits", "distill_first"):
            assert torch.equal(shares[0][name], shares[1][name]) and torch.equal(shares[0][name], single[step][name])


def test_chunk_author_groups_are_disjoint_between_ranks(pair_splits):
    chunks, pairs = tables_from_split(pair_splits["train"])
    shares = [batches_for(chunks, pairs, rank=rank, world_size=2) for rank in range(2)]
    groups = shares[0].sampler.author_groups(4)
    positions = shares[0]._rank_positions([len(group) for group in groups], 0)
    rows = np.concatenate(groups)
    authors = [set(chunks.authors[rows[share]].tolist()) for share in positions]
    assert authors[0] and authors[1] and not authors[0] & authors[1]


def test_too_few_authors_for_the_processes_is_refused(pair_splits):
    chunks, pairs = tables_from_split(pair_splits["train"])
    with pytest.raises(ValueError, match="64 processes need at least 64 training authors"):
        batches_for(chunks, pairs, rank=0, world_size=64)


def test_the_environment_names_the_rank():
    assert not from_environment({}).enabled
    context = from_environment({"RANK": "1", "WORLD_SIZE": "2", "LOCAL_RANK": "1"})
    assert (context.rank, context.world_size, context.local_rank, context.is_main) == (1, 2, 1, False)
    with pytest.raises(ValueError, match="RANK=2 is not in"):
        from_environment({"RANK": "2", "WORLD_SIZE": "2"})


ROWS = (3, 5)  # rows each rank holds: unequal, as author groups are


def global_inputs() -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    embeddings = torch.nn.functional.normalize(torch.randn(sum(ROWS), 4, generator=generator), dim=1)  # (8, 4)
    return embeddings, torch.tensor([0, 0, 1, 1, 2, 2, 0, 1])


def _gather_worker(rank: int, rendezvous: str, results: str) -> None:
    torch.distributed.init_process_group("gloo", init_method=f"file://{rendezvous}", rank=rank, world_size=2)
    try:
        embeddings, labels = global_inputs()
        start = sum(ROWS[:rank])
        local = embeddings[start : start + ROWS[rank]].clone().requires_grad_(True)
        gathered = gather_with_gradient(local, list(ROWS), rank)
        supervised_contrastive_loss(gathered, labels, 0.1).backward()
        torch.save(local.grad, f"{results}-{rank}.pt")
    finally:
        torch.distributed.destroy_process_group()


def test_gathered_embeddings_send_each_rank_the_global_loss_gradient(tmp_path):
    multiprocessing.spawn(_gather_worker, args=(str(tmp_path / "rendezvous"), str(tmp_path / "gradient")), nprocs=2, join=True)
    embeddings, labels = global_inputs()
    embeddings.requires_grad_(True)
    supervised_contrastive_loss(embeddings, labels, 0.1).backward()
    local = torch.cat([torch.load(tmp_path / f"gradient-{rank}.pt") for rank in range(2)])
    # Summed over the 2 ranks (DDP then averages the parameter gradients): 2 x the single-process gradient,
    # including the rows that only meet other ranks' rows in the loss.
    assert torch.allclose(local, 2 * embeddings.grad, atol=1e-6)
