"""Pair rows -> Hugging Face ``Dataset``, built in blocks, with a fingerprint that is a hash of its rows.

``datasets`` derives a fingerprint from the table for ``Dataset.from_dict`` today, but that is an
implementation detail; setting it explicitly from :func:`rows_hash` makes "same corpus + config +
seed -> same fingerprint" a guarantee of ours, and the hash in the manifest lets anyone check a
saved split row by row.

Rows arrive as an iterator and become Arrow record blocks of :data:`BLOCK_ROWS` rows, so no list of
Python rows (about 1 KB each) or whole-split column lists exist at once: memory holds the Arrow
columns (the texts, about 2.3 KB a pair) plus one block. ``bench/scale.py`` measured 9 KB a pair
at the peak of the earlier one-shot ``Dataset.from_dict`` build.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
from collections import Counter
from collections.abc import Iterable
from typing import Any

import pyarrow as pa
from datasets import Dataset, DatasetInfo, Features, NamedSplit, Value
from datasets.table import InMemoryTable

from writing7.prepare.pairs import COLUMNS

# Rows per Arrow block: large enough that Arrow's per-block overhead is noise, small enough that one
# block of Python rows (~1 KB each) stays a few tens of MB.
BLOCK_ROWS = 20_000

FEATURES = Features({
    "text1": Value("string"), "text2": Value("string"), "label": Value("int64"),
    "book1": Value("string"), "book2": Value("string"), "author1": Value("string"), "author2": Value("string"),
    "pair_type": Value("string"), "neg_type": Value("string"),
    "topic1": Value("int64"), "topic2": Value("int64"), "same_topic": Value("bool"),
})


@dataclasses.dataclass
class ExportedSplit:
    """One split as a ``Dataset`` plus what the manifest records about its rows."""

    dataset: Dataset
    rows_sha256: str
    pair_types: dict[str, int]  # rows per pair_type and per negative/<neg_type>

    @property
    def pairs(self) -> int:
        return self.dataset.num_rows


def row_digest_line(row: dict[str, Any]) -> bytes:
    """One row as hashed by :func:`rows_hash`: canonical JSON (sorted keys) plus a newline."""
    return json.dumps(row, sort_keys=True, ensure_ascii=False).encode("utf-8") + b"\n"


def rows_hash(rows: Iterable[dict[str, Any]]) -> str:
    """SHA-256 over the rows in order, each as :func:`row_digest_line`."""
    digest = hashlib.sha256()
    for row in rows:
        digest.update(row_digest_line(row))
    return digest.hexdigest()


def to_dataset(rows: Iterable[dict[str, Any]], split: str, *, block_rows: int = BLOCK_ROWS) -> ExportedSplit:
    """The split as a ``Dataset`` with the :data:`FEATURES` schema and fingerprint ``sha256(split, rows_hash)[:16]``.

    One pass over ``rows`` in blocks of ``block_rows``: each block is hashed, counted and turned into
    an Arrow record batch; the batches become one table without another copy of the texts.
    """
    schema = FEATURES.arrow_schema
    digest, pair_types, batches = hashlib.sha256(), Counter(), []
    iterator = iter(rows)
    while block := list(itertools.islice(iterator, block_rows)):
        for row in block:
            digest.update(row_digest_line(row))
            pair_types[row["pair_type"]] += 1
            if row["pair_type"] == "negative":
                pair_types[f"negative/{row['neg_type']}"] += 1
        batches.append(pa.RecordBatch.from_pydict({name: [row[name] for row in block] for name in COLUMNS}, schema=schema))
    table = pa.Table.from_batches(batches, schema=schema)
    row_hash = digest.hexdigest()
    fingerprint = hashlib.sha256(f"{split}\0{row_hash}".encode()).hexdigest()[:16]
    dataset = Dataset(InMemoryTable(table), info=DatasetInfo(features=FEATURES), split=NamedSplit(split), fingerprint=fingerprint)
    return ExportedSplit(dataset, row_hash, dict(sorted(pair_types.items())))
