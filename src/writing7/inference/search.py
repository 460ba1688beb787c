"""Two-stage search: which book of the library does a passage most likely come from?

Stage 1, bi-encoder prefilter (cheap, over the whole library). The passage is embedded once; a
book's prefilter score is

    score(book) = w * cos(query, centroid_book) + (1 - w) * max_{c in book} cos(query, c)

(``w`` = ``centroid_weight``). The centroid rewards a book whose whole style is close, the best
chunk rewards one very close passage. Candidates are the union of the ``candidates`` books with
the best centroids and the books owning the ``4 * candidates`` nearest chunks, so a book with a poor
centroid but one near-identical passage still gets in; both terms are then computed exactly for
the candidates only (``candidates x chunks_per_book`` products, not the whole library).

Stage 2, optional cross-encoder rerank (``--rerank``): the teacher reads the passage with each of a
candidate book's ``rerank_chunks_per_book`` best chunks; the book's rerank score is the highest
logit, and the first ``rerank_candidates`` books are reordered by it.

Every returned book carries ``probability``: the calibrated same-book probability of the passage
and the book's best chunk from the matcher's pair head (and ``p_same_author`` likewise), so the
number means the same thing with or without reranking.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from writing7.inference.index import BookIndex
from writing7.inference.settings import SearchSettings
from writing7.metrics.retrieval import mean_reciprocal_rank, recall_at_k

logger = logging.getLogger(__name__)


@dataclasses.dataclass
class Candidate:
    book: int  # position in index.books
    score: float
    centroid_similarity: float
    chunk_similarity: float
    best_rows: np.ndarray  # (rerank_chunks_per_book,) index rows of the book's best chunks, best first
    rerank_score: float | None = None


class Searcher:
    """A :class:`BookIndex`, the :class:`~writing7.inference.matcher.Matcher` that built it, and an optional teacher."""

    def __init__(self, index: BookIndex, matcher: Any, *, teacher: Any = None, config: SearchSettings | None = None) -> None:
        if index.dimension != matcher.dimension:
            raise ValueError(f"the index holds {index.dimension}-d embeddings but the model makes another size: "
                             f"rebuild the index with this model (`writing7 index --model {matcher.model_dir} --force`)")
        self.index = index
        self.matcher = matcher
        self.teacher = teacher
        self.config = config or SearchSettings()

    @classmethod
    def load(cls, index_dir: Path, matcher: Any, *, teacher_dir: Path | None = None, config: SearchSettings | None = None) -> Searcher:
        """The index at ``index_dir`` searched with ``matcher``; ``teacher_dir`` enables ``rerank``."""
        index = BookIndex.load(index_dir)
        indexed_with = index.info.get("model_dir")
        if indexed_with and Path(indexed_with).resolve() != Path(matcher.model_dir).resolve():
            logger.warning("index %s was built with model %s, searching with %s", index_dir, indexed_with, matcher.model_dir)
        return cls(index, matcher, teacher=load_teacher(teacher_dir) if teacher_dir else None, config=config)

    def search(self, passage: str, *, top_k: int | None = None, rerank: bool = False) -> list[dict[str, Any]]:
        """The ``top_k`` most likely books for ``passage``, best first."""
        return self.search_batch([passage], top_k=top_k, rerank=rerank)[0]

    def search_batch(self, passages: Sequence[str], *, top_k: int | None = None, rerank: bool = False) -> list[list[dict[str, Any]]]:
        """:meth:`search` for many passages (one embedding forward)."""
        queries, ranked = self.rank(passages, rerank=rerank)
        top_k = top_k or self.config.top_k
        return [self._describe(passage, query, candidates[:top_k]) for passage, query, candidates in zip(passages, queries, ranked)]

    def rank(self, passages: Sequence[str], *, rerank: bool = False) -> tuple[np.ndarray, list[list[Candidate]]]:
        """``(query embeddings (queries, dim), candidate books per passage, best first)``, without probabilities."""
        if rerank and self.teacher is None:
            raise ValueError("rerank needs the cross-encoder teacher: load the searcher with teacher_dir "
                             "(`--teacher DIR`, default models/book_matcher/final)")
        queries = self.matcher.embed(list(passages))  # (queries, dim)
        ranked = self.prefilter(queries)
        if rerank:
            ranked = [self.rerank(passage, candidates) for passage, candidates in zip(passages, ranked)]
        return queries, ranked

    # -- stage 1 ----------------------------------------------------------------------------------
    def prefilter(self, queries: np.ndarray) -> list[list[Candidate]]:
        """Per query, the candidate books ordered by prefilter score (see the module docstring)."""
        config, index = self.config, self.index
        _, by_centroid = index.nearest_books(queries, config.candidates)  # (queries, candidates)
        _, hit_rows = index.nearest_chunks(queries, self.chunk_hits)  # (queries, chunk_hits)
        chunk_books = index.chunk_books
        ranked = []
        for query, book_rows, rows in zip(queries, by_centroid, hit_rows):
            books = dict.fromkeys([*book_rows[book_rows >= 0].tolist(), *chunk_books[rows[rows >= 0]].tolist()])
            candidates = [self._candidate(query, book, float(index.centroids[book] @ query)) for book in books]
            candidates.sort(key=lambda candidate: -candidate.score)
            ranked.append(candidates[: max(config.candidates, config.top_k)])
        return ranked

    @property
    def chunk_hits(self) -> int:
        return 4 * self.config.candidates

    def _candidate(self, query: np.ndarray, book: int, centroid_similarity: float) -> Candidate:
        similarities = self.index.book_chunk_similarities(query, book)  # (chunk_count,)
        order = np.argsort(-similarities, kind="stable")[: self.config.rerank_chunks_per_book]
        best = float(similarities[order[0]])
        weight = self.config.centroid_weight
        return Candidate(book, weight * centroid_similarity + (1 - weight) * best, centroid_similarity, best,
                         self.index.books[book].chunk_offset + order)

    # -- stage 2 ----------------------------------------------------------------------------------
    def rerank(self, passage: str, candidates: list[Candidate]) -> list[Candidate]:
        """Reorder the first ``rerank_candidates`` books by the teacher's best logit over their best chunks."""
        head, tail = candidates[: self.config.rerank_candidates], candidates[self.config.rerank_candidates:]
        rows = [int(row) for candidate in head for row in candidate.best_rows]
        logits = np.asarray(self.teacher.predict_logits([passage] * len(rows), [self.index.chunks[row]["text"] for row in rows]))
        position = 0
        for candidate in head:
            count = len(candidate.best_rows)
            candidate.rerank_score = float(logits[position:position + count].max())
            position += count
        return sorted(head, key=lambda candidate: -candidate.rerank_score) + tail

    def _describe(self, passage: str, query: np.ndarray, candidates: list[Candidate]) -> list[dict[str, Any]]:
        """Result dicts with the verdict of passage vs each book's best chunk (one batched :meth:`Matcher.score_batch`)."""
        if not candidates:
            return []
        rows = [int(candidate.best_rows[0]) for candidate in candidates]
        texts = [self.index.chunks[row]["text"] for row in rows]
        scores = self.matcher.score_batch([(passage, text) for text in texts])
        results = []
        for rank, (candidate, row, score) in enumerate(zip(candidates, rows, scores), start=1):
            book, chunk = self.index.books[candidate.book], self.index.chunks[row]
            results.append({
                "rank": rank, "book_id": book.book_id, "author": book.author, "title": book.title,
                "probability": score["p_same_book"], "p_same_author": score["p_same_author"],
                "score": candidate.score, "centroid_similarity": candidate.centroid_similarity,
                "chunk_similarity": candidate.chunk_similarity, "rerank_score": candidate.rerank_score,
                "best_chunk": {"index": chunk["index"], "start": chunk["start"], "end": chunk["end"]},
                "calibrated": score["calibrated"],
            })
        return results


def load_teacher(teacher_dir: Path) -> Any:
    """The cross-encoder teacher used by ``rerank``."""
    from writing7.models.cross_encoder import CrossEncoderTeacher

    if not Path(teacher_dir).is_dir():
        raise FileNotFoundError(f"cross-encoder teacher not found at {teacher_dir}: run `writing7 train-teacher` first "
                                "or search without --rerank")
    return CrossEncoderTeacher.load(teacher_dir)


def evaluate_retrieval(searcher: Searcher, queries: Sequence[dict[str, Any]] | None = None, *, rerank: bool = False,
                       ks: Sequence[int] = (1, 10)) -> dict[str, Any]:
    """Recall@k (for each ``k`` in ``ks``) and MRR of the true book for held-out query chunks.

    ``queries``: ``{"book_id", "text"}`` dicts; default the index's own ``held_out`` chunks, which
    were never indexed. Rankings are the prefilter's candidate lists (reranked when ``rerank``),
    so MRR counts 0 for a true book outside the candidates (see :mod:`writing7.metrics.retrieval`).
    """
    queries = list(searcher.index.held_out if queries is None else queries)
    if not queries:
        raise ValueError("no held-out query chunks: rebuild the index with held_out_per_book > 0 "
                         "(books need more chunks than max_chunks_per_book)")
    _, ranked = searcher.rank([query["text"] for query in queries], rerank=rerank)
    books = searcher.index.books
    rankings = [[books[candidate.book].book_id for candidate in candidates] for candidates in ranked]
    author_rankings = [[books[candidate.book].author for candidate in candidates] for candidates in ranked]
    gold = [query["book_id"] for query in queries]
    author_of = {book.book_id: book.author for book in books}
    report: dict[str, Any] = {f"recall@{k}": recall_at_k(rankings, gold, k) for k in ks}
    report["mrr"] = mean_reciprocal_rank(rankings, gold)
    report["author_recall@1"] = recall_at_k(author_rankings, [author_of[book_id] for book_id in gold], 1)
    report.update({"queries": len(queries), "books": len(searcher.index.books), "reranked": rerank})
    return report
