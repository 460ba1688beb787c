"""Stages ``train`` (the bi-encoder matcher) and ``train-teacher`` (the cross-encoder teacher).

``train`` reads ``data/processed`` and writes ``models/book_matcher_contrastive/final`` (a
SentenceTransformer folder + pair head + style features + ``writing7_model.json`` + the training log +
``manifest.json``); resumable checkpoints live in ``models/book_matcher_contrastive/checkpoints/`` and
the live log in ``models/book_matcher_contrastive/training_log.jsonl``. A killed run resumes from its
newest checkpoint when started again with the same settings; ``--force`` starts over. Once the final
model is saved, ``keep_checkpoints`` (none | last | all) says which checkpoints stay.
``train-teacher`` does the same for ``models/book_matcher/final`` (one skeleton, :func:`_train`). With
``distill_from_cross`` the teacher scores every training pair once; :func:`ensure_teacher`, called by the
``train`` command, the pipeline and Modal before :func:`run`, trains it first when absent or stale.

Under ``torchrun --nproc_per_node N`` ``train`` runs as N processes (see
:mod:`writing7.training.distributed`): all of them train, rank 0 alone writes the model folder (whose
``writing7_model.json`` and manifest record ``world_size``) and returns its manifest; the others' result
has none. A checkpoint is resumed only by the same number of processes.
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from writing7.artifacts import ArtifactLayout, Manifest, atomic_directory, finish, hash_config, hash_tree, is_current, require_input
from writing7.errors import TrainingStoppedError
from writing7.progress import progress_disabled
from writing7.config.train import TeacherConfig, TrainConfig
from writing7.stages import StageResult, format_number

logger = logging.getLogger(__name__)
# Settings that change how often things happen or where they run, not what is learned: a checkpoint
# written under other values of these is still resumed from.
CADENCE_FIELDS = ("eval_steps", "eval_max_pairs", "save_steps", "save_total_limit", "keep_checkpoints", "logging_steps", "num_workers", "threads", "device",
                  "frozen_layer_cache_gib")
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


@dataclasses.dataclass(frozen=True)
class TrainingJob:
    """What differs between training the matcher and the teacher; the skeleton (:func:`_train`) is the same."""

    stage: str  # "train" | "train-teacher"
    output: Path  # the model folder (final/)
    inputs: dict[str, str]
    train: Callable[..., tuple[Any, dict[str, Any]]]  # (cfg, train split, validation split, **loop arguments) -> (model, summary)


def _train(cfg: Any, job: TrainingJob, *, processed: Path, force: bool, should_stop: Any, is_main: bool = True) -> StageResult:
    """Skip when current; else train (resuming from a checkpoint), save the model and its manifest atomically, prune."""
    if not force and is_current(job.output, stage=job.stage, config=cfg.to_dict(), inputs=job.inputs):
        logger.info("%s: skipped (current) %s", job.stage, job.output)
        manifest = Manifest.load(job.output) if is_main else None
        return StageResult(job.stage, manifest, ran=False, summary=summary_line(manifest.stats) if manifest else "")
    checkpoints, log_path = job.output.parent / "checkpoints", job.output.parent / LOG_NAME
    if force:
        shutil.rmtree(checkpoints, ignore_errors=True)
    dataset = load_splits(processed)
    model, summary = job.train(
        cfg, dataset["train"], dataset["validation"], checkpoint_dir=checkpoints, log_path=log_path,
        fingerprint=training_fingerprint(cfg.to_dict(), job.inputs), progress=not progress_disabled(), should_stop=should_stop,
    )
    if not summary["completed"]:
        raise TrainingStoppedError(f"{'teacher training' if job.stage == 'train-teacher' else 'training'} stopped at step "
                                   f"{summary['steps']} of {cfg.max_steps}: run `writing7 {job.stage}` again to resume")
    if not is_main:
        return StageResult(job.stage, None, ran=True)  # rank 0 saves the model
    with atomic_directory(job.output) as temporary:
        model.save(temporary, training_summary=summary)
        shutil.copyfile(log_path, temporary / LOG_NAME)
        manifest = finish(temporary, stage=job.stage, config=cfg.to_dict(), inputs=job.inputs, stats=summary)
    logger.info("%s: wrote %s", job.stage, job.output)
    _prune_checkpoints(checkpoints, keep=cfg.keep_checkpoints)  # only now: the final model is safely in place
    return StageResult(job.stage, manifest, ran=True, summary=summary_line(summary))


def summary_line(stats: dict[str, Any]) -> str:
    """``200 steps, 41.2 samples/s, validation AUC book 0.912, author 0.801``: a training stage's one line."""
    validation = stats.get("final_evaluation") or {}
    aucs = ", ".join(f"{task} {format_number(validation[f'{task}_auc'])}" for task in ("book", "author") if f"{task}_auc" in validation)
    return f"{stats.get('steps')} steps, {format_number(stats.get('samples_per_second'))} samples/s" + (f", validation AUC {aucs}" if aucs else "")


def _processed_input(layout: ArtifactLayout) -> tuple[Path, dict[str, str]]:
    processed = require_input(layout.processed, stage="prepare", what="prepared pair data (data/processed)")
    return processed, {"processed": hash_tree(processed)}


def run(cfg: TrainConfig, *, artifacts: Path, force: bool = False, should_stop: Any = None) -> StageResult:
    """Train the matcher under ``artifacts`` (skipped when its manifest is current).

    With ``distill_from_cross`` the teacher must be there (:func:`ensure_teacher` trains it first); its
    scores of every training pair are the distillation targets. Under torchrun every rank trains and
    rank 0 alone saves: the others' result has no manifest.
    """
    layout = ArtifactLayout(Path(artifacts))
    processed, inputs = _processed_input(layout)
    if cfg.distill_from_cross:
        inputs["teacher"] = hash_tree(require_input(layout.teacher, stage="train-teacher", what="cross-encoder teacher (distill_from_cross)"))
    from writing7.training.bi_encoder_training import train_matcher  # imports torch: only when training
    from writing7.training.distributed import from_environment

    def train(cfg: TrainConfig, train_split: Any, validation_split: Any, **loop: Any) -> tuple[Any, dict[str, Any]]:
        teacher_logits = _teacher_scores(layout, train_split, cfg) if cfg.distill_from_cross else None
        return train_matcher(cfg, train_split, validation_split, teacher_logits=teacher_logits, **loop)

    job = TrainingJob("train", layout.bi_encoder, inputs, train)
    return _train(cfg, job, processed=processed, force=force, should_stop=should_stop, is_main=from_environment().is_main)


def run_teacher(cfg: TeacherConfig, *, artifacts: Path, force: bool = False, should_stop: Any = None) -> StageResult:
    """Train the cross-encoder teacher under ``artifacts`` (skipped when current)."""
    layout = ArtifactLayout(Path(artifacts))
    processed, inputs = _processed_input(layout)
    from writing7.training.teacher_training import train_teacher  # imports torch: only when training

    return _train(cfg, TrainingJob("train-teacher", layout.teacher, inputs, train_teacher), processed=processed, force=force,
                  should_stop=should_stop)


def ensure_teacher(cfg: TeacherConfig, *, artifacts: Path, force: bool = False) -> StageResult:
    """The one place that trains the teacher for distillation (``train --distill-from-cross``, the pipeline, Modal):
    :func:`run_teacher`, a no-op when current. Under torchrun N processes must not train it N times: a stale or
    missing teacher is refused there."""
    from writing7.training.distributed import from_environment

    layout = ArtifactLayout(Path(artifacts))
    if from_environment().enabled:
        _, inputs = _processed_input(layout)
        if force or not is_current(layout.teacher, stage="train-teacher", config=cfg.to_dict(), inputs=inputs):
            raise ValueError("distillation under torchrun needs a current teacher: run `writing7 train-teacher` (one process) first")
        manifest = Manifest.load(layout.teacher)
        return StageResult("train-teacher", manifest, ran=False, summary=summary_line(manifest.stats))
    return run_teacher(cfg, artifacts=artifacts, force=force)


def _prune_checkpoints(checkpoints: Path, *, keep: str) -> None:
    from writing7.training.checkpoint import prune_checkpoints  # imports torch: only once training is done

    prune_checkpoints(checkpoints, keep=keep)


def _teacher_scores(layout: ArtifactLayout, train_split: Any, cfg: TrainConfig) -> Any:
    from writing7.models.cross_encoder import CrossEncoderTeacher
    from writing7.training.teacher_training import score_training_pairs

    teacher = CrossEncoderTeacher.load(layout.teacher, device=None if cfg.device == "auto" else cfg.device, precision=cfg.precision)
    logger.info("train: scoring %d training pairs with the teacher for distillation", len(train_split))
    return score_training_pairs(teacher, train_split)
