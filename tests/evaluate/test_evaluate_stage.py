"""`writing7 evaluate` end to end on a tiny calibrated model, through the CLI: split and PAN files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from writing7.artifacts import ArtifactLayout
from writing7.cli import app
from writing7.config.base import ConfigError
from writing7.config.evaluate import EvaluateConfig

runner = CliRunner()
SYSTEMS = {"model (uncalibrated)", "model (calibrated)", "char4_tfidf", "base_cosine"}


def _evaluate(artifacts: Path, *options: str):
    return runner.invoke(app, ["evaluate", "--artifacts", str(artifacts), *options])


def test_evaluate_the_test_split_writes_reports_and_prints_a_table(calibrated_artifacts: Path) -> None:
    result = _evaluate(calibrated_artifacts)
    assert result.exit_code == 0, result.output
    assert "book AUC" in result.output and "author overall" in result.output and "char4_tfidf" in result.output
    reports = ArtifactLayout(calibrated_artifacts).reports
    report = json.loads((reports / "evaluation.json").read_text())
    assert set(report["tasks"]) == {"book", "author", "topic"}
    book, author = report["tasks"]["book"], report["tasks"]["author"]
    assert (book["pairs"], book["positives"], author["pairs"], author["positives"]) == (180, 60, 180, 60)
    assert set(book["systems"]) == SYSTEMS and set(author["systems"]) == SYSTEMS | {"style map"}
    for metrics in book["systems"].values():
        assert 0 <= metrics["auc"] <= 1 and 0 <= metrics["overall"] <= 1 and 0 <= metrics["ece"] <= 1 and metrics["dropped_nan"] == 0
    # character 4-grams separate passages of one fixture book from other authors' passages
    assert book["systems"]["char4_tfidf"]["auc"] > 0.6
    assert report["baselines"]["char4_tfidf"]["texts"] == 30 and "book" in report["baselines"]["base_cosine"]["calibration"]
    for name in ("reliability_book", "roc_author", "score_histograms"):
        assert (reports / "evaluation_plots" / f"{name}.png").read_bytes()[:4] == b"\x89PNG"
    markdown = (reports / "evaluation.md").read_text()
    assert "## book (180 pairs, 60 positive; book calibration)" in markdown and "| model (calibrated) |" in markdown

    written = (reports / "evaluation.json").stat().st_mtime_ns
    assert _evaluate(calibrated_artifacts).exit_code == 0
    assert (reports / "evaluation.json").stat().st_mtime_ns == written, "a current evaluation is skipped"
    result = _evaluate(calibrated_artifacts, "--no-plots", "--max-pairs", "120")
    assert result.exit_code == 0, result.output
    assert not (reports / "evaluation_plots").exists() and json.loads((reports / "evaluation.json").read_text())["plots"] == []


def _pan_files(artifacts: Path, directory: Path, *, count: int = 40, same=None) -> tuple[Path, Path]:
    from datasets import load_from_disk

    test = load_from_disk(str(ArtifactLayout(artifacts).processed))["test"].select(range(count))
    pairs, truth = directory / "pairs.jsonl", directory / "truth.jsonl"
    pairs.write_text("".join(json.dumps({"id": f"p{i}", "pair": [row["text1"], row["text2"]]}) + "\n" for i, row in enumerate(test)))
    truth.write_text("".join(json.dumps({"id": f"p{i}", "same": row["author1"] == row["author2"] if same is None else same}) + "\n"
                             for i, row in enumerate(test)))
    return pairs, truth


def test_evaluate_pan_files(calibrated_artifacts: Path, tmp_path: Path) -> None:
    pairs, truth = _pan_files(calibrated_artifacts, tmp_path)
    result = _evaluate(calibrated_artifacts, "--pairs", str(pairs), "--truth", str(truth), "--no-plots")
    assert result.exit_code == 0, result.output
    assert "evaluated PAN files pairs.jsonl + truth.jsonl (40 pairs)" in result.output and "pan AUC" in result.output
    report = json.loads((ArtifactLayout(calibrated_artifacts).reports / "evaluation.json").read_text())
    assert list(report["tasks"]) == ["pan"] and report["tasks"]["pan"]["calibration"] == "author"


def test_single_class_truth_reports_undefined_auc_instead_of_crashing(calibrated_artifacts: Path, tmp_path: Path) -> None:
    pairs, truth = _pan_files(calibrated_artifacts, tmp_path, count=12, same=True)
    result = _evaluate(calibrated_artifacts, "--pairs", str(pairs), "--truth", str(truth))
    assert result.exit_code == 0, result.output
    report = json.loads((ArtifactLayout(calibrated_artifacts).reports / "evaluation.json").read_text())
    calibrated = report["tasks"]["pan"]["systems"]["model (calibrated)"]
    assert calibrated["auc"] is None and calibrated["overall"] is None and "one class" in calibrated["notes"][0]
    assert "n/a" in result.output


def test_pan_truth_must_cover_every_pair(calibrated_artifacts: Path, tmp_path: Path) -> None:
    pairs, truth = _pan_files(calibrated_artifacts, tmp_path, count=5)
    truth.write_text("".join(truth.read_text().splitlines(keepends=True)[:4]))
    result = _evaluate(calibrated_artifacts, "--pairs", str(pairs), "--truth", str(truth))
    assert result.exit_code == 2 and "has no truth for 1 pair(s), e.g. id 'p4'" in result.output
    result = _evaluate(calibrated_artifacts, "--pairs", str(pairs))
    assert result.exit_code == 2 and "evaluate.truth = '': is missing while the other PAN file is given" in result.output


def test_evaluate_needs_a_calibrated_model(artifacts: Path) -> None:
    result = _evaluate(artifacts)
    assert result.exit_code == 2 and "model calibration not found" in result.output and "run `writing7 calibrate` first" in result.output


@pytest.mark.parametrize(("values", "message"), [
    ({"pairs": "p.jsonl"}, r"evaluate.truth = '': is missing while the other PAN file is given; give both --pairs"),
    ({"truth": "t.jsonl"}, r"evaluate.pairs = '': is missing while the other PAN file is given"),
    ({"baselines": ["bm25"]}, r"evaluate.baselines = \['bm25'\]: has unknown baseline\(s\) bm25; use some of: char4_tfidf, base_cosine"),
    ({"split": "dev"}, r"evaluate.split = 'dev': is not a dataset split; use test"),
    ({"pan_task": "topic"}, r"evaluate.pan_task = 'topic': is not a known choice; use one of: author, book"),
    ({"bins": 0}, r"evaluate.bins = 0: must be > 0"),
])
def test_evaluate_config_validation_messages(values: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        EvaluateConfig(**values)
