"""Does the verdict travel across genres? Fit on fiction authors, test on non-fiction authors, and back.

Genres come from ``catalog.csv`` subjects and bookshelves (fiction when they mention fiction, stories,
novels, drama or poetry; untagged books are left out) and, for a corpus without subjects such as
``gutenberg-extra``, from a hand-made list of its non-fiction books (``bench/data/gutenberg_extra_nonfiction.txt``,
tagged from the titles; every other book of that corpus is fiction).

Only authors the trained encoder never saw take part (the pair dataset's validation and test authors and
every author of the extra corpora). An author with any non-fiction book belongs to the non-fiction pool
(their novels are left out), so the two pools share no author. Each pool is cut into pairs at
``--lengths`` (``writing7.prepare.length_pairs``: same book, same author, different authors half of them
the nearest other-author book), and every pair gets the verdict's features through the inference path.

For each direction, the verdict's fused heads (one per length band, exactly as ``calibrate`` fits them)
and the baselines (char 4-gram TF-IDF cosine, cosine Delta on 300 MFW, their logistic combination, each
a logistic regression; the untrained encoder's cosine, Platt) are fitted on one pool and tested on the
other; ``in-domain`` is 5-fold cross-validation grouped by author inside the test pool, for reference.
The encoder itself was trained on the pair dataset's training authors of both genres: this measures
whether the fused verdict transfers, not an encoder trained on one genre only.

    python bench/cross_genre.py --artifacts /work/runs/base --corpus ../shared/data/gutenberg \\
        --extra-corpus ../shared/data/gutenberg-extra
"""

from __future__ import annotations

import argparse
import csv
import logging
import os
import sys
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from matcher_setup import cpu_description  # noqa: E402

FICTION_WORDS = ("fiction", "stories", "novel", "drama", "poetry")
NONFICTION_LIST = Path(__file__).resolve().parent / "data" / "gutenberg_extra_nonfiction.txt"
SYSTEMS = ("verdict", "char4_tfidf", "cosine_delta_300", "char4+delta", "base_cosine")
logger = logging.getLogger("cross_genre")


def catalog_genres(corpus: Path) -> dict[str, str]:
    """``{book_id: "fiction" | "non-fiction"}`` from the subjects and bookshelves of ``corpus/catalog.csv`` (untagged books left out)."""
    genres = {}
    with open(corpus / "catalog.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            tags = f"{row.get('subjects', '')} {row.get('bookshelves', '')}".lower().strip()
            if tags:
                genres[f"{row['author_slug']}/{row['title_slug']}"] = "fiction" if any(word in tags for word in FICTION_WORDS) else "non-fiction"
    return genres


def listed_genres(corpus: Path) -> dict[str, str]:
    """Every book of ``corpus`` as fiction except the hand-tagged non-fiction list."""
    from writing7.corpus import discover_books

    nonfiction = {line.strip() for line in NONFICTION_LIST.read_text(encoding="utf-8").splitlines() if line.strip() and not line.startswith("#")}
    return {book.book_id: "non-fiction" if book.book_id in nonfiction else "fiction" for book in discover_books(corpus)}


def genre_pools(genres: dict[str, str], allowed_authors: set[str]) -> dict[str, dict[str, str]]:
    """``{genre: {book_id: author}}``, author-disjoint: an author with a non-fiction book is in the non-fiction pool only."""
    nonfiction_authors = {book.split("/")[0] for book, genre in genres.items() if genre == "non-fiction"}
    pools: dict[str, dict[str, str]] = {"fiction": {}, "non-fiction": {}}
    for book, genre in sorted(genres.items()):
        author = book.split("/")[0]
        pool = "non-fiction" if author in nonfiction_authors else "fiction"
        if author in allowed_authors and genre == pool:
            pools[pool][book] = author
    return pools


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--artifacts", type=Path, required=True, help="Artifacts root with the trained model and data/processed.")
    parser.add_argument("--corpus", type=Path, required=True, help="The corpus the pair dataset was prepared from (with catalog.csv).")
    parser.add_argument("--extra-corpus", type=Path, action="append", default=[], help="More books by other authors (hand-tagged list).")
    parser.add_argument("--lengths", nargs="+", default=["1000", "5000"])
    parser.add_argument("--pairs-per-kind", type=int, default=300)
    parser.add_argument("--max-fiction-books", type=int, default=120)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--output", type=Path, default=None, help="JSON results (default: ARTIFACTS/reports/cross_genre.json).")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")

    from writing7.artifacts import ArtifactLayout, atomic_write_json, atomic_write_text
    from writing7.corpus import discover_corpora, read_book
    from writing7.inference.verdict import Verdict, VerdictFeaturizer
    from writing7.models.matcher import MatcherModel
    from writing7.prepare.length_pairs import length_pairs, nearest_other_author_books
    from writing7.stages.evaluate_lengths import SplitScores, base_cosines
    from writing7.length_suite import EXCERPTS_PER_BOOK, base_encoder, book_centroids, fill_books, split_books

    layout = ArtifactLayout(args.artifacts)
    seen = set(split_books(layout.processed, "train").values())  # the encoder's training authors never take part
    genres = catalog_genres(args.corpus)
    for folder in args.extra_corpus:
        genres |= listed_genres(folder)
    pools = genre_pools(genres, {book.split("/")[0] for book in genres} - seen)
    pools["fiction"] = {book: pools["fiction"][book] for book in fill_books(pools["fiction"], args.max_fiction_books, args.seed)}
    files = {book.book_id: book.path for book in discover_corpora((args.corpus, *args.extra_corpus))}
    model = MatcherModel.load(layout.bi_encoder)
    verdict = Verdict.load(layout.bi_encoder)
    featurizer = VerdictFeaturizer(model, verdict.profiler, verdict.settings)
    encoder = base_encoder(model)
    scores: dict[str, dict[str, SplitScores]] = {}
    sizes = {}
    for genre, authors in pools.items():
        texts = {book: read_book(files[book]).text for book in authors}
        neighbours = nearest_other_author_books(book_centroids(texts, encoder), authors)
        sizes[genre] = {"books": len(texts), "authors": len(set(authors.values()))}
        logger.info("%s pool: %d books by %d authors", genre, sizes[genre]["books"], sizes[genre]["authors"])
        scores[genre] = {}
        for length in args.lengths:
            pairs = length_pairs(texts, authors, neighbours, length=length, excerpts_per_book=EXCERPTS_PER_BOOK[length],
                                 max_pairs_per_kind=args.pairs_per_kind, seed=args.seed)
            logger.info("%s pool, %s words: features of %d pairs", genre, length, len(pairs.kinds))
            scores[genre][length] = SplitScores(pairs, featurizer.features(pairs.texts1, pairs.texts2), base_cosines(encoder, featurizer, pairs))
    results = {"cpu": cpu_description(), "pools": sizes, "encoder_training_authors_excluded": len(seen), "directions": {}}
    for fit_genre, test_genre in (("fiction", "non-fiction"), ("non-fiction", "fiction")):
        direction = f"{fit_genre} -> {test_genre}"
        results["directions"][direction] = {length: {task: transfer(task, verdict, scores[fit_genre][length], scores[test_genre][length])
                                                     for task in ("book", "author")} for length in args.lengths}
    output = args.output or layout.reports / "cross_genre.json"
    atomic_write_json(output, results)
    atomic_write_text(output.with_suffix(".md"), markdown(results))
    print(markdown(results))


def system_probabilities(task: str, verdict, fit, test) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{system: (test labels, probabilities)}`` with every system fitted on ``fit`` (another genre's authors)."""
    from writing7.calibration.fused import FusedLogisticCalibrator
    from writing7.calibration.platt import PlattCalibrator
    from writing7.config.calibrate import CalibrateConfig
    from writing7.inference.verdict import PairFeatures, Verdict, band_of, fit_band_heads
    from writing7.stages.evaluate_lengths import BASELINE_COLUMNS, columns

    fit_mask, fit_labels = fit.pairs.task(task)
    test_mask, test_labels = test.pairs.task(task)
    fit_values, test_values = fit.features.values[fit_mask], test.features.values[test_mask]
    bands = np.array([band_of(words) for words in fit.features.shorter_words[fit_mask]])
    defaults = CalibrateConfig()  # the heads exactly as `calibrate` fits them
    heads = fit_band_heads(fit_values, fit_labels, bands, task=task, target_metric=defaults.target_metric,
                           inverse_regularisation=defaults.verdict_inverse_regularisation, max_band_fraction=defaults.max_band_fraction)
    transferred = Verdict(verdict.settings, verdict.profiler, {task: heads})
    test_features = PairFeatures(test_values, test.features.words[test_mask], test.features.passages[test_mask])
    outputs = {"verdict": transferred.predict(task, test_features)["p"]}
    for name, names in BASELINE_COLUMNS.items():
        outputs[name] = FusedLogisticCalibrator(defaults.verdict_inverse_regularisation).fit(fit_values[:, columns(names)], fit_labels).predict(test_values[:, columns(names)])
    outputs["base_cosine"] = PlattCalibrator().fit(fit.base_cosines[fit_mask], fit_labels).predict(test.base_cosines[test_mask])
    return {name: (test_labels, probabilities) for name, probabilities in outputs.items()}


def in_domain_auc(task: str, test, kept: list[int] | None = None) -> float | None:
    """5-fold cross-validated AUC inside the test pool, folds grouped by author (the reference a transfer is compared with)."""
    from scipy.special import expit

    from writing7.calibration.fused import out_of_fold_logits
    from writing7.metrics.pan import auc

    mask, labels = test.pairs.task(task)
    values = test.features.values[mask] if kept is None else test.features.values[mask][:, kept]
    logits = out_of_fold_logits(values, labels, test.pairs.first_authors()[mask], inverse_regularisation=1.0)
    return None if logits is None else auc(labels, expit(logits))


def transfer(task: str, verdict, fit, test) -> dict[str, object]:
    from writing7.metrics.calibration_error import expected_calibration_error
    from writing7.metrics.pan import auc
    from writing7.stages.evaluate_lengths import BASELINE_COLUMNS, columns

    systems = system_probabilities(task, verdict, fit, test)
    labels = next(iter(systems.values()))[0]
    return {"pairs": int(labels.size), "positives": int(labels.sum()),
            "systems": {name: {"auc": auc(y, p), "ece": expected_calibration_error(y, p)} for name, (y, p) in systems.items()},
            "in_domain_auc": {"verdict": in_domain_auc(task, test), "char4+delta": in_domain_auc(task, test, columns(BASELINE_COLUMNS["char4+delta"]))}}


def markdown(results: dict) -> str:
    pools = ", ".join(f"{genre}: {size['books']} books by {size['authors']} authors" for genre, size in results["pools"].items())
    lines = ["# Cross-genre transfer (authors the encoder never saw)", "", f"CPU: {results['cpu']}", f"Pools: {pools}", "",
             "| direction | words | task | pairs | " + " | ".join(SYSTEMS) + " | in-domain verdict | in-domain char4+delta |",
             "|---" * (6 + len(SYSTEMS)) + "|"]
    for direction, lengths in results["directions"].items():
        for length, tasks in lengths.items():
            for task, entry in tasks.items():
                cells = [f"{entry['systems'][name]['auc']:.3f} / {entry['systems'][name]['ece']:.3f}" for name in SYSTEMS]
                reference = [f"{entry['in_domain_auc'][name]:.3f}" for name in ("verdict", "char4+delta")]
                lines.append(f"| {direction} | {length} | {task} | {entry['pairs']} | " + " | ".join(cells) + " | " + " | ".join(reference) + " |")
    lines += ["", "Cells: test AUC / ECE after fitting on the other genre's authors; in-domain: 5-fold CV grouped by author inside the test pool."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
