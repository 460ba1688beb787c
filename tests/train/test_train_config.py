import dataclasses

import pytest

from writing7.config.base import ConfigError
from writing7.config.calibrate import CalibrateConfig
from writing7.config.train import TeacherConfig, TrainConfig


def test_defaults_are_the_cpu_preset():
    cfg = TrainConfig()
    assert cfg.base_model == "all-MiniLM-L6-v2" and cfg.max_seq_length == 256 and cfg.style_features
    assert cfg.batch_size == cfg.authors_per_batch * cfg.books_per_author * cfg.chunks_per_book
    assert cfg.topic_adversary_weight == 0.0 and not cfg.distill_from_cross


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"chunks_per_book": 1}, r"train\.chunks_per_book = 1: must be >= 2"),
        ({"authors_per_batch": 1}, r"train\.authors_per_batch = 1: must be >= 2"),
        ({"temperature": 0.0}, r"train\.temperature = 0\.0: must be > 0"),
        ({"precision": "fp16"}, r"train\.precision = 'fp16': is not a known choice; use one of: auto, bf16, fp32"),
        ({"gradient_checkpointing": "yes"}, r"train\.gradient_checkpointing = 'yes': is not a known choice"),
        ({"warmup_ratio": 1.0}, r"train\.warmup_ratio = 1\.0: must be in \[0, 1\)"),
        ({"hard_negative_fraction": 1.5}, r"train\.hard_negative_fraction = 1\.5: must be a fraction"),
        ({"char_ngram_min": 6}, r"train\.char_ngram_min = 6: must be between 1 and char_ngram_max \(5\)"),
        ({"max_steps": 0}, r"train\.max_steps = 0: must be > 0"),
        ({"base_model": ""}, r"train\.base_model = '': is empty"),
        ({"pair_head_dropout": 1.0}, r"train\.pair_head_dropout = 1\.0: must be in \[0, 1\)"),
        ({"attention_dropout": 1.0}, r"train\.attention_dropout = 1\.0: must be in \[0, 1\)"),
        ({"hidden_dropout": -0.5}, r"train\.hidden_dropout = -0\.5: must be -1 or in \[0, 1\)"),
        ({"freeze_layers": -1}, r"train\.freeze_layers = -1: must be >= 0"),
        ({"book_loss_weight": 0.0, "author_loss_weight": 0.0, "pair_loss_weight": 0.0}, r"are all 0; give at least one of them a positive weight"),
        ({"topic_adversary_weight": -1.0}, r"train\.topic_adversary_weight = -1\.0: must be >= 0"),
    ],
)
def test_invalid_train_settings_name_the_field_and_the_fix(overrides, message):
    with pytest.raises(ConfigError, match=message):
        TrainConfig(**overrides)


def test_teacher_settings_are_validated():
    with pytest.raises(ConfigError, match=r"teacher\.batch_size = 0: must be > 0"):
        TeacherConfig(batch_size=0)


def test_toml_tables_and_overrides(tmp_path):
    config_file = tmp_path / "train.toml"
    config_file.write_text("[train]\nmax_steps = 12\nchunks_per_book = 4\n[teacher]\nbatch_size = 4\n")
    cfg = TrainConfig.load(config_file, max_steps=7)
    assert (cfg.max_steps, cfg.chunks_per_book) == (7, 4)
    assert TeacherConfig.load(config_file).batch_size == 4


def test_unknown_toml_field_is_reported(tmp_path):
    config_file = tmp_path / "train.toml"
    config_file.write_text("[train]\nmax_stepz = 12\n")
    with pytest.raises(ConfigError, match="unknown field"):
        TrainConfig.load(config_file)


def test_shipped_presets_load(request):
    configs = request.config.rootpath / "configs"
    assert TrainConfig.load(configs / "cpu-default.toml") == TrainConfig()  # the file spells out the defaults
    assert TeacherConfig.load(configs / "cpu-default.toml") == TeacherConfig()
    gpu = TrainConfig.load(configs / "gpu.toml")
    assert gpu.base_model == "roberta-large" and gpu.batch_size == 256 and gpu.gradient_checkpointing == "on"
    quality = TrainConfig.load(configs / "cpu-quality.toml")
    assert quality.base_model == "all-mpnet-base-v2" and quality.freeze_layers == 4
    assert dataclasses.replace(quality, base_model="all-MiniLM-L6-v2", freeze_layers=2) == TrainConfig()  # otherwise the CPU default
    fast = TrainConfig.load(configs / "cpu-fast.toml")
    assert (fast.freeze_layers, fast.hidden_dropout, fast.max_steps, fast.learning_rate, fast.eval_steps) == (4, 0.0, 200, 8e-5, 0)
    assert dataclasses.replace(fast, freeze_layers=2, hidden_dropout=-1.0, max_steps=300, learning_rate=4e-5, eval_steps=150) == TrainConfig()
    fast_calibrate = CalibrateConfig.load(configs / "cpu-fast.toml")
    assert dataclasses.replace(fast_calibrate, max_chunks_per_document=16) == CalibrateConfig.load(configs / "cpu-default.toml")
    assert fast_calibrate.max_chunks_per_document == 8
