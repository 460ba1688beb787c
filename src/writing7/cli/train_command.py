"""`writing7 train` (bi-encoder matcher) and `writing7 train-teacher` (cross-encoder teacher)."""

from __future__ import annotations

from pathlib import Path

import typer

from writing7.artifacts import ArtifactLayout
from writing7.cli import app
from writing7.cli.common import ARTIFACTS, user_errors

CONFIG = typer.Option(None, "--config", help="TOML file with [train] and [teacher] tables.")
BASE_MODEL = typer.Option(None, "--base-model", help="Base encoder: HF id or local folder (default: packaged all-MiniLM-L6-v2).")
MAX_STEPS = typer.Option(None, "--max-steps", help="Optimiser steps.")
LEARNING_RATE = typer.Option(None, "--learning-rate", help="Peak learning rate of the transformer body.")
DEVICE = typer.Option(None, "--device", help="auto, cpu, cuda or cuda:N.")
PRECISION = typer.Option(None, "--precision", help="auto, bf16 or fp32.")
SEED = typer.Option(None, "--seed", help="Seed for batches, initialisation and dropout.")
EVAL_STEPS = typer.Option(None, "--eval-steps", help="Evaluate every N steps (0 = at the end only).")
SAVE_STEPS = typer.Option(None, "--save-steps", help="Checkpoint every N steps (0 = never).")
NUM_WORKERS = typer.Option(None, "--num-workers", help="DataLoader worker processes.")
THREADS = typer.Option(None, "--threads", help="torch CPU threads (0 = torch's default; 1 is faster on a busy machine).")
FORCE = typer.Option(False, "--force", help="Retrain from scratch even when the model is current (drops checkpoints).")


def _echo_summary(kind: str, path: Path, stats: dict) -> None:
    evaluation = stats.get("final_evaluation") or {}
    metrics = "  ".join(f"{name} {value:.3f}" for name, value in evaluation.items())
    typer.echo(f"{kind}: {path}  ({stats.get('steps')} steps, {stats.get('wall_seconds')} s, {stats.get('samples_per_second')} samples/s)")
    if metrics:
        typer.echo(f"validation: {metrics}")


@app.command("train")
@user_errors
def train(
    artifacts: Path = ARTIFACTS, config: Path = CONFIG, base_model: str = BASE_MODEL, max_steps: int = MAX_STEPS,
    max_seq_length: int = typer.Option(None, "--max-seq-length", help="Tokens per passage."),
    learning_rate: float = LEARNING_RATE,
    temperature: float = typer.Option(None, "--temperature", help="SupCon temperature over book labels."),
    authors_per_batch: int = typer.Option(None, "--authors-per-batch", help="Authors per batch."),
    books_per_author: int = typer.Option(None, "--books-per-author", help="Books per author per batch."),
    chunks_per_book: int = typer.Option(None, "--chunks-per-book", help="Chunks per book per batch (>= 2)."),
    style_features: bool = typer.Option(None, "--style-features/--no-style-features", help="Classical pair features in the pair head."),
    topic_adversary_weight: float = typer.Option(None, "--topic-adversary-weight", help="Topic adversary weight (0 = off)."),
    distill_from_cross: bool = typer.Option(None, "--distill-from-cross/--no-distill-from-cross", help="Distil the cross-encoder teacher (trained first if absent)."),
    device: str = DEVICE, precision: str = PRECISION, seed: int = SEED, eval_steps: int = EVAL_STEPS, save_steps: int = SAVE_STEPS,
    num_workers: int = NUM_WORKERS, threads: int = THREADS, force: bool = FORCE,
) -> None:
    """Train the contrastive bi-encoder and its pair head on data/processed (resumes after a kill)."""
    from writing7.config.train import TeacherConfig, TrainConfig
    from writing7.stages.train import ensure_teacher, run

    cfg = TrainConfig.load(
        config, base_model=base_model, max_steps=max_steps, max_seq_length=max_seq_length, learning_rate=learning_rate,
        temperature=temperature, authors_per_batch=authors_per_batch, books_per_author=books_per_author, chunks_per_book=chunks_per_book,
        style_features=style_features, topic_adversary_weight=topic_adversary_weight, distill_from_cross=distill_from_cross,
        device=device, precision=precision, seed=seed, eval_steps=eval_steps, save_steps=save_steps, num_workers=num_workers,
        threads=threads,
    )
    layout = ArtifactLayout.from_env(artifacts)
    if cfg.distill_from_cross:  # the teacher first, when absent or stale
        ensure_teacher(TeacherConfig.load(config, device=device, precision=precision, threads=threads), artifacts=layout.root)
    result = run(cfg, artifacts=layout.root, force=force)
    if result.manifest is not None:  # none on torchrun ranks other than 0: rank 0 saves and reports
        _echo_summary("model", layout.bi_encoder, result.stats)


@app.command("train-teacher")
@user_errors
def train_teacher(
    artifacts: Path = ARTIFACTS, config: Path = CONFIG, base_model: str = BASE_MODEL, max_steps: int = MAX_STEPS,
    max_seq_length: int = typer.Option(None, "--max-seq-length", help="Tokens of a pair (both passages)."),
    batch_size: int = typer.Option(None, "--batch-size", help="Pairs per batch."),
    learning_rate: float = LEARNING_RATE, device: str = DEVICE, precision: str = PRECISION, seed: int = SEED,
    eval_steps: int = EVAL_STEPS, save_steps: int = SAVE_STEPS, num_workers: int = NUM_WORKERS, threads: int = THREADS,
    force: bool = FORCE,
) -> None:
    """Train the cross-encoder teacher (same-book logit of a pair read jointly) on data/processed."""
    from writing7.config.train import TeacherConfig
    from writing7.stages.train import run_teacher

    cfg = TeacherConfig.load(
        config, base_model=base_model, max_steps=max_steps, max_seq_length=max_seq_length, batch_size=batch_size,
        learning_rate=learning_rate, device=device, precision=precision, seed=seed, eval_steps=eval_steps,
        save_steps=save_steps, num_workers=num_workers, threads=threads,
    )
    layout = ArtifactLayout.from_env(artifacts)
    result = run_teacher(cfg, artifacts=layout.root, force=force)
    _echo_summary("teacher", layout.teacher, result.stats)
