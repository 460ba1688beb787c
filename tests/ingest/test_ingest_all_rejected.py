"""`ingest dir` on a folder whose every file is rejected: one `error:` line, exit 2, nothing written (issue 20)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from writing7.cli import app

runner = CliRunner()

BAD_FILES = {
    "empty-author/empty.txt": b"",
    "png-author/picture.txt": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4,
}


@pytest.mark.parametrize("existing_corpus", [False, True], ids=["new corpus", "existing corpus"])
def test_every_file_rejected_fails_with_one_line_and_leaves_nothing(tmp_path: Path, existing_corpus: bool) -> None:
    source, corpus = tmp_path / "incoming", tmp_path / "new" / "corpus"
    for relative, data in BAD_FILES.items():
        (source / relative).parent.mkdir(parents=True, exist_ok=True)
        (source / relative).write_bytes(data)
    if existing_corpus:
        corpus.mkdir(parents=True)
    result = runner.invoke(app, ["ingest", "dir", str(source), "--corpus", str(corpus)])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: no book imported from {source}: 2 file(s) rejected (e.g. {source / 'empty-author/empty.txt'}: empty file): "
        "save them as plain-text .txt books or remove them, then run again"
    ]
    assert result.stdout.splitlines()[0] == "imported 0, skipped 0, failed 2"  # the summary still lists every file
    if existing_corpus:
        assert list(corpus.iterdir()) == []  # no lock file, no manifest
    else:
        assert not (tmp_path / "new").exists()  # not even the folders it would have created


def test_one_good_book_among_rejected_files_succeeds(tmp_path: Path) -> None:
    source, corpus = tmp_path / "incoming", tmp_path / "corpus"
    (source / "empty-author").mkdir(parents=True)
    (source / "empty-author" / "empty.txt").write_bytes(b"")
    (source / "good-author").mkdir()
    (source / "good-author" / "a-book.txt").write_text("It was a dark and stormy night; the rain fell in torrents. " * 20)
    result = runner.invoke(app, ["ingest", "dir", str(source), "--corpus", str(corpus)])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert result.stdout.splitlines()[0] == "imported 1, skipped 0, failed 1"
