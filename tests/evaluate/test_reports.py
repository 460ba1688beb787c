"""Markdown / terminal tables and PNG plots of an evaluation."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from writing7.metrics.evaluation import SystemOutput
from writing7.reports import plots
from writing7.reports.tables import compact_summary, compact_text_table, evaluation_markdown, format_value

REPORT = {
    "source": "the test split", "calibration": {"method": "temperature", "target_metric": "accuracy"}, "notes": ["a note"], "plots": [],
    "tasks": {
        "book": {"pairs": 4, "positives": 2, "calibration": "book", "systems": {
            "model (calibrated)": {"auc": 0.9, "c_at_1": 0.8, "f05_u": 0.7, "f1": 0.75, "brier": 0.85, "overall": 0.8, "ece": 0.04, "abstained": 1},
            "char4_tfidf": {"auc": None, "overall": None, "ece": 0.1, "notes": ["AUC undefined"]}}},
        "author": {"pairs": 4, "positives": 2, "calibration": "author", "systems": {"model (calibrated)": {"auc": 0.6, "overall": 0.55, "ece": 0.08}}},
    },
}


def test_format_value() -> None:
    assert (format_value(None), format_value(3), format_value(0.12345)) == ("n/a", "3", "0.123")


def test_markdown_has_a_table_per_task_and_the_notes() -> None:
    markdown = evaluation_markdown(REPORT)
    assert "## book (4 pairs, 2 positive; book calibration)" in markdown
    assert "| model (calibrated) | 0.900 | 0.800 | 0.700 | 0.750 | 0.850 | 0.800 | n/a | 0.040 | n/a | n/a | 1 |" in markdown
    assert "- char4_tfidf: AUC undefined" in markdown and "- a note" in markdown


def test_compact_table_lines_up_systems_and_tasks() -> None:
    summary = compact_summary(REPORT)
    assert summary["model (calibrated)"]["author"] == {"auc": 0.6, "overall": 0.55, "ece": 0.08}
    lines = compact_text_table(summary).splitlines()
    assert lines[0].split() == ["system", "book", "AUC", "book", "overall", "book", "ECE", "author", "AUC", "author", "overall", "author", "ECE"]
    assert lines[1].split()[-3:] == ["0.600", "0.550", "0.080"] and lines[2].split()[-3:] == ["n/a", "n/a", "n/a"]


def test_plots_are_written_as_png(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    labels = rng.uniform(size=300) < 0.5
    probabilities = np.clip(labels * 0.3 + rng.uniform(size=300) * 0.7, 0, 1)
    outputs = [SystemOutput("model", probabilities, probabilities), SystemOutput("second system", probabilities ** 2, probabilities ** 2)]
    paths = [
        plots.reliability_diagram(tmp_path / "reliability.png", labels, outputs, bins=15, title="reliability"),
        plots.roc_curves(tmp_path / "roc.png", labels, outputs, title="ROC"),
        plots.score_histograms(tmp_path / "histograms.png", {"probability": {"same": probabilities[labels], "different": probabilities[~labels]}}),
    ]
    assert all(path.read_bytes()[:4] == b"\x89PNG" for path in paths)
