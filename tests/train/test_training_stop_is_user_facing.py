"""A training run stopped before max_steps says how to resume as a TrainingStoppedError: one CLI line, not a bug (issue 20)."""

from __future__ import annotations

import dataclasses

import pytest
from typer.testing import CliRunner

import writing7.stages.train
from writing7.cli import app
from writing7.errors import TrainingStoppedError, UserFacingError
from writing7.stages.train import run


def test_a_stopped_training_run_is_a_training_stopped_error(artifacts, tiny_train_config):
    cfg = dataclasses.replace(tiny_train_config, max_steps=3, save_steps=1)
    with pytest.raises(TrainingStoppedError, match=r"^training stopped at step 1 of 3: run `writing7 train` again to resume$"):
        run(cfg, artifacts=artifacts, should_stop=lambda step: step == 1)
    assert issubclass(TrainingStoppedError, UserFacingError)


def test_the_cli_shows_a_stopped_run_as_one_line_with_exit_2(monkeypatch, tmp_path):
    message = "training stopped at step 40 of 100: run `writing7 train` again to resume"

    def stopped(*args: object, **kwargs: object) -> None:
        raise TrainingStoppedError(message)

    monkeypatch.setattr(writing7.stages.train, "run", stopped)
    result = CliRunner().invoke(app, ["train", "--artifacts", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [f"error: {message}"]
