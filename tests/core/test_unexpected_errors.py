"""A user-fixable error is one ``error:`` line with exit code 2; anything else keeps its traceback (issue 20).

``RuntimeError`` is not a user error: torch raises it for an out-of-memory or a shape bug, and turning
that into one line would lose the traceback a bug report needs. The library raises
:class:`writing7.errors.UserFacingError` when it means the message for the user.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

import writing7.stages.ingest
from writing7.cli import app
from writing7.cli.common import BUG_HINT, OUT_OF_MEMORY_HINT, user_errors
from writing7.errors import UserFacingError

runner = CliRunner()


def ingest_dir_raising(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, error: BaseException):
    """``writing7 ingest dir`` whose library call raises ``error``."""
    def run_directory(*args: object, **kwargs: object) -> None:
        raise error

    monkeypatch.setattr(writing7.stages.ingest, "run_directory", run_directory)
    return runner.invoke(app, ["ingest", "dir", str(tmp_path), "--corpus", str(tmp_path / "corpus")])


def test_a_plain_runtime_error_keeps_its_traceback(monkeypatch, tmp_path):
    result = ingest_dir_raising(monkeypatch, tmp_path, RuntimeError("mat1 and mat2 shapes cannot be multiplied (4x3 and 5x6)"))
    assert result.exit_code == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert "RuntimeError: mat1 and mat2 shapes cannot be multiplied" in result.stderr
    assert result.stderr.splitlines()[-1] == BUG_HINT  # the hint comes under the traceback
    assert not any(line.startswith("error:") for line in result.stderr.splitlines())


def test_torch_out_of_memory_keeps_its_traceback_with_a_hint(monkeypatch, tmp_path):
    class OutOfMemoryError(RuntimeError):  # torch.OutOfMemoryError's name, without allocating anything
        pass

    result = ingest_dir_raising(monkeypatch, tmp_path, OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"))
    assert result.exit_code == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert result.stderr.splitlines()[-1] == OUT_OF_MEMORY_HINT


def test_a_deliberate_user_facing_error_is_one_line(monkeypatch, tmp_path):
    message = "training stopped at step 40 of 100: run `writing7 train` again to resume"
    result = ingest_dir_raising(monkeypatch, tmp_path, UserFacingError(message))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [f"error: {message}"]
    assert "Traceback" not in result.output


def test_user_facing_errors_stay_runtime_errors_for_callers():
    """Callers that caught these failures as RuntimeError keep working; the CLI tells them apart."""
    assert issubclass(UserFacingError, RuntimeError)
    from writing7.bench_style.backends.openai_compatible import LLMRequestError

    assert issubclass(LLMRequestError, UserFacingError)


def test_typer_and_click_outcomes_pass_through():
    """A command's own exit code and an answered-no confirm are not bugs: no hint, no `error:` line."""
    small = typer.Typer()

    @small.command()
    @user_errors
    def command(what: str) -> None:
        if what == "exit":
            raise typer.Exit(code=3)
        raise typer.Abort()

    exited = runner.invoke(small, ["exit"])
    assert exited.exit_code == 3 and exited.output == ""
    aborted = runner.invoke(small, ["abort"])
    assert aborted.exit_code == 1 and BUG_HINT not in aborted.output and "error:" not in aborted.output
