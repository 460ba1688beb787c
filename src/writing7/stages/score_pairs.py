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
from pathlib import Path
from collections.abc import Iterable, Iterator
from typing import Any

from tqdm import tqdm

from writing7.artifacts import Manifest, atomic_text_file, hash_tree
from writing7.config.inference import InferenceConfig
from writing7.pair_files import PanPair, iter_pan_pairs, validate_pan_file
from writing7.progress import progress_disabled
from writing7.stages import StageResult

logger = logging.getLogger(__name__)
TARGETS = ("book", "author")
STAGE = "score-pairs"


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


def run(matcher: Any, *, input_path: Path, output: Path, target: str = "book", block_pairs: int | None = None,
        explain: bool = False) -> StageResult:
    """Score ``input_path`` into ``output``, ``block_pairs`` pairs at a time (default ``[inference] block_pairs``);
    the result's stats are the counts.

    The file is validated whole first (a bad line fails before any scoring), then read again and scored
    block by block, so memory is bounded by one block's texts whatever the file's size. Answers go to a
    temporary sibling that replaces ``output`` only when every pair is scored. ``explain``: each line also
    carries the pair's ``explanation`` (:meth:`Matcher.explain`; PAN evaluators read only ``id`` and ``value``).
    A user's file in, a user's file out: the manifest is returned (for the record), not written, and the
    stage always runs.
    """
    check_output_path(input_path, output)
    if target not in TARGETS:
        raise ValueError(f"--target {target!r} is not known; use book or author")
    total = validate_pan_file(input_path)
    block_pairs = block_pairs or InferenceConfig().block_pairs
    counts = {"pairs": 0, "abstained": 0, "same": 0}
    with atomic_text_file(Path(output)) as handle, tqdm(total=total, desc="score-pairs", unit="pair", disable=progress_disabled()) as bar:
        for block in blocks(iter_pan_pairs(input_path), block_pairs):
            lines = explained_answers(matcher, block, target=target) if explain else [
                {"id": pair.id, "value": value} for pair, value in zip(block, pan_answers(matcher, block, target=target))]
            answers = [line["value"] for line in lines]
            handle.writelines(json.dumps(line) + "\n" for line in lines)
            counts["pairs"] += len(block)
            counts["abstained"] += sum(value == 0.5 for value in answers)
            counts["same"] += sum(value > 0.5 for value in answers)
            bar.update(len(block))
    logger.info("score-pairs: %d pairs -> %s (%d abstentions)", counts["pairs"], output, counts["abstained"])
    manifest = Manifest(stage=STAGE, config={"target": target, "block_pairs": block_pairs, "explain": explain},
                        inputs={"pairs": hash_tree(Path(input_path))}, outputs={Path(output).name: hash_tree(Path(output))},
                        stats={**counts, "output": str(output)})
    return StageResult(STAGE, manifest, ran=True, summary=f"{counts['pairs']} pairs ({counts['same']} same, {counts['abstained']} abstained)")
