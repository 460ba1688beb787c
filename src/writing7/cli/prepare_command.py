"""``writing7 prepare --corpus DIR --artifacts DIR``: build the pair dataset ``artifacts/data/processed``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from writing7.artifacts import ArtifactLayout
from writing7.cli import app
from writing7.cli.common import user_errors
from writing7.config.prepare import PrepareConfig


def _summary(stats: dict[str, Any]) -> list[str]:
    dedup = stats["dedup"]
    lines = [
        f"books: {stats['books_used']} used of {stats['books_found']} ({stats['books_skipped']} skipped); "
        f"passages: {stats['chunks_kept']} kept, {stats['chunks_dropped_by_filter']} dropped by the filters, "
        f"{dedup['dropped_shared']} by dedup; embeddings in {stats['embedding']['dtype']}",
    ]
    for split, info in stats["splits"].items():
        kinds = ", ".join(f"{name} {count}" for name, count in info["pair_types"].items())
        lines.append(f"{split}: {info['authors']} authors, {info['books']} books, {info['pairs']} pairs ({kinds})")
    seconds = stats.get("seconds", {})
    sharding = stats.get("sharding")
    if sharding:
        lines.append(f"shards: {sharding['shards']} ({sharding['computed']} computed, {sharding['reused']} reused)")
    lines.append("seconds: " + ", ".join(f"{phase} {value:.1f}" for phase, value in seconds.items()))
    return lines


@app.command("prepare")
@user_errors
def prepare(
    corpus: list[Path] = typer.Option(..., "--corpus", help="Folder of raw books laid out as AUTHOR/TITLE.txt; repeat it to read several "
                                      "folders as one corpus (each folder's authors are split on their own)."),
    artifacts: Path | None = typer.Option(None, "--artifacts", help="Artifacts root (default: $WRITING7_ARTIFACTS or ./artifacts)."),
    config: Path | None = typer.Option(None, "--config", help="TOML file; its [prepare] table sets defaults."),
    force: bool = typer.Option(False, "--force", help="Redo even when the output is current."),
    chunk_size: int | None = typer.Option(None, "--chunk-size", help="Sentences per passage (default 10, about 190 words)."),
    overlap: int | None = typer.Option(None, "--overlap", help="Step in sentences between passage starts (default 5)."),
    max_chunks_per_book: int | None = typer.Option(None, "--max-chunks-per-book", help="Passages sampled per book (default 64)."),
    num_chunks_for_embed: int | None = typer.Option(None, "--num-chunks-for-embed", help="Passages embedded per book for its centroid (default 12)."),
    num_hard_negative_books: int | None = typer.Option(None, "--num-hard-negative-books", help="Neighbour books (other authors) per book for hard negatives (default 10)."),
    n_positive_per_book: int | None = typer.Option(None, "--n-positive-per-book", help="Same-book pairs per book (default from [prepare])."),
    n_negative_per_book: int | None = typer.Option(None, "--n-negative-per-book", help="Other-author pairs per book (default from [prepare])."),
    n_same_author_per_book: int | None = typer.Option(None, "--n-same-author-per-book", help="Same-author, other-book pairs per book (default from [prepare])."),
    train_ratio: float | None = typer.Option(None, "--train-ratio", help="Share of authors in train (default from [prepare])."),
    val_ratio: float | None = typer.Option(None, "--val-ratio", help="Share of authors in validation (default from [prepare]); test gets the rest."),
    seed: int | None = typer.Option(None, "--seed", help="Seed of every sample, split and shuffle (default 42)."),
    embed_model: str | None = typer.Option(None, "--embed-model", help="SentenceTransformer folder for mining (default: packaged all-MiniLM-L6-v2)."),
    embed_batch_size: int | None = typer.Option(None, "--embed-batch-size", help="Passages per forward pass (default 64; GPU 512)."),
    max_seq_length: int | None = typer.Option(None, "--max-seq-length", help="Tokens per embedded passage (default 128; GPU 256)."),
    device: str | None = typer.Option(None, "--device", help="auto, cpu, cuda or cuda:N (default auto)."),
    dedup_min_books: int | None = typer.Option(None, "--dedup-min-books", help="Drop passages found in this many books or more (default 2; 0 = off)."),
    neighbour_backend: str | None = typer.Option(None, "--neighbour-backend", help="exact (blocked matmul, default) or faiss."),
    max_books: int | None = typer.Option(None, "--max-books", help="Debug: whole authors, alphabetically, up to this many books (0 = all)."),
    min_chunk_chars: int | None = typer.Option(None, "--min-chunk-chars", help="Drop passages shorter than this (default 400 characters)."),
    workers: int | None = typer.Option(None, "--workers", help="Processes chunking books in parallel, or CPUs of the local Ray when sharded (default 2)."),
    force_sharded: bool | None = typer.Option(None, "--force-sharded", help="Chunk books in Ray tasks (pip install 'writing7[ray]'; docs/ray.md)."),
    auto_shard: bool | None = typer.Option(None, "--auto-shard", help="Shard when the corpus has at least --sharded-switch-threshold files."),
    sharded_switch_threshold: int | None = typer.Option(None, "--sharded-switch-threshold", help="Book files from which --auto-shard shards (default 2000)."),
    books_per_shard: int | None = typer.Option(None, "--books-per-shard", help="Books per Ray task and shard file (default from [prepare])."),
    ray_address: str | None = typer.Option(None, "--ray-address", help="Ray cluster to join (host:6379, ray://host:10001, auto); default: a local Ray."),
    shard_wait_timeout_s: float | None = typer.Option(None, "--shard-wait-timeout-s", help="Seconds to wait for every shard file to be visible (default 60)."),
    shard_max_retries: int | None = typer.Option(None, "--shard-max-retries", help="Retries of a shard task whose worker died (default 3)."),
) -> None:
    """Chunk, dedup, mine neighbour books, assign topics and draw train/validation/test pairs split by author."""
    # Imported here: the stage imports writing7.cli.common, whose package imports this module.
    from writing7.stages.prepare import run

    cfg = PrepareConfig.load(
        config, chunk_size=chunk_size, overlap=overlap, max_chunks_per_book=max_chunks_per_book,
        num_chunks_for_embed=num_chunks_for_embed, num_hard_negative_books=num_hard_negative_books,
        n_positive_per_book=n_positive_per_book, n_negative_per_book=n_negative_per_book,
        n_same_author_per_book=n_same_author_per_book, train_ratio=train_ratio, val_ratio=val_ratio, seed=seed,
        embed_model=embed_model, embed_batch_size=embed_batch_size, max_seq_length=max_seq_length, device=device,
        dedup_min_books=dedup_min_books, neighbour_backend=neighbour_backend, max_books=max_books,
        min_chunk_chars=min_chunk_chars, workers=workers, force_sharded=force_sharded, auto_shard=auto_shard,
        sharded_switch_threshold=sharded_switch_threshold, books_per_shard=books_per_shard, ray_address=ray_address,
        shard_wait_timeout_s=shard_wait_timeout_s, shard_max_retries=shard_max_retries,
    )
    result = run(cfg, corpus=tuple(corpus), artifacts=ArtifactLayout.from_env(artifacts).root, force=force)
    for line in _summary(result.stats):
        typer.echo(line)
