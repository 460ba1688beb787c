"""Stages ``train`` (the bi-encoder matcher) and ``train-teacher`` (the cross-encoder teacher).

``train`` reads ``data/processed`` and writes ``models/book_matcher_contrastive/final`` (a
SentenceTransformer folder + pair head + style features + ``writing7_model.json`` + the training log +
``manifest.json``); resumable checkpoints live in ``models/book_matcher_contrastive/checkpoints/`` and
the live log in ``models/book_matcher_contrastive/training_log.jsonl``. A killed run resumes from its
newest checkpoint when started again with the same settings; ``--force`` starts over. Once the final
model is saved, ``keep_checkpoints`` (none | last | all) says which checkpoints stay.
``train-teacher`` does the same for ``models/book_matcher/final``. With ``distill_from_cross`` the
teacher is trained first when absent, then scores every training pair once.

Under ``torchrun --nproc_per_node N`` ``train`` runs as N processes (see
:mod:`writing7.training.distributed`): all of them train, rank 0 alone writes the model folder (whose
``writing7_model.json`` and manifest record ``world_size``) and returns its manifest; the others return
None. A checkpoint is resumed only by the same number of processes.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

from writing7.artifacts import ArtifactLayout, Manifest, atomic_directory, finish, hash_config, hash_tree, is_current, require_input
from writing7.errors import UserFacingError
from writing7.progress import progress_disabled
from writing7.config.train import TeacherConfig, TrainConfig

logger = logging.getLogger(__name__)
# Settings that change how often things happen or where they run, not what is learned: a checkpoint
# written under other values of these is still resumed from.
CADENCE_FIELDS = ("eval_steps", "eval_max_pairs", "save_steps", "save_total_limit", "keep_checkpoints", "logging_steps", "num_workers", "threads", "device")
LOG_NAME = "training_log.jsonl"


def training_fingerprint(config: dict[str, Any], inputs: dict[str, str]) -> str:
    """Hash of what determines the trained weights: config without cadence fields, and the input hashes."""
    return hash_config({"config": {k: v for k, v in config.items() if k not in CADENCE_FIELDS}, "inputs": inputs})


def load_splits(processed: Path) -> Any:
    from datasets import load_from_disk

    dataset = load_from_disk(str(processed))
    missing = [name for name in ("train", "validation") if name not in dataset]
    if missing:
        raise ValueError(f"{processed} lacks split(s) {', '.join(missing)}: re-run `writing7 prepare`")
    return dataset


def run(cfg: TrainConfig, *, artifacts: Path, force: bool = False, teacher_cfg: TeacherConfig | None = None, should_stop: Any = None) -> Manifest | None:
    """Train the matcher under ``artifacts`` (skipped when its manifest is current); None on ranks other than 0."""
    layout = ArtifactLayout(Path(artifacts))
    processed = require_input(layout.processed, stage="prepare", what="prepared pair data (data/processed)")
    inputs = {"processed": hash_tree(processed)}
    from writing7.training.distributed import from_environment  # imports torch: only when training

    context = from_environment()
    if cfg.distill_from_cross:
        if context.enabled and not is_current(layout.teacher, stage="train-teacher", config=(teacher_cfg or TeacherConfig()).to_dict(), inputs=inputs):
            raise ValueError("distillation under torchrun needs a current teacher: run `writing7 train-teacher` (one process) first")
        run_teacher(teacher_cfg or TeacherConfig(), artifacts=artifacts)  # a no-op when the teacher is current
        inputs["teacher"] = hash_tree(layout.teacher)
    output = layout.bi_encoder
    if not force and is_current(output, stage="train", config=cfg.to_dict(), inputs=inputs):
        logger.info("train: skipped (current) %s", output)
        return Manifest.load(output) if context.is_main else None
    checkpoints, log_path = output.parent / "checkpoints", output.parent / LOG_NAME
    if force:
        shutil.rmtree(checkpoints, ignore_errors=True)
    dataset = load_splits(processed)
    teacher_logits = _teacher_scores(layout, dataset["train"], cfg) if cfg.distill_from_cross else None
    from writing7.training.bi_encoder_training import train_matcher

    matcher, summary = train_matcher(
        cfg, dataset["train"], dataset["validation"], checkpoint_dir=checkpoints, log_path=log_path,
        fingerprint=training_fingerprint(cfg.to_dict(), inputs), teacher_logits=teacher_logits,
        progress=not progress_disabled(), should_stop=should_stop,
    )
    if not summary["completed"]:
        raise UserFacingError(f"training stopped at step {summary['steps']} of {cfg.max_steps}: run `writing7 train` again to resume")
    if not context.is_main:
        return None  # rank 0 saves the model
    with atomic_directory(output) as temporary:
        matcher.save(temporary, training_summary=summary)
        shutil.copyfile(log_path, temporary / LOG_NAME)
        manifest = finish(temporary, stage="train", config=cfg.to_dict(), inputs=inputs, stats=summary)
    logger.info("train: wrote %s", output)
    _prune_checkpoints(checkpoints, keep=cfg.keep_checkpoints)  # only now: the final model is safely in place
    return manifest


def run_teacher(cfg: TeacherConfig, *, artifacts: Path, force: bool = False, should_stop: Any = None) -> Manifest:
    """Train the cross-encoder teacher under ``artifacts`` (skipped when current)."""
    layout = ArtifactLayout(Path(artifacts))
    processed = require_input(layout.processed, stage="prepare", what="prepared pair data (data/processed)")
    inputs = {"processed": hash_tree(processed)}
    output = layout.teacher
    if not force and is_current(output, stage="train-teacher", config=cfg.to_dict(), inputs=inputs):
        logger.info("train-teacher: skipped (current) %s", output)
        return Manifest.load(output)
    checkpoints, log_path = output.parent / "checkpoints", output.parent / LOG_NAME
    if force:
        shutil.rmtree(checkpoints, ignore_errors=True)
    dataset = load_splits(processed)
    from writing7.training.teacher_training import train_teacher

    teacher, summary = train_teacher(
        cfg, dataset["train"], dataset["validation"], checkpoint_dir=checkpoints, log_path=log_path,
        fingerprint=training_fingerprint(cfg.to_dict(), inputs), progress=not progress_disabled(), should_stop=should_stop,
    )
    if not summary["completed"]:
        raise UserFacingError(f"teacher training stopped at step {summary['steps']} of {cfg.max_steps}: run `writing7 train-teacher` again to resume")
    with atomic_directory(output) as temporary:
        teacher.save(temporary, training_summary=summary)
        shutil.copyfile(log_path, temporary / LOG_NAME)
        manifest = finish(temporary, stage="train-teacher", config=cfg.to_dict(), inputs=inputs, stats=summary)
    logger.info("train-teacher: wrote %s", output)
    _prune_checkpoints(checkpoints, keep=cfg.keep_checkpoints)
    return manifest


def _prune_checkpoints(checkpoints: Path, *, keep: str) -> None:
    from writing7.training.checkpoint import prune_checkpoints  # imports torch: only once training is done

    prune_checkpoints(checkpoints, keep=keep)


def _teacher_scores(layout: ArtifactLayout, train_split: Any, cfg: TrainConfig) -> Any:
    from writing7.models.cross_encoder import CrossEncoderTeacher
    from writing7.training.teacher_training import score_training_pairs

    teacher = CrossEncoderTeacher.load(layout.teacher, device=None if cfg.device == "auto" else cfg.device, precision=cfg.precision)
    logger.info("train: scoring %d training pairs with the teacher for distillation", len(train_split))
    return score_training_pairs(teacher, train_split)
