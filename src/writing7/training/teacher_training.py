"""Train the cross-encoder teacher on the same training pairs (class-balanced BCE on the same-book label).

``cfg`` is any object with the ``[teacher]`` fields (:mod:`writing7.training.process` says why not the config class).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from writing7.losses.pair_bce import PairBCELoss
from writing7.models.cross_encoder import CrossEncoderTeacher
from writing7.models.runtime import resolve_device, use_bf16
from writing7.training.batches import TeacherBatches
from writing7.training.data import ChunkTable, PairTable, tables_from_split
from writing7.training.evaluation import sample_pairs, task_aucs
from writing7.training.loop import LoopSettings, TrainingTask, run_training
from writing7.training.process import configure_process

logger = logging.getLogger(__name__)


class TeacherObjective(nn.Module):
    """``batch -> (loss, terms)`` for the loop: balanced BCE of the teacher's logit vs the same-book label."""

    def __init__(self, teacher: CrossEncoderTeacher) -> None:
        super().__init__()
        self.teacher = teacher
        self.loss = PairBCELoss()

    def forward(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict[str, float]]:
        labels = batch["labels"]
        logits = self.teacher(**{name: value for name, value in batch.items() if name != "labels"})  # (pairs,)
        loss = self.loss(logits.unsqueeze(1), labels.unsqueeze(1))
        return loss, {"bce": float(loss.detach())}


def teacher_pair_logits(teacher: CrossEncoderTeacher, chunks: ChunkTable, pairs: PairTable, *, batch_size: int = 32) -> np.ndarray:
    """(p,) teacher same-book logits of ``pairs`` (used for distillation and validation)."""
    texts1 = [chunks.texts[row] for row in pairs.first]
    texts2 = [chunks.texts[row] for row in pairs.second]
    return teacher.predict_logits(texts1, texts2, batch_size=batch_size)


def train_teacher(
    cfg: Any, train_split: Any, validation_split: Any, *, checkpoint_dir: Path, log_path: Path, fingerprint: str,
    progress: bool = False, should_stop: Callable[[int], bool] | None = None,
) -> tuple[CrossEncoderTeacher, dict[str, Any]]:
    device = resolve_device(cfg.device)
    configure_process(tf32=cfg.tf32, threads=cfg.threads, seed=cfg.seed)
    chunks, pairs = tables_from_split(train_split)
    validation_chunks, validation_pairs = tables_from_split(validation_split)
    validation_pairs = sample_pairs(validation_pairs, cfg.eval_max_pairs, cfg.seed)
    teacher = CrossEncoderTeacher.from_base(cfg.base_model, max_seq_length=cfg.max_seq_length).to_device(str(device), precision=cfg.precision)
    if cfg.gradient_checkpointing == "on" or (cfg.gradient_checkpointing == "auto" and device.type == "cuda"):
        teacher.model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    objective = TeacherObjective(teacher)
    head_names = {name for name, _ in teacher.model.named_parameters() if name.startswith(("classifier.", "score.", "pre_classifier."))}
    body = [p for name, p in teacher.model.named_parameters() if name not in head_names]
    head = [p for name, p in teacher.model.named_parameters() if name in head_names]
    groups = [{"params": body, "lr": cfg.learning_rate, "weight_decay": cfg.weight_decay}, {"params": head, "lr": cfg.head_learning_rate, "weight_decay": 0.0}]

    def evaluate() -> dict[str, float]:
        logits = teacher_pair_logits(teacher, validation_chunks, validation_pairs)
        return {f"{task}_auc": value for task, value in task_aucs(logits, logits, validation_pairs).items()}

    task = TrainingTask(
        model=objective, parameter_groups=[group for group in groups if group["params"]],
        batches=TeacherBatches(pairs, chunks.texts, teacher.tokenize, batch_size=cfg.batch_size, num_steps=cfg.max_steps, seed=cfg.seed),
        evaluate=evaluate, samples_of=lambda batch: int(batch["labels"].shape[0]),
    )
    settings = LoopSettings(
        max_steps=cfg.max_steps, warmup_ratio=cfg.warmup_ratio, max_grad_norm=cfg.max_grad_norm, eval_steps=cfg.eval_steps,
        save_steps=cfg.save_steps, save_total_limit=cfg.save_total_limit, logging_steps=cfg.logging_steps, num_workers=cfg.num_workers,
        device=device, bf16=use_bf16(cfg.precision, device), fingerprint=fingerprint, progress=progress, should_stop=should_stop,
    )
    summary = run_training(task, settings, checkpoint_dir=checkpoint_dir, log_path=log_path)
    summary.update(train_pairs=len(pairs), device=str(device))
    return teacher, summary


def score_training_pairs(teacher: CrossEncoderTeacher, train_split: Any, *, batch_size: int = 32) -> np.ndarray:
    """Teacher logits for every pair of ``train_split``, in row order (the distillation targets)."""
    chunks, pairs = tables_from_split(train_split)
    return teacher_pair_logits(teacher, chunks, pairs, batch_size=batch_size)
