"""Benchmark the standardize stage and the sentence splitter on a corpus folder.

Each variant runs in its own subprocess so that its peak RSS is its own:

* ``standardize`` with one process vs a process pool (``--workers``), books/s, MB/s of raw input;
* sentence splitting of the cleaned text: spaCy ``blank("en")`` + sentencizer with our repairs
  (the default), the regex candidates with the same repairs, and a plain regex split
  (``(?<=[.!?])\\s+``), MB/s and sentences found, plus how many spaCy boundaries each also finds.

Usage: ``python bench/standardize.py --corpus ../shared/data/gutenberg [--workers 2] [--sentence-mb 16]``
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PLAIN_SPLIT = re.compile(r"(?<=[.!?])\s+")


def peak_rss_mb() -> float:
    """Peak resident set size of this process and of its finished children, in MB (Linux reports KB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + children) / 1024


def run_standardize(corpus: Path, workers: int) -> dict:
    from writing7.config.standardize import StandardizeConfig
    from writing7.corpus import discover_books
    from writing7.stages.standardize import standardize_books

    books = discover_books(corpus)
    megabytes = sum(book.path.stat().st_size for book in books) / 1e6
    with tempfile.TemporaryDirectory() as output:
        start = time.perf_counter()
        entries = standardize_books(books, Path(output), StandardizeConfig(workers=workers))
        seconds = time.perf_counter() - start
    return {
        "variant": f"standardize, {workers} process{'es' if workers > 1 else ''}",
        "books": len(entries), "megabytes": round(megabytes, 1), "seconds": round(seconds, 2),
        "books_per_second": round(len(entries) / seconds, 1), "megabytes_per_second": round(megabytes / seconds, 2),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def cleaned_sample(corpus: Path, megabytes: float) -> list[str]:
    """Cleaned texts of the first books (in id order) until ``megabytes`` of text are collected."""
    from writing7.corpus import discover_books, read_book

    texts, total = [], 0
    for book in discover_books(corpus):
        text = read_book(book.path).text
        texts.append(text)
        total += len(text.encode("utf-8"))
        if total >= megabytes * 1e6:
            break
    return texts


def split(engine: str, text: str) -> list[int]:
    """Sentence end offsets for one engine."""
    from writing7.text.sentences import split_sentences

    if engine == "plain":
        return [match.start() for match in PLAIN_SPLIT.finditer(text)] + [len(text.rstrip())]
    return [end for _, end in split_sentences(text, use_spacy=engine == "spacy")]


def run_sentences(corpus: Path, engine: str, megabytes: float) -> dict:
    texts = cleaned_sample(corpus, megabytes)
    if engine == "spacy":
        split("spacy", "Warm up. Build the pipeline once.")
    start = time.perf_counter()
    ends = [split(engine, text) for text in texts]
    seconds = time.perf_counter() - start
    size = sum(len(text.encode("utf-8")) for text in texts) / 1e6
    result = {
        "variant": f"sentences, {engine}", "books": len(texts), "megabytes": round(size, 1), "seconds": round(seconds, 2),
        "megabytes_per_second": round(size / seconds, 2), "sentences": sum(map(len, ends)), "peak_rss_mb": round(peak_rss_mb(), 1),
    }
    if engine != "spacy":
        reference = [set(split("spacy", text)) for text in texts]
        shared = sum(len(reference_ends & set(found)) for reference_ends, found in zip(reference, ends))
        result["share_of_spacy_boundaries_found"] = round(shared / sum(map(len, reference)), 4)
    return result


def child(arguments: argparse.Namespace) -> None:
    kind, _, value = arguments.child.partition(":")
    if kind == "standardize":
        result = run_standardize(arguments.corpus, int(value))
    else:
        result = run_sentences(arguments.corpus, value, arguments.sentence_mb)
    print(json.dumps(result))


def launch(arguments: argparse.Namespace, variant: str) -> dict:
    command = [sys.executable, __file__, "--corpus", str(arguments.corpus), "--sentence-mb", str(arguments.sentence_mb), "--child", variant]
    environment = {**os.environ, "WRITING7_QUIET": "1", "OMP_NUM_THREADS": "1"}
    completed = subprocess.run(command, capture_output=True, text=True, env=environment, check=True)
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, required=True, help="Corpus folder (AUTHOR/TITLE.txt).")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="Pool size of the parallel variant.")
    parser.add_argument("--sentence-mb", type=float, default=16.0, help="MB of cleaned text for the sentence variants.")
    parser.add_argument("--child", default="", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        child(arguments)
        return
    variants = ["standardize:1", f"standardize:{arguments.workers}", "sentences:spacy", "sentences:regex", "sentences:plain"]
    results = []
    for variant in variants:
        results.append(launch(arguments, variant))
        print(json.dumps(results[-1]), flush=True)
    serial, pool = results[0], results[1]
    print(f"process pool ({arguments.workers}) vs one process: {serial['seconds'] / pool['seconds']:.2f}x faster")
    spacy, regex = results[2], results[3]
    print(f"regex candidates vs spaCy candidates (same repairs): {spacy['seconds'] / regex['seconds']:.1f}x faster, "
          f"{regex['share_of_spacy_boundaries_found']:.2%} of spaCy's boundaries")


if __name__ == "__main__":
    main()
