"""Stage ``calibrate-attribution``: fit attribution's open-set softmax on validation authors, report on test authors.

For each query length (200, 1,000, 5,000 words) queries are cut from every book of a split
(:func:`writing7.prepare.length_pairs.excerpts`); each query is attributed among *all* the split's
authors, each author's known writings being its whole books except the query's own book. Episodes
(:mod:`writing7.inference.attribution`): closed-set (the true author among the N candidates) and
open-set (the true author removed, N - 1 candidates, the right answer "none of these"), one each per
query. Systems, each scored per (query, author) and calibrated the same way (an open-set softmax
fitted on the validation split's episodes at that length):

- ``verdict (mean)`` / ``verdict (max)``: the same-author logits of the verdict against each known
  book, averaged / maximised per author (the aggregation with the lower validation NLL is saved);
- ``cosine_delta_300``: cosine Delta of the query's z-scored 300-MFW frequencies and the author's
  profile (the mean of its known texts' z-score vectors), nearest profile (stylo's classic
  ``Delta`` with the cosine distance; Smith & Aldridge 2011, Evert et al. 2017);
- ``char4_tfidf``: cosine of the query's char 4-gram TF-IDF vector and the author's mean vector
  (a nearest-centroid character n-gram profile, Stamatatos 2009).

Writes the verdict's calibration to ``MODEL/attribution.json`` and ``reports/attribution.{json,md}``
with a manifest; skipped while current.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from writing7.artifacts import ArtifactLayout, atomic_write_json, atomic_write_text, files_current, finish_files, hash_tree, read_manifest, require_input
from writing7.config.attribution import AttributionConfig
from writing7.corpus import corpus_inputs
from writing7.inference.attribution import AGGREGATIONS, AttributionCalibration, RepresentationCache, aggregate, fit_open_set_softmax, open_set_probabilities
from writing7.inference.verdict import TextRepresentations, band_of
from writing7.metrics.calibration_error import expected_calibration_error
from writing7.reports.tables import markdown_table
from writing7.stages import StageResult

logger = logging.getLogger(__name__)
STAGE = "calibrate-attribution"
REPORT_JSON, REPORT_MARKDOWN, MANIFEST_FILE = "attribution.json", "attribution.md", "attribution_manifest.json"
BASELINES = ("cosine_delta_300", "char4_tfidf")


@dataclasses.dataclass
class Query:
    author: str
    book: str
    text: str


@dataclasses.dataclass
class SplitScores:
    """One split at one length: ``scores[system]`` is (queries, authors) ``S_i``; ``truth`` the author index of each query."""

    authors: list[str]
    truth: np.ndarray  # (queries,)
    scores: dict[str, np.ndarray]


def split_library(corpus: Path | Sequence[Path], processed: Path, split: str) -> dict[str, dict[str, str]]:
    """``{author: {book_id: text}}`` of one split of the pair dataset (authors with at least two books)."""
    from writing7.length_suite import read_books, split_books

    authors = split_books(processed, split)
    library: dict[str, dict[str, str]] = {}
    for book, text in read_books(corpus, authors).items():
        library.setdefault(authors[book], {})[book] = text
    return {author: books for author, books in sorted(library.items()) if len(books) >= 2}


def cut_queries(library: dict[str, dict[str, str]], words: int, per_book: int) -> list[Query]:
    """Up to ``per_book`` disjoint ``words``-word excerpts of every book."""
    from writing7.prepare.length_pairs import excerpts

    return [Query(author, book, text) for author, books in library.items() for book, text in books.items()
            for text in excerpts(text, words, per_book)]


def score_split(matcher: Any, cache: RepresentationCache, library: dict[str, dict[str, str]], queries: list[Query]) -> SplitScores:
    """Every system's ``S_i`` of every query against every author (the query's own book left out of its author's texts)."""
    authors = list(library)
    books = [(author, book) for author in authors for book in library[author]]
    known = cache.get([library[author][book] for author, book in books])
    represented = matcher.represent([query.text for query in queries])
    texts = TextRepresentations.concatenate([represented, *known])
    pairs = [(row, len(queries) + column) for row, query in enumerate(queries) for column, (_, book) in enumerate(books) if book != query.book]
    logits = matcher.task_logits("author", matcher.features_between(texts, [a for a, _ in pairs], [b for _, b in pairs]))
    by_query: dict[int, dict[str, list[float]]] = {}
    for (row, column), logit in zip(pairs, logits):
        by_query.setdefault(row, {}).setdefault(books[column - len(queries)][0], []).append(float(logit))
    scores = {f"verdict ({how})": np.array([[aggregate(np.array(by_query[row][author]), how) for author in authors] for row in range(len(queries))])
              for how in AGGREGATIONS}
    scores.update(baseline_scores(texts.profiles, queries, books, authors))
    return SplitScores(authors, np.array([authors.index(query.author) for query in queries]), scores)


def baseline_scores(profiles: Any, queries: list[Query], books: list[tuple[str, str]], authors: list[str]) -> dict[str, np.ndarray]:
    """Nearest-profile cosines: the query against the mean of each author's known texts (its own book left out)."""
    count = len(queries)
    spaces = {"cosine_delta_300": profiles.mfw[:, :300].astype(np.float64), "char4_tfidf": profiles.char4}
    result = {}
    for name, matrix in spaces.items():
        centroids: dict[tuple[int, ...], np.ndarray] = {}  # known rows -> their mean (shared by every query of other books)
        table = np.zeros((count, len(authors)))
        for row, query in enumerate(queries):
            vector = _dense(matrix[row])
            for column, author in enumerate(authors):
                members = tuple(count + position for position, (owner, book) in enumerate(books) if owner == author and book != query.book)
                if members not in centroids:
                    centroids[members] = np.asarray(matrix[list(members)].mean(axis=0)).ravel()
                table[row, column] = _cosine(vector, centroids[members])
        result[name] = table
    return result


def _dense(row: Any) -> np.ndarray:
    return np.asarray(row.todense()).ravel() if hasattr(row, "todense") else np.asarray(row, dtype=np.float64).ravel()


def _cosine(first: np.ndarray, second: np.ndarray) -> float:
    return float(first @ second / (np.linalg.norm(first) * np.linalg.norm(second) + 1e-12))


def episodes(scores: np.ndarray, truth: np.ndarray) -> list[tuple[np.ndarray, int]]:
    """Per query: the closed-set episode ``(S (N,), true index)`` and the open-set one ``(S without it (N-1,), -1)``."""
    result = []
    for row, author in zip(scores, truth):
        result.append((row, int(author)))
        result.append((np.delete(row, author), -1))
    return result


def episode_metrics(scores: np.ndarray, truth: np.ndarray, softmax: dict[str, float], *, bins: int) -> dict[str, Any]:
    """Closed-set accuracy@1/@3 (by rank among N), open-set "none" accuracy, and over both: accuracy@1, ECE of the top probability, NLL."""
    ranks = np.array([int(np.sum(row > row[author])) for row, author in zip(scores, truth)])  # 0 = best
    correct, confidence, log_likelihood = [], [], []
    for row, label in episodes(scores, truth):
        probabilities, none = open_set_probabilities(row, softmax["temperature"], softmax["none_logit"], softmax["none_weight"])
        everything = np.append(probabilities, none)
        top = int(np.argmax(everything))
        correct.append(top == (label if label >= 0 else len(row)))
        confidence.append(float(everything[top]))
        log_likelihood.append(float(np.log(max(everything[label], 1e-300))))
    correct_array = np.array(correct)
    return {"closed_accuracy@1": float(np.mean(ranks == 0)), "closed_accuracy@3": float(np.mean(ranks < 3)),
            "open_none_accuracy": float(np.mean(correct_array[1::2])), "closed_top_correct": float(np.mean(correct_array[0::2])),
            "mixed_accuracy@1": float(np.mean(correct_array)),
            "ece_top": expected_calibration_error(correct_array.astype(int), np.array(confidence), bins=bins),
            "nll": -float(np.mean(log_likelihood))}


def evaluate_attribution(cfg: AttributionConfig, matcher: Any, corpus: Path | Sequence[Path], processed: Path, *, cache_dir: Path | None) -> dict[str, Any]:
    """The report of the module docstring and the verdict's :class:`AttributionCalibration` (no files written)."""
    cache = RepresentationCache(matcher, cache_dir)
    libraries = {split: split_library(corpus, processed, split) for split in ("validation", "test")}
    report: dict[str, Any] = {"authors": {split: len(library) for split, library in libraries.items()}, "lengths": {}}
    fitted: dict[str, dict[str, dict[str, float]]] = {}
    for length in cfg.lengths:
        scored = {}
        for split, library in libraries.items():
            queries = cut_queries(library, int(length), cfg.queries_per_book)
            logger.info("attribution: %s split, %s words: %d queries x %d authors", split, length, len(queries), len(library))
            scored[split] = score_split(matcher, cache, library, queries) if queries else None
        if scored["validation"] is None or scored["test"] is None:
            logger.warning("attribution: the books are too short for %s-word queries; left out", length)
            continue
        report["lengths"][length] = length_report(scored["validation"], scored["test"], cfg.bins)
        fitted[length] = report["lengths"][length]["calibration"]
    if not fitted:
        raise ValueError("no query length could be cut from the validation and test books: use shorter [attribution] lengths")
    aggregation = min(AGGREGATIONS, key=lambda how: sum(fitted[length][f"verdict ({how})"]["validation_nll"] for length in fitted))
    bands = {band_of(int(length)): fitted[length][f"verdict ({aggregation})"] for length in fitted}
    report["aggregation"] = aggregation
    calibration = AttributionCalibration(aggregation, bands, {"lengths": list(fitted), "authors": report["authors"]})
    return {"report": report, "calibration": calibration}


def length_report(validation: SplitScores, test: SplitScores, bins: int) -> dict[str, Any]:
    """Per system: the softmax fitted on validation episodes, and its test metrics."""
    entry: dict[str, Any] = {"candidates": len(test.authors), "test_queries": int(test.truth.size),
                             "validation_queries": int(validation.truth.size), "calibration": {}, "systems": {}}
    for system in validation.scores:
        softmax, nll = fit_open_set_softmax(episodes(validation.scores[system], validation.truth))
        entry["calibration"][system] = {**softmax, "validation_nll": nll, "episodes": 2 * int(validation.truth.size)}
        entry["systems"][system] = episode_metrics(test.scores[system], test.truth, softmax, bins=bins)
    return entry


def attribution_markdown(report: dict[str, Any]) -> str:
    """One table per query length: every system's closed- and open-set accuracy and calibration on test authors."""
    parts = [f"# Attribution (test authors: {report['authors']['test']}; calibrated on {report['authors']['validation']} "
             f"validation authors; verdict aggregation saved: {report['aggregation']})\n",
             "Closed: the true author is among the N candidates; accuracy@1/@3 rank the candidates only, 'top is the author' "
             "also counts 'none of these' as a possible answer. Open: the true author is removed; right answer 'none of these'. "
             "Mixed: both episodes of every query, top = the most probable of the candidates and 'none'; ECE of that top "
             "probability, NLL of the right answer.\n"]
    header = ["system", "closed acc@1", "closed acc@3", "closed: top is the author", "open: none on top", "mixed acc@1", "ECE (top p)", "NLL"]
    keys = ("closed_accuracy@1", "closed_accuracy@3", "closed_top_correct", "open_none_accuracy", "mixed_accuracy@1", "ece_top", "nll")
    for length, entry in report["lengths"].items():
        parts.append(f"## {length}-word queries ({entry['test_queries']} queries, N = {entry['candidates']} candidates)\n")
        rows = [[system, *(f"{metrics[key]:.3f}" for key in keys)] for system, metrics in entry["systems"].items()]
        parts.append(markdown_table(header, rows) + "\n")
    return "\n".join(parts)


def summary_line(stats: dict[str, Any]) -> str:
    """``closed-set accuracy@1 of the saved verdict: 200 words 0.512, 1000 words 0.700``: the stage's one line."""
    system = f"verdict ({stats['aggregation']})"
    accuracies = ", ".join(f"{length} words {systems[system]:.3f}" for length, systems in stats["closed_accuracy@1"].items() if system in systems)
    return f"attribution closed-set accuracy@1 ({system}): {accuracies}"


def run(cfg: AttributionConfig, *, corpus: Path | Sequence[Path], artifacts: Path, force: bool = False, device: str | None = None) -> StageResult:
    """Fit ``MODEL/attribution.json`` on validation authors; write ``reports/attribution.*`` on test authors (skipped when current)."""
    from writing7.inference.matcher import Matcher
    from writing7.inference.settings import MatcherSettings

    layout = ArtifactLayout(Path(artifacts))
    model_dir = require_input(layout.bi_encoder, stage="train", what="trained bi-encoder")
    require_input(model_dir / "verdict.json", stage="calibrate", what="the verdict")
    processed = require_input(layout.processed, stage="prepare", what="pair dataset (split membership)")
    corpus, corpus_hashes = corpus_inputs(corpus)
    inputs = {"model": hash_tree(model_dir, exclude=("attribution.json", "manifest.json")), "processed": hash_tree(processed), **corpus_hashes}
    outputs = [layout.reports / REPORT_JSON, layout.reports / REPORT_MARKDOWN, model_dir / "attribution.json"]
    if not force and files_current(layout.reports / MANIFEST_FILE, stage=STAGE, config=cfg.to_dict(), inputs=inputs, outputs=outputs):
        logger.info("calibrate-attribution: skipped (current) %s", layout.reports)
        manifest = read_manifest(layout.reports / MANIFEST_FILE)
        return StageResult(STAGE, manifest, ran=False, summary=summary_line(manifest.stats))
    matcher = Matcher.load(model_dir, device=device, config=MatcherSettings(batch_size=cfg.batch_size))
    matcher.model.cache_embeddings(model_dir)  # its queries are the length suites' first and last excerpts
    result = evaluate_attribution(cfg, matcher, corpus, processed, cache_dir=None)
    result["calibration"].save(model_dir)
    atomic_write_text(layout.reports / REPORT_MARKDOWN, attribution_markdown(result["report"]))
    atomic_write_json(layout.reports / REPORT_JSON, result["report"])
    summary = {length: {system: round(metrics["closed_accuracy@1"], 3) for system, metrics in entry["systems"].items()}
               for length, entry in result["report"]["lengths"].items()}
    manifest = finish_files(layout.reports / MANIFEST_FILE, stage=STAGE, config=cfg.to_dict(), inputs=inputs, outputs=outputs,
                            stats={"closed_accuracy@1": summary, "aggregation": result["report"]["aggregation"]})
    return StageResult(STAGE, manifest, ran=True, summary=summary_line(manifest.stats))
