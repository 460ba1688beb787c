"""A completed training run keeps only the checkpoints `keep_checkpoints` asks for (issue 20: 2 x 150 MB left behind)."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from writing7.config.train import TeacherConfig, TrainConfig
from writing7.stages.train import run, run_teacher


def checkpoint_names(model_root: Path) -> list[str]:
    folder = model_root / "checkpoints"
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize(("keep", "expected"), [
    ("none", []),
    ("last", ["step-0000002"]),
    ("all", ["step-0000001", "step-0000002"]),
])
def test_completed_training_keeps_what_the_config_says(artifacts, tiny_train_config, keep, expected):
    cfg = dataclasses.replace(tiny_train_config, max_steps=3, save_steps=1, save_total_limit=2, keep_checkpoints=keep)
    run(cfg, artifacts=artifacts)
    model_root = artifacts / "models" / "book_matcher_contrastive"
    assert (model_root / "final" / "manifest.json").is_file()
    assert checkpoint_names(model_root) == expected
    assert not (model_root / "checkpoints").exists() or keep != "none"


def test_the_default_keeps_the_last_checkpoint_and_resumes_from_it(artifacts, tiny_train_config):
    cfg = dataclasses.replace(tiny_train_config, max_steps=3, save_steps=1)
    assert cfg.keep_checkpoints == "last"
    run(cfg, artifacts=artifacts)
    model_root = artifacts / "models" / "book_matcher_contrastive"
    assert checkpoint_names(model_root) == ["step-0000002"]
    shutil.rmtree(model_root / "final")  # the final model is lost: it is rebuilt from the kept checkpoint, not from step 0
    assert run(cfg, artifacts=artifacts).stats["resumed_from_step"] == 2


def test_the_teacher_follows_the_same_setting(artifacts, tiny_teacher_config):
    cfg = dataclasses.replace(tiny_teacher_config, max_steps=2, save_steps=1, keep_checkpoints="none")
    run_teacher(cfg, artifacts=artifacts)
    model_root = artifacts / "models" / "book_matcher"
    assert (model_root / "final" / "manifest.json").is_file() and checkpoint_names(model_root) == []


def test_an_interrupted_run_keeps_its_checkpoints_whatever_the_setting(artifacts, tiny_train_config):
    cfg = dataclasses.replace(tiny_train_config, max_steps=4, save_steps=1, keep_checkpoints="none")
    with pytest.raises(RuntimeError, match="run `writing7 train` again to resume"):
        run(cfg, artifacts=artifacts, should_stop=lambda step: step == 2)
    assert checkpoint_names(artifacts / "models" / "book_matcher_contrastive") == ["step-0000001", "step-0000002"]


def test_an_unknown_value_is_one_line_naming_the_choices():
    with pytest.raises(ValueError, match=r"^train.keep_checkpoints = 'some': is not a known choice; use one of: none, last, all$"):
        TrainConfig(keep_checkpoints="some")
    with pytest.raises(ValueError, match=r"^teacher.keep_checkpoints = 'every'"):
        TeacherConfig(keep_checkpoints="every")  # the teacher shares the field through LoopOptions
    assert TeacherConfig().keep_checkpoints == TrainConfig().keep_checkpoints == "last"
