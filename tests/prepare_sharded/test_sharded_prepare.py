"""Sharded prepare on a real local Ray: same dataset as single-process, retries, resume, no leftovers."""

import json
import os
import tempfile
import time
from pathlib import Path

import pytest
from datasets import load_from_disk

from writing7.corpus import discover_books
from writing7.prepare.chunking import chunk_books
from writing7.prepare.phases import PhaseTimer
from writing7.prepare.ray_runtime import ray_session, run_tasks
from writing7.prepare.sharding import FAULT_ENV, FAULT_KIND_ENV, chunk_books_sharded
from writing7.stages.prepare import run

ray = pytest.importorskip("ray")


def home_ray_files() -> dict[str, float]:
    """Every file under ``~/.ray`` and every home entry named like Ray, with its modification time."""
    home = Path.home()
    paths = [*home.glob("*ray*"), *home.glob(".ray/**/*")]
    return {str(path): path.stat().st_mtime for path in paths}


def processed(artifacts: Path):
    return load_from_disk(str(artifacts / "data" / "processed"))


def manifest(artifacts: Path) -> dict:
    return json.loads((artifacts / "data" / "processed" / "manifest.json").read_text())


@pytest.fixture(scope="module")
def local_ray():
    """One local Ray (2 CPUs), started the way the stage starts it and shared by this module's tests.

    On the way out it checks that Ray left nothing behind: no ``~/.ray/auth_token`` (or any other
    change under ``~/.ray``), no session folder in /tmp, the driver's environment restored.
    """
    assert not ray.is_initialized()
    home_before, token_before = home_ray_files(), os.environ.get("RAY_AUTH_TOKEN")
    with ray_session(workers=2) as session:
        yield session
    assert not ray.is_initialized()
    assert home_ray_files() == home_before and os.environ.get("RAY_AUTH_TOKEN") == token_before
    assert not list(Path(tempfile.gettempdir()).glob(f"writing7-ray-{os.getpid()}-*"))


def test_sharded_prepare_gives_the_single_process_dataset(local_ray, small_config, fixture_corpus_source, tmp_path):
    assert local_ray.started_here and local_ray.cpus == 2
    run(small_config(workers=2, force_sharded=True), corpus=fixture_corpus_source, artifacts=tmp_path / "sharded")
    assert ray.is_initialized()  # a Ray the stage did not start is left running
    assert not (tmp_path / "sharded" / "tmp" / "prepare_shards").exists()  # stage A files removed after success
    run(small_config(workers=1), corpus=fixture_corpus_source, artifacts=tmp_path / "single")
    sharded, single = processed(tmp_path / "sharded"), processed(tmp_path / "single")
    for split in single:
        assert sharded[split]._fingerprint == single[split]._fingerprint
        assert sharded[split].to_list() == single[split].to_list()
    assert manifest(tmp_path / "sharded")["outputs"] == manifest(tmp_path / "single")["outputs"]
    stats = manifest(tmp_path / "sharded")["stats"]
    assert {key: stats["sharding"][key] for key in ("shards", "computed", "reused")} == {"shards": 3, "computed": 3, "reused": 0}
    assert {"ray_start", "chunk", "merge", "embed", "pairs"} <= set(stats["seconds"])


@pytest.fixture(scope="module")
def books(fixture_corpus_source):
    return discover_books(fixture_corpus_source)


@pytest.fixture(scope="module")
def expected(books, chunking_config):
    """Stage A done the single-process way, as JSON-able dicts."""
    return [book.to_dict() for book in chunk_books(books, chunking_config())]


def stage_a(books, cfg, directory):
    timer = PhaseTimer()
    merged, stats = chunk_books_sharded(books, cfg, directory=directory, corpus_hash="fixture-corpus", timer=timer)
    return [book.to_dict() for book in merged], stats, timer


def fault_once_in_shard_0(tmp_path, monkeypatch) -> Path:
    """The first attempt of shard 0 exits its worker after one book (markers make the others healthy)."""
    markers = tmp_path / "faults"
    markers.mkdir()
    for name in ("shard_0001.jsonl", "shard_0002.jsonl"):
        (markers / name).touch()
    monkeypatch.setenv(FAULT_ENV, str(markers))
    return markers


@pytest.mark.parametrize("kind", ["exit", "oserror"])
def test_a_shard_failing_mid_task_is_retried(local_ray, books, expected, chunking_config, tmp_path, monkeypatch, kind):
    markers = fault_once_in_shard_0(tmp_path, monkeypatch)
    monkeypatch.setenv(FAULT_KIND_ENV, kind)  # the worker process dies, or the task raises OSError
    merged, stats, _ = stage_a(books, chunking_config(force_sharded=True, shard_max_retries=1), tmp_path / "shards")
    assert (markers / "shard_0000.jsonl").exists()  # the first attempt ran and failed
    assert merged == expected and stats["computed"] == 3 and stats["ray_address"] == "existing"


def test_a_task_out_of_retries_fails_naming_the_shard(local_ray, books, chunking_config, tmp_path, monkeypatch):
    fault_once_in_shard_0(tmp_path, monkeypatch)
    monkeypatch.setenv(FAULT_KIND_ENV, "oserror")
    with pytest.raises(RuntimeError, match=r"shard task shard_0000\.jsonl failed after 0 retries \(RayTaskError\(OSError\): .*injected fault in shard_0000\.jsonl\); the finished shards stay in .*shards: rerun to resume"):
        stage_a(books, chunking_config(force_sharded=True, shard_max_retries=0), tmp_path / "shards")
    assert (tmp_path / "shards" / "shards_manifest.json").is_file()


def test_after_a_failure_the_tasks_in_flight_finish_and_no_other_starts(local_ray, tmp_path):
    """Nothing is cancelled (``ray.cancel`` could crash the driver, or leave a worker half-interrupted): the work in
    flight is kept, and the tasks beyond the window never start."""

    def record_then(folder: str, action: str) -> str:
        # Nested, so Ray ships it by value (its workers cannot import this test module).
        (Path(folder) / action).touch()
        if action == "busy":
            time.sleep(2.0)
            return action
        deadline = time.monotonic() + 60
        while not (Path(folder) / "busy").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        raise ValueError("a bug in one task, raised while the other task runs")

    actions = ["busy", "fail", "later-1", "later-2", "later-3"]
    results: list[str] = []
    with pytest.raises(RuntimeError, match=r"task fail failed after 0 retries \(RayTaskError\(ValueError\)"):
        run_tasks(record_then, [(str(tmp_path), action) for action in actions], labels=[f"task {action}" for action in actions],
                  max_retries=0, on_result=results.append, on_poll=lambda: None, poll_seconds=0.2, in_flight=2)
    assert results == ["busy"]  # finished after the failure, and handed over
    assert sorted(path.name for path in tmp_path.iterdir()) == ["busy", "fail"]


def test_rerun_reuses_verified_shards_and_redoes_the_others(local_ray, books, expected, chunking_config, tmp_path):
    cfg, directory = chunking_config(force_sharded=True), tmp_path / "shards"
    assert stage_a(books, cfg, directory)[1]["computed"] == 3
    (directory / "shard_0001.jsonl").unlink()
    with (directory / "shard_0002.jsonl").open("ab") as handle:
        handle.write(b" ")
    merged, stats, _ = stage_a(books, cfg, directory)
    assert (stats["computed"], stats["reused"]) == (2, 1) and merged == expected
    merged, stats, timer = stage_a(books, cfg, directory)
    assert (stats["computed"], stats["reused"]) == (0, 3) and merged == expected
    assert "ray_start" not in timer.seconds and "chunk" not in timer.seconds  # Ray is not even touched
