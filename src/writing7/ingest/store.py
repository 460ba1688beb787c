"""The corpus directory as ingest sees it: an exclusive lock, crash leftovers removed, collision-free paths.

The lock file ``.ingest.lock`` exists only while an ingest runs; a run that imports nothing leaves
nothing behind (no lock, no manifest, no corpus folder it created).

Books are written with :func:`writing7.artifacts.atomic_write_bytes` (temporary sibling, fsync, rename),
so a reader never sees half a book. A process killed mid-write leaves its temporary sibling behind;
since only one ingest may hold the corpus lock, every such leftover at start-up is stale and removed.

Paths are ``{author_slug}/{title_slug}.txt``. When that path already belongs to another book (a
different id in the manifest, or a different file the user put there) the title gets the book's id as
a suffix (``poems-1234.txt``), then the id and a content hash, so the same book always lands on the
same path across reruns and two books never overwrite each other.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import re
import threading
from pathlib import Path
from typing import TextIO

from writing7.artifacts import atomic_write_bytes
from writing7.errors import UserFacingError
from writing7.ingest.manifest import MANIFEST_FILE, ManifestRecord, ManifestWriter, latest_by_id, read_manifest
from writing7.ingest.names import BookNames
from writing7.ingest.slugs import book_path, with_suffix

logger = logging.getLogger(__name__)

LOCK_FILE = ".ingest.lock"
# The names `writing7.artifacts.atomic_write_bytes` gives its temporaries: ".{name}.tmp-{pid}-{8 hex}".
TEMPORARY_NAME = re.compile(r"^\..+\.tmp-\d+-[0-9a-f]{8}$")


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def owner_key(book_id: int | None, sha256: str | None) -> str:
    """Who a path belongs to: a fetched Gutenberg id, or for an imported file, its content."""
    return f"id:{book_id}" if book_id is not None else f"sha256:{sha256}"


def record_owner(record: ManifestRecord) -> str:
    """The owner of a recorded path: imports are owned by their bytes even when their header has a number."""
    return owner_key(None if record.status == "imported" else record.id, record.sha256)


def remove_stale_temporaries(corpus: Path) -> list[Path]:
    """Delete temporaries left by a killed writer (and folders they leave empty); only safe under the corpus lock."""
    stale = [path for path in Path(corpus).rglob(".*.tmp-*") if path.is_file() and TEMPORARY_NAME.match(path.name)]
    for path in stale:
        path.unlink(missing_ok=True)
        logger.info("removed %s (left by an interrupted run)", path)
        if path.parent != Path(corpus):
            with contextlib.suppress(OSError):  # not empty: other books live there
                path.parent.rmdir()
    return stale


def acquire_lock(path: Path) -> TextIO:
    """Hold an exclusive ``flock`` on ``path`` (created when missing), or raise when another ingest holds it.

    The holder deletes the file when it is done, so the file we opened may be unlinked between our
    ``open`` and our ``flock``: the lock counts only while ``path`` is still that same file, else retry.
    """
    while True:
        handle = path.open("a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise UserFacingError(f"another ingest is writing to {path.parent}: wait for it to finish, or use another --corpus") from None
        try:
            if os.stat(path).st_ino == os.fstat(handle.fileno()).st_ino:
                return handle
        except FileNotFoundError:
            pass
        handle.close()


def release_lock(handle: TextIO, path: Path) -> None:
    """Delete the lock file while still holding it (see :func:`acquire_lock`), then let go."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    fcntl.flock(handle, fcntl.LOCK_UN)
    handle.close()


class CorpusStore:
    """Writes books and manifest records under one corpus directory; use as a context manager."""

    def __init__(self, corpus: Path) -> None:
        self.corpus = Path(corpus)
        if self.corpus.exists() and not self.corpus.is_dir():
            raise NotADirectoryError(f"corpus {self.corpus} is a file: pass a directory with --corpus")
        self._created = [folder for folder in (self.corpus, *self.corpus.parents) if not folder.exists()]  # deepest first
        self.corpus.mkdir(parents=True, exist_ok=True)
        try:
            self._lock_file = acquire_lock(self.corpus / LOCK_FILE)
        except BaseException:  # another ingest holds it, or the lock file cannot be written: leave nothing behind
            self._remove_created_folders()
            raise
        self.removed_temporaries = remove_stale_temporaries(self.corpus)
        records = read_manifest(self.corpus / MANIFEST_FILE)
        self.latest = latest_by_id(records)
        self._owners = {record.path: record_owner(record) for record in records if record.done and record.path}
        self._writer = ManifestWriter(self.corpus / MANIFEST_FILE)
        self._lock = threading.Lock()  # path claims and the in-memory view; writes run outside it

    # -- what is already there ---------------------------------------------------------------
    def done_record(self, book_id: int) -> ManifestRecord | None:
        """The manifest record of ``book_id`` when it is done and its file is still there, whole."""
        record = self.latest.get(book_id)
        if record is None or not record.done or not record.path:
            return None
        path = self.corpus / record.path
        return record if path.is_file() and path.stat().st_size == record.bytes else None

    def unowned_or_mine(self, names: BookNames, owner: str) -> Path | None:
        """The plain path for ``names`` when a file is there that no other book claims."""
        relative = f"{names.author_slug}/{names.title_slug}.txt"
        path = book_path(self.corpus, names.author_slug, names.title_slug)
        if not path.is_file() or self._owners.get(relative, owner) != owner:
            return None
        return path

    # -- writing -----------------------------------------------------------------------------
    def place(self, names: BookNames, *, owner: str, suffix: str, sha256: str) -> tuple[str, bool]:
        """A relative path for a book: one holding identical bytes, its own, or a free one (in candidate order);
        and whether identical bytes are already there."""
        candidates = (
            names.title_slug,
            with_suffix(names.title_slug, suffix),
            with_suffix(names.title_slug, f"{suffix}-{sha256[:8]}"),
        )
        for title in candidates:
            path = book_path(self.corpus, names.author_slug, title)
            relative = path.relative_to(self.corpus.resolve()).as_posix()
            if path.is_file() and sha256_of(path.read_bytes()) == sha256:
                return relative, True  # the same bytes are the same book, whoever put them there
            claimed_by = self._owners.get(relative)
            if claimed_by == owner or (claimed_by is None and not path.exists()):
                return relative, False
        raise ValueError(
            f"every candidate path for {names.author_slug}/{names.title_slug} is taken by other books: "
            "rename or remove the conflicting files in the corpus"
        )

    def save(self, names: BookNames, data: bytes, *, owner: str, suffix: str) -> tuple[str, str, bool]:
        """Write ``data`` unchanged (atomically); returns its relative path, its sha256 and whether it was
        written (``False`` when identical bytes were already there, e.g. from a run killed before its record).

        Safe from several threads: the path is claimed under a lock, the (fsynced) write runs outside it.
        """
        sha256 = sha256_of(data)
        with self._lock:
            relative, identical = self.place(names, owner=owner, suffix=suffix, sha256=sha256)
            self._owners[relative] = owner
        if not identical:
            atomic_write_bytes(self.corpus / relative, data)
        return relative, sha256, not identical

    def record(self, record: ManifestRecord) -> None:
        """Append ``record`` durably to the manifest (thread-safe)."""
        self._writer.append(record)
        with self._lock:
            if record.id is not None:
                self.latest[record.id] = record
            if record.done and record.path:
                self._owners[record.path] = record_owner(record)

    def close(self) -> None:
        """Release the lock and leave no trace of a run that wrote nothing (no lock file, no new empty folder)."""
        self._writer.close()
        release_lock(self._lock_file, self.corpus / LOCK_FILE)
        self._remove_created_folders()

    def _remove_created_folders(self) -> None:
        for folder in self._created:
            with contextlib.suppress(OSError):  # not empty: books or the user's files live there
                folder.rmdir()

    def __enter__(self) -> CorpusStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
