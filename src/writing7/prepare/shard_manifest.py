"""``shards_manifest.json``: which shard files stage A of the sharded prepare owes, and which are done.

The driver writes it before any task starts (every shard ``pending``, with its book ids and files)
and rewrites it, atomically, as shards complete (status ``complete``, the SHA-256 of the shard's
bytes, its byte size and counts). ``key`` names what the shards were built from: the hash of the
stage-A settings (:data:`STAGE_A_FIELDS`), the hash of the books read, and the writing7 version.

A later run with the same key and the same plan reuses every ``complete`` shard whose file still
hashes to the recorded SHA-256, and recomputes the rest; so a driver killed half-way resumes where
it stopped, and a shard file damaged or deleted since is simply redone. With any other key the old
shard files are deleted and every shard is recomputed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import writing7
from writing7.artifacts import atomic_write_json, hash_config
from writing7.corpus import BookFile
from writing7.prepare.chunking import BookChunkingSettings

SHARDS_MANIFEST = "shards_manifest.json"
FORMAT = "writing7-prepare-shards"
# The settings that change what a shard holds (books_per_shard changes the plan itself).
STAGE_A_FIELDS = ("chunk_size", "overlap", "min_chunk_chars", "min_stopword_ratio", "max_chunks_per_book", "seed", "books_per_shard")


class ShardSettings(BookChunkingSettings, Protocol):
    """Stage A's settings plus the plan's shard size (a :class:`~writing7.config.prepare.PrepareConfig` has them all)."""

    books_per_shard: int


@dataclasses.dataclass(frozen=True)
class Shard:
    """One stage-A task: a run of consecutive books (in book-id order) and the file it writes."""

    index: int
    books: tuple[BookFile, ...]

    @property
    def file(self) -> str:
        return f"shard_{self.index:04d}.jsonl"


def plan_shards(books: Sequence[BookFile], books_per_shard: int) -> list[Shard]:
    """Consecutive, disjoint runs of ``books_per_shard`` books: concatenating the shards restores ``books``."""
    return [Shard(index, tuple(books[start:start + books_per_shard])) for index, start in enumerate(range(0, len(books), books_per_shard))]


def shard_key(cfg: ShardSettings, corpus_hash: str) -> dict[str, str]:
    """What a shard's content depends on: stage-A settings, the books' bytes and the code version."""
    settings = {name: getattr(cfg, name) for name in STAGE_A_FIELDS}
    return {"config_hash": hash_config(settings), "corpus_hash": corpus_hash, "writing7": writing7.__version__}


def file_sha256(path: Path) -> str | None:
    """SHA-256 of a file's bytes, ``None`` when it does not exist."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def _pending(shard: Shard) -> dict[str, Any]:
    return {
        "index": shard.index, "file": shard.file, "status": "pending",
        "books": [book.book_id for book in shard.books], "files": [str(book.path) for book in shard.books],
        "sha256": None, "bytes": None, "chunks": None, "skipped": None,
    }


class ShardManifest:
    """The driver's record of stage A, kept in ``directory/shards_manifest.json``."""

    def __init__(self, directory: Path, key: dict[str, str], settings: dict[str, Any], entries: list[dict[str, Any]]) -> None:
        self.directory = Path(directory)
        self.key = key
        self.settings = settings
        self.entries = entries
        self.changed = True
        self.saved_at = float("-inf")

    @classmethod
    def resume(cls, directory: Path, shards: Sequence[Shard], cfg: ShardSettings, corpus_hash: str) -> ShardManifest:
        """A manifest for ``shards``, keeping the verified complete shards of a previous run with the same key."""
        directory = Path(directory)
        key = shard_key(cfg, corpus_hash)
        entries = [_pending(shard) for shard in shards]
        previous = _read(directory / SHARDS_MANIFEST)
        same_plan = previous is not None and previous.get("key") == key and [entry["books"] for entry in previous.get("shards", [])] == [entry["books"] for entry in entries]
        _remove_files(directory, ".shard_*.jsonl.tmp-*")  # left by writers killed mid-write
        if not same_plan:
            _remove_files(directory, "shard_*.jsonl")
        else:
            for entry, old in zip(entries, previous["shards"]):
                if old.get("status") == "complete" and file_sha256(directory / old["file"]) == old.get("sha256"):
                    entry.update({name: old[name] for name in ("status", "sha256", "bytes", "chunks", "skipped")})
        return cls(directory, key, {name: getattr(cfg, name) for name in STAGE_A_FIELDS}, entries)

    @classmethod
    def load(cls, directory: Path, cfg: ShardSettings, corpus_hash: str) -> ShardManifest:
        """The manifest a driver saved in ``directory``, as it is (for a stage B in another process or machine).

        Raises when it is absent or was written for other books or stage-A settings: its shards would
        not be this prepare's stage A.
        """
        directory = Path(directory)
        payload = _read(directory / SHARDS_MANIFEST)
        if payload is None:
            raise FileNotFoundError(f"No shard files found: {directory / SHARDS_MANIFEST} is missing or unreadable; run stage A (the sharded prepare) first")
        if payload.get("key") != shard_key(cfg, corpus_hash):
            raise ValueError(
                f"{directory / SHARDS_MANIFEST} was written for other books or stage-A settings than this prepare's: "
                "run the sharded prepare again with the same corpus and settings"
            )
        return cls(directory, payload["key"], payload.get("settings", {}), payload["shards"])

    def is_complete(self, index: int) -> bool:
        return self.entries[index]["status"] == "complete"

    def record(self, result: dict[str, Any]) -> None:
        """Mark the shard a task reported (``index``, ``sha256``, ``bytes``, ``chunks``, ``skipped``) complete."""
        entry = self.entries[result["index"]]
        entry.update({name: result[name] for name in ("sha256", "bytes", "chunks", "skipped")}, status="complete")
        self.changed = True

    def save(self, *, at_most_every: float = 0.0) -> None:
        """Write the manifest atomically if something changed, and not within ``at_most_every`` seconds of the last write."""
        if self.changed and time.monotonic() - self.saved_at >= at_most_every:
            payload = {"format": FORMAT, "version": 1, "key": self.key, "settings": self.settings, "shards": self.entries}
            atomic_write_json(self.directory / SHARDS_MANIFEST, payload)
            self.changed, self.saved_at = False, time.monotonic()


def _read(path: Path) -> dict[str, Any] | None:
    try:
        payload = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None  # no or damaged manifest: nothing to reuse
    return payload if isinstance(payload, dict) and payload.get("format") == FORMAT else None


def _remove_files(directory: Path, pattern: str) -> None:
    for path in Path(directory).glob(pattern):
        path.unlink(missing_ok=True)
