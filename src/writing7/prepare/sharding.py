"""Sharded prepare, stage A on Ray: chunk disjoint runs of books in tasks, one shard file each, then merge.

Each task runs :func:`writing7.prepare.chunking.chunk_book` (read, standardize, split, chunk, filter,
sample) over its books and writes ``artifacts/tmp/prepare_shards/shard_XXXX.jsonl`` (one
:meth:`BookChunks.to_dict` per line) atomically: a temporary sibling, fsync, ``os.replace``. The
driver records progress in ``shards_manifest.json`` (:mod:`writing7.prepare.shard_manifest`), waits
until every listed shard is visible (shared storage can lag behind a task's return), and merges the
shards in plan order, which is book-id order. Stage B then runs
:func:`writing7.prepare.dataset.build_dataset` on the merged books exactly as the single-process
path does, so both give the same dataset for the same inputs and seed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import socket
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from tqdm import tqdm

from writing7.artifacts import atomic_write_bytes
from writing7.corpus import BookFile
from writing7.errors import UserFacingError
from writing7.prepare.chunking import BookChunks, chunk_book
from writing7.prepare.phases import PhaseTimer
from writing7.prepare.ray_runtime import import_ray, ray_session, run_tasks
from writing7.prepare.shard_manifest import Shard, ShardManifest, ShardSettings, plan_shards
from writing7.progress import progress_disabled

logger = logging.getLogger(__name__)
# Test hook, read by the driver: a folder; the first attempt of every shard without a marker file
# there fails half-way (see _fail_once), by exiting its worker or, with WRITING7_FAULT_KIND=oserror,
# by raising OSError (a shared-storage hiccup).
FAULT_ENV = "WRITING7_FAULT_SHARD_ONCE"
FAULT_KIND_ENV = "WRITING7_FAULT_KIND"
FAULT_EXIT_CODE = 75
MAX_NAMED_SHARDS = 10
# Progress is saved at most this often during stage A (the manifest lists every book: megabytes at
# 10^5 books); a killed driver loses at most these seconds of completed shards.
MANIFEST_SAVE_SECONDS = 5.0


class ShardingSettings(ShardSettings, Protocol):
    """What the sharded stage A reads (a :class:`~writing7.config.prepare.PrepareConfig` has them all)."""

    force_sharded: bool
    auto_shard: bool
    sharded_switch_threshold: int  # books from which auto_shard switches to Ray
    ray_address: str
    shard_max_retries: int
    shard_wait_timeout_s: float


def use_sharding(cfg: ShardingSettings, book_count: int) -> bool:
    """``force_sharded``, or ``auto_shard`` with at least ``sharded_switch_threshold`` book files."""
    return cfg.force_sharded or (cfg.auto_shard and book_count >= cfg.sharded_switch_threshold)


def _fail_once(fault: tuple[str, str] | None, shard: Shard) -> None:
    """With a fault ``(folder, kind)``, the first attempt of each shard exits its worker (as a killed
    process would) or raises :class:`OSError`; the marker file makes the retry succeed."""
    if fault is None:
        return
    marker = Path(fault[0]) / shard.file
    if marker.exists():
        return
    marker.touch()
    if fault[1] == "oserror":
        raise OSError(f"injected fault in {shard.file}")
    os._exit(FAULT_EXIT_CODE)


def _fault_from_environment() -> tuple[str, str] | None:
    folder = os.environ.get(FAULT_ENV)
    return (folder, os.environ.get(FAULT_KIND_ENV, "exit")) if folder else None


def write_shard(shard: Shard, cfg: ShardingSettings, directory: str, fault: tuple[str, str] | None = None) -> dict[str, Any]:
    """Task body: chunk the shard's books and write them as one JSON line each, atomically."""
    start = time.perf_counter()
    books = []
    for book in shard.books:
        books.append(chunk_book(book, cfg))
        _fail_once(fault, shard)  # after the first book: a failure mid-task, work lost
    data = "".join(json.dumps(book.to_dict(), ensure_ascii=False) + "\n" for book in books).encode("utf-8")
    atomic_write_bytes(Path(directory) / shard.file, data)
    return {
        "index": shard.index, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data),
        "chunks": sum(len(book.chunks) for book in books), "skipped": sum(1 for book in books if book.skip_reason),
        "seconds": time.perf_counter() - start, "host": socket.gethostname(),
    }


def _missing(directory: Path, entries: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Entries whose file is absent or not yet of its recorded size."""
    missing = []
    for entry in entries:
        path = directory / entry["file"]
        if not path.is_file() or path.stat().st_size != entry["bytes"]:
            missing.append(entry)
    return missing


def wait_for_shards(
    manifest: ShardManifest, *, timeout: float, poll_seconds: float = 0.2, refresh: Callable[[], None] | None = None
) -> None:
    """Wait until every listed shard file is visible here at its recorded size, or raise naming those missing.

    ``refresh`` runs before each new look (a Modal volume shows other containers' writes only after a reload).
    """
    deadline = time.monotonic() + timeout
    missing = _missing(manifest.directory, manifest.entries)
    while missing and time.monotonic() < deadline:
        time.sleep(poll_seconds)
        if refresh is not None:
            refresh()
        missing = _missing(manifest.directory, missing)
    if missing:
        names = ", ".join(entry["file"] for entry in missing[:MAX_NAMED_SHARDS]) + (", ..." if len(missing) > MAX_NAMED_SHARDS else "")
        raise FileNotFoundError(
            f"No shard files found for {len(missing)} of {len(manifest.entries)} shards in {manifest.directory} after "
            f"{timeout:g} s ({names}): every Ray node must write to the artifacts directory this driver reads "
            "(shared storage such as NFS), or raise --shard-wait-timeout-s"
        )


def read_shard(directory: Path, entry: dict[str, Any]) -> list[BookChunks]:
    """The books of one shard, checked against the manifest's SHA-256 and book list."""
    path = Path(directory) / entry["file"]
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != entry["sha256"]:
        raise ValueError(f"{path} does not match its sha256 in shards_manifest.json (changed after it was written): delete it and rerun")
    books = [BookChunks.from_dict(json.loads(line)) for line in data.decode("utf-8").splitlines()]
    if [book.book_id for book in books] != entry["books"]:
        raise ValueError(f"{path} holds other books than shards_manifest.json lists: delete {path.parent} and rerun")
    return books


def merge_shards(manifest: ShardManifest) -> list[BookChunks]:
    """Every shard's books in plan order (= book-id order, as the single-process path has them)."""
    books = [book for entry in manifest.entries for book in read_shard(manifest.directory, entry)]
    for book in books:
        if book.skip_reason:
            logger.warning("skipped %s: %s", book.book_id, book.skip_reason)
    return books


def _compute(todo: Sequence[Shard], manifest: ShardManifest, cfg: ShardingSettings, timer: PhaseTimer) -> dict[str, Any]:
    """Start or join Ray and run one task per shard in ``todo``, saving the manifest as shards complete."""
    hosts: Counter[str] = Counter()
    progress = tqdm(total=len(todo), desc="prepare: shards", unit="shard", disable=progress_disabled())

    def on_result(result: dict[str, Any]) -> None:
        manifest.record(result)
        hosts[result["host"]] += 1
        progress.update()

    with contextlib.ExitStack() as stack:
        with timer.phase("ray_start"):
            session = stack.enter_context(ray_session(address=cfg.ray_address, workers=cfg.workers))
        calls = [(shard, cfg, str(manifest.directory), _fault_from_environment()) for shard in todo]
        with timer.phase("chunk"), progress:
            try:
                run_tasks(
                    write_shard, calls, labels=[f"shard task {shard.file}" for shard in todo], max_retries=cfg.shard_max_retries,
                    on_result=on_result, on_poll=lambda: manifest.save(at_most_every=MANIFEST_SAVE_SECONDS),
                )
            except UserFacingError as error:  # a shard that failed its retries; a bug keeps its traceback
                raise UserFacingError(f"{error}; the finished shards stay in {manifest.directory}: rerun to resume") from error
            finally:
                manifest.save()  # completed shards survive a failure or an interrupt
    return {"ray_address": session.address, "ray_cpus": session.cpus, "hosts": dict(hosts)}


def start_shards(books: Sequence[BookFile], cfg: ShardingSettings, *, directory: Path, corpus_hash: str) -> tuple[ShardManifest, list[Shard]]:
    """Plan the shards of ``books``, write ``shards_manifest.json`` and return it with the shards still to compute.

    ``corpus_hash`` identifies the books' bytes (the prepare manifest's ``corpus`` input); shards of a
    previous run with the same hash and stage-A settings are reused when their SHA-256 still matches.
    """
    shards = plan_shards(books, cfg.books_per_shard)
    directory.mkdir(parents=True, exist_ok=True)
    manifest = ShardManifest.resume(directory, shards, cfg, corpus_hash)
    manifest.save()
    todo = [shard for shard in shards if not manifest.is_complete(shard.index)]
    logger.info("prepare: %d shards of <= %d books, %d reused, %d to compute", len(shards), cfg.books_per_shard, len(shards) - len(todo), len(todo))
    return manifest, todo


def shard_stats(manifest: ShardManifest, todo: Sequence[Shard], cfg: ShardingSettings) -> dict[str, Any]:
    """What the prepare manifest records about stage A: shards planned, reused and computed."""
    shards = len(manifest.entries)
    return {"shards": shards, "reused": shards - len(todo), "computed": len(todo), "books_per_shard": cfg.books_per_shard}


def collect_shards(
    manifest: ShardManifest, cfg: ShardingSettings, *, timer: PhaseTimer, refresh: Callable[[], None] | None = None, poll_seconds: float = 0.2
) -> list[BookChunks]:
    """Stage B's first step: wait until every shard is visible here, then merge them in book-id order."""
    with timer.phase("merge"):
        wait_for_shards(manifest, timeout=cfg.shard_wait_timeout_s, poll_seconds=poll_seconds, refresh=refresh)
        return merge_shards(manifest)


def chunk_books_sharded(
    books: Sequence[BookFile], cfg: ShardingSettings, *, directory: Path, corpus_hash: str, timer: PhaseTimer
) -> tuple[list[BookChunks], dict[str, Any]]:
    """Stage A on Ray: :class:`BookChunks` of ``books`` in their order, and stats on shards computed and reused."""
    import_ray()  # fail with the install hint before writing anything
    manifest, todo = start_shards(books, cfg, directory=directory, corpus_hash=corpus_hash)
    stats = shard_stats(manifest, todo, cfg)
    if todo:
        stats.update(_compute(todo, manifest, cfg, timer))
    return collect_shards(manifest, cfg, timer=timer), stats


def remove_shards(directory: Path) -> None:
    """Delete stage A's files once the processed dataset is safely written."""
    shutil.rmtree(directory, ignore_errors=True)
