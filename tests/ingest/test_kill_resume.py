"""A real `python -m writing7 ingest gutenberg` process is SIGKILLed mid-run, then rerun to completion."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from ingest_helpers import corpus_files

from writing7.artifacts import _temporary_sibling
from writing7.ingest.manifest import MANIFEST_FILE, latest_by_id, read_manifest
from writing7.ingest.testing_server import MirrorServer


def ingest_command(book_ids: list[int], corpus: Path, mirror: str) -> list[str]:
    ids = [str(book_id) for book_id in book_ids]
    return [
        sys.executable, "-m", "writing7", "--quiet", "ingest", "gutenberg", "--ids", *ids,
        "--corpus", str(corpus), "--mirror", mirror, "--concurrency", "2", "--delay", "0", "--timeout", "10",
    ]


def wait_for_records(manifest: Path, process: subprocess.Popen, count: int, limit_seconds: float = 60.0) -> None:
    deadline = time.monotonic() + limit_seconds
    while time.monotonic() < deadline and process.poll() is None:
        if len(read_manifest(manifest)) >= count:
            return
        time.sleep(0.02)
    raise AssertionError(f"the ingest process wrote fewer than {count} records (exit code {process.poll()})")


def test_sigkill_mid_run_then_rerun_completes_without_duplicates(tmp_path: Path, books: dict[int, bytes]) -> None:
    corpus, book_ids = tmp_path / "corpus", sorted(books)
    environment = {**os.environ, "WRITING7_QUIET": "1"}
    with MirrorServer(books, latency_seconds=0.2) as server:
        command = ingest_command(book_ids, corpus, server.url)
        process = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            wait_for_records(corpus / MANIFEST_FILE, process, count=3)
            process.send_signal(signal.SIGKILL)
        finally:
            process.kill()
            process.wait()
        assert process.returncode == -signal.SIGKILL
        done_before = len(latest_by_id(read_manifest(corpus / MANIFEST_FILE)))
        assert 3 <= done_before < len(book_ids)
        # What a kill during a write or an append leaves behind: a temporary sibling, a torn manifest line.
        pending = next(book_id for book_id in book_ids if book_id not in latest_by_id(read_manifest(corpus / MANIFEST_FILE)))
        leftover = _temporary_sibling(corpus / "partial" / "book.txt")
        leftover.parent.mkdir(parents=True, exist_ok=True)
        leftover.write_bytes(books[pending][:1000])
        with (corpus / MANIFEST_FILE).open("ab") as handle:
            handle.write(b'{"id": %d, "status": "fetch' % pending)

        rerun = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    assert f"fetched {len(book_ids) - done_before}, skipped {done_before}, not found 0, failed 0" in rerun.stdout
    files = corpus_files(corpus)
    assert all(path.suffix == ".txt" and not path.name.startswith(".") for path in files), files
    assert not (corpus / "partial").exists(), "the folder the leftover was in is gone with it"
    assert sorted(hashlib.sha256(path.read_bytes()).hexdigest() for path in files) == sorted(
        hashlib.sha256(data).hexdigest() for data in books.values()
    ), "every book exactly once, byte-identical"
    records = latest_by_id(read_manifest(corpus / MANIFEST_FILE))
    assert sorted(records) == book_ids and {record.status for record in records.values()} == {"fetched"}
