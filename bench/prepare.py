"""Benchmark `writing7 prepare`: wall time and peak RSS per phase, our encoder vs SentenceTransformer.encode,
exact neighbour search vs faiss IndexFlatIP.

    python bench/prepare.py --corpus ../shared/data/gutenberg [--config configs/cpu-default.toml] [--output bench.json]

1. Runs the stage's own two steps (``chunk_books`` then ``build_dataset``, then ``save_to_disk`` into a
   temporary folder) and prints seconds and peak RSS of every phase.
2. Encodes the same sample of passages (those the embed phase would embed, evenly thinned) with
   ``SentenceTransformer.encode`` (fp32), our :class:`ChunkEncoder` in fp32, and ours with the
   configured precision (bf16 where native), alternating rounds and keeping each one's best time.
3. Times top-K search on the sample's book centroids and on a synthetic 20k x 384 matrix with
   :func:`exact_top_k` and with ``faiss.IndexFlatIP``, and checks that both return the same neighbours.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from writing7.cli.common import setup_environment, setup_logging
from writing7.config.prepare import PrepareConfig
from writing7.corpus import discover_books
from writing7.models.bi_encoder import resolve_base_model
from writing7.prepare.chunking import chunk_books, select_books
from writing7.prepare.dataset import build_dataset
from writing7.prepare.embedding import ChunkEncoder, book_centroids
from writing7.prepare.neighbours import exact_top_k, faiss_top_k, normalize_rows
from writing7.prepare.phases import PhaseTimer
from writing7.text.chunks import sample_chunks


def run_phases(cfg: PrepareConfig, corpus: Path) -> tuple[PhaseTimer, dict, list]:
    timer = PhaseTimer()
    books = select_books(discover_books(corpus), cfg.max_books)
    with timer.phase("chunk"):
        book_chunks = chunk_books(books, cfg)
    dataset, stats = build_dataset(book_chunks, cfg, timer=timer)
    with tempfile.TemporaryDirectory() as temporary, timer.phase("save"):
        dataset.save_to_disk(temporary)
    return timer, stats, book_chunks


def best_seconds(function, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def compare_encoders(cfg: PrepareConfig, texts: list[str], rounds: int) -> tuple[dict, np.ndarray]:
    """Chunks/s of SentenceTransformer.encode (fp32) and of our encoder (fp32 and configured); our embeddings."""
    from sentence_transformers import SentenceTransformer

    reference = SentenceTransformer(resolve_base_model(cfg.embed_model), device="cpu")
    reference.max_seq_length = cfg.max_seq_length
    ours_fp32 = ChunkEncoder.load(cfg.embed_model, device="cpu", max_seq_length=cfg.max_seq_length, precision="fp32")
    ours = ChunkEncoder.load(cfg.embed_model, device="cpu", max_seq_length=cfg.max_seq_length, precision=cfg.embed_precision)
    ours.check_precision(texts[:: max(1, len(texts) // 32)])
    candidates = {
        "sentence_transformers_fp32": lambda: reference.encode(texts, batch_size=cfg.embed_batch_size, normalize_embeddings=True),
        "ours_fp32": lambda: ours_fp32.encode(texts, batch_size=cfg.embed_batch_size),
        f"ours_{ours.dtype_name}": lambda: ours.encode(texts, batch_size=cfg.embed_batch_size),
    }
    seconds, outputs = {name: float("inf") for name in candidates}, {}
    for _ in range(rounds):  # alternate, so that a busy machine slows every candidate alike
        for name, function in candidates.items():
            start = time.perf_counter()
            outputs[name] = function()
            seconds[name] = min(seconds[name], time.perf_counter() - start)
    ours_name, baseline = f"ours_{ours.dtype_name}", seconds["sentence_transformers_fp32"]
    agreement = float(np.min(np.sum(outputs["sentence_transformers_fp32"] * outputs[ours_name], axis=1)))
    result = {
        "passages": len(texts), "max_seq_length": cfg.max_seq_length, "batch_size": cfg.embed_batch_size,
        "chunks_per_second": {name: round(len(texts) / value, 1) for name, value in seconds.items()},
        "speedup_vs_sentence_transformers": {name: round(baseline / value, 2) for name, value in seconds.items()},
        "min_cosine_ours_vs_sentence_transformers": round(agreement, 5),
    }
    return result, outputs[ours_name]


def compare_search(vectors: np.ndarray, k: int, rounds: int) -> dict:
    vectors = normalize_rows(vectors)
    exact = best_seconds(lambda: exact_top_k(vectors, vectors, k), rounds)
    faiss = best_seconds(lambda: faiss_top_k(vectors, vectors, k), rounds)
    same_rows = np.mean(np.all(exact_top_k(vectors, vectors, k)[1] == faiss_top_k(vectors, vectors, k)[1], axis=1))
    return {
        "rows": len(vectors), "dim": vectors.shape[1], "k": k, "exact_seconds": round(exact, 4),
        "faiss_seconds": round(faiss, 4), "faiss_over_exact": round(faiss / exact, 2), "identical_rows": round(float(same_rows), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--config", type=Path, default=None, help="TOML with a [prepare] table (default: built-in defaults).")
    parser.add_argument("--max-books", type=int, default=None)
    parser.add_argument("--encode-sample", type=int, default=384, help="Passages in the encoder comparison.")
    parser.add_argument("--rounds", type=int, default=3, help="Timing rounds; the best of each is kept.")
    parser.add_argument("--synthetic-rows", type=int, default=20_000)
    parser.add_argument("--output", type=Path, default=None, help="Also write the results as JSON here.")
    args = parser.parse_args()
    setup_environment()
    setup_logging(quiet=True)
    cfg = PrepareConfig.load(args.config, max_books=args.max_books)
    print(f"torch threads {torch.get_num_threads()}, cpu count {os.cpu_count()}, load average {os.getloadavg()}", file=sys.stderr)

    timer, stats, book_chunks = run_phases(cfg, args.corpus)
    samples = [sample_chunks(book.chunks, cfg.num_chunks_for_embed, cfg.seed) for book in book_chunks]
    texts = [chunk.text for sample in samples for chunk in sample]
    owners = np.repeat(np.arange(len(samples)), [len(sample) for sample in samples])
    keep = np.linspace(0, len(texts) - 1, min(args.encode_sample, len(texts))).astype(int)
    encoders, sample_embeddings = compare_encoders(cfg, [texts[i] for i in keep], args.rounds)
    centroids = book_centroids(sample_embeddings, owners[keep], len(samples))
    centroids = centroids[np.linalg.norm(centroids, axis=1) > 0]
    k = cfg.num_hard_negative_books + 4  # as neighbour_books fetches: k + the most books of one author
    search = {
        "book_centroids": compare_search(centroids, k, args.rounds),
        "synthetic": compare_search(np.random.default_rng(0).standard_normal((args.synthetic_rows, 384)), k, args.rounds),
    }
    result = {
        "books": stats["books_used"], "chunks_kept": stats["chunks_kept"], "pairs": {s: i["pairs"] for s, i in stats["splits"].items()},
        "embedding_dtype": stats["embedding"]["dtype"], "phases": timer.to_dict(),
        "total_seconds": round(sum(timer.seconds.values()), 1), "encoders": encoders, "search": search,
    }
    print_report(result)
    if args.output:
        args.output.write_text(json.dumps(result, indent=2) + "\n")


def print_report(result: dict) -> None:
    print(f"prepare: {result['books']} books, {result['chunks_kept']} passages, pairs {result['pairs']}, embeddings {result['embedding_dtype']}")
    print("| phase | seconds | peak RSS MiB |\n|---|---|---|")
    for phase, seconds in result["phases"]["seconds"].items():
        print(f"| {phase} | {seconds:.2f} | {result['phases']['peak_rss_mb'][phase]:.0f} |")
    print(f"| total | {result['total_seconds']:.1f} | |")
    encoders = result["encoders"]
    print(f"\nencoder, {encoders['passages']} passages, {encoders['max_seq_length']} tokens, batch {encoders['batch_size']}:")
    for name, rate in encoders["chunks_per_second"].items():
        print(f"  {name:28s} {rate:8.1f} chunks/s  x{encoders['speedup_vs_sentence_transformers'][name]:.2f}")
    print(f"  min cosine ours vs sentence-transformers: {encoders['min_cosine_ours_vs_sentence_transformers']}")
    for name, search in result["search"].items():
        print(
            f"search {name} ({search['rows']} x {search['dim']}, k={search['k']}): exact {search['exact_seconds']:.4f} s, "
            f"faiss IndexFlatIP {search['faiss_seconds']:.4f} s, identical rows {search['identical_rows']:.4f}"
        )


if __name__ == "__main__":
    main()
