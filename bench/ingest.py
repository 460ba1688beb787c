"""Benchmark `writing7 ingest gutenberg` against the obvious alternative, on a local faulty mirror.

Serves real books (the shared corpus when present, else the fixture excerpts) from
`writing7.ingest.testing_server.MirrorServer` in its own process, then fetches N books:

* writing7: the real stage (`run_gutenberg`) at `--concurrency` (asyncio + httpx, retries with backoff,
  validation, atomic writes with fsync, a durable manifest);
* sequential: a plain loop over one `httpx.Client`: GET, retry up to the same count on an exception or
  a 5xx/429 after a short fixed sleep, write the file.

with 0 % and 30 % of requests faulted (500, 503, 429 + Retry-After, reset, stall, truncated body).
Each trial runs in a fresh process so its peak RSS is its own. Books/s counts books that arrived
byte-identical (sha256 checked after the clock stops).

    python bench/ingest.py [--books 200] [--concurrency 16] [--fault-rates 0 0.3] [--latencies-ms 0 50]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import multiprocessing
import resource
import tempfile
import time
from pathlib import Path

import httpx

from writing7.config.ingest import IngestConfig
from writing7.ingest.testing_server import FaultSchedule, MirrorServer
from writing7.stages.ingest import run_gutenberg

SHARED_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "data" / "gutenberg"
FIXTURE_CORPUS = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "corpus"
TIMEOUT_SECONDS, STALL_SECONDS, RETRIES, RETRY_AFTER = 2.0, 6.0, 6, 1


def book_sources(count: int) -> dict[int, Path]:
    """Gutenberg id -> file: the shared corpus's catalog, else the fixture excerpts under made-up ids."""
    if (SHARED_CORPUS / "catalog.csv").is_file():
        with (SHARED_CORPUS / "catalog.csv").open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))[:count]
        return {int(row["gutenberg_id"]): SHARED_CORPUS / row["author_slug"] / f"{row['title_slug']}.txt" for row in rows}
    fixtures = sorted(FIXTURE_CORPUS.rglob("*.txt"))
    return {100_000 + index: fixtures[index % len(fixtures)] for index in range(count)}


def load_books(sources: dict[int, Path]) -> dict[int, bytes]:
    # A unique trailer per id keeps replicated fixture excerpts distinct books.
    unique = not (SHARED_CORPUS / "catalog.csv").is_file()
    return {book_id: path.read_bytes() + (f"\n{book_id}\n".encode() if unique else b"") for book_id, path in sources.items()}


def serve(sources: dict[int, Path], fault_rate: float, latency: float, address: multiprocessing.Queue, stop: multiprocessing.Event) -> None:
    faults = FaultSchedule(fault_rate, seed=0)
    books = load_books(sources)
    with MirrorServer(books, faults=faults, stall_seconds=STALL_SECONDS, retry_after=RETRY_AFTER, latency_seconds=latency) as server:
        address.put(server.url)
        stop.wait()


def fetch_with_writing7(book_ids: list[int], mirror: str, corpus: Path, concurrency: int) -> None:
    config = IngestConfig(
        mirror=mirror, concurrency=concurrency, timeout_seconds=TIMEOUT_SECONDS, retries=RETRIES,
        backoff_seconds=0.1, backoff_max_seconds=2.0, max_retry_after_seconds=RETRY_AFTER, delay_seconds=0.0,
    )
    run_gutenberg(config, book_ids=book_ids, corpus=corpus)


def fetch_sequentially(book_ids: list[int], mirror: str, corpus: Path) -> None:
    """The obvious alternative: one plain httpx.Client, one book after the other, honouring Retry-After."""
    corpus.mkdir(parents=True, exist_ok=True)
    with httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=True) as client:
        for book_id in book_ids:
            for _ in range(RETRIES + 1):
                try:
                    response = client.get(f"{mirror}/cache/epub/{book_id}/pg{book_id}.txt")
                except httpx.HTTPError:
                    time.sleep(0.1)
                    continue
                if response.status_code == 200:
                    (corpus / f"{book_id}.txt").write_bytes(response.content)
                if response.status_code < 500 and response.status_code != 429:
                    break
                time.sleep(float(response.headers.get("retry-after", 0.1)))


def trial(mode: str, book_ids: list[int], mirror: str, concurrency: int, expected: dict[int, str], results: multiprocessing.Queue) -> None:
    with tempfile.TemporaryDirectory() as directory:
        corpus = Path(directory) / "corpus"
        start = time.perf_counter()
        if mode == "writing7":
            fetch_with_writing7(book_ids, mirror, corpus, concurrency)
        else:
            fetch_sequentially(book_ids, mirror, corpus)
        seconds = time.perf_counter() - start
        arrived = {hashlib.sha256(path.read_bytes()).hexdigest() for path in corpus.rglob("*.txt")}
    correct = sum(1 for digest in expected.values() if digest in arrived)
    results.put({"mode": mode, "seconds": seconds, "correct": correct, "peak_rss_mb": peak_rss_megabytes()})


def peak_rss_megabytes() -> float:
    """This process's peak RSS. VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec, so a spawned
    child would report the parent's peak (the parent holds every book to hash them)."""
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_trial(context, mode: str, book_ids: list[int], mirror: str, concurrency: int, expected: dict[int, str]) -> dict:
    results = context.Queue()
    process = context.Process(target=trial, args=(mode, book_ids, mirror, concurrency, expected, results))
    process.start()
    result = results.get()
    process.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--books", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--fault-rates", type=float, nargs="+", default=[0.0, 0.3])
    parser.add_argument("--latencies-ms", type=float, nargs="+", default=[0.0], help="server delay before each answer")
    arguments = parser.parse_args()
    sources = book_sources(arguments.books)
    book_ids = sorted(sources)
    expected = {book_id: hashlib.sha256(data).hexdigest() for book_id, data in load_books(sources).items()}
    megabytes = sum(path.stat().st_size for path in sources.values()) / 1e6
    print(f"{len(book_ids)} books, {megabytes:.1f} MB, from {'the shared corpus' if SHARED_CORPUS.is_dir() else 'fixtures'}; "
          f"timeout {TIMEOUT_SECONDS}s, stall {STALL_SECONDS}s, {RETRIES} retries, Retry-After {RETRY_AFTER}s")
    print(f"{'mode':<22}{'latency':>8}{'faults':>7}{'books ok':>10}{'seconds':>9}{'books/s':>9}{'peak RSS MB':>13}")
    context = multiprocessing.get_context("spawn")
    scenarios = [(latency, rate) for latency in arguments.latencies_ms for rate in arguments.fault_rates]
    for latency, fault_rate in scenarios:
        for mode in ("writing7", "sequential"):  # a fresh mirror each: both face the same fault schedule
            address, stop = context.Queue(), context.Event()
            server = context.Process(target=serve, args=(sources, fault_rate, latency / 1000, address, stop), daemon=True)
            server.start()
            try:
                result = run_trial(context, mode, book_ids, address.get(timeout=120), arguments.concurrency, expected)
            finally:
                stop.set()
                server.join(30)
            label = f"writing7 c={arguments.concurrency}" if mode == "writing7" else "sequential httpx"
            print(f"{label:<22}{latency:>6.0f}ms{fault_rate:>7.0%}{result['correct']:>6}/{len(book_ids):<3}{result['seconds']:>9.2f}"
                  f"{result['correct'] / result['seconds']:>9.1f}{result['peak_rss_mb']:>13.0f}", flush=True)

if __name__ == "__main__":
    main()
