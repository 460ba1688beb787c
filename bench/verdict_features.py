"""The verdict's pair features on an attribution-shaped workload: one call per pair against one per text, and encoding
with a warm passage-embedding cache against encoding again.

``--queries`` texts of ``--words`` words are each paired with ``--books`` whole books (as ``calibrate-attribution`` and
``writing7 attribute`` do: every query against every known text). The texts are represented once
(:meth:`Matcher.represent`); then, side by side on those representations, in alternating rounds:

- ``per pair``: ``Matcher.features_between`` called once per pair (the featurizer's calling pattern before: one
  pair-head call and one sparse TF-IDF product per pair);
- ``grouped``: one call with every pair (the featurizer now: each query's pairs through the head together, the
  TF-IDF cosines from one cross product).

Both paths use the rare-word overlap as it is now (idf summed over the intersection; each text's own sum kept in its
profile); ``--union-sum`` also times the former sum over the union of the two word sets, on the same pairs.

Both must give the same features (checked). Then the passages of the queries and books are encoded twice by a model
with :meth:`MatcherModel.cache_embeddings` on an empty cache folder: the first pass computes and stores, the second
reads back. Each figure comes with the CPU (model, AVX2 / AVX-512 / AVX512-BF16 / AMX) and the precision.

Usage::

    python bench/verdict_features.py --model artifacts/models/book_matcher_contrastive/final --queries 20 --books 20
"""

from __future__ import annotations

import argparse
import math
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from matcher_setup import SHARED_CORPUS, cpu_description, passages, report_and_table, trained_model  # noqa: E402


def whole_books(count: int) -> list[str]:
    from writing7.corpus import discover_books, read_book

    return [read_book(book.path).text for book in discover_books(SHARED_CORPUS)[:count]]


def timed(function) -> tuple[float, object]:
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, default=None, help="A calibrated model folder (default: the usual artifacts).")
    parser.add_argument("--queries", type=int, default=20)
    parser.add_argument("--words", type=int, default=1000)
    parser.add_argument("--books", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--union-sum", action="store_true", help="Also time the rare-word overlap summed over the union.")
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args()

    from writing7.inference.matcher import Matcher
    from writing7.models.matcher import MatcherModel

    model_dir = args.model or trained_model()
    if model_dir is None:
        sys.exit("error: no calibrated model found: pass --model MODEL_DIR (a folder `writing7 calibrate` has run on)")
    matcher = Matcher.load(model_dir)
    queries = [text for _, text in passages(args.queries, words=args.words)]
    texts = [*queries, *whole_books(args.books)]
    represented = matcher.represent(texts)
    first = np.repeat(np.arange(len(queries)), args.books)
    second = np.tile(len(queries) + np.arange(args.books), len(queries))

    times: dict[str, list[float]] = {"per pair": [], "grouped": []}
    for _ in range(args.rounds):
        seconds, per_pair = timed(lambda: np.concatenate([matcher.features_between(represented, [a], [b]).values for a, b in zip(first, second)]))
        times["per pair"].append(seconds)
        seconds, grouped = timed(lambda: matcher.features_between(represented, first, second).values)
        times["grouped"].append(seconds)
        np.testing.assert_allclose(grouped, per_pair, rtol=1e-5, atol=1e-6)

    from writing7.inference.documents import document_chunks

    flat = [passage for text in texts for passage in document_chunks(text, matcher.verdict.settings)]
    with tempfile.TemporaryDirectory() as cache:
        model = MatcherModel.load(model_dir)
        model.cache_embeddings(model_dir, Path(cache))
        cold, computed = timed(lambda: model.encode(flat))
        warm, read_back = timed(lambda: model.encode(flat))
        np.testing.assert_array_equal(read_back, computed)
        precision = model.precision

    rare_word = {}
    if args.union_sum:
        profiler, profiles = matcher.verdict.profiler, represented.profiles
        weight = profiler.word_idf_.get

        def union_sum():
            return [math.fsum(weight(w, profiler.unseen_idf_) for w in profiles.word_sets[a] & profiles.word_sets[b])
                    / math.fsum(weight(w, profiler.unseen_idf_) for w in profiles.word_sets[a] | profiles.word_sets[b]) for a, b in zip(first, second)]

        rare_word["union sum"], former = timed(union_sum)
        rare_word["intersection sum"], current = timed(lambda: [profiler._rare_word_overlap(profiles, a, b) for a, b in zip(first, second)])
        np.testing.assert_allclose(current, former, rtol=1e-9)

    pairs = len(first)
    median = {name: statistics.median(values) for name, values in times.items()}
    report = {
        "cpu": cpu_description(), "precision": precision, "model": str(model_dir), "queries": len(queries), "query_words": args.words,
        "books": args.books, "pairs": pairs, "rounds": args.rounds,
        "pairs_per_second": {name: pairs / seconds for name, seconds in median.items()},
        "speedup_grouped": median["per pair"] / median["grouped"],
        "passages": len(flat), "encode_seconds": {"computed and stored": cold, "read back": warm}, "rare_word_seconds": rare_word,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    lines = [f"| {name} | {pairs / median[name]:.1f} pairs/s | {median[name]:.2f} s |" for name in times]
    lines += [f"| rare-word overlap, {name} | {pairs / seconds:.1f} pairs/s | {seconds:.2f} s |" for name, seconds in rare_word.items()]
    lines += [f"| encode {len(flat)} passages, cache cold | {len(flat) / cold:.1f} passages/s | {cold:.2f} s |",
              f"| encode again, cache warm | {len(flat) / warm:.1f} passages/s | {warm:.2f} s |"]
    header = (f"{cpu_description()}; precision {precision}; {len(queries)} queries of {args.words} words x {args.books} whole books; "
              f"peak RSS {report['peak_rss_mib']:.0f} MiB\n| path | throughput | median time |\n|---|---|---|")
    report_and_table(report, header, lines, args.output)


if __name__ == "__main__":
    main()
