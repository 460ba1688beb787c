"""`writing7 train` and `writing7 train-teacher` end to end through the CLI on the tiny dataset."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import TINY_TEACHER, TINY_TRAIN
from writing7.cli import app
from writing7.models.cross_encoder import CrossEncoderTeacher
from writing7.models.matcher import MatcherModel
from writing7.models.scoring import score_text_pairs


def toml_table(name: str, values: dict) -> str:
    return f"[{name}]\n" + "".join(f"{key} = {json.dumps(value)}\n" for key, value in values.items())


@pytest.fixture()
def config_file(tmp_path, tiny_bert):
    path = tmp_path / "tiny.toml"
    path.write_text(toml_table("train", {**TINY_TRAIN, "base_model": str(tiny_bert)}) + toml_table("teacher", {**TINY_TEACHER, "base_model": str(tiny_bert)}))
    return path


def invoke(*arguments):
    return CliRunner().invoke(app, list(map(str, arguments)))


def test_train_writes_the_model_and_skips_when_current(artifacts, config_file):
    result = invoke("train", "--artifacts", artifacts, "--config", config_file, "--max-steps", 3, "--save-steps", 2)
    assert result.exit_code == 0, result.output
    model_root = artifacts / "models" / "book_matcher_contrastive"
    final = model_root / "final"
    for name in ("writing7_model.json", "manifest.json", "modules.json", "pair_head.safetensors", "training_log.jsonl"):
        assert (final / name).is_file(), name
    assert (model_root / "checkpoints" / "step-0000002" / "optimizer.pt").is_file()
    assert "validation: book_auc" in result.output
    manifest = json.loads((final / "manifest.json").read_text())
    assert manifest["stage"] == "train" and manifest["stats"]["steps"] == 3
    model = MatcherModel.load(final, device="cpu")
    assert score_text_pairs(model, ["A calm sea."], ["A stormy sea."]).logits.shape == (1, 2)
    modified = final.stat().st_mtime_ns
    again = invoke("train", "--artifacts", artifacts, "--config", config_file, "--max-steps", 3, "--save-steps", 2)
    assert again.exit_code == 0 and final.stat().st_mtime_ns == modified  # current: not retrained


def test_train_teacher_writes_a_teacher_that_predicts(artifacts, config_file):
    result = invoke("train-teacher", "--artifacts", artifacts, "--config", config_file, "--max-steps", 2)
    assert result.exit_code == 0, result.output
    final = artifacts / "models" / "book_matcher" / "final"
    teacher = CrossEncoderTeacher.load(final, device="cpu")
    logits = teacher.predict_logits(["A calm sea.", "It rained."], ["A stormy sea.", "The sun shone."], batch_size=1)
    assert logits.shape == (2,) and logits.dtype == np.float32
    assert json.loads((final / "manifest.json").read_text())["stage"] == "train-teacher"


def test_distillation_trains_the_missing_teacher_first(artifacts, config_file):
    result = invoke("train", "--artifacts", artifacts, "--config", config_file, "--max-steps", 2, "--distill-from-cross")
    assert result.exit_code == 0, result.output
    assert (artifacts / "models" / "book_matcher" / "final" / "writing7_teacher.json").is_file()
    summary = json.loads((artifacts / "models" / "book_matcher_contrastive" / "final" / "writing7_model.json").read_text())["training"]
    assert "distill" in summary["final_terms"]


def test_missing_prepared_data_names_the_stage_to_run(tmp_path, config_file):
    result = invoke("train", "--artifacts", tmp_path / "empty", "--config", config_file)
    assert result.exit_code == 2
    assert "run `writing7 prepare` first" in result.output


def test_invalid_option_is_one_line(artifacts, config_file):
    result = invoke("train", "--artifacts", artifacts, "--config", config_file, "--chunks-per-book", 1)
    assert result.exit_code == 2
    assert "train.chunks_per_book = 1: must be >= 2" in result.output
