"""Pair rows -> Hugging Face ``Dataset`` with a fingerprint that is a hash of its rows.

``datasets`` derives a fingerprint from the table for ``Dataset.from_dict`` today, but that is an
implementation detail; setting it explicitly from :func:`rows_hash` makes "same corpus + config +
seed -> same fingerprint" a guarantee of ours, and the hash in the manifest lets anyone check a
saved split row by row.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from datasets import Dataset, Features, Value

from writing7.prepare.pairs import COLUMNS

FEATURES = Features({
    "text1": Value("string"), "text2": Value("string"), "label": Value("int64"),
    "book1": Value("string"), "book2": Value("string"), "author1": Value("string"), "author2": Value("string"),
    "pair_type": Value("string"), "neg_type": Value("string"),
    "topic1": Value("int64"), "topic2": Value("int64"), "same_topic": Value("bool"),
})


def rows_hash(rows: Sequence[dict[str, Any]]) -> str:
    """SHA-256 over the rows in order, each as canonical JSON (sorted keys) plus a newline."""
    digest = hashlib.sha256()
    for row in rows:
        digest.update(json.dumps(row, sort_keys=True, ensure_ascii=False).encode("utf-8") + b"\n")
    return digest.hexdigest()


def to_dataset(rows: Sequence[dict[str, Any]], split: str) -> tuple[Dataset, str]:
    """The split as a ``Dataset`` with the :data:`FEATURES` schema and fingerprint ``rows_hash[:16]``; also the hash."""
    columns = {name: [row[name] for row in rows] for name in COLUMNS}
    table = Dataset.from_dict(columns, features=FEATURES, split=split)
    row_hash = rows_hash(rows)
    fingerprint = hashlib.sha256(f"{split}\0{row_hash}".encode()).hexdigest()[:16]
    return Dataset(table.data, info=table.info, split=table.split, fingerprint=fingerprint), row_hash
