import json
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from writing7.cli import app

HEADERS = Path(__file__).resolve().parents[1] / "fixtures" / "headers"
runner = CliRunner()


pytestmark = pytest.mark.usefixtures("restore_logging")  # tests/conftest.py


def invoke(*arguments):
    return runner.invoke(app, ["standardize", *map(str, arguments)])


def report(output):
    return json.loads((output / "standardize_report.json").read_text())


@pytest.fixture()
def source(tmp_path, fixture_corpus_source):
    """Three real excerpts: BOM, old style without START marker, cp1252."""
    root = tmp_path / "src"
    for book in ("conrad-joseph/typhoon", "gaskell-elizabeth-cleghorn/mary-barton"):
        (root / book).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(fixture_corpus_source / f"{book}.txt", root / f"{book}.txt")
    (root / "burroughs-edgar-rice").mkdir()
    shutil.copy(HEADERS / "cp1252_crlf.txt", root / "burroughs-edgar-rice" / "the-land-that-time-forgot.txt")
    return root


def test_writes_clean_books_report_and_manifest_then_skips_when_current(source, tmp_path):
    output = tmp_path / "clean"
    result = invoke(source, "--out", output, "--workers", "1")
    assert result.exit_code == 0, result.output
    assert "3 of 3 books written" in result.stdout
    assert sorted(path.relative_to(output).as_posix() for path in output.rglob("*.txt")) == [
        "burroughs-edgar-rice/the-land-that-time-forgot.txt", "conrad-joseph/typhoon.txt", "gaskell-elizabeth-cleghorn/mary-barton.txt",
    ]
    entries = {entry["book_id"]: entry for entry in report(output)["books"]}
    assert entries["burroughs-edgar-rice/the-land-that-time-forgot"]["encoding"] == "cp1252"
    assert entries["conrad-joseph/typhoon"]["encoding"] == "utf-8-sig"
    assert entries["conrad-joseph/typhoon"]["source"] == "conrad-joseph/typhoon.txt"
    assert set(entries["conrad-joseph/typhoon"]) == {
        "book_id", "source", "encoding", "bytes_in", "bytes_out", "kept_fraction", "markers", "warnings", "skip_reason",
    }
    manifest = json.loads((output / "manifest.json").read_text())
    assert manifest["stage"] == "standardize" and manifest["stats"]["books_written"] == 3
    typhoon = (output / "conrad-joseph" / "typhoon.txt").read_text(encoding="utf-8")
    assert "Gutenberg" not in typhoon
    assert typhoon.startswith("“No. I looked up the book.")  # the excerpt's body starts mid-book

    again = invoke(source, "--out", output, "--workers", "1")
    assert again.exit_code == 0 and "is current, skipped" in again.stderr
    assert json.loads((output / "manifest.json").read_text())["created"] == manifest["created"]
    forced = invoke(source, "--out", output, "--workers", "1", "--force")
    assert forced.exit_code == 0 and "is current" not in forced.stderr


def test_process_pool_gives_the_same_output(source, tmp_path):
    assert invoke(source, "--out", tmp_path / "serial", "--workers", "1").exit_code == 0
    assert invoke(source, "--out", tmp_path / "pool", "--workers", "2").exit_code == 0
    for path in (tmp_path / "serial").rglob("*.txt"):
        assert path.read_bytes() == (tmp_path / "pool" / path.relative_to(tmp_path / "serial")).read_bytes()
    assert report(tmp_path / "serial")["books"] == report(tmp_path / "pool")["books"]


def test_bad_inputs_are_skipped_with_a_reason_and_one_log_line_each(source, tmp_path):
    (source / "empty-author" / "empty.txt").parent.mkdir()
    (source / "empty-author" / "empty.txt").write_bytes(b"")
    (source / "binary-author").mkdir()
    (source / "binary-author" / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20)
    (source / "html-author").mkdir()
    (source / "html-author" / "page.txt").write_bytes(b"<!DOCTYPE html>\n<html><body><p>A book</p></body></html>\n")
    (source / "no-books-author").mkdir()
    (source / "no-books-author" / "cover.jpg").write_bytes(b"\xff\xd8\xff")
    output = tmp_path / "clean"
    result = invoke(source, "--out", output)
    assert result.exit_code == 0, result.output
    assert "3 of 6 books written" in result.stdout and "3 skipped" in result.stdout
    reasons = {entry["book_id"]: entry["skip_reason"] for entry in report(output)["books"] if entry["skip_reason"]}
    assert reasons == {
        "empty-author/empty": "empty file",
        "binary-author/image": "binary file (contains NUL bytes)",
        "html-author/page": "HTML file (save the plain-text version of the book)",
    }
    assert report(output)["skipped_folders"] == [{"folder": "no-books-author", "skip_reason": "folder with no .txt files"}]
    for name in ("empty-author/empty", "binary-author/image", "html-author/page", "no-books-author"):
        assert sum(name in line and "skipped" in line for line in result.stderr.splitlines()) == 1
    assert not (output / "empty-author").exists()


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root can read a file without read permission")
def test_unreadable_file_is_skipped(source, tmp_path):
    locked = source / "conrad-joseph" / "locked.txt"
    locked.write_text("text")
    locked.chmod(0)
    try:
        result = invoke(source, "--out", tmp_path / "clean")
    finally:
        locked.chmod(0o644)
    assert result.exit_code == 0
    entry = next(entry for entry in report(tmp_path / "clean")["books"] if entry["book_id"] == "conrad-joseph/locked")
    assert entry["skip_reason"].startswith("unreadable file")


def test_exit_code_is_non_zero_only_when_nothing_usable_remains(tmp_path):
    source = tmp_path / "src"
    (source / "author").mkdir(parents=True)
    (source / "author" / "empty.txt").write_bytes(b"")
    result = invoke(source, "--out", tmp_path / "clean" / "books")
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [f"error: no usable book in {source}: all 1 skipped (empty file: 1); nothing written to {tmp_path / 'clean' / 'books'}: "
                      "fix or replace those files and run again"]
    assert not (tmp_path / "clean").exists()  # no manifest, no report, not even the folders


def test_folder_without_any_txt_fails_with_the_fix(tmp_path):
    (tmp_path / "src" / "author").mkdir(parents=True)
    result = invoke(tmp_path / "src", "--out", tmp_path / "clean")
    assert result.exit_code == 2
    assert "no .txt files under" in result.stderr and "AUTHOR/TITLE.txt" in result.stderr


def test_output_folder_is_never_the_source_or_a_foreign_folder(source, tmp_path):
    inside = invoke(source, "--out", source / "clean")
    assert inside.exit_code == 2 and "overlaps the source" in inside.stderr
    foreign = tmp_path / "documents"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("precious")
    refused = invoke(source, "--out", foreign)
    assert refused.exit_code == 2 and "not a standardize output" in refused.stderr
    assert (foreign / "thesis.tex").read_text() == "precious"


def test_header_fixtures_through_the_cli(tmp_path):
    source = tmp_path / "src" / "fixtures"
    source.mkdir(parents=True)
    for path in HEADERS.glob("*.txt"):
        shutil.copy(path, source / path.name)
    result = invoke(tmp_path / "src", "--out", tmp_path / "clean", "--min-kept-fraction", "0.1")
    assert result.exit_code == 0, result.output
    assert report(tmp_path / "clean")["totals"]["books_written"] == len(list(HEADERS.glob("*.txt")))
