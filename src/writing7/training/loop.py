"""A plain PyTorch training loop shared by the bi-encoder and the cross-encoder teacher.

Why not the HF Trainer: our batches are whole structured objects (a book-aware sample of chunks plus
every in-batch pair with its classical features) produced by a step-indexed sampler, the loss is a
module of several terms, and resume must restore the sampler position exactly. Each of those fights
the Trainer's per-example collation, ``compute_loss`` hook and its own sampler/RNG bookkeeping; the
loop below is ~150 lines that do exactly what we need: AdamW with two learning rates, linear
warm-up/decay, bf16 autocast, gradient clipping, eval/save cadence, atomic checkpoints and resume,
a JSON-lines log and a tqdm bar with loss and samples/s.

Under ``torchrun`` (``settings.distributed`` with more than one process) the task model is wrapped in
``DistributedDataParallel`` (gradients averaged over the ranks), every rank steps through the same step
numbers, and rank 0 alone evaluates, writes the log and saves checkpoints; each checkpoint records the
world size and every rank's RNG state, and a checkpoint of another world size is refused.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset
from tqdm.auto import tqdm

from writing7.errors import UserFacingError
from writing7.models.runtime import autocast
from writing7.training.checkpoint import checkpoint_world_size, latest_checkpoint, load_checkpoint, rng_state, save_checkpoint
from writing7.training.distributed import DistributedContext, broadcast_flag, gather_objects

logger = logging.getLogger(__name__)


@dataclasses.dataclass
class TrainingTask:
    """What the loop trains: ``model(batch) -> (loss, terms)`` over ``batches[step]``."""

    model: nn.Module
    parameter_groups: list[dict[str, Any]]
    batches: Dataset
    evaluate: Callable[[], dict[str, float]]
    samples_of: Callable[[dict[str, torch.Tensor]], int]


@dataclasses.dataclass
class LoopSettings:
    max_steps: int
    warmup_ratio: float
    max_grad_norm: float
    eval_steps: int
    save_steps: int
    save_total_limit: int
    logging_steps: int
    num_workers: int
    device: torch.device
    bf16: bool
    fingerprint: str
    progress: bool = False
    should_stop: Callable[[int], bool] | None = None  # checked after each step; True ends the run early (tests, time limits)
    distributed: DistributedContext = dataclasses.field(default_factory=DistributedContext)


def linear_schedule(max_steps: int, warmup_ratio: float) -> Callable[[int], float]:
    """Learning-rate multiplier: linear warm-up over ``warmup_ratio * max_steps`` steps, then linear decay to 0."""
    warmup = max(1, int(round(warmup_ratio * max_steps)))

    def multiplier(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, (max_steps - step) / max(1, max_steps - warmup))

    return multiplier


def run_training(task: TrainingTask, settings: LoopSettings, *, checkpoint_dir: Path, log_path: Path) -> dict[str, Any]:
    """Train ``task.model`` to ``settings.max_steps`` (resuming from the newest matching checkpoint); returns a summary."""
    context = settings.distributed
    model = task.model.to(settings.device)
    optimizer = torch.optim.AdamW(task.parameter_groups)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, linear_schedule(settings.max_steps, settings.warmup_ratio))
    resume_from = _resumable_checkpoint(checkpoint_dir, settings)
    start = load_checkpoint(resume_from, model=model, optimizer=optimizer, scheduler=scheduler, rank=context.rank) if resume_from else 0
    trained = _wrap_for_processes(model, settings)
    log = _Log(log_path, resumed_at=start if resume_from else None) if context.is_main else None
    loader = DataLoader(
        task.batches, batch_size=None, sampler=range(start, settings.max_steps), num_workers=settings.num_workers,
        pin_memory=settings.device.type == "cuda",
        # Its own generator: creating the iterator would otherwise draw from the global RNG that resume restores.
        generator=torch.Generator().manual_seed(0),
    )
    bar = tqdm(total=settings.max_steps, initial=start, disable=not (settings.progress and context.is_main), desc="train", unit="step", dynamic_ncols=True)
    started, samples, step = time.perf_counter(), 0, start
    evaluation: dict[str, float] = {}
    terms: dict[str, float] = {}
    for step, batch in enumerate(loader, start=start + 1):
        loss, terms = _train_step(trained, optimizer, scheduler, batch, settings)
        samples += task.samples_of(batch)
        rate = samples / max(time.perf_counter() - started, 1e-9)
        bar.update(1)
        bar.set_postfix(loss=f"{float(loss):.4f}", samples_per_s=f"{rate:.1f}")
        if log is not None and (step % settings.logging_steps == 0 or step == settings.max_steps):
            log.write(step=step, loss=float(loss), **terms, learning_rate=scheduler.get_last_lr()[0], samples_per_s=rate,
                      samples=samples, elapsed_s=time.perf_counter() - started)
        if context.is_main and (step == settings.max_steps or (settings.eval_steps and step % settings.eval_steps == 0)):
            evaluation = task.evaluate()
            log.write(step=step, **{f"eval_{name}": value for name, value in evaluation.items()})
            logger.info("step %d: %s", step, ", ".join(f"{name} {value:.4f}" for name, value in evaluation.items()))
        if settings.save_steps and step % settings.save_steps == 0 and step < settings.max_steps:
            _save(checkpoint_dir, step, model, optimizer, scheduler, settings)
        if settings.should_stop is not None and broadcast_flag(context, settings.should_stop(step)):
            break
    bar.close()
    elapsed = time.perf_counter() - started
    return {
        "steps": step, "resumed_from_step": start if resume_from else None, "completed": step >= settings.max_steps,
        "wall_seconds": round(elapsed, 1), "samples_per_second": round(samples / max(elapsed, 1e-9), 2),
        "final_terms": terms, "final_evaluation": evaluation, "world_size": context.world_size,
    }


def _resumable_checkpoint(checkpoint_dir: Path, settings: LoopSettings) -> Path | None:
    """The newest checkpoint of these settings; refused (one line) when another number of processes wrote it."""
    path = latest_checkpoint(checkpoint_dir, settings.fingerprint)
    if path is None:
        return None
    written_by, world_size = checkpoint_world_size(path), settings.distributed.world_size
    if written_by != world_size:
        raise UserFacingError(
            f"checkpoint {path} was written by {written_by} training process(es) and this run has {world_size}: "
            f"resume with the same number (torchrun --nproc_per_node {written_by}), or start over with --force"
        )
    return path


def _wrap_for_processes(model: nn.Module, settings: LoopSettings) -> nn.Module:
    """``model`` itself for one process; else ``DistributedDataParallel`` over it (rank 0's weights broadcast)."""
    if not settings.distributed.enabled:
        return model
    from torch.nn.parallel import DistributedDataParallel

    device_ids = [settings.device.index] if settings.device.type == "cuda" else None
    # Some trainable parameters get no gradient in a step (the BERT pooler under mean pooling, a head input
    # that a setting turns off); without find_unused_parameters DDP would wait for them and never average.
    return DistributedDataParallel(model, device_ids=device_ids, find_unused_parameters=True)


def _save(checkpoint_dir: Path, step: int, model: nn.Module, optimizer: torch.optim.Optimizer, scheduler: Any, settings: LoopSettings) -> None:
    """Every rank hands its RNG state to rank 0, which writes the checkpoint (``model`` is the unwrapped module)."""
    context = settings.distributed
    rank_states = gather_objects(context, rng_state())
    if context.is_main:
        save_checkpoint(checkpoint_dir, step=step, model=model, optimizer=optimizer, scheduler=scheduler, fingerprint=settings.fingerprint,
                        keep=settings.save_total_limit, rank_rng_states=rank_states)


def _train_step(model: nn.Module, optimizer: torch.optim.Optimizer, scheduler: Any, batch: dict[str, torch.Tensor], settings: LoopSettings) -> tuple[torch.Tensor, dict[str, float]]:
    model.train()
    batch = {name: value.to(settings.device, non_blocking=True) for name, value in batch.items()}
    with autocast(settings.device, settings.bf16):
        loss, terms = model(batch)
    loss.backward()
    if settings.max_grad_norm:
        torch.nn.utils.clip_grad_norm_([p for group in optimizer.param_groups for p in group["params"]], settings.max_grad_norm)
    optimizer.step()
    scheduler.step()
    optimizer.zero_grad(set_to_none=True)
    return loss.detach(), terms


class _Log:
    """Append-only JSON-lines training log (one object per logging step or evaluation)."""

    def __init__(self, path: Path, *, resumed_at: int | None) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if resumed_at is None:
            self.path.unlink(missing_ok=True)  # a fresh run starts a fresh log
        else:
            self.write(event="resumed", step=resumed_at)

    def write(self, **record: Any) -> None:
        record["time"] = time.strftime("%Y-%m-%dT%H:%M:%S")
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, default=float) + "\n")
