"""Settings of `writing7 evaluate`: which pairs, which baselines, which reports."""

from __future__ import annotations

import dataclasses

from writing7.config.base import StageConfig, option
from writing7.models.scoring import ENCODE_BATCH_SIZE

BASELINES = ("char4_tfidf", "base_cosine")
PAN_TASKS = ("author", "book")


@dataclasses.dataclass
class EvaluateConfig(StageConfig):
    """``[evaluate]``: the test split (or PAN-format files), model vs baselines, reports under ``reports/``."""

    section = "evaluate"
    split: str = option("test", "Dataset split to evaluate on (ignored when pairs/truth files are given).")
    pairs: str = option("", "PAN-format pairs JSONL ({\"id\", \"pair\": [text1, text2]}); evaluates it instead of the split. Needs truth.")
    truth: str = option("", "PAN-format truth JSONL ({\"id\", \"same\": bool}) for the pairs file.")
    pan_task: str = option("author", "Which calibrated logit answers a PAN pairs file: author (the PAN verification question) or book.")
    baselines: list = option(list(BASELINES), "Baselines evaluated next to the model: char4_tfidf, base_cosine.")
    base_model: str = option("", "Model for the base_cosine baseline; empty = the model's base_model, else the packaged all-MiniLM-L6-v2.")
    tfidf_max_texts: int = option(20000, "At most this many distinct train-split texts fit the char 4-gram TF-IDF baseline.")
    max_pairs: int = option(0, "Use at most this many evaluation (and baseline-calibration) pairs, seeded sample; 0 = all.")
    bins: int = option(15, "Equal-width bins for ECE, MCE and the reliability diagram.")
    batch_size: int = option(ENCODE_BATCH_SIZE, "Texts per model forward.")
    plots: bool = option(True, "Write PNG plots (reliability diagram, ROC curves, score histograms).")
    seed: int = option(0, "Seed for the max_pairs samples.")

    def validate(self) -> None:
        self.require_positive("bins", "batch_size", "tfidf_max_texts")
        self.require_non_negative("max_pairs")
        self.require_choice("pan_task", PAN_TASKS)
        if self.split not in ("train", "validation", "test"):
            self.fail("split", "is not a dataset split", "use test (or validation / train)")
        if bool(self.pairs) != bool(self.truth):
            self.fail("pairs" if not self.pairs else "truth", "is missing while the other PAN file is given",
                      "give both --pairs F.jsonl and --truth T.jsonl, or neither")
        unknown = [name for name in self.baselines if name not in BASELINES]
        if unknown:
            self.fail("baselines", f"has unknown baseline(s) {', '.join(map(str, unknown))}", f"use some of: {', '.join(BASELINES)}")
