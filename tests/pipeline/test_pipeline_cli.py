"""End to end through the real CLI on the fixture corpus with tiny models: pipeline twice, then clean."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tiny_pipeline_config import tiny_config
from writing7.artifacts import hash_tree
from writing7.cli import app
from writing7.stages.pipeline import PipelineRequest, clean_corpus, clean_folders, select_stages

runner = CliRunner()


@pytest.fixture(scope="module")
def pipeline_run(tmp_path_factory, tiny_bert, tiny_sentence_transformer, fixture_corpus_source):
    root = tmp_path_factory.mktemp("pipeline")
    config = tiny_config(root / "w7.toml", tiny_bert=tiny_bert, tiny_sentence_transformer=tiny_sentence_transformer)
    arguments = ["pipeline", "--corpus", str(fixture_corpus_source), "--artifacts", str(root / "artifacts"), "--config", str(config)]
    first = runner.invoke(app, arguments)
    second = runner.invoke(app, arguments)
    return root, first, second


# Each pipeline step reports every stage it runs: calibrate is three, evaluate two.
REPORTED_STAGES = ("standardize", "prepare", "train-teacher", "train", "calibrate", "calibrate-verdict", "calibrate-attribution",
                   "evaluate", "evaluate-lengths", "index")


def _rows(output: str) -> dict[str, list[str]]:
    rows = [line.split("|") for line in output.splitlines() if line.startswith("| ") and not line.startswith("| stage")]
    return {cells[1].strip(): [cell.strip() for cell in cells[2:-1]] for cells in rows}


def _statuses(output: str) -> dict[str, str]:
    return {stage: cells[0] for stage, cells in _rows(output).items()}


def test_first_run_runs_every_stage(pipeline_run):
    root, first, _ = pipeline_run
    assert first.exit_code == 0, first.output
    statuses = _statuses(first.stdout)
    assert statuses == {stage: ("not needed" if stage == "train-teacher" else "ran") for stage in REPORTED_STAGES}
    summaries = {stage: cells[2] for stage, cells in _rows(first.stdout).items()}
    assert summaries["train-teacher"] == "not needed: distillation off"
    assert all(summaries[stage] for stage in REPORTED_STAGES), summaries  # each stage's own line, never blank
    assert summaries["calibrate-verdict"].startswith("verdict AUC by band: book ")
    artifacts = root / "artifacts"
    for path in ("data/clean/manifest.json", "data/processed/manifest.json", "models/book_matcher_contrastive/final/calibration.json",
                 "reports/evaluation.json", "index/manifest.json"):
        assert (artifacts / path).is_file(), path


def test_second_run_skips_every_stage(pipeline_run):
    _, _, second = pipeline_run
    assert second.exit_code == 0, second.output
    statuses = _statuses(second.stdout)
    assert statuses == {stage: ("not needed" if stage == "train-teacher" else "skipped") for stage in REPORTED_STAGES}
    # a skipped stage still reports its summary, read from its manifest
    assert {stage: cells[2] for stage, cells in _rows(second.stdout).items()} == {stage: cells[2] for stage, cells in _rows(pipeline_run[1].stdout).items()}


def test_clean_deletes_everything_a_real_run_wrote(pipeline_run, tmp_path):
    artifacts = tmp_path / "artifacts"
    shutil.copytree(pipeline_run[0] / "artifacts", artifacts)  # a copy: the other tests read the run's artifacts
    result = runner.invoke(app, ["clean", "--artifacts", str(artifacts), "--what", "all", "--yes"])
    assert result.exit_code == 0, result.output
    assert "keeping" not in result.stdout  # every file of a run is accounted for by a manifest or a layout name
    assert [path.name for path in artifacts.iterdir()] == [".writing7-artifacts"]


def test_demo_prints_scored_pairs_and_the_evaluation_table(pipeline_run):
    root, _, _ = pipeline_run
    result = runner.invoke(app, ["demo", "--artifacts", str(root / "artifacts")])
    assert result.exit_code == 0, result.output
    assert "== same book:" in result.stdout and "== different authors:" in result.stdout
    assert "p_same_book=" in result.stdout and "style_similarity=" in result.stdout
    assert json.loads((root / "artifacts" / "reports" / "evaluation.json").read_text())


def test_a_step_reports_each_stage_it_runs_truthfully(pipeline_run, tmp_path, fixture_corpus_source):
    """calibrate when only the verdict is stale: calibrate skipped, the verdict ran (the timestamps once said "skipped")."""
    from writing7.stages.pipeline import PipelineRequest, run_pipeline

    root = pipeline_run[0]
    artifacts = tmp_path / "artifacts"
    shutil.copytree(root / "artifacts", artifacts)  # a copy: the other tests read the run's artifacts
    (artifacts / "models" / "book_matcher_contrastive" / "final" / "verdict_manifest.json").unlink()
    request = PipelineRequest(corpus=(fixture_corpus_source,), artifacts=artifacts, config_file=root / "w7.toml")
    outcomes = run_pipeline(request, ["calibrate"])
    assert [outcome.stage for outcome in outcomes] == ["calibrate", "calibrate-verdict", "calibrate-attribution"]
    assert [outcome.status for outcome in outcomes[:2]] == ["skipped", "ran"]


def test_stage_selection_and_its_errors():
    assert select_stages("train", "calibrate") == ["train", "calibrate"]
    with pytest.raises(ValueError, match="--from 'fit' is not a stage; use one of: standardize, prepare"):
        select_stages("fit", None)
    with pytest.raises(ValueError, match="--from evaluate comes after --to prepare: swap them"):
        select_stages("evaluate", "prepare")


def test_missing_input_for_a_later_stage_names_the_stage_to_run(tmp_path, fixture_corpus_source):
    result = runner.invoke(app, ["pipeline", "--corpus", str(fixture_corpus_source), "--artifacts", str(tmp_path), "--from", "train"])
    assert result.exit_code == 2
    assert "run `writing7 prepare` first" in result.output


def test_later_stages_read_the_standardized_corpus(pipeline_run):
    root, _, _ = pipeline_run
    clean = root / "artifacts" / "data" / "clean"
    for stage_output in ("data/processed", "index"):
        inputs = json.loads((root / "artifacts" / stage_output / "manifest.json").read_text())["inputs"]
        assert "corpus" in inputs, stage_output
    index_inputs = json.loads((root / "artifacts" / "index" / "manifest.json").read_text())["inputs"]
    assert index_inputs["corpus"] == hash_tree(clean, suffixes=(".txt",))  # the standardized text, not the raw books


def test_each_corpus_folder_is_standardized_into_its_own_folder(tmp_path):
    one = PipelineRequest(corpus=(Path("a"),), artifacts=tmp_path)
    two = PipelineRequest(corpus=(Path("a"), Path("b")), artifacts=tmp_path)
    assert clean_folders(one) == (tmp_path / "data" / "clean",)
    assert clean_folders(two) == (tmp_path / "data" / "clean", tmp_path / "data" / "clean-2")
    with pytest.raises(FileNotFoundError, match="run `writing7 standardize` first"):
        clean_corpus(one)


def written_model(artifacts: Path) -> Path:
    """A stage output written through the library (atomic folder + manifest), which also marks the artifacts root."""
    from writing7.artifacts import ArtifactLayout, atomic_directory, finish

    with atomic_directory(ArtifactLayout(artifacts).bi_encoder) as temporary:
        (temporary / "model.safetensors").write_bytes(b"weights")
        finish(temporary, stage="train", config={}, inputs={}, stats={})
    return ArtifactLayout(artifacts).bi_encoder


def test_clean_asks_nothing_with_yes_and_keeps_the_corpus(tmp_path, fixture_corpus):
    artifacts = tmp_path / "artifacts"
    written_model(artifacts)
    (artifacts / "data").mkdir()
    result = runner.invoke(app, ["clean", "--artifacts", str(artifacts), "--what", "models", "--yes", "--corpus", str(fixture_corpus)])
    assert result.exit_code == 0, result.output
    assert not (artifacts / "models").exists() and (artifacts / "data").exists()
    assert any(fixture_corpus.rglob("*.txt"))


def test_clean_refuses_without_yes_when_not_interactive(tmp_path):
    model = written_model(tmp_path)
    result = runner.invoke(app, ["clean", "--artifacts", str(tmp_path)])
    assert result.exit_code == 2 and "pass --yes" in result.output
    assert model.exists()


def test_clean_refuses_a_corpus_inside_the_artifacts(tmp_path):
    written_model(tmp_path)
    (tmp_path / "data" / "books" / "author").mkdir(parents=True)
    result = runner.invoke(app, ["clean", "--artifacts", str(tmp_path), "--what", "data", "--yes", "--corpus", str(tmp_path / "data" / "books")])
    assert result.exit_code == 2 and "refusing to delete it" in result.output
