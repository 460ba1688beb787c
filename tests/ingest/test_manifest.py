"""The jsonl manifest: durable appends, a torn last line tolerated and repaired, latest record wins."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from writing7.ingest.manifest import ManifestRecord, ManifestWriter, latest_by_id, read_manifest, repair_torn_tail


def test_append_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "ingest_manifest.jsonl"
    first = ManifestRecord(id=5658, status="failed", attempts=3, error="HTTP 503")
    second = ManifestRecord(id=5658, status="fetched", path="conrad-joseph/lord-jim.txt", bytes=10, sha256="ab", attempts=1)
    with ManifestWriter(path) as writer:
        writer.append(first)
        writer.append(second)
    records = read_manifest(path)
    assert records == [first, second]
    assert latest_by_id(records) == {5658: second}
    assert latest_by_id(records)[5658].done


def test_torn_last_line_is_skipped_then_cut_before_appending(tmp_path: Path) -> None:
    path = tmp_path / "ingest_manifest.jsonl"
    whole = ManifestRecord(id=1, status="fetched", path="a/b.txt", bytes=1, sha256="x")
    path.write_text(whole.to_json() + "\n" + '{"id": 2, "status": "fet', encoding="utf-8")
    assert read_manifest(path) == [whole]
    with ManifestWriter(path) as writer:  # opening for appends cuts the torn tail
        writer.append(ManifestRecord(id=2, status="not_found"))
    assert [record.id for record in read_manifest(path)] == [1, 2]
    assert path.read_text(encoding="utf-8").count("\n") == 2
    assert repair_torn_tail(path) == 0


def test_damaged_line_in_the_middle_is_skipped(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "ingest_manifest.jsonl"
    path.write_text('{"id": 1, "status": "fetched"}\nnot json\n{"id": 3, "status": "what"}\n{"id": 2, "status": "failed"}\n')
    assert [record.id for record in read_manifest(path)] == [1, 2]
    assert "line 2 is damaged" in caplog.text and "line 3 is damaged" in caplog.text


def test_unknown_status_is_refused() -> None:
    with pytest.raises(ValueError, match="manifest status 'done' is not one of fetched"):
        ManifestRecord(id=1, status="done")


def test_appends_from_many_threads_stay_whole_lines(tmp_path: Path) -> None:
    path = tmp_path / "ingest_manifest.jsonl"
    with ManifestWriter(path) as writer:
        def append_range(start: int) -> None:
            for book_id in range(start, start + 40):
                writer.append(ManifestRecord(id=book_id, status="not_found", error="x" * 500))

        threads = [threading.Thread(target=append_range, args=(start,)) for start in range(0, 320, 40)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted(record.id for record in read_manifest(path)) == list(range(320))
