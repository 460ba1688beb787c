"""Reading pair data: a split of the pair dataset (``data/processed``), JSON-lines records and PAN pair files.

Shared by the stages that read pairs (``calibrate``, ``evaluate``, ``score-pairs``) and the length suite;
a stage never imports another stage for these.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

EXPECTED = 'expected {"id": ..., "pair": ["text1", "text2"]}'


def load_pair_split(processed: Path, split: str, *, max_pairs: int = 0, seed: int = 0) -> dict[str, list[Any]]:
    """Columns of one split of ``data/processed`` (a seeded sample of ``max_pairs`` rows when > 0)."""
    from datasets import load_from_disk

    dataset = load_from_disk(str(processed))
    if split not in dataset:
        raise ValueError(f"split {split!r} is not in {processed} (it has {', '.join(dataset)}): re-run `writing7 prepare`")
    rows = dataset[split]
    if max_pairs and len(rows) > max_pairs:
        rows = rows.select(np.sort(np.random.default_rng(seed).choice(len(rows), size=max_pairs, replace=False)))
    if len(rows) == 0:
        raise ValueError(f"split {split!r} of {processed} has no pairs: prepare more books or change the split ratios")
    return rows.to_dict()


def read_jsonl(path: Path, *, required: Sequence[str]) -> list[dict[str, Any]]:
    """Records of a JSON-lines file, each checked for the ``required`` keys; errors name the line."""
    records = []
    with Path(path).open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise ValueError(f"{path}:{number}: not valid JSON ({error.msg}); each line must be one JSON object") from error
            missing = [key for key in required if not isinstance(record, dict) or key not in record]
            if missing:
                raise ValueError(f"{path}:{number}: missing key(s) {', '.join(missing)}; each line needs {', '.join(required)}")
            records.append(record)
    if not records:
        raise ValueError(f"{path} holds no records: give one JSON object per line")
    return records


@dataclass(frozen=True)
class PanPair:
    id: Any
    text1: str
    text2: str


def parse_pan_line(line: str, line_number: int, *, source: str = "input") -> PanPair:
    """One input line -> :class:`PanPair`; a malformed line raises ValueError naming ``source:line_number``."""
    where = f"{source}:{line_number}"
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise ValueError(f"{where}: not valid JSON ({error.msg} at column {error.colno}); {EXPECTED}") from None
    if not isinstance(record, dict) or "id" not in record or "pair" not in record:
        raise ValueError(f"{where}: missing 'id' or 'pair'; {EXPECTED}")
    if not isinstance(record["id"], (str, int)) or isinstance(record["id"], bool):
        raise ValueError(f"{where}: 'id' must be a string or an integer; {EXPECTED}")
    pair = record["pair"]
    if not isinstance(pair, list) or len(pair) != 2 or not all(isinstance(text, str) for text in pair):
        raise ValueError(f"{where}: 'pair' must be a list of two strings; {EXPECTED}")
    if not pair[0].strip() or not pair[1].strip():
        raise ValueError(f"{where}: a text of the pair is empty; both texts need some words")
    return PanPair(record["id"], pair[0], pair[1])


def iter_pan_pairs(path: Path) -> Iterator[PanPair]:
    """The pairs of a PAN ``.jsonl`` file one at a time (memory bounded by one line), validated as they come."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"input file {path} not found: pass a JSONL file of {EXPECTED[9:]} lines")
    seen: dict[Any, int] = {}
    with path.open(encoding="utf-8-sig") as handle:
        for line_number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            pair = parse_pan_line(line, line_number, source=str(path))
            if pair.id in seen:
                raise ValueError(f"{path}:{line_number}: id {pair.id!r} already used on line {seen[pair.id]}; ids must be unique")
            seen[pair.id] = line_number
            yield pair
    if not seen:
        raise ValueError(f"{path} holds no pairs; {EXPECTED} on each line")


def read_pan_pairs(path: Path) -> list[PanPair]:
    """Every pair of a PAN ``.jsonl`` file, validated; duplicate ids are refused (answers are keyed by id)."""
    return list(iter_pan_pairs(path))


def validate_pan_file(path: Path) -> int:
    """Check every line of a PAN file without keeping its texts; returns the number of pairs."""
    return sum(1 for _ in iter_pan_pairs(path))
