"""`writing7 score-pairs` never replaces its own input and refuses a folder as output, before loading any model (issue 20)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from writing7.cli import app
from writing7.stages.score_pairs import check_output_path, run

PAIRS = '{"id": "a", "pair": ["A calm sea.", "A stormy sea."]}\n{"id": "b", "pair": ["It rained.", "The sun shone."]}\n'


pytestmark = pytest.mark.usefixtures("restore_logging")  # tests/conftest.py


@pytest.fixture()
def pairs(tmp_path: Path) -> Path:
    path = tmp_path / "pairs.jsonl"
    path.write_text(PAIRS, encoding="utf-8")
    return path


def score_pairs(tmp_path: Path, source: Path, output: Path):
    # The model folder does not exist: the output checks must fire before any model load.
    return CliRunner().invoke(app, ["score-pairs", str(source), "-o", str(output), "--model", str(tmp_path / "no-model")])


def same_file_outputs(pairs: Path) -> dict[str, Path]:
    symlink, hardlink = pairs.with_name("link.jsonl"), pairs.with_name("hard.jsonl")
    symlink.symlink_to(pairs)
    os.link(pairs, hardlink)
    return {"same path": pairs, "spelled differently": pairs.parent / "." / pairs.name, "symbolic link": symlink, "hard link": hardlink}


def test_output_that_is_the_input_is_refused(tmp_path: Path, pairs: Path):
    for kind, output in same_file_outputs(pairs).items():
        result = score_pairs(tmp_path, pairs, output)
        errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
        assert result.exit_code == 2, kind
        assert len(errors) == 1 and f"is the input file {pairs}: write the answers to another file" in errors[0], kind
        assert "Traceback" not in result.output
        assert pairs.read_text(encoding="utf-8") == PAIRS, kind


def test_output_that_is_a_directory_is_refused(tmp_path: Path, pairs: Path):
    folder = tmp_path / "answers"
    folder.mkdir()
    result = score_pairs(tmp_path, pairs, folder)
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: --output {folder} is a directory: name a file, e.g. {folder / 'answers.jsonl'}"
    assert list(folder.iterdir()) == []


def test_the_library_refuses_first_thing(tmp_path: Path, pairs: Path):
    with pytest.raises(ValueError, match="is the input file"):
        run(None, input_path=pairs, output=pairs)  # no matcher needed: nothing is scored
    assert pairs.read_text(encoding="utf-8") == PAIRS


def test_a_new_or_other_output_file_passes(tmp_path: Path, pairs: Path):
    other = tmp_path / "old-answers.jsonl"
    other.write_text("{}\n")
    check_output_path(pairs, tmp_path / "answers.jsonl")
    check_output_path(pairs, other)  # an existing, different file is replaced atomically, as before
