"""Multi-process training under ``torchrun``: the process group, and an all-gather that keeps gradients.

``torchrun --nproc_per_node N -m writing7 train ...`` starts N copies of the command with ``RANK``,
``WORLD_SIZE``, ``LOCAL_RANK`` and the rendezvous address in the environment. :func:`from_environment`
reads them; without them (a plain ``writing7 train``) it returns the single-process context and no
process group is created, so single-process training is unchanged.

How a step is shared (see :class:`~writing7.training.batches.ContrastiveBatches`): every rank draws the
same *global* batch of step s from the step-indexed sampler (``authors_per_batch x world_size``
authors) and encodes only its own slice of author groups; the embeddings are gathered with
:func:`gather_with_gradient`, so every rank computes the same global loss (SupCon over all global
rows, the pair head over all global pairs). Book/author/topic labels and the classical pair features
are not gathered: they are pure functions of the step, so every rank builds them for the global batch
itself, with no communication. DDP then averages the parameter gradients over the ranks.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
import os

import torch
import torch.distributed as dist

logger = logging.getLogger(__name__)
# Rank 0 alone evaluates and saves while the others wait at the next collective: allow it an hour.
COLLECTIVE_TIMEOUT = datetime.timedelta(minutes=60)


@dataclasses.dataclass(frozen=True)
class DistributedContext:
    """Where this process stands: ``rank`` of ``world_size`` processes, ``local_rank`` on its machine."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """Rank 0: the one process that evaluates, logs and saves."""
        return self.rank == 0


def from_environment(environment: dict[str, str] | None = None) -> DistributedContext:
    """The context ``torchrun`` (or ``accelerate launch``) describes in ``RANK``/``WORLD_SIZE``/``LOCAL_RANK``;
    the single-process context when they are absent."""
    environment = os.environ if environment is None else environment
    if "WORLD_SIZE" not in environment or "RANK" not in environment:
        return DistributedContext()
    world_size, rank = int(environment["WORLD_SIZE"]), int(environment["RANK"])
    local_rank = int(environment.get("LOCAL_RANK", rank))
    if not 0 <= rank < world_size:
        raise ValueError(f"RANK={rank} is not in [0, WORLD_SIZE={world_size}): start the processes with torchrun")
    return DistributedContext(rank=rank, world_size=world_size, local_rank=local_rank)


def training_device(context: DistributedContext, device: torch.device) -> torch.device:
    """With several processes on CUDA, each process uses the GPU of its ``LOCAL_RANK``."""
    if context.enabled and device.type == "cuda":
        device = torch.device("cuda", context.local_rank)
        torch.cuda.set_device(device)
    return device


def start_process_group(context: DistributedContext, device: torch.device) -> bool:
    """``nccl`` on CUDA, ``gloo`` on CPU; a no-op for one process or when the group already exists.
    True when this call created the group (and its caller should stop it)."""
    if not context.enabled or dist.is_initialized():
        return False
    backend = "nccl" if device.type == "cuda" else "gloo"
    dist.init_process_group(backend=backend, rank=context.rank, world_size=context.world_size, timeout=COLLECTIVE_TIMEOUT)
    logger.info("process group: rank %d of %d (%s)", context.rank, context.world_size, backend)
    return True


def stop_process_group() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()


class _GatherWithGradient(torch.autograd.Function):
    """Forward: concatenate every rank's rows (rank order). Backward: sum the incoming gradients over the
    ranks and return this rank's rows.

    Why not ``torch.distributed.all_gather``: it writes into preallocated tensors outside autograd, so the
    gathered rows of the *other* ranks are constants; the loss terms in which this rank's embeddings meet
    theirs (this rank's rows as positives or in the SupCon denominator of another rank's anchors, the pair
    head on cross-rank pairs) send no gradient back to the encoder that made them, and training silently
    optimises a different, smaller objective. Here every rank computes the same global loss L, so rank r
    holds dL/dz for every row; summing over the ranks gives W * dL/dz_r for its own rows, and DDP's
    average of the parameter gradients divides by W again: exactly the single-process gradient of L over
    the concatenated batch. (``torch.distributed.nn.functional.all_gather`` has the same backward but needs
    equal row counts on every rank; ours differ with the books' chunk counts, hence the padding. It sums
    with ``all_reduce`` because ``gloo`` has no ``reduce_scatter``.)
    """

    @staticmethod
    def forward(context, local: torch.Tensor, counts: list[int], rank: int) -> torch.Tensor:
        context.counts, context.rank = counts, rank
        widest = max(counts)
        padded = local.new_zeros((widest, *local.shape[1:]))  # (widest, dim)
        padded[: local.shape[0]] = local
        pieces = [torch.empty_like(padded) for _ in counts]
        dist.all_gather(pieces, padded.contiguous())
        return torch.cat([piece[:count] for piece, count in zip(pieces, counts)])  # (sum(counts), dim)

    @staticmethod
    def backward(context, gradient: torch.Tensor) -> tuple[torch.Tensor, None, None]:
        gradient = gradient.contiguous().clone()  # (sum(counts), dim)
        dist.all_reduce(gradient, op=dist.ReduceOp.SUM)
        start = sum(context.counts[: context.rank])
        return gradient[start : start + context.counts[context.rank]], None, None


def gather_with_gradient(local: torch.Tensor, counts: list[int], rank: int) -> torch.Tensor:
    """(counts[rank], ...) on each rank -> (sum(counts), ...) on every rank, differentiable (see above)."""
    return _GatherWithGradient.apply(local, list(counts), rank)


def broadcast_flag(context: DistributedContext, flag: bool) -> bool:
    """Rank 0's ``flag`` on every rank (so all ranks stop, or go on, together)."""
    if not context.enabled:
        return flag
    value = torch.tensor([int(flag)], dtype=torch.int64)
    if dist.get_backend() == "nccl":
        value = value.cuda()
    dist.broadcast(value, src=0)
    return bool(value.item())


def gather_objects(context: DistributedContext, value: object) -> list[object]:
    """Every rank's ``value`` (rank order) on every rank; ``[value]`` for one process."""
    if not context.enabled:
        return [value]
    values: list[object] = [None] * context.world_size
    dist.all_gather_object(values, value)
    return values
