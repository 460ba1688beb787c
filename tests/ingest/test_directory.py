"""`ingest dir`: nested and flat folders, names from header, catalog or location, reruns, bad files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from ingest_helpers import CATALOG, CORPUS, corpus_files, fast_config

from writing7.ingest.testing_server import MirrorServer
from writing7.stages.ingest import run_directory, run_gutenberg


def relative_files(corpus: Path) -> list[str]:
    return [path.relative_to(corpus).as_posix() for path in corpus_files(corpus)]


def test_nested_folder_with_the_catalog_reproduces_the_fixture_corpus(tmp_path: Path) -> None:
    summary = run_directory(CORPUS, corpus=tmp_path / "corpus", catalog_path=CATALOG)
    assert summary.counts["imported"] == 18
    expected = sorted(path.relative_to(CORPUS).as_posix() for path in CORPUS.rglob("*.txt"))
    assert relative_files(tmp_path / "corpus") == expected
    for relative in expected:
        assert (tmp_path / "corpus" / relative).read_bytes() == (CORPUS / relative).read_bytes()


def test_without_a_catalog_the_header_names_win_and_a_rerun_imports_nothing(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    run_directory(CORPUS, corpus=corpus)
    files = relative_files(corpus)
    assert "montgomery-lucy-maud/anne-of-green-gables.txt" in files and len(files) == 18
    again = run_directory(CORPUS, corpus=corpus)
    assert again.counts["skipped"] == 18 and relative_files(corpus) == files
    assert {outcome.reason for outcome in again.outcomes} == {"identical file already in the corpus"}


def test_flat_folder_names_from_files_and_bad_files(tmp_path: Path) -> None:
    source = tmp_path / "incoming"
    source.mkdir()
    shutil.copy(CORPUS / "conrad-joseph" / "typhoon.txt", source / "whatever.TXT")
    (source / "Joseph Conrad - The Mirror of the Sea.txt").write_text("Plain prose without any header.\n" * 50)
    (source / "notes.txt").write_text("An untitled plain note.\n")
    (source / "cover.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (source / ".hidden.txt").write_text("ignored")
    (source / "readme.md").write_text("ignored")
    summary = run_directory(source, corpus=tmp_path / "corpus")
    assert sorted(outcome.path for outcome in summary.with_status("imported")) == [
        "conrad-joseph/the-mirror-of-the-sea.txt",
        "conrad-joseph/typhoon.txt",
        "unknown-author/notes.txt",
    ]
    assert [(outcome.book, outcome.reason) for outcome in summary.with_status("failed")] == [
        ("cover.txt", "binary file (contains NUL bytes)")
    ]


def test_two_different_files_with_the_same_names_both_survive(tmp_path: Path) -> None:
    source = tmp_path / "incoming"
    for edition in ("first", "second"):
        (source / edition / "conrad-joseph").mkdir(parents=True)
        original = (CORPUS / "conrad-joseph" / "typhoon.txt").read_bytes()
        (source / edition / "conrad-joseph" / "typhoon.txt").write_bytes(original + edition.encode())
    run_directory(source, corpus=tmp_path / "corpus")
    assert relative_files(tmp_path / "corpus") == ["conrad-joseph/typhoon-1142.txt", "conrad-joseph/typhoon.txt"]


def test_a_corpus_inside_the_source_is_not_imported_again(tmp_path: Path) -> None:
    shutil.copytree(CORPUS / "grey-zane", tmp_path / "grey-zane")
    run_directory(tmp_path, corpus=tmp_path / "corpus")
    summary = run_directory(tmp_path, corpus=tmp_path / "corpus")
    assert len(summary.outcomes) == 2 and summary.counts["skipped"] == 2


def test_bad_source(tmp_path: Path) -> None:
    with pytest.raises(NotADirectoryError, match="source folder .* not found"):
        run_directory(tmp_path / "nope", corpus=tmp_path / "corpus")
    with pytest.raises(ValueError, match="is the corpus itself"):
        run_directory(tmp_path, corpus=tmp_path)


def test_importing_a_book_that_was_fetched_adds_no_copy(tmp_path: Path) -> None:
    with MirrorServer({1142: (CORPUS / "conrad-joseph" / "typhoon.txt").read_bytes()}) as server:
        run_gutenberg(fast_config(server.url), book_ids=[1142], corpus=tmp_path / "corpus")
    summary = run_directory(CORPUS / "conrad-joseph", corpus=tmp_path / "corpus")
    assert [outcome.status for outcome in summary.outcomes] == ["imported", "skipped"]
    assert relative_files(tmp_path / "corpus") == ["conrad-joseph/lord-jim.txt", "conrad-joseph/typhoon.txt"]
