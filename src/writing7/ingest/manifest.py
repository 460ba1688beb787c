"""``ingest_manifest.jsonl``: one JSON line per finished book, so a rerun skips done ids and retries failed ones.

Each line is written with a single ``write`` on a file opened in append mode, then flushed and fsynced,
so a crash leaves at most one torn last line. Reading skips a torn or unparsable line (with a warning),
and opening for appends first cuts a torn tail off, so the next record starts on a line of its own.
The latest line for an id wins.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any, BinaryIO

logger = logging.getLogger(__name__)

MANIFEST_FILE = "ingest_manifest.jsonl"
STATUSES = ("fetched", "imported", "skipped", "not_found", "failed")
DONE_STATUSES = ("fetched", "imported", "skipped")


@dataclasses.dataclass(frozen=True)
class ManifestRecord:
    """What happened to one book. ``path`` is relative to the corpus; ``id`` is ``None`` for an unnumbered import."""

    id: int | None
    status: str
    path: str | None = None
    url: str | None = None
    bytes: int = 0
    sha256: str | None = None
    attempts: int = 0
    error: str | None = None
    author: str | None = None
    title: str | None = None
    finished: str = dataclasses.field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%S%z"))

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"manifest status {self.status!r} is not one of {', '.join(STATUSES)}")

    @property
    def done(self) -> bool:
        return self.status in DONE_STATUSES

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), ensure_ascii=False, sort_keys=False)

    @classmethod
    def from_json(cls, line: str) -> ManifestRecord:
        payload: dict[str, Any] = json.loads(line)
        known = {field.name for field in dataclasses.fields(cls)}
        return cls(**{key: value for key, value in payload.items() if key in known})


def read_manifest(path: Path) -> list[ManifestRecord]:
    """Every readable record in file order; a torn or damaged line is skipped with a warning."""
    path = Path(path)
    if not path.is_file():
        return []
    records = []
    for number, line in enumerate(path.read_bytes().decode("utf-8", errors="replace").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(ManifestRecord.from_json(line))
        except (json.JSONDecodeError, TypeError, ValueError) as error:
            logger.warning("%s line %d is damaged (%s): ignoring it, that book will be fetched again", path, number, error)
    return records


def repair_torn_tail(path: Path) -> int:
    """Cut an unterminated last line (a write interrupted by a crash); returns the bytes removed."""
    path = Path(path)
    if not path.is_file():
        return 0
    data = path.read_bytes()
    if not data or data.endswith(b"\n"):
        return 0
    keep = data.rfind(b"\n") + 1
    with path.open("r+b") as handle:
        handle.truncate(keep)
        handle.flush()
        os.fsync(handle.fileno())
    logger.warning("%s ended with a torn line (%d bytes): removed it", path, len(data) - keep)
    return len(data) - keep


class ManifestWriter:
    """Appends records durably from any number of threads; use as a context manager or call :meth:`close`.

    Group commit: a thread writes its line under a lock, then fsyncs unless a concurrent fsync that
    started after its write already covered it, so N books finishing together cost about one fsync.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        repair_torn_tail(self.path)
        self._handle: BinaryIO | None = None  # opened by the first append: a run that records nothing leaves no file
        self._write_lock, self._sync_lock = threading.Lock(), threading.Lock()
        self._written = self._synced = 0  # lines written / lines known to be on disk

    def _opened(self) -> BinaryIO:
        """The append handle, opened on first use (call with the write lock held)."""
        if self._handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = self.path.open("ab")
        return self._handle

    def append(self, record: ManifestRecord) -> None:
        """Return once ``record``'s line is flushed and fsynced."""
        with self._write_lock:
            handle = self._opened()
            handle.write((record.to_json() + "\n").encode("utf-8"))
            handle.flush()
            self._written += 1
            line_number = self._written
        with self._sync_lock:
            if self._synced >= line_number:
                return  # another thread's fsync covered this line
            with self._write_lock:
                covered = self._written
            os.fsync(handle.fileno())
            self._synced = covered

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()

    def __enter__(self) -> ManifestWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def latest_by_id(records: list[ManifestRecord]) -> dict[int, ManifestRecord]:
    """The last record of each numbered book."""
    return {record.id: record for record in records if record.id is not None}
