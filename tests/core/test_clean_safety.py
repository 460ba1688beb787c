"""`writing7 clean` deletes only what Writing7 wrote: a data-safety battery through the real CLI (issue 20).

Every refusal test checks that the files are still there afterwards. Tests that point clean at a
folder outside ``tmp_path`` (``/``) leave out ``--yes``, so even a regression could not delete anything.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from writing7.artifacts import ArtifactLayout, _temporary_sibling, atomic_directory, atomic_write_json, finish, finish_files
from writing7.cli import app
from writing7.config.standardize import StandardizeConfig
from writing7.stages import standardize

runner = CliRunner()


pytestmark = pytest.mark.usefixtures("restore_logging")  # tests/conftest.py


def clean(root: Path, *arguments: str):
    return runner.invoke(app, ["clean", "--artifacts", str(root), *arguments])


def error_lines(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("error:")]


def files_under(root: Path) -> list[str]:
    return sorted(path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file())


def user_folders(root: Path) -> Path:
    """``data/``, ``models/`` and ``tmp/`` holding a user's files, as in a home directory."""
    for relative in ("data/thesis.tex", "models/my-model/weights.bin", "tmp/draft.txt"):
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(f"precious {relative}")
    return root


def write_model(layout: ArtifactLayout, payload: bytes = b"weights") -> Path:
    """A finished `train` output, written the way the stage writes it (atomic folder + manifest; marks the root)."""
    with atomic_directory(layout.bi_encoder) as temporary:
        (temporary / "model.safetensors").write_bytes(payload)
        finish(temporary, stage="train", config={"max_steps": 1}, inputs={"processed": "x"}, stats={})
    return layout.bi_encoder


def write_checkpoint(layout: ArtifactLayout) -> Path:
    import torch

    from writing7.training.checkpoint import save_checkpoint

    model = torch.nn.Linear(2, 2)
    optimizer = torch.optim.AdamW(model.parameters())
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)
    return save_checkpoint(layout.bi_encoder.parent / "checkpoints", step=2, model=model, optimizer=optimizer, scheduler=scheduler, fingerprint="f", keep=2)


def write_evaluation(layout: ArtifactLayout) -> list[Path]:
    """What `evaluate` writes into reports/: files, then their manifest (finish_files)."""
    outputs = [atomic_write_json(layout.reports / "evaluation.json", {"auc": 0.9})]
    with atomic_directory(layout.reports / "evaluation_plots") as temporary:
        (temporary / "roc.png").write_bytes(b"png")
    outputs.append(layout.reports / "evaluation_plots")
    finish_files(layout.reports / "evaluation_manifest.json", stage="evaluate", config={}, inputs={}, outputs=outputs, stats={})
    return outputs


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


@pytest.fixture()
def written_run(tmp_path: Path, fixture_corpus: Path) -> ArtifactLayout:
    """An artifacts folder written by Writing7 (standardize, a model, a checkpoint, evaluation reports)."""
    layout = ArtifactLayout(tmp_path / "artifacts")
    standardize.run(StandardizeConfig(workers=1), corpus=fixture_corpus, output=layout.clean)
    write_model(layout)
    write_checkpoint(layout)
    (layout.bi_encoder.parent / "training_log.jsonl").write_text('{"step": 1}\n')
    write_evaluation(layout)
    return layout


# -- roots that are never cleaned ------------------------------------------------------------------
def test_refuses_the_filesystem_root():
    result = clean(Path("/"), "--what", "data")  # no --yes: nothing could be deleted even if the check regressed
    assert result.exit_code == 2
    assert len(error_lines(result)) == 1 and "error: / is a filesystem root" in result.stderr


@pytest.mark.parametrize("marked", [False, True], ids=["unmarked", "marked"])
def test_refuses_the_home_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, marked: bool):
    home = user_folders(tmp_path / "home")
    if marked:
        ArtifactLayout(home).mark()  # even a home that once served as --artifacts
    before = files_under(home)
    monkeypatch.setenv("HOME", str(home))
    result = clean(home, "--what", "all", "--yes")
    assert result.exit_code == 2 and len(error_lines(result)) == 1
    assert "is your home directory" in result.stderr
    assert files_under(home) == before


def test_refuses_the_working_directory_and_its_parents(written_run: ArtifactLayout, monkeypatch: pytest.MonkeyPatch):
    before = files_under(written_run.root)
    monkeypatch.chdir(written_run.clean)
    for root in (written_run.clean, written_run.root):
        result = clean(root, "--what", "all", "--yes")
        assert result.exit_code == 2 and "is the current directory or holds it" in result.stderr
    assert files_under(written_run.root) == before


def test_refuses_a_folder_writing7_did_not_write(tmp_path: Path):
    project = user_folders(tmp_path / "project")
    before = files_under(project)
    result = clean(project, "--what", "data", "--yes")
    assert result.exit_code == 2 and len(error_lines(result)) == 1
    assert "is not a Writing7 artifacts directory (no .writing7-artifacts marker)" in result.stderr
    assert files_under(project) == before


def test_refuses_a_corpus(fixture_corpus: Path):
    before = files_under(fixture_corpus)
    result = clean(fixture_corpus, "--what", "all", "--yes")
    assert result.exit_code == 2 and "not a Writing7 artifacts directory" in result.stderr
    assert files_under(fixture_corpus) == before


# -- corpora inside an artifacts folder ------------------------------------------------------------
@pytest.mark.parametrize("place", ["data", "data/books", "tmp/raw"])
def test_refuses_an_artifacts_folder_holding_a_corpus_without_being_told(written_run: ArtifactLayout, fixture_corpus: Path, place: str):
    shutil.copytree(fixture_corpus, written_run.root / place, dirs_exist_ok=True)
    before = files_under(written_run.root)
    result = clean(written_run.root, "--what", "data", "--yes")  # no --corpus
    assert result.exit_code == 2 and len(error_lines(result)) == 1
    assert f"{(written_run.root / place).resolve()} holds a corpus" in result.stderr
    assert files_under(written_run.root) == before


def test_a_catalog_marks_a_corpus_too(written_run: ArtifactLayout):
    (written_run.root / "data" / "gutenberg").mkdir()
    (written_run.root / "data" / "gutenberg" / "catalog.csv").write_text("gutenberg_id,author,title\n")
    result = clean(written_run.root, "--what", "data", "--yes")
    assert result.exit_code == 2 and "holds a corpus" in result.stderr
    assert (written_run.clean / "manifest.json").is_file()


def test_edited_standardized_text_counts_as_a_corpus(written_run: ArtifactLayout):
    book = next(written_run.clean.rglob("*.txt"))
    book.write_text("my own edits")
    result = clean(written_run.root, "--what", "data", "--yes")
    assert result.exit_code == 2 and "holds a corpus" in result.stderr
    assert book.read_text() == "my own edits"


# -- what is deleted -------------------------------------------------------------------------------
def test_deletes_only_what_writing7_wrote(written_run: ArtifactLayout):
    root = written_run.root
    user_files = ["data/notes.md", "models/my-model/weights.bin", "models/book_matcher_contrastive/my-notes.md", "reports/mine.md", "hf.txt"]
    for relative in user_files:
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text("precious")
    stale = written_run.processed.parent / f".processed.tmp-{dead_pid()}-0123abcd"  # left by a killed prepare
    stale.mkdir()
    (stale / "half.arrow").write_bytes(b"half")
    live = _temporary_sibling(written_run.processed)  # this process is alive: a concurrent run's folder
    live.mkdir()
    result = clean(root, "--what", "all", "--yes")
    assert result.exit_code == 0, result.output
    assert "keeping (not written by Writing7, or changed since)" in result.stdout
    remaining = files_under(root)
    assert remaining == sorted([".writing7-artifacts", *user_files])
    assert live.is_dir() and not stale.exists()
    assert not (root / "models" / "book_matcher_contrastive" / "checkpoints").exists()


def test_a_model_folder_changed_since_its_manifest_is_kept(written_run: ArtifactLayout):
    (written_run.bi_encoder / "my-fine-tuning-notes.md").write_text("precious")
    result = clean(written_run.root, "--what", "models", "--yes")
    assert result.exit_code == 0, result.output
    assert (written_run.bi_encoder / "model.safetensors").is_file()
    assert (written_run.bi_encoder / "my-fine-tuning-notes.md").read_text() == "precious"
    assert str(written_run.bi_encoder.resolve()) in result.stdout
    assert not (written_run.bi_encoder.parent / "checkpoints").exists()  # checkpoints and the log are Writing7's alone
    assert not (written_run.bi_encoder.parent / "training_log.jsonl").exists()


def test_data_is_cleaned_while_models_stay(written_run: ArtifactLayout):
    result = clean(written_run.root, "--what", "data", "--yes")
    assert result.exit_code == 0, result.output
    assert not (written_run.root / "data").exists()
    assert (written_run.bi_encoder / "manifest.json").is_file()


def test_still_asks_before_deleting(written_run: ArtifactLayout):
    result = clean(written_run.root, "--what", "data")
    assert result.exit_code == 2 and "pass --yes" in result.stderr
    assert (written_run.clean / "manifest.json").is_file()


# -- the marker ------------------------------------------------------------------------------------
def test_stage_outputs_mark_their_root_once(tmp_path: Path):
    layout = ArtifactLayout(tmp_path / "artifacts")
    assert not layout.is_marked()
    write_model(layout)
    marker = json.loads(layout.marker.read_text())
    assert marker["format"] == "writing7-artifacts" and marker["version"] == 1
    write_model(layout, b"other weights")
    assert json.loads(layout.marker.read_text()) == marker  # written once
    assert ArtifactLayout.enclosing(tmp_path / "elsewhere" / "index") is None  # a lone `index` folder marks nothing
    with atomic_directory(tmp_path / "out") as temporary:
        (temporary / "file").write_text("x")
    assert not (tmp_path / ".writing7-artifacts").exists()


def test_a_failed_stage_leaves_no_marker_and_no_folders(tmp_path: Path):
    layout = ArtifactLayout(tmp_path / "artifacts")
    with pytest.raises(RuntimeError), atomic_directory(layout.processed) as temporary:
        (temporary / "half.arrow").write_bytes(b"half")
        raise RuntimeError("killed")
    assert not layout.root.exists()
    assert os.listdir(tmp_path) == []
