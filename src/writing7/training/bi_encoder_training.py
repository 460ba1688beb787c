"""Build and train the matcher (bi-encoder + pair head + style features) from pair-dataset splits.

``cfg`` is any object with the ``[train]`` fields (:mod:`writing7.training.process` says why not the config class).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from writing7.models.bi_encoder import BiEncoder
from writing7.models.matcher import MatcherModel
from writing7.models.pair_head import PairHead
from writing7.models.runtime import resolve_device, use_bf16
from writing7.models.style_features import StyleFeatureSettings, StyleFeaturizer, TextFeatures, pair_feature_tensor
from writing7.training.batches import ContrastiveBatches, DistillPairs
from writing7.training.data import ChunkTable, PairTable, tables_from_split
from writing7.training.distributed import DistributedContext, from_environment, start_process_group, stop_process_group, training_device
from writing7.training.evaluation import ValidationSet, sample_pairs
from writing7.training.frozen_prefix import FrozenPrefixCache, frozen_prefix_off_reason
from writing7.training.head_fit import fit_linear_head, partition_by_author, summarise_weights
from writing7.training.loop import LoopSettings, TrainingTask, run_training
from writing7.training.objective import ContrastiveObjective, LossWeights
from writing7.training.process import configure_process
from writing7.training.sampler import BookBatchSampler

logger = logging.getLogger(__name__)
SCALING_PAIRS = 20000  # training pairs whose classical features set the pair head's standardisation


def parameter_groups(objective: ContrastiveObjective, *, body_learning_rate: float, head_learning_rate: float, weight_decay: float) -> list[dict[str, Any]]:
    """AdamW groups: transformer body at ``body_learning_rate``, projection/heads at ``head_learning_rate``;
    no weight decay on biases and LayerNorm weights (the usual BERT recipe)."""
    groups: dict[tuple[bool, bool], list[torch.nn.Parameter]] = {(body, decay): [] for body in (True, False) for decay in (True, False)}
    for name, parameter in objective.named_parameters():
        if not parameter.requires_grad:
            continue
        body = name.startswith("encoder.transformer.")
        decay = parameter.ndim > 1
        groups[(body, decay)].append(parameter)
    return [
        {"params": params, "lr": body_learning_rate if body else head_learning_rate, "weight_decay": weight_decay if decay else 0.0}
        for (body, decay), params in groups.items() if params
    ]


def build_parts(cfg: Any, chunks: ChunkTable, pairs: PairTable) -> tuple[BiEncoder, PairHead, StyleFeaturizer | None, TextFeatures | None]:
    """A fresh encoder, a pair head standardised on training pairs, and the fitted style features."""
    encoder = BiEncoder.from_base(
        cfg.base_model, max_seq_length=cfg.max_seq_length, projection_dim=cfg.projection_dim, projection_layers=cfg.projection_layers,
        attention_dropout=cfg.attention_dropout, hidden_dropout=None if cfg.hidden_dropout < 0 else cfg.hidden_dropout,
    )
    encoder.freeze(embeddings=cfg.freeze_embeddings, layers=cfg.freeze_layers)
    featurizer = features = None
    if cfg.style_features:
        settings = StyleFeatureSettings(cfg.char_ngram_min, cfg.char_ngram_max, cfg.hashing_features)
        featurizer = StyleFeaturizer(settings)
        features = featurizer.fit_transform(chunks.texts)
    head = PairHead(
        encoder.embedding_dim, featurizer.num_pair_features if featurizer else 0, hidden=cfg.pair_head_hidden,
        dropout=cfg.pair_head_dropout, use_embedding_features=cfg.pair_head_embedding_features,
    )
    if features is not None:
        rows = sample_pairs(pairs, SCALING_PAIRS, cfg.seed)
        head.set_feature_scaling(pair_feature_tensor(features, rows.first, rows.second))
    return encoder, head, featurizer, features


def frozen_prefix_cache(cfg: Any, encoder: BiEncoder, device: torch.device, world_size: int) -> FrozenPrefixCache | None:
    """The cache of the frozen layers' output per training passage, where it gives the same training (logged either way)."""
    config = encoder.transformer.model.config
    dropouts = (
        getattr(config, "attention_probs_dropout_prob", getattr(config, "attention_dropout", 0.0)),
        getattr(config, "hidden_dropout_prob", getattr(config, "dropout", 0.0)),
    )
    max_bytes = int(cfg.frozen_layer_cache_gib * 2**30)
    reason = frozen_prefix_off_reason(frozen_layers=cfg.freeze_layers, dropouts=dropouts, device=device, world_size=world_size, max_bytes=max_bytes)
    if reason is not None:
        logger.info("frozen layers computed at every draw: %s", reason)
        return None
    logger.info("frozen layers: output kept per passage (up to %.1f GiB)", cfg.frozen_layer_cache_gib)
    return FrozenPrefixCache(encoder, cfg.freeze_layers, max_bytes=max_bytes)


def refit_head(matcher: MatcherModel, cfg: Any, head_fit_split: dict[str, list], encoder_authors: list[str]) -> dict[str, Any]:
    """Replace ``matcher.head`` by a linear head fitted on the held-out training authors; the fit's report."""
    head_chunks, head_pairs = tables_from_split(head_fit_split)
    held_out = len((set(head_fit_split["author1"]) | set(head_fit_split["author2"])) - set(encoder_authors))
    logger.info("fitting the pair head on %d pairs of %d held-out training authors", len(head_pairs), held_out)
    matcher.head, report = fit_linear_head(
        matcher, head_chunks, head_pairs, features=cfg.head_fit_features, inverse_regularisation=cfg.head_fit_inverse_regularisation,
    )
    report["held_out_authors"] = held_out
    logger.info("pair head weights: %s", summarise_weights(report))
    return report


def train_matcher(
    cfg: Any, train_split: Any, validation_split: Any, *, checkpoint_dir: Path, log_path: Path, fingerprint: str,
    teacher_logits: np.ndarray | None = None, progress: bool = False, should_stop: Callable[[int], bool] | None = None,
    distributed: DistributedContext | None = None,
) -> tuple[MatcherModel, dict[str, Any]]:
    """Train on ``train_split`` (a ``datasets.Dataset`` of pairs); ``teacher_logits`` (one per training pair) turns on distillation.

    ``distributed`` (default: read from ``torchrun``'s environment) shares each step over several processes:
    the global batch has ``authors_per_batch x world_size`` authors. Every rank returns the trained model;
    only rank 0's has the refitted pair head and the final evaluation (the others' ``summary["completed"]``
    still says whether training finished).
    """
    context = distributed or from_environment()
    device = training_device(context, resolve_device(cfg.device))
    created_group = start_process_group(context, device)
    try:
        return _train_matcher(cfg, train_split, validation_split, checkpoint_dir=checkpoint_dir, log_path=log_path, fingerprint=fingerprint,
                              teacher_logits=teacher_logits, progress=progress, should_stop=should_stop, context=context, device=device)
    finally:
        if created_group:
            stop_process_group()


def _train_matcher(
    cfg: Any, train_split: Any, validation_split: Any, *, checkpoint_dir: Path, log_path: Path, fingerprint: str,
    teacher_logits: np.ndarray | None, progress: bool, should_stop: Callable[[int], bool] | None, context: DistributedContext, device: torch.device,
) -> tuple[MatcherModel, dict[str, Any]]:
    configure_process(tf32=cfg.tf32, threads=cfg.threads, seed=cfg.seed)
    encoder_split, head_fit_split = partition_by_author(train_split, cfg.head_fit_author_ratio, cfg.seed)
    chunks, pairs = tables_from_split(encoder_split)
    validation_chunks, validation_pairs = tables_from_split(validation_split)
    validation_pairs = sample_pairs(validation_pairs, cfg.eval_max_pairs, cfg.seed)
    logger.info("training on %d chunks of %d books by %d authors", len(chunks), len(chunks.book_names), len(chunks.author_names))
    encoder, head, featurizer, features = build_parts(cfg, chunks, pairs)
    if cfg.gradient_checkpointing == "on" or (cfg.gradient_checkpointing == "auto" and device.type == "cuda"):
        encoder.enable_gradient_checkpointing()
    sampler = BookBatchSampler(
        chunks.books, chunks.authors, chunks.neighbours, authors_per_batch=cfg.authors_per_batch * context.world_size,
        books_per_author=cfg.books_per_author, chunks_per_book=cfg.chunks_per_book, hard_negative_fraction=cfg.hard_negative_fraction, seed=cfg.seed,
    )
    distill = None
    if teacher_logits is not None:
        distill = DistillPairs(pairs.first, pairs.second, np.asarray(teacher_logits, dtype=np.float32))
    batches = ContrastiveBatches(
        sampler, chunks, encoder.tokenize(chunks.texts), features, pad_id=encoder.tokenizer.pad_token_id or 0, num_steps=cfg.max_steps,
        distill=distill, distill_pairs_per_batch=cfg.distill_pairs_per_batch * context.world_size, rank=context.rank, world_size=context.world_size,
    )
    weights = LossWeights(
        cfg.book_loss_weight, cfg.author_loss_weight, cfg.pair_loss_weight, cfg.topic_adversary_weight,
        cfg.topic_independence_weight, cfg.distill_weight if distill is not None else 0.0,
    )
    objective = ContrastiveObjective(
        encoder, head, weights, temperature=cfg.temperature, author_temperature=cfg.author_temperature,
        num_topics=int(chunks.topics.max()) + 1, topic_reversal_scale=cfg.topic_reversal_scale, distill_temperature=cfg.distill_temperature,
        rank=context.rank, frozen_prefix=frozen_prefix_cache(cfg, encoder, device, context.world_size),
    )
    if context.rank:  # dropout masks differ between ranks (weights are identical: DDP broadcasts rank 0's)
        torch.manual_seed(cfg.seed + context.rank)
    bf16 = use_bf16(cfg.precision, device)
    # validation encodes with the encoder being trained: float (never a quantized copy that training would leave stale)
    matcher = MatcherModel(encoder, head, featurizer, info={}, device=str(device), precision="bf16" if bf16 else "fp32")
    validation = ValidationSet(matcher, validation_chunks, validation_pairs)
    task = TrainingTask(
        model=objective,
        parameter_groups=parameter_groups(objective, body_learning_rate=cfg.learning_rate, head_learning_rate=cfg.head_learning_rate, weight_decay=cfg.weight_decay),
        batches=batches,
        evaluate=validation.evaluate,
        samples_of=lambda batch: int(batch["text_counts"].sum()),  # texts of the global batch
    )
    settings = LoopSettings(
        max_steps=cfg.max_steps, warmup_ratio=cfg.warmup_ratio, max_grad_norm=cfg.max_grad_norm, eval_steps=cfg.eval_steps,
        save_steps=cfg.save_steps, save_total_limit=cfg.save_total_limit, logging_steps=cfg.logging_steps, num_workers=cfg.num_workers,
        device=device, bf16=bf16, fingerprint=fingerprint, progress=progress, should_stop=should_stop, distributed=context,
    )
    summary = run_training(task, settings, checkpoint_dir=checkpoint_dir, log_path=log_path)
    if objective.frozen_prefix is not None:
        summary["frozen_layer_cache"] = objective.frozen_prefix.summary()
    if head_fit_split is not None and summary["completed"] and context.is_main:
        summary["head_fit"] = refit_head(matcher, cfg, head_fit_split, chunks.author_names)
        summary["in_batch_head_evaluation"] = summary["final_evaluation"]
        summary["final_evaluation"] = validation.rescore()  # the loop evaluated after its last step: same encoder
        logger.info("validation after the head fit: %s", ", ".join(f"{name} {value:.4f}" for name, value in summary["final_evaluation"].items()))
    summary.update(
        train_chunks=len(chunks), train_books=len(chunks.book_names), train_authors=len(chunks.author_names),
        batch_size=cfg.batch_size * context.world_size, batch_size_per_process=cfg.batch_size, bf16=bf16, device=str(device),
    )
    matcher.info.update(base_model=cfg.base_model, training=summary)
    return matcher, summary
