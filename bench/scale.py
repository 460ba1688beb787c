"""Scale benchmark of `writing7 prepare` on a synthetic library of thousands of books (throughput and memory, not quality).

    python bench/scale.py --corpus ../shared/data/gutenberg --books 1000 5000 [--config configs/cpu-default.toml] [--stage-a pool ray]

The synthetic library is assembled from the real sample corpus: every real book is standardized (as
prepare does) and cut into chapters of ``--chapter-words`` words at paragraph boundaries; the chapters of
one real author are shuffled and dealt out, ``--chapters-per-book`` at a time, to new books
``synthetic-NNNNN-of-<author>/book-NNN.txt`` (3 books per new author), wrapped in Gutenberg start/end
lines. A chapter goes to one synthetic book only while the real author's chapters last; beyond that
(large ``--books``) chapters are reused, and a reused copy is rewritten (:func:`rewrite_chapter`: its
paragraphs, and the sentences inside each paragraph, in a new seeded order) so that its 10-sentence
passages are new text to dedup and every later phase does the full job; the report says how many
chapters were reused. Books keep the words and sentences of their real author, so neighbour mining,
topics and pairs do real work, but the numbers say how fast and how big, not how good.

Per library size it runs prepare's own phases in this process (``chunk_books``, then ``build_dataset``'s
phases, then ``save_to_disk``) and prints seconds, books/s and peak RSS per phase, with the CPU and the
load average. ``--stage-a`` says how stage A (read, clean, chunk) runs, side by side on the same library:
``pool`` (prepare's process pool of ``[prepare] workers``) and/or ``ray`` (prepare's sharded path, a private
local Ray with ``[prepare] workers`` CPUs writing shard files, as ``--force-sharded`` does; docs/ray.md).
Stage B (dedup, embedding, mining, pairs) is the same code in the driver either way. Peak RSS is this
process's; Ray workers are separate processes and not counted in it.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from matcher_setup import cpu_description

from writing7.cli.common import setup_environment, setup_logging
from writing7.config.prepare import PrepareConfig
from writing7.corpus import discover_books, read_book
from writing7.prepare.chunking import chunk_books, select_books
from writing7.prepare.dataset import build_dataset
from writing7.prepare.phases import PhaseTimer
from writing7.prepare.sharding import chunk_books_sharded

BOOKS_PER_AUTHOR = 3
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def chapters_of(text: str, words_per_chapter: int) -> list[str]:
    """Consecutive runs of whole paragraphs of at least ``words_per_chapter`` words (a short tail is dropped)."""
    chapters, current, count = [], [], 0
    for paragraph in (part.strip() for part in text.split("\n\n")):
        if not paragraph:
            continue
        current.append(paragraph)
        count += len(paragraph.split())
        if count >= words_per_chapter:
            chapters.append("\n\n".join(current))
            current, count = [], 0
    return chapters


def rewrite_chapter(chapter: str, generator: random.Random) -> str:
    """The chapter's paragraphs in a new order, each with its sentences shuffled: the same words, new passages."""
    paragraphs = [SENTENCE_END.split(paragraph) for paragraph in chapter.split("\n\n")]
    for sentences in paragraphs:
        generator.shuffle(sentences)
    generator.shuffle(paragraphs)
    return "\n\n".join(" ".join(sentences) for sentences in paragraphs)


def chapters_by_author(corpus: Path, words_per_chapter: int) -> dict[str, list[str]]:
    pools: dict[str, list[str]] = {}
    for book in discover_books(corpus):
        standardized = read_book(book.path)
        if not standardized.skip_reason:
            pools.setdefault(book.author, []).extend(chapters_of(standardized.text, words_per_chapter))
    return {author: chapters for author, chapters in pools.items() if chapters}


def write_synthetic_library(corpus: Path, target: Path, *, books: int, chapters_per_book: int, words_per_chapter: int, seed: int) -> dict:
    """Write ``books`` synthetic books under ``target``; returns how they were made."""
    generator = random.Random(seed)
    pools = chapters_by_author(corpus, words_per_chapter)
    authors = sorted(pools)
    decks: dict[str, list[str]] = {author: [] for author in authors}
    fills = dict.fromkeys(authors, 0)
    reused = 0
    for number in range(books):
        source = authors[(number // BOOKS_PER_AUTHOR) % len(authors)]
        chapters = []
        for _ in range(chapters_per_book):
            if not decks[source]:  # the author's chapters are all dealt: reshuffle them (repeats from now on)
                decks[source] = generator.sample(pools[source], len(pools[source]))
                fills[source] += 1
            chapter = decks[source].pop()
            if fills[source] > 1:  # a reused chapter: rewritten, so dedup sees new passages
                chapter = rewrite_chapter(chapter, generator)
                reused += 1
            chapters.append(chapter)
        folder = target / f"synthetic-{number // BOOKS_PER_AUTHOR:05d}-of-{source}"
        folder.mkdir(parents=True, exist_ok=True)
        title = f"BOOK {number:06d}"
        body = "\n\n".join(chapters)
        (folder / f"book-{number:06d}.txt").write_text(
            f"*** START OF THE PROJECT GUTENBERG EBOOK {title} ***\n\n{body}\n\n*** END OF THE PROJECT GUTENBERG EBOOK {title} ***\n",
            encoding="utf-8",
        )
    return {"real_authors": len(authors), "real_chapters": sum(map(len, pools.values())), "chapters_reused": reused}


def measure_prepare(cfg: PrepareConfig, corpus: Path, *, stage_a: str) -> dict:
    """prepare's phases on ``corpus`` (stage A by ``stage_a``: "pool" or "ray"): seconds and peak RSS per phase, books/s overall."""
    timer = PhaseTimer()
    books = select_books(discover_books(corpus), cfg.max_books)
    if stage_a == "ray":
        with tempfile.TemporaryDirectory(prefix="writing7-shards-") as shards:
            book_chunks, _ = chunk_books_sharded(books, cfg, directory=Path(shards), corpus_hash=f"scale-{len(books)}", timer=timer)
    else:
        with timer.phase("chunk"):
            book_chunks = chunk_books(books, cfg)
    dataset, stats = build_dataset(book_chunks, cfg, timer=timer)
    with tempfile.TemporaryDirectory() as temporary, timer.phase("save"):
        dataset.save_to_disk(temporary)
    total = sum(timer.seconds.values())
    return {
        "books": len(books), "books_used": stats.get("books_used"), "chunks_kept": stats.get("chunks_kept"),
        "pairs": {split: values.get("pairs") for split, values in stats.get("splits", {}).items()},
        "dedup": stats.get("dedup"), "phases": timer.to_dict(), "total_seconds": round(total, 1),
        "books_per_second": round(len(books) / max(total, 1e-9), 2),
    }


def report(size: int, stage_a: str, result: dict) -> str:
    phases = result["phases"]
    lines = [(f"{size:,} synthetic books, stage A on {stage_a}: {result['total_seconds']} s, {result['books_per_second']} books/s, "
              f"{result['chunks_kept']} chunks kept, pairs {result['pairs']}, dedup {result['dedup']}"),
             "| phase | seconds | books/s | peak RSS MiB |", "|---|---|---|---|"]
    for name, seconds in phases["seconds"].items():
        rate = round(size / seconds, 1) if seconds else "-"
        lines.append(f"| {name} | {seconds} | {rate} | {phases['peak_rss_mb'][name]} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, required=True, help="The real sample corpus (AUTHOR/TITLE.txt).")
    parser.add_argument("--books", type=int, nargs="+", default=[1000])
    parser.add_argument("--config", type=Path, default=None, help="TOML with a [prepare] table (default: built-in defaults).")
    parser.add_argument("--chapters-per-book", type=int, default=8)
    parser.add_argument("--chapter-words", type=int, default=2500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--stage-a", nargs="+", choices=("pool", "ray"), default=["pool"],
                        help="How stage A runs; several are measured one after the other on the same library.")
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args()
    setup_environment()
    setup_logging()
    cfg = PrepareConfig.load(args.config)
    print(f"CPU: {cpu_description()}; load average {os.getloadavg()[0]:.1f} at start")
    results = {}
    for size in args.books:
        with tempfile.TemporaryDirectory(prefix="writing7-scale-") as temporary:
            library = Path(temporary) / "corpus"
            made = write_synthetic_library(args.corpus, library, books=size, chapters_per_book=args.chapters_per_book,
                                           words_per_chapter=args.chapter_words, seed=args.seed)
            for stage_a in args.stage_a:
                key = f"{size} {stage_a}"
                results[key] = {"library": made, **measure_prepare(cfg, library, stage_a=stage_a)}
                print(report(size, stage_a, results[key]))
                print(f"library: {made}; load average {os.getloadavg()[0]:.1f}\n", flush=True)
    if args.output:
        args.output.write_text(json.dumps({"cpu": cpu_description(), "results": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
