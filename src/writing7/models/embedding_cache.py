"""Passage embeddings kept on disk by content, for the stages that encode the same passages again.

After training, several stages encode the same passages with the same model: ``calibrate`` encodes
the validation pairs, and the verdict's passage band reads those pairs again; ``calibrate-attribution``
cuts its queries where the length suites cut their first and last excerpts (the verdict's on the
validation books, ``evaluate``'s on the test books). An :class:`EmbeddingCache` keeps every embedding
a model computes in those stages, keyed by the SHA-256 of the passage's token ids, in one SQLite file per
(model, precision) under the cache folder (:func:`writing7.artifacts.cache_dir`), so each passage is
encoded once however many stages read it.

An embedding depends on the encoder's files (weights, configuration, tokenizer), the precision path
(for int8, its backend) and the PyTorch version: all of them go into the file's name
(:func:`cache_name`), so a retrained model or another precision never reads another's vectors.
The vectors are stored as computed (float32), so a cached embedding equals the one computed when it
was stored. A damaged file is reported once and the cache is switched off (the stage still runs).
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)
FORMAT_VERSION = 1
# SQLite's default limit on the parameters of one statement is 999.
LOOKUP_BATCH = 900


def token_key(token_ids: Sequence[int]) -> bytes:
    """The key of one text: the SHA-256 of the token ids the encoder reads (whitespace and what lies past the token
    limit do not change an embedding, so they do not change the key either)."""
    return hashlib.sha256(np.asarray(token_ids, dtype=np.int64).tobytes()).digest()


def cache_name(model_hash: str, precision: str, backend: str, torch_version: str) -> str:
    """The file name of one (model, precision) cache: a digest of everything an embedding depends on."""
    digest = hashlib.sha256(repr((FORMAT_VERSION, model_hash, precision, backend, torch_version)).encode()).hexdigest()
    return f"{digest[:24]}.sqlite"


class EmbeddingCache:
    """``{sha256(text): float32 vector}`` in one SQLite table; vectors of another width count as missing."""

    def __init__(self, path: Path, dimension: int) -> None:
        self.path, self.dimension = Path(path), dimension
        self.connection: sqlite3.Connection | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.connection = sqlite3.connect(self.path, timeout=60, check_same_thread=False)
        except (OSError, sqlite3.Error) as error:
            logger.warning("embedding cache %s cannot be opened (%s): encoding without it", self.path, error)
            return
        self._guard(lambda connection: connection.execute("CREATE TABLE IF NOT EXISTS embeddings (key BLOB PRIMARY KEY, vector BLOB NOT NULL)"))

    def lookup(self, keys: Sequence[bytes]) -> dict[bytes, np.ndarray]:
        """The stored vectors of those ``keys`` that have one."""
        unique, found = list(dict.fromkeys(keys)), {}
        for start in range(0, len(unique), LOOKUP_BATCH):
            batch = unique[start:start + LOOKUP_BATCH]
            query = f"SELECT key, vector FROM embeddings WHERE key IN ({','.join('?' * len(batch))})"
            rows = self._guard(lambda connection, query=query, batch=batch: connection.execute(query, batch).fetchall()) or []
            found.update((key, vector) for key, vector in ((key, np.frombuffer(blob, dtype=np.float32)) for key, blob in rows)
                         if vector.size == self.dimension)
        return found

    def store(self, keys: Sequence[bytes], vectors: np.ndarray) -> None:
        """Keep ``vectors`` ((n, dimension)) under ``keys`` (one transaction; a key already there keeps its vector)."""
        rows = [(key, np.ascontiguousarray(vector, dtype=np.float32).tobytes()) for key, vector in zip(keys, vectors)]
        self._guard(lambda connection: connection.executemany("INSERT OR IGNORE INTO embeddings VALUES (?, ?)", rows))

    def _guard(self, action):
        """Run ``action`` in a transaction; a damaged or unwritable file switches the cache off with one warning."""
        if self.connection is None:
            return None
        try:
            with self.connection:
                return action(self.connection)
        except sqlite3.DatabaseError as error:
            logger.warning("embedding cache %s is unusable (%s): encoding without it; delete the file to start it afresh", self.path, error)
            self.connection.close()
            self.connection = None
            return None

    def __len__(self) -> int:
        rows = self._guard(lambda connection: connection.execute("SELECT COUNT(*) FROM embeddings").fetchone())
        return int(rows[0]) if rows else 0
