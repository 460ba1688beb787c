"""Maximum inner-product search over L2-normalised vectors (cosine), exact or approximate.

Backends (``[index] backend``):

- ``numpy``: one matrix product and a partial sort; exact. Fine for a few thousand books.
- ``faiss``: FAISS ``IndexFlatIP``; exact, faster than numpy on many queries (BLAS blocking, threads).
- ``faiss-ivf``: ``IndexIVFFlat`` over inner product. k-means splits the vectors into ``nlist`` lists
  (default ``4 sqrt(n)``, the usual rule of thumb, capped so every list has at least 39 training points,
  FAISS's minimum); a query scans only the ``nprobe`` lists with the nearest centres: about
  ``nprobe / nlist`` of the library. Vectors are stored uncompressed, so the inner products it returns
  are exact; only a neighbour in an unvisited list can be missed.
- ``faiss-hnsw``: ``IndexHNSWFlat``, a hierarchical navigable small-world graph with ``M`` links per
  vector, built with search depth ``efConstruction`` and searched with ``efSearch`` (larger = higher
  recall, slower). No training; more memory (the graph: about ``2 M`` int32 links per vector).

References: H. Jégou, M. Douze, C. Schmid, "Product Quantization for Nearest Neighbor Search", TPAMI 2011
(the inverted file); Y. Malkov, D. Yashunin, "Efficient and robust approximate nearest neighbor search
using Hierarchical Navigable Small World graphs", TPAMI 2018; J. Johnson, M. Douze, H. Jégou, "Billion-scale
similarity search with GPUs" (FAISS), IEEE Trans. Big Data 2019.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)
BACKENDS = ("numpy", "faiss", "faiss-ivf", "faiss-hnsw")
FAISS_MIN_POINTS_PER_LIST = 39  # below this FAISS's k-means warns that the centres are poorly trained
FAISS_TRAINING_POINTS_PER_LIST = 256  # FAISS's own cap on k-means training points per list


@dataclasses.dataclass(frozen=True)
class VectorIndexSettings:
    """How the vectors are searched (recorded in ``index.json`` so a loaded index searches as built)."""

    backend: str = "numpy"
    ivf_lists: int = 0  # nlist; 0 = 4 sqrt(n), capped at n / 39
    ivf_probes: int = 64  # nprobe: lists scanned per query (docs/scaling.md: recall vs latency)
    hnsw_neighbours: int = 32  # M: graph links per vector
    hnsw_build_depth: int = 80  # efConstruction
    hnsw_search_depth: int = 128  # efSearch

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ValueError(f"unknown index backend {self.backend!r}: use one of {', '.join(BACKENDS)}")

    @property
    def uses_faiss(self) -> bool:
        return self.backend != "numpy"

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> VectorIndexSettings:
        known = {field.name for field in dataclasses.fields(cls)}
        return cls(**{name: value for name, value in values.items() if name in known})


def ivf_list_count(vector_count: int, requested: int = 0) -> int:
    """nlist: ``requested``, or ``round(4 sqrt(n))``; never more than ``n / 39`` (each list needs training points)."""
    wanted = requested or round(4 * math.sqrt(vector_count))
    return max(1, min(wanted, vector_count // FAISS_MIN_POINTS_PER_LIST))


def exact_top_k(vectors: np.ndarray, queries: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """``(similarities, rows)``, each (queries, count), best first: one (queries, n) product and a partial sort."""
    similarities = queries @ vectors.T  # (queries, n)
    rows = np.argpartition(-similarities, count - 1, axis=1)[:, :count]  # (queries, count) unordered
    top = np.take_along_axis(similarities, rows, axis=1)
    order = np.argsort(-top, axis=1, kind="stable")
    return np.take_along_axis(top, order, axis=1), np.take_along_axis(rows, order, axis=1)


def import_faiss() -> Any:
    try:
        import faiss
    except ImportError as error:
        raise ImportError("FAISS index backends need faiss-cpu: pip install 'writing7[faiss]', or use backend = \"numpy\"") from error
    return faiss


def build_faiss_index(vectors: np.ndarray, settings: VectorIndexSettings) -> Any:
    """The FAISS index of ``settings.backend`` over ``vectors`` (n, dim) float32, trained and filled."""
    faiss = import_faiss()
    dimension = vectors.shape[1]
    if settings.backend == "faiss":
        index = faiss.IndexFlatIP(dimension)
    elif settings.backend == "faiss-ivf":
        lists = ivf_list_count(len(vectors), settings.ivf_lists)
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dimension), dimension, lists, faiss.METRIC_INNER_PRODUCT)
        index.train(_training_sample(vectors, lists))
    else:
        index = faiss.IndexHNSWFlat(dimension, settings.hnsw_neighbours, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = settings.hnsw_build_depth
    index.add(vectors)
    apply_search_settings(index, settings)
    return index


def _training_sample(vectors: np.ndarray, lists: int) -> np.ndarray:
    """At most 256 points per list (what FAISS would subsample to anyway), drawn with a fixed seed."""
    limit = FAISS_TRAINING_POINTS_PER_LIST * lists
    if len(vectors) <= limit:
        return vectors
    rows = np.sort(np.random.default_rng(0).choice(len(vectors), size=limit, replace=False))
    return np.ascontiguousarray(vectors[rows])


def apply_search_settings(index: Any, settings: VectorIndexSettings) -> None:
    """nprobe / efSearch: search-time settings, set again after loading."""
    if settings.backend == "faiss-ivf":
        index.nprobe = min(settings.ivf_probes, index.nlist)
    elif settings.backend == "faiss-hnsw":
        index.hnsw.efSearch = settings.hnsw_search_depth


class VectorIndex:
    """Top-k inner-product search over ``vectors`` (n, dim), float32, L2-normalised."""

    def __init__(self, vectors: np.ndarray, settings: VectorIndexSettings, faiss_index: Any = None) -> None:
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.settings = settings
        self._faiss = faiss_index
        if faiss_index is not None:
            apply_search_settings(faiss_index, settings)

    @property
    def faiss_index(self) -> Any:
        """The FAISS index (built on first use); None for ``numpy``."""
        if self._faiss is None and self.settings.uses_faiss:
            self._faiss = build_faiss_index(self.vectors, self.settings)
        return self._faiss

    def search(self, queries: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
        """``(similarities, rows)``, each (queries, count), best first. An approximate backend may return
        fewer than ``count`` hits for a query; those slots hold row -1 and similarity -inf."""
        count = min(count, self.vectors.shape[0])
        queries = np.ascontiguousarray(queries, dtype=np.float32)  # (queries, dim)
        if not self.settings.uses_faiss:
            return exact_top_k(self.vectors, queries, count)
        similarities, rows = self.faiss_index.search(queries, count)
        return np.where(rows >= 0, similarities, -np.inf).astype(np.float32), rows

    def serialize(self) -> bytes:
        return import_faiss().serialize_index(self.faiss_index).tobytes()

    @classmethod
    def deserialize(cls, vectors: np.ndarray, settings: VectorIndexSettings, data: np.ndarray) -> VectorIndex:
        return cls(vectors, settings, import_faiss().deserialize_index(data))
