"""`writing7 bench-style`: an LLM imitates authors, the trained matcher scores the imitations, reports follow.

Steps: load the matcher (fail fast) -> read the chosen authors' books and pick excerpts, controls and
references (:mod:`~writing7.bench_style.material`) -> generate a neutral control per sample and K
imitations per author (:mod:`~writing7.bench_style.prompts`) -> score every passage against every
author's references (:mod:`~writing7.bench_style.scoring`) -> ``reports/style_bench.{json,md,png}``.
"""

from __future__ import annotations

import csv
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tqdm import tqdm

from writing7.bench_style.backends import GenerationSettings, TextGenerator
from writing7.bench_style.material import AuthorMaterial, author_order, build_material, usable_books
from writing7.bench_style.prompts import Prompt, build_prompts, clean_generation, display_name, trim_to_words
from writing7.bench_style.report import write_reports
from writing7.bench_style.scoring import PairScorer
from writing7.bench_style.summary import summarize_benchmark
from writing7.config.bench_style import BenchStyleConfig
from writing7.corpus import BookFile, discover_books, read_corpus_book
from writing7.progress import progress_disabled
from writing7.text.chunks import Chunk, make_chunks
from writing7.text.sentences import book_sentences

logger = logging.getLogger(__name__)

MIN_STOPWORD_RATIO = 0.3  # English prose runs at 45-55 %; this only drops lists, tables and foreign verse


def make_generator(cfg: BenchStyleConfig) -> TextGenerator:
    """The configured backend (imports stay lazy: the local one pulls in torch and transformers)."""
    settings = GenerationSettings(cfg.max_new_tokens, cfg.temperature, cfg.top_p)
    if cfg.llm == "local":
        from writing7.bench_style.backends.local_smollm import SmolLMGenerator

        return SmolLMGenerator(settings, bf16_autocast=cfg.bf16_autocast)
    from writing7.bench_style.backends.openai_compatible import OpenAICompatibleGenerator, RetryPolicy, api_key_from_environment

    return OpenAICompatibleGenerator(
        base_url=cfg.llm_base_url, model=cfg.llm_model, settings=settings, api_key=api_key_from_environment(),
        timeout_s=cfg.timeout_s, retry=RetryPolicy(max_retries=cfg.max_retries),
        requests_per_second=cfg.requests_per_second, seed=cfg.seed,
    )


def read_author_books(books: Sequence[BookFile], cfg: BenchStyleConfig) -> dict[str, list[Chunk]]:
    """Non-overlapping chunks of each readable book of one author, keyed by book id."""
    chunks_by_book = {}
    for book in books:
        standardized = read_corpus_book(book)
        if standardized.skip_reason:
            logger.warning("skipping %s: %s", book.book_id, standardized.skip_reason)
            continue
        text = standardized.text
        chunks = make_chunks(text, book_sentences(text), book_id=book.book_id, author=book.author,
                             chunk_size=cfg.chunk_size, overlap=cfg.chunk_size, min_chars=cfg.min_chunk_chars,
                             min_stopword_ratio=MIN_STOPWORD_RATIO)
        if chunks:
            chunks_by_book[book.book_id] = chunks
    return chunks_by_book


def gather_material(corpus: Path, cfg: BenchStyleConfig) -> dict[str, AuthorMaterial]:
    """Read authors in :func:`author_order` until enough have usable text; build their material."""
    books_by_author: dict[str, list[BookFile]] = {}
    for book in discover_books(corpus):
        books_by_author.setdefault(book.author, []).append(book)
    wanted = len(cfg.authors) or cfg.n_authors
    materials: dict[str, AuthorMaterial] = {}
    book_counts = {author: len(books) for author, books in books_by_author.items()}
    for author in author_order(book_counts, requested=cfg.authors, seed=cfg.seed):
        chunks_by_book = read_author_books(books_by_author[author], cfg)
        if cfg.authors or usable_books(chunks_by_book, controls=cfg.samples):
            materials[author] = build_material(author, chunks_by_book, controls=cfg.samples,
                                               references=cfg.reference_chunks, seed=cfg.seed)
        if len(materials) == wanted:
            return dict(sorted(materials.items()))
    raise ValueError(f"only {len(materials)} of {len(books_by_author)} authors in {corpus} have a book with "
                     f"{1 + cfg.samples} usable chunks; lower --n-authors or --samples, or add books")


def catalog_names(corpus: Path) -> dict[str, str]:
    """``author_slug -> author`` from ``corpus/catalog.csv`` when the corpus has one (the shared corpus does)."""
    path = Path(corpus) / "catalog.csv"
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["author_slug"]: row["author"] for row in csv.DictReader(handle) if row.get("author_slug")}


def generate_passages(generator: TextGenerator, prompts: Sequence[Prompt]) -> list[str]:
    """One cleaned passage per prompt, in order."""
    passages = []
    for number, prompt in enumerate(tqdm(prompts, desc="generating", unit="passage", disable=progress_disabled()), 1):
        started = time.perf_counter()
        raw = generator.generate(prompt.messages, seed=prompt.seed)
        passage = clean_generation(raw) or raw.strip()
        logger.info("passage %d/%d (%s %s, sample %d): %d words in %.1f s", number, len(prompts), prompt.kind,
                    prompt.author or "control", prompt.sample, len(passage.split()), time.perf_counter() - started)
        if not passage:
            raise ValueError(f"the LLM returned an empty passage for {prompt.kind} {prompt.author} sample {prompt.sample}; "
                             "raise max_new_tokens or try another model")
        passages.append(passage)
    return passages


def benchmark_prompts(materials: dict[str, AuthorMaterial], cfg: BenchStyleConfig,
                      names: dict[str, str]) -> tuple[list[Prompt], dict[str, str]]:
    """The prompts (neutral controls, then imitations) and the excerpt shown for each author."""
    excerpts = {author: trim_to_words(material.excerpt.text, cfg.excerpt_words) for author, material in materials.items()}
    authors = {author: (display_name(author, names.get(author)), excerpt) for author, excerpt in excerpts.items()}
    prompts = build_prompts(authors=authors, samples=cfg.samples, seed=cfg.seed, mode=cfg.prompt_mode,
                            max_new_tokens=cfg.max_new_tokens)
    return prompts, excerpts


def run(cfg: BenchStyleConfig, *, model_dir: Path, corpus: Path, output: Path, matcher: PairScorer | None = None,
        generator: TextGenerator | None = None) -> dict[str, Any]:
    """Run the benchmark and write ``output/style_bench.{json,md,png}``; return the report.

    ``matcher`` and ``generator`` default to ``Matcher.load(model_dir)`` and the configured backend.
    """
    started = time.perf_counter()
    if cfg.threads:
        import torch

        torch.set_num_threads(cfg.threads)
    if matcher is None:
        from writing7.inference.matcher import Matcher

        matcher = Matcher.load(model_dir, uncalibrated=cfg.uncalibrated)
    materials = gather_material(corpus, cfg)
    prompts, excerpts = benchmark_prompts(materials, cfg, catalog_names(corpus))
    owned_generator = generator is None
    generator = generator or make_generator(cfg)
    logger.info("generating %d passages with %s", len(prompts), generator.description)
    generation_started = time.perf_counter()
    try:
        passages = generate_passages(generator, prompts)
    finally:
        if owned_generator and hasattr(generator, "close"):
            generator.close()  # the HTTP client's connections
    scoring_started = time.perf_counter()
    report = summarize_benchmark(matcher, materials, prompts, passages)
    finished = time.perf_counter()
    report.update(
        llm=generator.description, model=str(model_dir), calibrated=bool(getattr(matcher, "calibrated", True)),
        config=cfg.to_dict(), excerpts=excerpts,
        timing={"wall_s": finished - started, "generation_s": scoring_started - generation_started,
                "scoring_s": finished - scoring_started, "passages": len(prompts)},
    )
    paths = write_reports(report, output)
    logger.info("wrote %s", ", ".join(str(path) for path in paths.values()))
    return report
