"""A retrieval index over a library of books: chunk embeddings, book centroids, metadata.

Files of an index folder (written by ``writing7 index``, see :mod:`writing7.stages.index`)::

    embeddings.npy    (chunks, dim) float32, L2-normalised, grouped by book (book b owns rows
                      [chunk_offset_b, chunk_offset_b + chunk_count_b))
    centroids.npy     (books, dim) float32: the L2-normalised mean of each book's chunk embeddings
    books.json        [{"book_id", "author", "title", "chunk_offset", "chunk_count"}, ...]
    chunks.jsonl      one line per row of embeddings.npy: {"book", "index", "start", "end", "text"}
    held_out.jsonl    query chunks that are NOT indexed ({"book_id", "index", "text"}), for Recall@k / MRR
    index.json        format, dimension, backend and its settings (``vector_index``), model folder, chunking settings
    chunks.faiss      the FAISS index over embeddings.npy (FAISS backends only)
    centroids.faiss   the FAISS index over centroids.npy (FAISS backends other than exact ``faiss``)
    manifest.json     the stage manifest

Nearest chunks and nearest book centroids are found by :class:`~writing7.inference.vector_index.VectorIndex`:
exactly (``numpy``, ``faiss``) or approximately (``faiss-ivf``, ``faiss-hnsw``; with the default settings,
recall@10 of exact search is 1.000 at 60,000 clustered synthetic centroids, lower where the exact top 10
are near-ties among unstructured vectors: ``bench/search_scale.py``, docs/scaling.md).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np

from writing7.artifacts import atomic_write_bytes, atomic_write_json, atomic_write_text
from writing7.inference.vector_index import VectorIndex, VectorIndexSettings
from writing7.saved_json import read_saved_json

INDEX_FORMAT = "writing7-index"
INDEX_VERSION = 1


@dataclasses.dataclass(frozen=True)
class IndexedBook:
    book_id: str
    author: str
    title: str
    chunk_offset: int
    chunk_count: int


@dataclasses.dataclass
class BookIndex:
    """In-memory index; ``chunks[i]`` describes row ``i`` of ``embeddings``."""

    embeddings: np.ndarray  # (chunks, dim) float32, L2-normalised
    centroids: np.ndarray  # (books, dim) float32, L2-normalised
    books: list[IndexedBook]
    chunks: list[dict[str, Any]]  # {"book": position in books, "index", "start", "end", "text"}
    info: dict[str, Any]
    held_out: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    _chunk_index: VectorIndex | None = dataclasses.field(default=None, repr=False)
    _book_index: VectorIndex | None = dataclasses.field(default=None, repr=False)

    @property
    def dimension(self) -> int:
        return int(self.embeddings.shape[1])

    @property
    def chunk_books(self) -> np.ndarray:
        """(chunks,) position of each chunk's book in ``books``."""
        return np.repeat(np.arange(len(self.books)), [book.chunk_count for book in self.books])

    @classmethod
    def from_embeddings(cls, embeddings: np.ndarray, books: list[IndexedBook], chunks: list[dict[str, Any]],
                        info: dict[str, Any], held_out: list[dict[str, Any]] | None = None) -> BookIndex:
        """Build centroids from grouped chunk embeddings and check that the pieces agree."""
        embeddings = np.ascontiguousarray(embeddings, dtype=np.float32)
        if embeddings.shape[0] != len(chunks) or sum(book.chunk_count for book in books) != len(chunks):
            raise ValueError(f"{embeddings.shape[0]} embeddings, {len(chunks)} chunk records and "
                             f"{sum(b.chunk_count for b in books)} chunks in books must agree")
        if any(book.chunk_count == 0 for book in books):
            raise ValueError("a book without indexed chunks cannot be searched: leave it out of the index")
        offsets = [book.chunk_offset for book in books]
        sums = np.add.reduceat(embeddings, offsets, axis=0)  # (books, dim)
        centroids = sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)
        return cls(embeddings, centroids.astype(np.float32), books, chunks, info, held_out or [])

    # -- search primitives ---------------------------------------------------------------------
    @property
    def search_settings(self) -> VectorIndexSettings:
        """The backend and its settings (indexes written before ``vector_index`` existed: backend alone)."""
        return VectorIndexSettings.from_dict({**self.info.get("vector_index", {}), "backend": self.info.get("backend", "numpy")})

    @property
    def chunk_index(self) -> VectorIndex:
        if self._chunk_index is None:
            self._chunk_index = VectorIndex(self.embeddings, self.search_settings)
        return self._chunk_index

    @property
    def book_index(self) -> VectorIndex:
        """Search over the centroids: exact unless the backend is approximate (a scan of 60,000 centroids is
        cheap, but an approximate backend exists to avoid scanning the library at all)."""
        if self._book_index is None:
            settings = self.search_settings
            exact = not settings.uses_faiss or settings.backend == "faiss"
            self._book_index = VectorIndex(self.centroids, VectorIndexSettings("numpy") if exact else settings)
        return self._book_index

    def nearest_chunks(self, queries: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
        """``(similarities, rows)``, each (queries, count): the ``count`` most similar chunks, best first
        (row -1 where an approximate backend found fewer)."""
        return self.chunk_index.search(queries, count)

    def nearest_books(self, queries: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
        """``(similarities, positions)``, each (queries, count): the books with the most similar centroids, best first."""
        return self.book_index.search(queries, count)

    def book_chunk_similarities(self, query: np.ndarray, book_position: int) -> np.ndarray:
        """(chunk_count,) cosine of one query (dim,) with each chunk of one book."""
        book = self.books[book_position]
        return self.embeddings[book.chunk_offset:book.chunk_offset + book.chunk_count] @ query

    # -- files ------------------------------------------------------------------------------------
    def save(self, directory: Path) -> None:
        """Write every file of the module docstring except the manifest into ``directory``."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        np.save(directory / "embeddings.npy", self.embeddings)
        np.save(directory / "centroids.npy", self.centroids)
        atomic_write_json(directory / "books.json", [dataclasses.asdict(book) for book in self.books])
        atomic_write_text(directory / "chunks.jsonl", "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in self.chunks))
        atomic_write_text(directory / "held_out.jsonl", "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in self.held_out))
        atomic_write_json(directory / "index.json", {"format": INDEX_FORMAT, "version": INDEX_VERSION, **self.info})
        if self.chunk_index.settings.uses_faiss:
            atomic_write_bytes(directory / "chunks.faiss", self.chunk_index.serialize())
        if self.book_index.settings.uses_faiss:
            atomic_write_bytes(directory / "centroids.faiss", self.book_index.serialize())

    @classmethod
    def load(cls, directory: Path) -> BookIndex:
        directory = Path(directory)
        info_path = directory / "index.json"
        info = read_saved_json(
            info_path, missing=f"no index at {directory} (index.json missing): run `writing7 index --corpus DIR` first",
            compatible=lambda state: state.get("format") == INDEX_FORMAT and state.get("version") == INDEX_VERSION,
            incompatible=f"{info_path} is not a version-{INDEX_VERSION} Writing7 index: rebuild it with `writing7 index --force`",
        )
        books = [IndexedBook(**book) for book in json.loads((directory / "books.json").read_text(encoding="utf-8"))]
        index = cls(np.load(directory / "embeddings.npy"), np.load(directory / "centroids.npy"), books,
                    _read_jsonl(directory / "chunks.jsonl"), info, _read_jsonl(directory / "held_out.jsonl"))
        for name, vectors, settings, attribute in (
            ("chunks.faiss", index.embeddings, index.search_settings, "_chunk_index"),
            ("centroids.faiss", index.centroids, index.book_index.settings, "_book_index"),
        ):
            if settings.uses_faiss and (directory / name).is_file():
                setattr(index, attribute, VectorIndex.deserialize(vectors, settings, np.fromfile(directory / name, dtype=np.uint8)))
        return index


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
