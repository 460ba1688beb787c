import dataclasses
import json

import torch

from writing7.training.bi_encoder_training import train_matcher


def train(cfg, splits, tmp_path, name, **kwargs):
    return train_matcher(
        cfg, splits["train"], splits["validation"], checkpoint_dir=tmp_path / name / "checkpoints",
        log_path=tmp_path / name / "log.jsonl", fingerprint="test", **kwargs,
    )


def state(matcher):
    return {**{f"encoder.{k}": v for k, v in matcher.encoder.state_dict().items()}, **{f"head.{k}": v for k, v in matcher.head.state_dict().items()}}


def test_tiny_model_loss_goes_down(tiny_train_config, pair_splits, tmp_path):
    cfg = dataclasses.replace(tiny_train_config, max_steps=30, eval_steps=0)
    _, summary = train(cfg, pair_splits, tmp_path, "run")
    losses = [record["loss"] for record in map(json.loads, (tmp_path / "run" / "log.jsonl").read_text().splitlines()) if "loss" in record]
    assert len(losses) == 30
    assert sum(losses[-5:]) / 5 < sum(losses[:5]) / 5 - 0.1
    assert summary["completed"] and {"book_auc", "author_auc"} <= set(summary["final_evaluation"])


def test_resume_after_a_stop_reaches_the_uninterrupted_state(tiny_train_config, pair_splits, tmp_path):
    cfg = dataclasses.replace(tiny_train_config, max_steps=6, save_steps=3)
    uninterrupted, _ = train(cfg, pair_splits, tmp_path, "straight")
    # Stop after step 4: the newest checkpoint is step 3, so step 4 is redone after the resume.
    _, stopped = train(cfg, pair_splits, tmp_path, "resumed", should_stop=lambda step: step == 4)
    assert stopped["steps"] == 4 and not stopped["completed"]
    resumed, summary = train(cfg, pair_splits, tmp_path, "resumed")
    assert summary["resumed_from_step"] == 3 and summary["completed"]
    expected, actual = state(uninterrupted), state(resumed)
    assert expected.keys() == actual.keys()
    for key in expected:
        assert torch.allclose(expected[key], actual[key], atol=1e-6), key


def test_checkpoints_of_other_settings_are_not_resumed(tiny_train_config, pair_splits, tmp_path):
    cfg = dataclasses.replace(tiny_train_config, max_steps=4, save_steps=2)
    train(cfg, pair_splits, tmp_path, "run", should_stop=lambda step: step == 3)
    _, summary = train_matcher(
        cfg, pair_splits["train"], pair_splits["validation"], checkpoint_dir=tmp_path / "run" / "checkpoints",
        log_path=tmp_path / "run" / "log.jsonl", fingerprint="other settings",
    )
    assert summary["resumed_from_step"] is None and summary["steps"] == 4


def test_optional_terms_and_frozen_layers_train_together(tiny_train_config, tiny_bert, pair_splits, tmp_path):
    from transformers import AutoModel

    cfg = dataclasses.replace(
        tiny_train_config, max_steps=2, topic_adversary_weight=0.1, topic_independence_weight=0.1, projection_dim=16, projection_layers=2, freeze_layers=1,
    )
    teacher_logits = torch.linspace(-2, 2, len(pair_splits["train"])).numpy()
    matcher, summary = train(cfg, pair_splits, tmp_path, "run", teacher_logits=teacher_logits)
    assert {"book", "author", "pair", "topic_adversary", "topic_independence", "distill"} == set(summary["final_terms"])
    assert matcher.encoder.embedding_dim == 16
    before, after = AutoModel.from_pretrained(str(tiny_bert)), matcher.encoder.transformer.model
    assert torch.equal(before.encoder.layer[0].output.dense.weight, after.encoder.layer[0].output.dense.weight)  # frozen
    assert not torch.equal(before.encoder.layer[1].output.dense.weight, after.encoder.layer[1].output.dense.weight)  # trained
