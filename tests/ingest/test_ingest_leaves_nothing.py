"""`ingest dir` with nothing to import fails with one line and leaves no lock, manifest or folder (issue 20)."""

from __future__ import annotations

import fcntl
import shutil
from pathlib import Path

import pytest
from ingest_helpers import CORPUS
from typer.testing import CliRunner

from writing7.cli import app
from writing7.ingest.manifest import MANIFEST_FILE, ManifestWriter
from writing7.ingest.store import LOCK_FILE, CorpusStore, acquire_lock

runner = CliRunner()


def ingest_dir(source: Path, corpus: Path):
    return runner.invoke(app, ["ingest", "dir", str(source), "--corpus", str(corpus)])


@pytest.mark.parametrize("existing_corpus", [False, True], ids=["new corpus", "existing corpus"])
def test_a_folder_without_books_fails_and_leaves_nothing(tmp_path: Path, existing_corpus: bool) -> None:
    source, corpus = tmp_path / "incoming", tmp_path / "corpus"
    (source / "empty-author").mkdir(parents=True)
    (source / "readme.md").write_text("no books here")
    if existing_corpus:
        corpus.mkdir()
    result = ingest_dir(source, corpus)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: no .txt books found in {source}: put the books there as AUTHOR/TITLE.txt or 'Author - Title.txt' "
        "(hidden files and the corpus itself are skipped)"
    ]
    assert corpus.exists() == existing_corpus
    assert not existing_corpus or list(corpus.iterdir()) == []


def test_a_successful_import_leaves_no_lock(tmp_path: Path) -> None:
    source, corpus = tmp_path / "incoming", tmp_path / "corpus"
    shutil.copytree(CORPUS / "conrad-joseph", source / "conrad-joseph")
    result = ingest_dir(source, corpus)
    assert result.exit_code == 0, result.output
    assert not (corpus / LOCK_FILE).exists()
    assert (corpus / MANIFEST_FILE).is_file() and (corpus / "conrad-joseph" / "typhoon.txt").is_file()


def test_a_store_that_records_nothing_leaves_nothing(tmp_path: Path) -> None:
    corpus = tmp_path / "new" / "corpus"
    with CorpusStore(corpus):
        assert (corpus / LOCK_FILE).is_file()
    assert not (tmp_path / "new").exists()
    with ManifestWriter(tmp_path / MANIFEST_FILE):
        pass
    assert not (tmp_path / MANIFEST_FILE).exists()


def test_a_lock_file_deleted_by_its_last_holder_is_not_trusted(tmp_path: Path) -> None:
    path = tmp_path / LOCK_FILE
    stale = path.open("a")  # opened just before the previous holder deleted it
    path.unlink()
    fcntl.flock(stale, fcntl.LOCK_EX | fcntl.LOCK_NB)  # the lock on the deleted file is free...
    try:
        handle = acquire_lock(path)  # ...but it guards nothing: a new file is locked instead
        with pytest.raises(RuntimeError, match="another ingest is writing to"):
            acquire_lock(path)
        handle.close()
    finally:
        stale.close()
