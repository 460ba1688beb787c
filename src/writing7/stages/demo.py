"""The scored example `make run` prints: two held-out test pairs (same book, other author) through the Matcher."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from writing7.artifacts import ArtifactLayout, require_input


@dataclass(frozen=True)
class ScoredExample:
    kind: str
    text1: str
    text2: str
    book1: str
    book2: str
    score: dict[str, Any]
    style_similarity: float


def _first(split: Any, pair_type: str) -> dict[str, Any]:
    for row in split:
        if row["pair_type"] == pair_type:
            return row
    raise ValueError(f"the test split has no {pair_type!r} pair: re-run `writing7 prepare` with more books")


def scored_examples(artifacts: Path) -> list[ScoredExample]:
    """Score the first same-book pair and the first other-author pair of the test split (authors never trained on)."""
    from datasets import load_from_disk

    from writing7.inference.matcher import Matcher

    layout = ArtifactLayout(Path(artifacts))
    processed = require_input(layout.processed, stage="prepare", what="pair dataset")
    require_input(layout.bi_encoder, stage="train", what="trained bi-encoder")
    matcher = Matcher.load(layout.bi_encoder)
    test = load_from_disk(str(processed))["test"]
    examples = []
    for kind, pair_type in (("same book", "positive"), ("different authors", "negative")):
        row = _first(test, pair_type)
        score = matcher.score(row["text1"], row["text2"])
        examples.append(ScoredExample(kind, row["text1"], row["text2"], row["book1"], row["book2"], score, score["style_similarity"]))
    return examples


def evaluation_table(artifacts: Path) -> str:
    """Test AUC / ECE by length: the verdict next to every baseline (``evaluation_lengths.json``), else the passage report."""
    import json

    reports = ArtifactLayout(Path(artifacts)).reports
    lengths = reports / "evaluation_lengths.json"
    if not lengths.is_file():
        report = reports / "evaluation.md"
        return report.read_text(encoding="utf-8") if report.is_file() else f"(no evaluation report in {reports}: run `writing7 evaluate`)"
    by_length = json.loads(lengths.read_text(encoding="utf-8"))["lengths"]
    systems = list(next(iter(by_length.values()))["book"]["systems"])
    lines = ["test authors, AUC / ECE by length (reports/evaluation_lengths.md has every PAN metric)",
             "| words | task | " + " | ".join(systems) + " |", "|---|---|" + "---|" * len(systems)]
    for length, tasks in by_length.items():
        for task in ("book", "author"):
            cells = [f"{metrics['auc_ranking']:.3f} / {metrics['ece']:.3f}" for metrics in tasks[task]["systems"].values()]
            lines.append(f"| {length} | {task} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
