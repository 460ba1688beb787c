"""``writing7 score-pairs``: score a PAN authorship-verification file.

Input, one JSON object per line (blank lines are skipped)::

    {"id": "a1b2", "pair": ["first text", "second text"]}

Output, one line per input pair, in input order::

    {"id": "a1b2", "value": 0.83}

``value`` is the calibrated PAN answer for the chosen target (``book`` or ``author``): above 0.5
means "same", below 0.5 "different", exactly 0.5 "abstain" (the probability lies in the abstention
band fitted by ``writing7 calibrate``). The whole input is validated before any scoring, so a
malformed line fails fast, with its line number; the output appears atomically when complete.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

from writing7.artifacts import atomic_write_text
from writing7.progress import progress_disabled

logger = logging.getLogger(__name__)
TARGETS = ("book", "author")
EXPECTED = 'expected {"id": ..., "pair": ["text1", "text2"]}'
SCORE_BLOCK = 1024  # pairs per matcher call: bounds memory, and the progress bar moves


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


def read_pan_pairs(path: Path) -> list[PanPair]:
    """Every pair of a PAN ``.jsonl`` file, validated; duplicate ids are refused (answers are keyed by id)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"input file {path} not found: pass a JSONL file of {EXPECTED[9:]} lines")
    pairs, seen = [], {}
    with path.open(encoding="utf-8-sig") as handle:
        for line_number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            pair = parse_pan_line(line, line_number, source=str(path))
            if pair.id in seen:
                raise ValueError(f"{path}:{line_number}: id {pair.id!r} already used on line {seen[pair.id]}; ids must be unique")
            seen[pair.id] = line_number
            pairs.append(pair)
    if not pairs:
        raise ValueError(f"{path} holds no pairs; {EXPECTED} on each line")
    return pairs


def pan_answers(matcher: Any, pairs: list[PanPair], *, target: str = "book") -> list[float]:
    """Calibrated PAN answers (0.5 when abstaining) for ``target`` ("book" or "author")."""
    if target not in TARGETS:
        raise ValueError(f"--target {target!r} is not known; use book or author")
    key = "pan_book" if target == "book" else "pan_author"
    answers: list[float] = []
    blocks = range(0, len(pairs), SCORE_BLOCK)
    for start in tqdm(blocks, desc="score-pairs", unit="block", disable=progress_disabled() or len(blocks) < 2):
        block = pairs[start:start + SCORE_BLOCK]
        answers += [score[key] for score in matcher.score_batch([(pair.text1, pair.text2) for pair in block])]
    return answers


def run(matcher: Any, *, input_path: Path, output_path: Path, target: str = "book") -> dict[str, Any]:
    """Score ``input_path`` into ``output_path`` (written atomically); returns counts for the summary line."""
    if target not in TARGETS:
        raise ValueError(f"--target {target!r} is not known; use book or author")
    pairs = read_pan_pairs(input_path)
    answers = pan_answers(matcher, pairs, target=target)
    lines = [json.dumps({"id": pair.id, "value": value}) + "\n" for pair, value in zip(pairs, answers)]
    atomic_write_text(Path(output_path), "".join(lines))
    abstained = sum(value == 0.5 for value in answers)
    logger.info("score-pairs: %d pairs -> %s (%d abstentions)", len(pairs), output_path, abstained)
    return {"pairs": len(pairs), "abstained": abstained, "same": sum(value > 0.5 for value in answers), "output": str(output_path)}
