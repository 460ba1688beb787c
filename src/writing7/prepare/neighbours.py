"""Neighbour books: exact top-K inner-product search over book centroids.

Two backends give the same neighbours (ties aside):

* ``exact`` -- a blocked matrix product, ``torch.topk`` per block of up to 2048 query rows. On CPU
  the products are float32. On CUDA the vectors are normalized in float32 and the products computed
  in bf16 (twice the tensor-core throughput; cosine ranks of book centroids survive the 8-bit
  mantissa). ``torch.topk`` rather than NumPy's ``argpartition``: on 20k x 384 vectors with 2 CPU
  cores, ``argpartition`` costs twice the matrix product itself while ``topk`` (multi-threaded)
  adds ~30 %, which puts the whole search level with FAISS (``bench/prepare.py``).
* ``faiss`` -- ``faiss.IndexFlatIP``, the same exact search in FAISS (optional dependency).

Blocks bound memory: one block holds ``block_rows x len(keys)`` scores.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
import torch

from writing7.errors import UserFacingError

BLOCK_ROWS = 2048
BACKENDS = ("exact", "faiss")


def exact_top_k(
    queries: np.ndarray, keys: np.ndarray, k: int, *, device: torch.device | str = "cpu",
    block_rows: int = BLOCK_ROWS, bf16: bool | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Top ``k`` keys by inner product for every query: scores and indices, each (queries, k), best first.

    ``bf16`` (default: on for CUDA, off elsewhere) computes the products in bfloat16.
    """
    device = torch.device(device)
    bf16 = device.type == "cuda" if bf16 is None else bf16
    product_dtype = torch.bfloat16 if bf16 else torch.float32
    k = min(k, len(keys))
    keys_t = torch.as_tensor(np.asarray(keys, dtype=np.float32), device=device).to(product_dtype).T  # (dim, keys)
    scores, indices = [], []
    for start in range(0, len(queries), block_rows):
        block = torch.as_tensor(np.asarray(queries[start:start + block_rows], dtype=np.float32), device=device)
        products = (block.to(product_dtype) @ keys_t).float()  # (block, keys)
        top = torch.topk(products, k, dim=1)  # sorted, best first
        scores.append(top.values.cpu().numpy())
        indices.append(top.indices.cpu().numpy())
    if not scores:
        return np.zeros((0, k), dtype=np.float32), np.zeros((0, k), dtype=np.int64)
    return np.concatenate(scores), np.concatenate(indices).astype(np.int64)


def faiss_top_k(queries: np.ndarray, keys: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The same search with ``faiss.IndexFlatIP`` (exact inner product)."""
    try:
        import faiss
    except ImportError as error:
        raise UserFacingError(
            "neighbour_backend 'faiss' needs FAISS: pip install 'writing7[faiss]' (faiss-cpu), "
            "or use --neighbour-backend exact"
        ) from error
    keys = np.ascontiguousarray(keys, dtype=np.float32)
    index = faiss.IndexFlatIP(keys.shape[1])
    index.add(keys)
    scores, indices = index.search(np.ascontiguousarray(queries, dtype=np.float32), min(k, len(keys)))
    return scores, indices.astype(np.int64)


def top_k(queries: np.ndarray, keys: np.ndarray, k: int, *, backend: str = "exact", device: torch.device | str = "cpu") -> tuple[np.ndarray, np.ndarray]:
    """Dispatch to :func:`exact_top_k` or :func:`faiss_top_k`."""
    if backend == "faiss":
        return faiss_top_k(queries, keys, k)
    if backend != "exact":
        raise ValueError(f"unknown neighbour backend {backend!r}: use one of {', '.join(BACKENDS)}")
    return exact_top_k(queries, keys, k, device=device)


def normalize_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit L2 norm in float32 (zero rows stay zero)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)


def neighbour_books(
    centroids: np.ndarray, authors: Sequence[str], k: int, *, backend: str = "exact", device: torch.device | str = "cpu"
) -> list[list[int]]:
    """For each book, the indices of its ``k`` nearest books by **other** authors (cosine, best first).

    The search fetches ``k`` plus the largest number of books of one author, so that after dropping
    the book itself and its author's other books ``k`` neighbours remain whenever that many exist.
    """
    if len(centroids) != len(authors):
        raise ValueError(f"{len(centroids)} centroids but {len(authors)} authors: pass one author per book")
    if len(centroids) == 0:
        return []
    fetch = k + max(Counter(authors).values())
    vectors = normalize_rows(centroids)
    _, indices = top_k(vectors, vectors, fetch, backend=backend, device=device)
    return [[int(j) for j in row if j >= 0 and authors[j] != authors[i]][:k] for i, row in enumerate(indices)]
