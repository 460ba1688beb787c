"""Benchmark the search backends of `writing7 index` at library scale: exact numpy, FAISS flat, IVF and HNSW.

    python bench/search_scale.py [--books 20000 60000] [--queries 500] [--threads 1] [--output search_scale.json]

What it measures, per library size and backend (each in a fresh process, so peak RSS is its own):
build seconds, query latency p50/p95 (one query at a time, as `/v1/search` does), recall@10 against
exact search, the RSS the built index added (``index MB``: RSS after the build minus the RSS once the
vectors and the exact answers existed, ``baseline``) and the peak RSS during build and search (the
high-water mark is reset after the baseline, so data generation does not count). IVF and HNSW are
measured at several nprobe / efSearch values on one build.

The vectors are synthetic book centroids (384-d, float32, L2-normalised), seeded:
- 80 % of the books are clustered like a real library: 50 genre centres ~ N(0, I); an author's centre is
  a genre centre + N(0, I); a book is its author's centre + 0.8 N(0, I) (4 books per author on average);
- 20 % are unstructured N(0, I) vectors (the tail of odd books);
- a query is one book's vector + noise of norm 0.6, renormalised: a held-out passage of a known book.
For a query from a clustered book the exact top 10 are real neighbours (cosines about 0.86, then 0.66 down
to 0.42 at 60,000 books); for one of the 20 % unstructured books, rank 1 is its own book (0.86) and ranks
2-10 are near-ties among random vectors (0.21 down to 0.18, 0.003 apart), which no approximate index
finds reliably and which carry no meaning for search. Recall@10 is therefore reported over all queries
and over the queries from clustered books.
This measures speed, memory and recall of the search structures, not retrieval quality. The real index
holds chunks (up to ``max_chunks_per_book`` = 24 per book) as well as centroids: the chunk search of
60,000 books is over ~1.4 M vectors, not measured here (see docs/scaling.md).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from matcher_setup import cpu_description, in_fresh_process

DIMENSION = 384
GENRES = 50
BOOKS_PER_AUTHOR = 4
UNSTRUCTURED_SHARE = 0.2
QUERY_NOISE = 0.6
GROUND_TRUTH_BLOCK = 50


def synthetic_library(books: int, queries: int, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(vectors (books, 384), queries (queries, 384), clustered (queries,) bool)``: L2-normalised float32
    vectors (see the module docstring); ``clustered`` marks the queries drawn from clustered books."""
    generator = np.random.default_rng(seed)
    genres = generator.standard_normal((GENRES, DIMENSION), dtype=np.float32)
    authors = genres[generator.integers(0, GENRES, max(1, books // BOOKS_PER_AUTHOR))]
    authors += generator.standard_normal(authors.shape, dtype=np.float32)
    vectors = authors[generator.integers(0, len(authors), books)] + 0.8 * generator.standard_normal((books, DIMENSION), dtype=np.float32)
    unstructured = generator.random(books) < UNSTRUCTURED_SHARE
    vectors[unstructured] = generator.standard_normal((int(unstructured.sum()), DIMENSION), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    source_rows = generator.choice(books, queries, replace=False)
    noise = generator.standard_normal((queries, DIMENSION), dtype=np.float32)
    noise *= QUERY_NOISE / np.linalg.norm(noise, axis=1, keepdims=True)
    query_vectors = vectors[source_rows] + noise
    query_vectors /= np.linalg.norm(query_vectors, axis=1, keepdims=True)
    return np.ascontiguousarray(vectors), np.ascontiguousarray(query_vectors), ~unstructured[source_rows]


def exact_answers(vectors: np.ndarray, queries: np.ndarray, count: int) -> np.ndarray:
    """(queries, count) exact top rows, computed in blocks (a (500, 60000) matrix would dominate the RSS)."""
    from writing7.inference.vector_index import exact_top_k

    return np.concatenate([exact_top_k(vectors, queries[start : start + GROUND_TRUTH_BLOCK], count)[1] for start in range(0, len(queries), GROUND_TRUTH_BLOCK)])


def recall(found: np.ndarray, exact: np.ndarray) -> float:
    return float(np.mean([len(set(a.tolist()) & set(b.tolist())) / len(b) for a, b in zip(found, exact)]))


def current_rss_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def reset_peak_rss() -> None:
    """Linux: restart the high-water mark (VmHWM) at the current RSS, so the peak excludes data generation."""
    Path("/proc/self/clear_refs").write_text("5")


def peak_rss_mb() -> float:
    """VmHWM: the peak RSS since :func:`reset_peak_rss` (ru_maxrss when /proc has no VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def search_variants(backend: str, ivf_probes: list[int], hnsw_depths: list[int]) -> list[dict]:
    """The search-time settings to measure on one build."""
    if backend == "faiss-ivf":
        return [{"ivf_probes": probes} for probes in ivf_probes]
    if backend == "faiss-hnsw":
        return [{"hnsw_search_depth": depth} for depth in hnsw_depths]
    return [{}]


def measure(books: int, backend: str, queries: int, ivf_probes: list[int], hnsw_depths: list[int], threads: int) -> list[dict]:
    """One backend at one library size, in this (fresh) process: one row per search setting."""
    import dataclasses

    from writing7.inference.vector_index import VectorIndex, VectorIndexSettings, apply_search_settings

    if backend != "numpy":
        import faiss

        faiss.omp_set_num_threads(threads)
    vectors, query_vectors, clustered = synthetic_library(books, queries)
    exact = exact_answers(vectors, query_vectors, 10)
    baseline = current_rss_mb()
    reset_peak_rss()
    started = time.perf_counter()
    index = VectorIndex(vectors, VectorIndexSettings(backend))
    _ = index.faiss_index  # builds it (None for numpy)
    build_seconds = time.perf_counter() - started
    index_megabytes = current_rss_mb() - baseline
    rows = []
    for variant in search_variants(backend, ivf_probes, hnsw_depths):
        settings = dataclasses.replace(index.settings, **variant)
        index.settings = settings
        if index.faiss_index is not None:
            apply_search_settings(index.faiss_index, settings)
        index.search(query_vectors[:20], 10)  # warm-up
        latencies, found = [], []
        for query in query_vectors:
            start = time.perf_counter()
            found.append(index.search(query[None, :], 10)[1][0])
            latencies.append(time.perf_counter() - start)
        milliseconds = np.array(latencies) * 1000
        rows.append({
            "books": books, "backend": backend, **variant, "build_s": round(build_seconds, 2),
            "p50_ms": round(float(np.percentile(milliseconds, 50)), 3), "p95_ms": round(float(np.percentile(milliseconds, 95)), 3),
            "recall_at_10": round(recall(np.array(found), exact), 4),
            "recall_at_10_clustered": round(recall(np.array(found)[clustered], exact[clustered]), 4),
            "peak_rss_mb": round(peak_rss_mb(), 1), "index_mb": round(index_megabytes, 1), "baseline_rss_mb": round(baseline, 1),
        })
    return rows


def table(rows: list[dict]) -> str:
    header = ("| books | backend | search setting | build s | p50 ms | p95 ms | recall@10 | recall@10 clustered | index MB "
              "| peak RSS MB (baseline) |")
    lines = [header, "|" + "---|" * 10]
    for row in rows:
        setting = ", ".join(f"{key.replace('ivf_probes', 'nprobe').replace('hnsw_search_depth', 'efSearch')} {row[key]}" for key in ("ivf_probes", "hnsw_search_depth") if key in row) or "-"
        lines.append(f"| {row['books']:,} | {row['backend']} | {setting} | {row['build_s']} | {row['p50_ms']} | {row['p95_ms']} | "
                     f"{row['recall_at_10']:.4f} | {row['recall_at_10_clustered']:.4f} | {row['index_mb']} | {row['peak_rss_mb']} ({row['baseline_rss_mb']}) |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--books", type=int, nargs="+", default=[20000, 60000])
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--backends", nargs="+", default=["numpy", "faiss", "faiss-ivf", "faiss-hnsw"])
    parser.add_argument("--ivf-probes", type=int, nargs="+", default=[16, 32, 64, 128, 256])
    parser.add_argument("--hnsw-search-depths", type=int, nargs="+", default=[64, 128, 256, 512])
    parser.add_argument("--threads", type=int, default=1, help="BLAS / FAISS threads per process (1: one query at a time, as a server does).")
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = str(args.threads)  # inherited by the fresh processes before they import numpy
    print(f"CPU: {cpu_description()}; load average {os.getloadavg()[0]:.1f} at start; {args.threads} thread(s)")
    rows = []
    for books in args.books:
        for backend in args.backends:
            rows += in_fresh_process(measure, books, backend, args.queries, args.ivf_probes, args.hnsw_search_depths, args.threads)
            print(table(rows[-len(search_variants(backend, args.ivf_probes, args.hnsw_search_depths)):]).splitlines()[-1], flush=True)
    print(f"load average {os.getloadavg()[0]:.1f} at the end\n")
    print(table(rows))
    if args.output:
        args.output.write_text(json.dumps({"cpu": cpu_description(), "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
