"""``writing7 score-pairs``: score a PAN authorship-verification file.

Input, one JSON object per line (blank lines are skipped)::

    {"id": "a1b2", "pair": ["first text", "second text"]}

Output, one line per input pair, in input order::

    {"id": "a1b2", "value": 0.83}

``value`` is the calibrated PAN answer for the chosen target (``book`` or ``author``): above 0.5
means "same", below 0.5 "different", exactly 0.5 "abstain" (the probability lies in the abstention
band fitted by ``writing7 calibrate``). Texts may have any length (the verdict reads them whole).
The whole input is validated before any scoring, so a malformed line fails fast, with its line
number; pairs are then scored in blocks (bounded memory) and the output appears atomically when complete.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Iterable, Iterator
from typing import Any

from tqdm import tqdm

from writing7.artifacts import atomic_text_file
from writing7.progress import progress_disabled

logger = logging.getLogger(__name__)
TARGETS = ("book", "author")
EXPECTED = 'expected {"id": ..., "pair": ["text1", "text2"]}'


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


def blocks(pairs: Iterable[PanPair], size: int) -> Iterator[list[PanPair]]:
    block: list[PanPair] = []
    for pair in pairs:
        block.append(pair)
        if len(block) == size:
            yield block
            block = []
    if block:
        yield block


def pan_answers(matcher: Any, pairs: list[PanPair], *, target: str = "book") -> list[float]:
    """Calibrated PAN answers (0.5 when abstaining) for ``target`` ("book" or "author")."""
    if target not in TARGETS:
        raise ValueError(f"--target {target!r} is not known; use book or author")
    key = "pan_book" if target == "book" else "pan_author"
    return [score[key] for score in matcher.score_batch([(pair.text1, pair.text2) for pair in pairs])]


def explained_answers(matcher: Any, pairs: list[PanPair], *, target: str = "book") -> list[dict[str, Any]]:
    """``{"id", "value", "explanation"}`` per pair: the PAN answer of :meth:`Matcher.explain`, which scores like ``score_batch``."""
    if target not in TARGETS:
        raise ValueError(f"--target {target!r} is not known; use book or author")
    key = "pan_book" if target == "book" else "pan_author"
    lines = []
    for pair in pairs:
        result = matcher.explain(pair.text1, pair.text2)
        lines.append({"id": pair.id, "value": result[key], "explanation": result["explanation"]})
    return lines


def check_output_path(input_path: Path, output_path: Path) -> None:
    """Refuse an output that would replace the input (same path, a link to it, a hard link) or is a folder.

    Checked before anything slow (the model load, the scoring): the atomic rename would otherwise
    silently replace the input with the answers, or fail after all the work on a folder.
    """
    source, output = Path(input_path), Path(output_path)
    if output.is_dir():
        raise ValueError(f"--output {output} is a directory: name a file, e.g. {output / 'answers.jsonl'}")
    same = os.path.samefile(source, output) if source.exists() and output.exists() else source.resolve() == output.resolve()
    if same:
        raise ValueError(f"--output {output} is the input file {source}: write the answers to another file, e.g. answers.jsonl")


def run(matcher: Any, *, input_path: Path, output_path: Path, target: str = "book", block_pairs: int = 256,
        explain: bool = False) -> dict[str, Any]:
    """Score ``input_path`` into ``output_path``, ``block_pairs`` pairs at a time; returns counts for the summary line.

    The file is validated whole first (a bad line fails before any scoring), then read again and scored
    block by block, so memory is bounded by one block's texts whatever the file's size. Answers go to a
    temporary sibling that replaces ``output_path`` only when every pair is scored. ``explain``: each line also
    carries the pair's ``explanation`` (:meth:`Matcher.explain`; PAN evaluators read only ``id`` and ``value``).
    """
    check_output_path(input_path, output_path)
    if target not in TARGETS:
        raise ValueError(f"--target {target!r} is not known; use book or author")
    total = validate_pan_file(input_path)
    counts = {"pairs": 0, "abstained": 0, "same": 0}
    with atomic_text_file(Path(output_path)) as handle, tqdm(total=total, desc="score-pairs", unit="pair", disable=progress_disabled()) as bar:
        for block in blocks(iter_pan_pairs(input_path), block_pairs):
            lines = explained_answers(matcher, block, target=target) if explain else [
                {"id": pair.id, "value": value} for pair, value in zip(block, pan_answers(matcher, block, target=target))]
            answers = [line["value"] for line in lines]
            handle.writelines(json.dumps(line) + "\n" for line in lines)
            counts["pairs"] += len(block)
            counts["abstained"] += sum(value == 0.5 for value in answers)
            counts["same"] += sum(value > 0.5 for value in answers)
            bar.update(len(block))
    logger.info("score-pairs: %d pairs -> %s (%d abstentions)", counts["pairs"], output_path, counts["abstained"])
    return {**counts, "output": str(output_path)}
