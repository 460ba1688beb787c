"""The length suite: pairs of one split's books at 200, 1,000, 5,000 words and whole halves.

Shared by ``calibrate`` (fits the verdict on the validation split, and saves the fitting pairs' features:
:func:`save_fit_features`), ``evaluate`` (reports the test split by length, with baselines fitted on those
features) and ``calibrate-attribution`` (reads a split's books). Books come from the corpus through :func:`writing7.corpus.read_corpus_book` (the
standardized text, as everywhere); which books belong to a split comes from ``data/processed``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from writing7.artifacts import atomic_write_bytes, require_input
from writing7.corpus import discover_books, discover_corpora, read_corpus_book
from writing7.inference.verdict import PairFeatures
from writing7.pair_files import load_pair_split
from writing7.prepare.length_pairs import LENGTHS, LengthPairs, length_pairs, nearest_other_author_books

logger = logging.getLogger(__name__)
# Excerpts cut per book and length: 4 x 5,000 words gives 6 same-book pairs per book (2 gave 1: too few test pairs
# for a calibration error below its sampling floor).
EXCERPTS_PER_BOOK = {"200": 6, "1000": 4, "5000": 4, "book": 2}


def split_books(processed: Path, split: str) -> dict[str, str]:
    """``{book_id: author}`` of one split of the pair dataset."""
    from datasets import load_from_disk

    table = load_from_disk(str(processed))[split]
    columns = table.select_columns(["book1", "book2", "author1", "author2"]).to_dict()
    authors = dict(zip(columns["book1"], columns["author1"])) | dict(zip(columns["book2"], columns["author2"]))
    return dict(sorted(authors.items()))


def base_encoder(model: Any) -> Any:
    """The untrained base encoder of a loaded ``MatcherModel`` (its ``base_model``, else the packaged MiniLM), on the
    model's device and at the precision it runs (:class:`writing7.baselines.EmbeddingCosineBaseline`): what mines the
    suite's hard negatives and what the ``base_cosine`` baseline scores with."""
    from writing7.baselines import EmbeddingCosineBaseline, default_base_model

    return EmbeddingCosineBaseline(str(model.info.get("base_model") or default_base_model()), device=str(model.device),
                                   precision=model.precision_plan.requested)


def read_books(corpus: Path | Sequence[Path], wanted: dict[str, str]) -> dict[str, str]:
    """``{book_id: standardized text}`` of the ``wanted`` books found in ``corpus`` (one folder or several; one clear
    error if any is missing)."""
    files = {book.book_id: book for book in discover_corpora(corpus) if book.book_id in wanted}
    missing = sorted(set(wanted) - set(files))
    if missing:
        where = corpus if isinstance(corpus, (str, Path)) else ", ".join(str(folder) for folder in corpus)
        raise FileNotFoundError(f"{len(missing)} book(s) of the pair dataset are not in {where} (e.g. {missing[0]}): "
                                "pass every --corpus the pair dataset was prepared from")
    texts = {book_id: read_corpus_book(files[book_id]).text for book_id in sorted(files)}
    return {book_id: text for book_id, text in texts.items() if text}


def extra_books(fit_corpora: list[str], processed: Path) -> tuple[dict[str, str], dict[str, str]]:
    """``({book_id: text}, {book_id: author})`` of the books in ``fit_corpora`` whose authors are not in the pair dataset.

    They widen the set of unseen authors the verdict is fitted on. An author of the pair dataset is
    left out (its test authors must stay unseen; its training authors were seen by the encoder).
    """
    known = set()
    for split in ("train", "validation", "test"):
        known |= set(split_books(processed, split).values())
    texts, authors = {}, {}
    for folder in fit_corpora:
        folder = require_input(Path(folder), stage="ingest", what="fit corpus (more books by other authors)")
        books = [book for book in discover_books(folder) if book.author not in known]
        skipped = len({book.author for book in discover_books(folder)} & known)
        if skipped:
            logger.warning("length suite: %d author(s) of %s are in the pair dataset; their books are left out of the fit", skipped, folder)
        for book in books:
            text = read_corpus_book(book).text
            if text and book.book_id not in texts:
                texts[book.book_id], authors[book.book_id] = text, book.author
    return texts, authors


def book_centroids(books: dict[str, str], encoder: Any, *, slices: int = 6, words: int = 150) -> dict[str, np.ndarray]:
    """L2-normalised mean embedding of ``slices`` passages of ``words`` words spread over each book (``encoder``:
    :func:`base_encoder`, the base model ``prepare`` mines its hard negatives with)."""
    from writing7.prepare.length_pairs import excerpts

    # a book shorter than one excerpt is read whole
    vectors = encoder.centroids([excerpts(text, words, slices) or [text] for text in books.values()])  # (books, dim)
    return dict(zip(books, vectors))


def suite(corpus: Path | Sequence[Path], processed: Path, split: str, *, max_pairs_per_kind: int, seed: int, encoder: Any,
          fit_corpora: list[str] = (), max_books: int = 0, lengths: tuple[str, ...] = tuple(LENGTHS)) -> dict[str, LengthPairs]:
    """``{length: LengthPairs}`` of ``split``'s books (plus ``fit_corpora``'s, see :func:`extra_books`, up to
    ``max_books`` books in all when positive); a length whose books are too short for both tasks is left out.

    Hard negatives are mined among these books with ``encoder`` (:func:`book_centroids`), the same way for the
    fitting and the test suites, so both see the negative mix ``prepare`` builds (half hard, half random here).
    """
    authors = split_books(processed, split)
    books = read_books(corpus, authors)
    if fit_corpora:
        texts, extra_authors = extra_books(list(fit_corpora), processed)
        chosen = fill_books(extra_authors, max(max_books - len(books), 0) if max_books else len(texts), seed)
        books, authors = {**books, **{book: texts[book] for book in chosen}}, {**authors, **{book: extra_authors[book] for book in chosen}}
        logger.info("length suite: %d more books by %d authors from %s", len(chosen), len({extra_authors[book] for book in chosen}),
                    ", ".join(fit_corpora))
    neighbours = nearest_other_author_books(book_centroids(books, encoder), authors)
    pairs = {}
    for length in lengths:
        cut = length_pairs(books, authors, neighbours, length=length, excerpts_per_book=EXCERPTS_PER_BOOK[length],
                           max_pairs_per_kind=max_pairs_per_kind, seed=seed)
        if not all(0 < cut.task(task)[1].sum() < cut.task(task)[1].size for task in ("book", "author")):
            logger.warning("length suite: the %s split's books are too short or too few for %s-word pairs of both tasks; left out", split, length)
            continue
        pairs[length] = cut
        logger.info("length suite: %s split, %s words: %d pairs", split, length, len(cut.kinds))
    return pairs


def fill_books(authors: dict[str, str], count: int, seed: int, *, per_author: int = 3) -> list[str]:
    """Up to ``count`` books, author by author in a seeded order, at most ``per_author`` each (authors with two or more
    books first, so the same-author task gets pairs): the work of cutting and encoding grows with the books, not the pairs."""
    import random

    by_author: dict[str, list[str]] = {}
    for book, author in sorted(authors.items()):
        by_author.setdefault(author, []).append(book)
    order = sorted(by_author)
    random.Random(seed).shuffle(order)
    order.sort(key=lambda author: len(by_author[author]) < 2)  # stable: shuffled within each group
    chosen: list[str] = []
    for author in order:
        chosen += by_author[author][: min(per_author, count - len(chosen))]
        if len(chosen) >= count:
            break
    return chosen


PAIR_KINDS = {"positive": "same_book", "same_author": "same_author", "negative": "different"}


def dataset_passage_pairs(processed: Path, split: str, *, seed: int) -> LengthPairs:
    """``split``'s pairs of ``data/processed`` (sentence-window passages of ~190 words, negatives half hard) as
    passage-length pairs, the different-author pairs shuffled so that a task's balanced selection mixes their kinds."""
    columns = load_pair_split(processed, split)
    rows = list(zip(columns["text1"], columns["text2"], columns["pair_type"], columns["book1"], columns["book2"]))
    negatives = [row for row in rows if row[2] == "negative"]
    np.random.default_rng(seed).shuffle(negatives)
    rows = [row for row in rows if row[2] != "negative"] + negatives
    return LengthPairs("200", [row[0] for row in rows], [row[1] for row in rows], [PAIR_KINDS[row[2]] for row in rows],
                       [(row[3], row[4]) for row in rows])


def training_excerpts(corpus: Path | Sequence[Path], processed: Path, *, words: int = 2_000, per_book: int = 8) -> list[str]:
    """Excerpts of the training split's books: what the text profiler's idf, MFW and z-scores are fitted on."""
    from writing7.prepare.length_pairs import excerpts

    authors = split_books(processed, "train")
    return [text for book in read_books(corpus, authors).values() for text in excerpts(book, words, per_book)]


FIT_FEATURES_FILE = "verdict_fit.npz"


def save_fit_features(path: Path, pairs: dict[str, LengthPairs], features: dict[str, PairFeatures]) -> None:
    """The fitting pairs' features and kinds per length (``evaluate`` calibrates the baselines on exactly these pairs)."""
    import io

    arrays = {}
    for length, cut in pairs.items():
        arrays |= {f"{length}/values": features[length].values, f"{length}/words": features[length].words,
                   f"{length}/passages": features[length].passages, f"{length}/kinds": np.array(cut.kinds),
                   f"{length}/first_books": np.array([a for a, _ in cut.books]),
                   f"{length}/second_books": np.array([b for _, b in cut.books])}
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    atomic_write_bytes(path, buffer.getvalue())


def load_fit_features(path: Path) -> dict[str, tuple[LengthPairs, PairFeatures]]:
    """``{length: (pairs without texts, features)}`` written by :func:`save_fit_features`."""
    with np.load(path) as data:
        lengths = sorted({key.split("/")[0] for key in data.files}, key=list(LENGTHS).index)
        return {length: (LengthPairs(length, [], [], data[f"{length}/kinds"].tolist(),
                                     list(zip(data[f"{length}/first_books"].tolist(), data[f"{length}/second_books"].tolist()))),
                         PairFeatures(data[f"{length}/values"], data[f"{length}/words"], data[f"{length}/passages"]))
                for length in lengths}
