"""Approximate search (FAISS IVF, HNSW) against exact search on synthetic normalised vectors, and the
index folder round trip with an approximate backend."""

from __future__ import annotations

import numpy as np
import pytest

from writing7.inference.index import BookIndex, IndexedBook
from writing7.inference.vector_index import VectorIndex, VectorIndexSettings, exact_top_k, ivf_list_count

pytest.importorskip("faiss")
DIMENSION = 64


def clustered_vectors(count: int, *, seed: int = 0, clusters: int = 40) -> np.ndarray:
    """L2-normalised (count, DIMENSION): a random cluster centre plus as much isotropic noise (books of a genre)."""
    generator = np.random.default_rng(seed)
    centres = generator.standard_normal((clusters, DIMENSION))
    vectors = centres[generator.integers(0, clusters, count)] + generator.standard_normal((count, DIMENSION))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def near_queries(vectors: np.ndarray, count: int, *, seed: int = 1) -> np.ndarray:
    """Perturbed copies of random vectors: queries with a true nearest neighbour, as a held-out passage has."""
    generator = np.random.default_rng(seed)
    queries = vectors[generator.choice(len(vectors), count, replace=False)] + 0.5 * generator.standard_normal((count, DIMENSION)) / np.sqrt(DIMENSION)
    return (queries / np.linalg.norm(queries, axis=1, keepdims=True)).astype(np.float32)


def recall_at(found: np.ndarray, exact: np.ndarray) -> float:
    """Share of the exact top-k rows that the approximate search returned (mean over queries)."""
    return float(np.mean([len(set(a.tolist()) & set(b.tolist())) / len(b) for a, b in zip(found, exact)]))


@pytest.fixture(scope="module")
def library() -> tuple[np.ndarray, np.ndarray]:
    vectors = clustered_vectors(4000)
    return vectors, near_queries(vectors, 200)


@pytest.mark.parametrize("backend", ["faiss-ivf", "faiss-hnsw"])
def test_approximate_backends_find_the_exact_top_ten(library, backend):
    vectors, queries = library
    _, exact_rows = exact_top_k(vectors, queries, 10)
    similarities, rows = VectorIndex(vectors, VectorIndexSettings(backend)).search(queries, 10)
    assert recall_at(rows, exact_rows) >= 0.98
    # The stored vectors are exact: every returned similarity is the true inner product, best first.
    np.testing.assert_allclose(similarities, np.einsum("qd,qkd->qk", queries, vectors[rows]), atol=1e-5)
    assert np.all(np.diff(similarities, axis=1) <= 1e-6)


def test_exact_faiss_equals_numpy(library):
    vectors, queries = library
    expected = exact_top_k(vectors, queries, 10)
    similarities, rows = VectorIndex(vectors, VectorIndexSettings("faiss")).search(queries, 10)
    np.testing.assert_allclose(similarities, expected[0], atol=1e-5)
    assert recall_at(rows, expected[1]) == 1.0


def test_ivf_list_count_follows_four_root_n_within_the_training_limit():
    assert ivf_list_count(60000) == 980  # round(4 sqrt(60000))
    assert ivf_list_count(2000) == 51  # 4 sqrt(2000) = 179 lists would get < 39 training points each
    assert ivf_list_count(10) == 1 and ivf_list_count(60000, requested=100) == 100


def test_unknown_backend_is_refused():
    with pytest.raises(ValueError, match="unknown index backend 'annoy'"):
        VectorIndexSettings("annoy")


@pytest.mark.parametrize("backend", ["faiss-ivf", "faiss-hnsw"])
def test_book_index_saves_and_loads_its_approximate_indexes(tmp_path, backend):
    embeddings = clustered_vectors(3000, seed=2)  # 300 books x 10 chunks
    books = [IndexedBook(f"author{i % 50}/book{i}", f"author{i % 50}", f"book{i}", 10 * i, 10) for i in range(300)]
    chunks = [{"book": row // 10, "index": row % 10, "start": 0, "end": 1, "text": "x"} for row in range(3000)]
    settings = VectorIndexSettings(backend, ivf_probes=8, hnsw_search_depth=40)
    index = BookIndex.from_embeddings(embeddings, books, chunks, {"backend": backend, "vector_index": settings.to_dict()})
    queries = near_queries(embeddings, 20)
    before = index.nearest_chunks(queries, 10), index.nearest_books(queries, 10)
    index.save(tmp_path)
    assert (tmp_path / "chunks.faiss").is_file() and (tmp_path / "centroids.faiss").is_file()
    reloaded = BookIndex.load(tmp_path)
    assert reloaded.search_settings == settings
    assert reloaded._chunk_index is not None and reloaded._chunk_index._faiss is not None  # read from the file, not rebuilt
    after = reloaded.nearest_chunks(queries, 10), reloaded.nearest_books(queries, 10)
    for (expected_similarities, expected_rows), (similarities, rows) in zip(before, after):
        np.testing.assert_array_equal(rows, expected_rows)
        np.testing.assert_allclose(similarities, expected_similarities, atol=1e-6)
