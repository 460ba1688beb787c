"""Stage ``prepare``: ``CORPUS/{author}/{title}.txt`` -> ``artifacts/data/processed`` (pair ``DatasetDict``).

Stage A (:func:`writing7.prepare.chunking.chunk_books`) reads and chunks every book; stage B
(:func:`writing7.prepare.dataset.build_dataset`) dedups, mines neighbour books, assigns topics,
splits by author and draws pairs. The output directory holds the ``DatasetDict`` (``save_to_disk``)
and ``manifest.json`` with the resolved config, hashes of the books read and of the embedding model,
and the stats (books, passages, dedup, pairs per type per split, seconds and peak RSS per phase,
embedding dtype). An unchanged corpus, model and config skip the stage unless ``force``.

With ``force_sharded`` (or ``auto_shard`` on a big corpus) stage A runs as Ray tasks instead
(:func:`writing7.prepare.sharding.chunk_books_sharded`, docs/ray.md); stage B is unchanged, so the
dataset is the same. :func:`run` is :func:`read_inputs`, :func:`current_manifest`, stage A and
:func:`build_and_save`; a driver that runs stage A elsewhere (the Modal app, docs/modal.md) calls the
same three around its own fan-out.

``corpus`` may be several folders read as one (``prepare --corpus A --corpus B``); each folder's
authors are split on their own (:func:`writing7.prepare.splits.split_authors_by_corpus`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import logging
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import datasets

from writing7.artifacts import ArtifactLayout, Manifest, atomic_directory, finish, hash_tree, is_current, require_input
from writing7.progress import progress_disabled
from writing7.config.prepare import PrepareConfig
from writing7.corpus import BookFile, corpus_folders, discover_corpora, first_corpus_of_authors
from writing7.models.bi_encoder import resolve_base_model
from writing7.prepare.chunking import BookChunks, chunk_books, select_books
from writing7.prepare.dataset import build_dataset
from writing7.prepare.phases import PhaseTimer
from writing7.prepare.sharding import chunk_books_sharded, remove_shards, use_sharding
from writing7.stages import StageResult

logger = logging.getLogger(__name__)
STAGE = "prepare"


def hash_books(books: Sequence[BookFile]) -> str:
    """SHA-256 over (book id, bytes) of exactly the books prepare reads."""
    digest = hashlib.sha256()
    for book in books:
        digest.update(book.book_id.encode("utf-8") + b"\0" + hashlib.sha256(book.path.read_bytes()).digest())
    return digest.hexdigest()


def hash_model(name_or_path: str) -> str:
    """Hash of a local model folder; a hub id (not a folder) is recorded by name."""
    path = Path(resolve_base_model(name_or_path))
    return hash_tree(path) if path.exists() else f"name:{name_or_path}"


@contextlib.contextmanager
def _datasets_progress() -> Iterator[None]:
    """``datasets``' own progress bars follow ours: off when not a terminal or with ``--quiet``."""
    enabled = datasets.is_progress_bar_enabled()
    if progress_disabled():
        datasets.disable_progress_bars()
    try:
        yield
    finally:
        if enabled:
            datasets.enable_progress_bars()


def _chunk(
    books: Sequence[BookFile], cfg: PrepareConfig, *, layout: ArtifactLayout, corpus_hash: str, timer: PhaseTimer
) -> tuple[list[BookChunks], dict[str, Any] | None]:
    """Stage A in this process (a process pool), or in Ray tasks when sharding is on (then with its stats)."""
    if use_sharding(cfg, len(books)):
        return chunk_books_sharded(books, cfg, directory=layout.shards, corpus_hash=corpus_hash, timer=timer)
    with timer.phase("chunk"):
        return chunk_books(books, cfg), None


@dataclasses.dataclass(frozen=True)
class PrepareInputs:
    """What one prepare reads: the books, the hashes that decide whether its output is current, where it writes."""

    books: list[BookFile]
    hashes: dict[str, str]  # {"corpus": ..., "embed_model": ...}, recorded in the manifest
    layout: ArtifactLayout
    corpus: tuple[Path, ...]  # the corpus folders, read as one
    corpus_of_author: dict[str, int] = dataclasses.field(default_factory=dict)  # author -> first folder holding them

    @property
    def output(self) -> Path:
        return self.layout.processed


def read_inputs(cfg: PrepareConfig, *, corpus: Path | Sequence[Path], artifacts: Path) -> PrepareInputs:
    """The books of ``corpus`` (one folder or several) that ``cfg`` selects, hashed with the embedding model (fails
    when a corpus folder is missing)."""
    folders = tuple(require_input(folder, stage="ingest", what="corpus directory") for folder in corpus_folders(corpus))
    layout = ArtifactLayout(Path(artifacts))
    books = select_books(discover_corpora(folders), cfg.max_books)
    corpus_of_author = first_corpus_of_authors(folders)
    hashes = {"corpus": hash_books(books), "embed_model": hash_model(cfg.embed_model)}
    if len(folders) > 1:  # the split depends on which folder each author came from
        hashes["corpus_folders"] = hashlib.sha256(repr(sorted(corpus_of_author.items())).encode()).hexdigest()
    return PrepareInputs(books=books, hashes=hashes, layout=layout, corpus=folders, corpus_of_author=corpus_of_author)


def current_manifest(cfg: PrepareConfig, inputs: PrepareInputs) -> Manifest | None:
    """The output's manifest when it is current for these inputs and config (logged as skipped), else None."""
    if not is_current(inputs.output, stage=STAGE, config=cfg.to_dict(), inputs=inputs.hashes):
        return None
    logger.info("prepare: skipped (current): %s", inputs.output)
    return Manifest.load(inputs.output)


def build_and_save(
    book_chunks: Sequence[BookChunks], cfg: PrepareConfig, inputs: PrepareInputs, *, timer: PhaseTimer,
    sharding: dict[str, Any] | None = None,
) -> Manifest:
    """Stage B on stage A's books, then the dataset and its manifest into ``data/processed`` (atomically).

    ``sharding`` (stats of a sharded stage A) is recorded in the manifest, and the shard files are
    removed once the dataset is safely written.
    """
    dataset, stats = build_dataset(book_chunks, cfg, timer=timer, corpus_of_author=inputs.corpus_of_author)
    if sharding is not None:
        stats["sharding"] = sharding
    with atomic_directory(inputs.output) as temporary:
        with timer.phase("save"), _datasets_progress():
            dataset.save_to_disk(str(temporary))
        stats.update(timer.to_dict())
        manifest = finish(temporary, stage=STAGE, config=cfg.to_dict(), inputs=inputs.hashes, stats=stats)
    if sharding is not None:
        remove_shards(inputs.layout.shards)
    logger.info("prepare: %s", summary_line(stats))
    return manifest


def summary_line(stats: dict[str, Any]) -> str:
    """``train 480 pairs, validation 60 pairs, test 72 pairs``: the stage's one line."""
    return ", ".join(f"{split} {info['pairs']} pairs" for split, info in stats["splits"].items())


def run(cfg: PrepareConfig, *, corpus: Path | Sequence[Path], artifacts: Path, force: bool = False) -> StageResult:
    """Prepare the pair dataset from ``corpus`` (one folder or several) into ``artifacts/data/processed``."""
    inputs = read_inputs(cfg, corpus=corpus, artifacts=artifacts)
    manifest = None if force else current_manifest(cfg, inputs)
    if manifest is not None:
        return StageResult(STAGE, manifest, ran=False, summary=summary_line(manifest.stats))
    logger.info("prepare: %d books from %s", len(inputs.books), ", ".join(str(folder) for folder in inputs.corpus))
    timer = PhaseTimer()
    book_chunks, sharding = _chunk(inputs.books, cfg, layout=inputs.layout, corpus_hash=inputs.hashes["corpus"], timer=timer)
    manifest = build_and_save(book_chunks, cfg, inputs, timer=timer, sharding=sharding)
    return StageResult(STAGE, manifest, ran=True, summary=summary_line(manifest.stats))
