"""A standardize run in which every book is rejected fails with one line and writes nothing (issue 20)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from writing7.config.standardize import StandardizeConfig
from writing7.stages.standardize import run


def rejected_books(root: Path) -> Path:
    (root / "author").mkdir(parents=True)
    (root / "author" / "empty.txt").write_bytes(b"")
    (root / "author" / "other-empty.txt").write_bytes(b"")
    (root / "painter").mkdir()
    (root / "painter" / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    return root


def test_no_manifest_no_report_no_folder(tmp_path: Path):
    source, output = rejected_books(tmp_path / "src"), tmp_path / "artifacts" / "data" / "clean"
    with pytest.raises(ValueError, match=r"^no usable book in .*src: all 3 skipped \(empty file: 2, binary file: 1\); nothing written to") as error:
        run(StandardizeConfig(workers=1), corpus=source, output=output)
    assert "\n" not in str(error.value)
    assert not (tmp_path / "artifacts").exists()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["src"]


def test_a_previous_good_output_is_left_as_it_was(tmp_path: Path, fixture_corpus: Path):
    output = tmp_path / "clean"
    run(StandardizeConfig(workers=1), corpus=fixture_corpus, output=output)
    before = {path.relative_to(output).as_posix(): path.read_bytes() for path in output.rglob("*") if path.is_file()}
    with pytest.raises(ValueError, match="no usable book"):
        run(StandardizeConfig(workers=1), corpus=rejected_books(tmp_path / "bad"), output=output, force=True)
    assert {path.relative_to(output).as_posix(): path.read_bytes() for path in output.rglob("*") if path.is_file()} == before
    assert json.loads((output / "manifest.json").read_text())["stats"]["books_written"] == 18


def test_several_source_folders_are_standardized_into_one_output(tmp_path: Path, fixture_corpus: Path):
    first, second = tmp_path / "first", tmp_path / "second"
    authors = sorted(path.name for path in fixture_corpus.iterdir() if path.is_dir())
    for position, author in enumerate(authors):
        target = (first if position < 5 else second) / author
        target.parent.mkdir(parents=True, exist_ok=True)
        (fixture_corpus / author).rename(target)
    output = tmp_path / "clean"
    manifest = run(StandardizeConfig(workers=1), corpus=(first, second), output=output).manifest
    assert manifest.stats["books_written"] == 18 and set(manifest.inputs) == {"source", "source 2"}
    assert sorted(path.name for path in output.iterdir() if path.is_dir()) == authors
    sources = {entry["source"] for entry in json.loads((output / "standardize_report.json").read_text())["books"]}
    assert {source.split("/")[0] for source in sources} == {"first", "second"}  # each book named with its folder
