"""Settings for the retrieval index over a library of books and for two-stage search."""

from __future__ import annotations

import dataclasses

from writing7.config.base import StageConfig, option
from writing7.config.inference import INFERENCE_PRECISIONS, PRECISION_HELP
from writing7.models.precisions import DEFAULT_PRECISION
from writing7.inference.settings import SearchSettings
from writing7.inference.vector_index import BACKENDS, VectorIndexSettings
from writing7.models.scoring import ENCODE_BATCH_SIZE


@dataclasses.dataclass
class IndexConfig(StageConfig):
    """``[index]``: ``writing7 index`` (chunk embeddings, book centroids and metadata)."""

    section = "index"
    chunk_size: int = option(8, "Sentences per indexed chunk (the index's own setting, recorded in index.json; not prepare's chunk_size).")
    overlap: int = option(8, "Step in sentences between chunk starts.")
    min_chunk_chars: int = option(200, "Chunks shorter than this many characters are not indexed.")
    min_stopword_ratio: float = option(0.2, "Chunks with a lower English stopword ratio are not indexed.")
    max_chunks_per_book: int = option(24, "At most this many chunks of each book are indexed (seeded sample; 24 x 243 books embed in about 2-3 min on 2 CPU cores).")
    held_out_per_book: int = option(5, "Chunks of each book kept out of the index as retrieval queries (evaluate --retrieval).")
    backend: str = option("numpy", "Chunk and centroid search: 'numpy' (exact matrix product), 'faiss' (exact inner-product index), "
                                   "'faiss-ivf' (inverted lists) or 'faiss-hnsw' (graph): the last two are approximate, for libraries "
                                   "of tens of thousands of books (docs/scaling.md).")
    ivf_lists: int = option(0, "faiss-ivf: k-means lists nlist (0 = 4 sqrt(n), at most n / 39).")
    ivf_probes: int = option(64, "faiss-ivf: lists scanned per query, nprobe (more = higher recall, slower).")
    hnsw_neighbours: int = option(32, "faiss-hnsw: graph links per vector, M (more = higher recall, more memory).")
    hnsw_build_depth: int = option(80, "faiss-hnsw: efConstruction, the search depth while building.")
    hnsw_search_depth: int = option(128, "faiss-hnsw: efSearch, the search depth per query (more = higher recall, slower).")
    batch_size: int = option(ENCODE_BATCH_SIZE, "Chunks per encoder forward.")
    precision: str = option(DEFAULT_PRECISION, PRECISION_HELP)
    workers: int = option(2, "Processes that read, standardize and chunk books (1 = in the main process).")
    seed: int = option(0, "Seed for the chunk sample.")

    def validate(self) -> None:
        self.require_positive("chunk_size", "overlap", "max_chunks_per_book", "batch_size", "workers")
        self.require_positive("ivf_probes", "hnsw_neighbours", "hnsw_build_depth", "hnsw_search_depth")
        self.require_non_negative("ivf_lists")
        self.require_non_negative("min_chunk_chars", "held_out_per_book")
        self.require_fraction("min_stopword_ratio")
        self.require_choice("backend", BACKENDS)
        self.require_choice("precision", INFERENCE_PRECISIONS)

    @property
    def vector_index(self) -> VectorIndexSettings:
        return VectorIndexSettings(self.backend, self.ivf_lists, self.ivf_probes, self.hnsw_neighbours, self.hnsw_build_depth, self.hnsw_search_depth)


@dataclasses.dataclass
class SearchConfig(StageConfig):
    """``[search]``: ``writing7 search``, ``POST /v1/search`` and ``writing7 evaluate --retrieval``."""

    section = "search"
    top_k: int = option(SearchSettings.top_k, "Books returned.")
    candidates: int = option(SearchSettings.candidates, "Books kept by the bi-encoder prefilter (at least top_k).")
    centroid_weight: float = option(SearchSettings.centroid_weight, "Prefilter score = w * centroid cosine + (1 - w) * best-chunk cosine.")
    rerank_candidates: int = option(SearchSettings.rerank_candidates, "With --rerank: books the cross-encoder rescores.")
    rerank_chunks_per_book: int = option(SearchSettings.rerank_chunks_per_book, "With --rerank: a book's best chunks the cross-encoder reads.")

    def validate(self) -> None:
        self.require_positive("top_k", "candidates", "rerank_candidates", "rerank_chunks_per_book")
        self.require_fraction("centroid_weight")
        if self.candidates < self.top_k:
            self.fail("candidates", f"is smaller than top_k ({self.top_k})", f"set candidates to at least {self.top_k}")

    def search_settings(self) -> SearchSettings:
        """What a :class:`~writing7.inference.search.Searcher` reads of this table."""
        return SearchSettings(self.top_k, self.candidates, self.centroid_weight, self.rerank_candidates, self.rerank_chunks_per_book)
