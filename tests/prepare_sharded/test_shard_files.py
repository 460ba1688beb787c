"""Shard files and shards_manifest.json without Ray: the task body runs in this process."""

import json
import threading

import pytest

from writing7.corpus import discover_books
from writing7.prepare.chunking import chunk_book
from writing7.prepare.shard_manifest import SHARDS_MANIFEST, ShardManifest, file_sha256, plan_shards
from writing7.prepare.sharding import merge_shards, read_shard, wait_for_shards, write_shard


@pytest.fixture(scope="module")
def books(fixture_corpus_source):
    return discover_books(fixture_corpus_source)


@pytest.fixture()
def written(books, chunking_config, tmp_path):
    """Two shards of two books (the first four fixture books), written by the task body and recorded."""
    cfg = chunking_config(books_per_shard=2)
    shards = plan_shards(books[:4], cfg.books_per_shard)
    manifest = ShardManifest.resume(tmp_path, shards, cfg, "corpus-hash")
    for shard in shards:
        manifest.record(write_shard(shard, cfg, str(tmp_path)))
    manifest.save()
    return cfg, shards, manifest


def test_plan_is_disjoint_consecutive_runs_in_book_order(books):
    shards = plan_shards(books, 7)
    assert [len(shard.books) for shard in shards] == [7, 7, 4]
    assert [book for shard in shards for book in shard.books] == books
    assert [shard.file for shard in shards] == ["shard_0000.jsonl", "shard_0001.jsonl", "shard_0002.jsonl"]


def test_shard_round_trips_to_the_same_books_as_chunk_book(written, books, tmp_path):
    cfg, shards, manifest = written
    entry = manifest.entries[1]
    assert entry["status"] == "complete" and entry["books"] == [book.book_id for book in books[2:4]]
    assert entry["files"] == [str(book.path) for book in books[2:4]]
    assert entry["sha256"] == file_sha256(tmp_path / "shard_0001.jsonl") and entry["bytes"] == (tmp_path / "shard_0001.jsonl").stat().st_size
    assert [book.to_dict() for book in read_shard(tmp_path, entry)] == [chunk_book(book, cfg).to_dict() for book in books[2:4]]
    assert [book.book_id for book in merge_shards(manifest)] == [book.book_id for book in books[:4]]
    assert not list(tmp_path.glob(".*tmp*"))  # atomic writes leave no temporary files


def test_manifest_lists_key_settings_and_shards(written, tmp_path):
    payload = json.loads((tmp_path / SHARDS_MANIFEST).read_text())
    assert payload["format"] == "writing7-prepare-shards" and payload["key"]["corpus_hash"] == "corpus-hash"
    assert set(payload["key"]) == {"config_hash", "corpus_hash", "writing7"} and payload["settings"]["books_per_shard"] == 2
    assert [entry["chunks"] for entry in payload["shards"]] == [entry["chunks"] for entry in written[2].entries]


def test_resume_reuses_verified_shards_and_redoes_damaged_ones(written, tmp_path):
    cfg, shards, _ = written
    (tmp_path / ".shard_0001.jsonl.tmp-99-abcdef12").write_bytes(b"half a shard")  # a writer killed mid-write
    with (tmp_path / "shard_0001.jsonl").open("ab") as handle:
        handle.write(b"\n")
    resumed = ShardManifest.resume(tmp_path, shards, cfg, "corpus-hash")
    assert [resumed.is_complete(shard.index) for shard in shards] == [True, False]
    assert not (tmp_path / ".shard_0001.jsonl.tmp-99-abcdef12").exists()
    # stage-B settings and the sharding options themselves do not change a shard
    same = ShardManifest.resume(tmp_path, shards, small_config_like(cfg, n_negative_per_book=9, workers=2, force_sharded=True), "corpus-hash")
    assert same.is_complete(0)


def small_config_like(cfg, **changes):
    return type(cfg)(**{**cfg.to_dict(), **changes})


@pytest.mark.parametrize(("changes", "corpus_hash"), [({}, "other-corpus"), ({"chunk_size": 9}, "corpus-hash"), ({"seed": 1}, "corpus-hash")])
def test_another_key_discards_every_shard(written, tmp_path, changes, corpus_hash):
    cfg, shards, _ = written
    resumed = ShardManifest.resume(tmp_path, shards, small_config_like(cfg, **changes), corpus_hash)
    assert not any(resumed.is_complete(shard.index) for shard in shards)
    assert not list(tmp_path.glob("shard_*.jsonl"))


def test_waiting_for_a_missing_shard_times_out_naming_it(written, tmp_path):
    (tmp_path / "shard_0001.jsonl").unlink()
    with pytest.raises(FileNotFoundError, match=r"No shard files found for 1 of 2 shards in .* after 0\.3 s \(shard_0001\.jsonl\): every Ray node must write to the artifacts directory"):
        wait_for_shards(written[2], timeout=0.3, poll_seconds=0.05)


def test_a_shard_that_appears_late_is_waited_for(written, tmp_path):
    path = tmp_path / "shard_0001.jsonl"
    data = path.read_bytes()
    path.unlink()
    timer = threading.Timer(0.3, path.write_bytes, args=(data,))  # shared storage showing the file late
    timer.start()
    wait_for_shards(written[2], timeout=10, poll_seconds=0.05)
    timer.join()
    assert len(merge_shards(written[2])) == 4


def test_a_changed_shard_is_refused(written, tmp_path):
    path = tmp_path / "shard_0000.jsonl"
    path.write_bytes(path.read_bytes().replace(b'"book_id"', b'"book_id" '))
    with pytest.raises(ValueError, match=r"shard_0000\.jsonl does not match its sha256 in shards_manifest\.json .*delete it and rerun"):
        read_shard(tmp_path, written[2].entries[0])
