import json
import shutil

import numpy as np
import pytest

from tiny_models import FIXTURE_CORPUS
from writing7.artifacts import Manifest
from writing7.config.index import IndexConfig, SearchConfig
from writing7.inference.index import BookIndex
from writing7.inference.matcher import Matcher
from writing7.inference.search import Searcher, evaluate_retrieval
from writing7.stages.index import run
from writing7.stages.retrieval import retrieval_report

SMALL = IndexConfig(chunk_size=4, overlap=4, max_chunks_per_book=8, held_out_per_book=2)


@pytest.fixture(scope="module")
def matcher(calibrated_matcher_dir):
    return Matcher.load(calibrated_matcher_dir)


@pytest.fixture(scope="module")
def index(fixture_index_dir):
    return BookIndex.load(fixture_index_dir)


@pytest.fixture(scope="module")
def teacher_dir(tmp_path_factory, tiny_bert):
    from writing7.models.cross_encoder import CrossEncoderTeacher

    directory = tmp_path_factory.mktemp("teacher") / "final"
    CrossEncoderTeacher.from_base(str(tiny_bert), max_seq_length=128).save(directory)
    return directory


def test_index_holds_every_fixture_book_with_consistent_pieces(index):
    assert len(index.books) == 18 and index.info["backend"] == "numpy"
    assert index.embeddings.shape == (len(index.chunks), index.dimension)
    assert all(1 <= book.chunk_count <= 8 for book in index.books)
    np.testing.assert_allclose(np.linalg.norm(index.centroids, axis=1), 1.0, atol=1e-5)
    first = index.books[0]
    mean = index.embeddings[first.chunk_offset:first.chunk_offset + first.chunk_count].mean(axis=0)
    np.testing.assert_allclose(index.centroids[0], mean / np.linalg.norm(mean), atol=1e-5)


def test_held_out_queries_share_no_sentence_with_indexed_chunks(index):
    assert index.held_out
    for query in index.held_out:
        book = next(b for b, entry in enumerate(index.books) if entry.book_id == query["book_id"])
        spans = [(c["start"], c["end"]) for c in index.chunks if c["book"] == book]
        assert all(query["end"] <= start or query["start"] >= end for start, end in spans)


def test_stage_writes_a_manifest_and_skips_when_current(tmp_path, calibrated_matcher_dir, fixture_index_dir):
    manifest = Manifest.load(fixture_index_dir)
    assert manifest.stage == "index" and manifest.stats["books"] == 18
    again = run(SMALL, corpus=FIXTURE_CORPUS, model_dir=calibrated_matcher_dir, output=fixture_index_dir)
    assert not again.ran and again.manifest.created == manifest.created  # skipped: the same manifest comes back
    assert again.summary == "18 books, " + f"{manifest.stats['chunks']} chunks, {manifest.stats['held_out']} held-out queries"


def test_missing_corpus_names_the_ingest_stage(tmp_path, calibrated_matcher_dir):
    with pytest.raises(FileNotFoundError, match=r"run `writing7 ingest` first"):
        run(SMALL, corpus=tmp_path / "absent", model_dir=calibrated_matcher_dir, output=tmp_path / "index")


def test_an_indexed_passage_finds_its_own_book_first(index, matcher):
    searcher = Searcher(index, matcher, config=SearchConfig(top_k=5, centroid_weight=0.0).search_settings())
    for row in (0, len(index.chunks) // 2, len(index.chunks) - 1):
        chunk = index.chunks[row]
        results = searcher.search(chunk["text"])
        assert results[0]["book_id"] == index.books[chunk["book"]].book_id
        assert results[0]["chunk_similarity"] == pytest.approx(1.0, abs=1e-4)
        assert [r["rank"] for r in results] == [1, 2, 3, 4, 5]
        assert all(0 <= r["probability"] <= 1 for r in results)
        assert [r["score"] for r in results] == sorted((r["score"] for r in results), reverse=True)


def test_probability_is_the_calibrated_score_of_the_best_chunk(index, matcher):
    searcher = Searcher(index, matcher)
    passage = index.held_out[0]["text"]
    top = searcher.search(passage, top_k=1)[0]
    book = next(b for b in index.books if b.book_id == top["book_id"])
    best = next(c for c in index.chunks[book.chunk_offset:book.chunk_offset + book.chunk_count] if c["index"] == top["best_chunk"]["index"])
    assert top["probability"] == pytest.approx(matcher.score(passage, best["text"])["p_same_book"], abs=1e-4)


def test_faiss_backend_ranks_like_exact_numpy(tmp_path, index, matcher):
    directory = tmp_path / "faiss-index"
    faiss_index = BookIndex(index.embeddings, index.centroids, index.books, index.chunks, {**index.info, "backend": "faiss"}, index.held_out)
    faiss_index.save(directory)
    reloaded = BookIndex.load(directory)
    queries = matcher.embed([query["text"] for query in index.held_out[:4]])
    exact_similarities, exact_rows = index.nearest_chunks(queries, 10)
    faiss_similarities, faiss_rows = reloaded.nearest_chunks(queries, 10)
    np.testing.assert_allclose(faiss_similarities, exact_similarities, atol=1e-5)
    np.testing.assert_array_equal(faiss_rows, exact_rows)


def test_rerank_reorders_candidates_by_the_teacher(index, matcher, teacher_dir, fixture_index_dir):
    from writing7.models.cross_encoder import CrossEncoderTeacher

    searcher = Searcher.load(fixture_index_dir, matcher, teacher_dir=teacher_dir, config=SearchConfig(top_k=5, rerank_candidates=5).search_settings())
    passage = index.held_out[1]["text"]
    results = searcher.search(passage, rerank=True)
    scores = [r["rerank_score"] for r in results]
    assert scores == sorted(scores, reverse=True)
    teacher = CrossEncoderTeacher.load(teacher_dir)
    book = next(b for b in index.books if b.book_id == results[0]["book_id"])
    texts = [c["text"] for c in index.chunks[book.chunk_offset:book.chunk_offset + book.chunk_count]]
    # the book's score is the teacher's best logit over (some of) its chunks
    assert scores[0] <= float(teacher.predict_logits([passage] * len(texts), texts).max()) + 1e-4


def test_rerank_without_a_teacher_says_how_to_enable_it(index, matcher):
    with pytest.raises(ValueError, match="rerank needs the cross-encoder teacher"):
        Searcher(index, matcher).search("some passage", rerank=True)


def test_retrieval_evaluation_reports_recall_and_mrr(fixture_index_dir, index, matcher):
    report = evaluate_retrieval(Searcher(index, matcher))
    assert set(report) >= {"recall@1", "recall@10", "mrr", "author_recall@1", "queries", "books"}
    assert report["queries"] == len(index.held_out) and report["books"] == 18
    assert 0 <= report["recall@1"] <= report["recall@10"] <= 1 and report["recall@1"] <= report["mrr"] <= 1
    assert retrieval_report(fixture_index_dir) == report  # the entry point `writing7 evaluate --retrieval` calls


def test_evaluate_retrieval_writes_the_report(tmp_path, fixture_index_dir):
    from writing7.config.index import SearchConfig
    from writing7.stages import retrieval

    shutil.copytree(fixture_index_dir, tmp_path / "index")
    result = retrieval.run(SearchConfig(), artifacts=tmp_path)
    report = result.stats
    assert result.ran and json.loads((tmp_path / "reports" / "retrieval.json").read_text()) == report
    assert {"recall@1", "recall@10", "mrr"} <= set(report)
    again = retrieval.run(SearchConfig(), artifacts=tmp_path)  # a manifest now: an unchanged index is not searched again
    assert not again.ran and again.stats == report and "Recall@1" in again.summary


def test_index_built_with_another_embedding_size_is_refused(index, matcher):
    narrow = BookIndex.from_embeddings(index.embeddings[:, :8], index.books, index.chunks, index.info)
    with pytest.raises(ValueError, match=r"rebuild the index with this model"):
        Searcher(narrow, matcher)


def test_missing_index_names_the_index_stage(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"run `writing7 index --corpus DIR` first"):
        BookIndex.load(tmp_path)


@pytest.mark.parametrize(("values", "message"), [
    ({"backend": "annoy"}, r"index\.backend = 'annoy': is not a known choice; use one of: numpy, faiss"),
    ({"max_chunks_per_book": 0}, r"index\.max_chunks_per_book = 0: must be > 0"),
    ({"held_out_per_book": -1}, r"index\.held_out_per_book = -1: must be >= 0"),
])
def test_index_config_validation(values, message):
    from writing7.config import ConfigError

    with pytest.raises(ConfigError, match=message):
        IndexConfig(**values)


@pytest.mark.parametrize(("values", "message"), [
    ({"top_k": 20, "candidates": 10}, r"search\.candidates = 10: is smaller than top_k \(20\); set candidates to at least 20"),
    ({"centroid_weight": 1.5}, r"search\.centroid_weight = 1\.5: must be a fraction in \[0, 1\]"),
])
def test_search_config_validation(values, message):
    from writing7.config import ConfigError

    with pytest.raises(ConfigError, match=message):
        SearchConfig(**values)
