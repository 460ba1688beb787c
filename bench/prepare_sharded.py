"""Benchmark stage A of prepare: single-process ``chunk_books`` vs the sharded path on a local Ray.

    python bench/prepare_sharded.py --corpus ../shared/data/gutenberg [--max-books 40] [--workers 1 2] [--rounds 2] [--output out.json]

For each worker count it times, separately:
1. ``chunk_books`` (the single-process path: in this process for 1 worker, a process pool above);
2. Ray start-up (``ray_session``: a private local Ray with that many CPUs);
3. the shard tasks (``chunk_books_sharded`` inside that session: worker start-up, imports, chunking,
   one shard file per task) and the merge (wait for the files, verify SHA-256, parse), then shutdown.
The merged books are checked to equal ``chunk_books``' (so the sharded dataset is the same).
Every run starts from an empty shard folder; the methods alternate for ``--rounds`` rounds and the
best time of each is reported. The load average is printed with every run: on a shared machine the
ratios mean little without it.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from writing7.cli.common import setup_environment, setup_logging
from writing7.config.prepare import PrepareConfig
from writing7.corpus import discover_books
from writing7.prepare.chunking import chunk_books, select_books
from writing7.prepare.phases import PhaseTimer
from writing7.prepare.ray_runtime import ray_session
from writing7.prepare.sharding import chunk_books_sharded
from writing7.stages.prepare import hash_books


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def time_single(books: list, cfg: PrepareConfig) -> tuple[float, list[dict[str, Any]]]:
    start = time.perf_counter()
    result = chunk_books(books, cfg)
    return time.perf_counter() - start, [book.to_dict() for book in result]


def time_sharded(books: list, cfg: PrepareConfig, corpus_hash: str, expected: list[dict[str, Any]]) -> dict[str, float]:
    timer = PhaseTimer()
    with tempfile.TemporaryDirectory(prefix="bench-shards-") as directory:
        start = time.perf_counter()
        with ray_session(workers=cfg.workers) as session:
            started = time.perf_counter()
            merged, stats = chunk_books_sharded(books, cfg, directory=Path(directory), corpus_hash=corpus_hash, timer=timer)
            finished = time.perf_counter()
        stopped = time.perf_counter()
    if [book.to_dict() for book in merged] != expected:
        raise AssertionError("the sharded stage A differs from chunk_books")
    return {
        "ray_start_s": round(session.start_seconds, 2), "tasks_s": round(timer.seconds["chunk"], 2),
        "merge_s": round(timer.seconds["merge"], 2), "stage_a_s": round(finished - started, 2),
        "shutdown_s": round(stopped - finished, 2), "total_s": round(stopped - start, 2), "shards": stats["shards"],
    }


def measure(books: list, args: argparse.Namespace, report: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """Alternate the methods for ``args.rounds`` rounds; return each worker count's best times."""
    corpus_hash, expected = hash_books(books), None
    best: dict[int, dict[str, Any]] = {}
    for round_index in range(args.rounds):
        for workers in args.workers:
            cfg = PrepareConfig(workers=workers, force_sharded=True, books_per_shard=args.books_per_shard)
            single_seconds, result = time_single(books, cfg)
            expected = expected or result
            run = {"workers": workers, "chunk_books_s": round(single_seconds, 2), **time_sharded(books, cfg, corpus_hash, expected)}
            report["runs"].append({**run, "round": round_index, "load": load_average()})
            print(json.dumps(report["runs"][-1]))
            previous = best.setdefault(workers, run)
            best[workers] = {key: min(value, run[key]) for key, value in previous.items()}
    return best


def print_table(best: dict[int, dict[str, Any]], rounds: int) -> None:
    base = next(iter(best.values()))
    print(f"\nbest of {rounds} round(s):")
    print(f"{'workers':>7} {'chunk_books s':>13} {'ray start s':>11} {'stage A s':>9} {'vs chunk_books':>14} {'speed-up':>8}")
    for run in best.values():
        print(
            f"{run['workers']:>7} {run['chunk_books_s']:>13.1f} {run['ray_start_s']:>11.1f} {run['stage_a_s']:>9.1f} "
            f"{run['stage_a_s'] / run['chunk_books_s']:>14.2f} {base['stage_a_s'] / run['stage_a_s']:>8.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--max-books", type=int, default=0, help="Whole authors up to this many books (0 = all).")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--books-per-shard", type=int, default=PrepareConfig().books_per_shard)
    parser.add_argument("--rounds", type=int, default=2, help="Repeat every measurement; the best time of each is reported.")
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()
    setup_environment()
    setup_logging(quiet=True)
    books = select_books(discover_books(args.corpus), args.max_books)
    megabytes = sum(book.path.stat().st_size for book in books) / 2**20
    report: dict[str, Any] = {"books": len(books), "megabytes": round(megabytes, 1), "cpus": os.cpu_count(), "load_before": load_average(), "runs": []}
    print(f"{len(books)} books, {megabytes:.1f} MiB, {os.cpu_count()} CPUs, load average {report['load_before']}")
    best = measure(books, args, report)
    report["best"], report["load_after"] = list(best.values()), load_average()
    print_table(best, args.rounds)
    print(f"load average before {report['load_before']}, after {report['load_after']}")
    if args.output:
        args.output.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
