import faiss
import numpy as np
import pytest

from writing7.prepare.neighbours import exact_top_k, faiss_top_k, neighbour_books, normalize_rows, top_k


def unit_vectors(rows, dim=32, seed=0):
    return normalize_rows(np.random.default_rng(seed).standard_normal((rows, dim)))


def test_exact_top_k_equals_faiss_index_flat_ip():
    keys, queries = unit_vectors(500, seed=1), unit_vectors(130, seed=2)
    index = faiss.IndexFlatIP(keys.shape[1])
    index.add(keys)
    faiss_scores, faiss_indices = index.search(queries, 10)
    scores, indices = exact_top_k(queries, keys, 10, block_rows=64)  # several blocks, a partial last one
    np.testing.assert_array_equal(indices, faiss_indices)
    np.testing.assert_allclose(scores, faiss_scores, rtol=1e-5, atol=1e-6)


def test_top_k_is_sorted_and_clamped_to_the_number_of_keys():
    keys = unit_vectors(6)
    scores, indices = exact_top_k(keys, keys, 50)
    assert indices.shape == (6, 6) and (np.diff(scores, axis=1) <= 1e-7).all()
    assert (indices[:, 0] == np.arange(6)).all()  # a unit vector is its own nearest neighbour
    assert np.array_equal(faiss_top_k(keys, keys, 50)[1], indices)


def oracle_neighbours(vectors, authors, k):
    """Plain Python: every other-author book by cosine, best first."""
    result = []
    for i, vector in enumerate(vectors):
        others = [(float(vector @ other), j) for j, other in enumerate(vectors) if authors[j] != authors[i]]
        result.append([j for _, j in sorted(others, key=lambda pair: (-pair[0], pair[1]))[:k]])
    return result


@pytest.mark.parametrize("backend", ["exact", "faiss"])
def test_neighbour_books_exclude_self_and_same_author(backend):
    vectors = unit_vectors(40, dim=8, seed=3)
    authors = [f"author{i % 13}" for i in range(40)]  # 1 to 4 books per author
    neighbours = neighbour_books(vectors, authors, 5, backend=backend)
    assert neighbours == oracle_neighbours(vectors, authors, 5)
    assert all(authors[j] != authors[i] for i, row in enumerate(neighbours) for j in row)


def test_centroids_are_normalized_before_the_search():
    vectors = unit_vectors(20, dim=8, seed=4)
    scaled = vectors * np.random.default_rng(5).uniform(0.1, 10, size=(20, 1))
    authors = [f"a{i}" for i in range(20)]
    assert neighbour_books(scaled, authors, 4) == neighbour_books(vectors, authors, 4)


def test_bad_inputs_are_explained():
    with pytest.raises(ValueError, match="unknown neighbour backend 'hnsw': use one of exact, faiss"):
        top_k(unit_vectors(3), unit_vectors(3), 1, backend="hnsw")
    with pytest.raises(ValueError, match="3 centroids but 2 authors"):
        neighbour_books(unit_vectors(3), ["a", "b"], 1)
    assert neighbour_books(np.zeros((0, 4), dtype=np.float32), [], 3) == []


def test_bf16_torch_path_finds_nearly_the_same_neighbours():
    """The CUDA path (bf16 products) run on CPU: bf16 rounding may swap near-ties, nothing more."""
    keys, queries = unit_vectors(400, seed=6), unit_vectors(100, seed=7)
    scores, indices = exact_top_k(queries, keys, 10, block_rows=32, bf16=True)
    exact_scores, exact_indices = exact_top_k(queries, keys, 10)
    overlap = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(indices, exact_indices)])
    assert overlap >= 0.95 and (indices[:, 0] == exact_indices[:, 0]).mean() >= 0.95
    np.testing.assert_allclose(scores, exact_scores, atol=2e-2)
