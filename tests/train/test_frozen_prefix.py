"""Keeping the frozen layers' output per passage gives the same embeddings, gradients and training."""

import dataclasses
import json

import pytest
import torch

from writing7.models.bi_encoder import BiEncoder, pad_token_ids, transformer_layers
from writing7.training.bi_encoder_training import train_matcher
from writing7.training.frozen_prefix import FrozenPrefixCache, frozen_prefix_off_reason

TEXTS = [
    "It was the best of times, it was the worst of times.",
    "Call me Ishmael.",
    "The sea was calm that morning, and the boats went out before the light had reached the harbour wall.",
    "She said nothing at all.",
]


@pytest.fixture()
def encoder(tiny_bert):
    encoder = BiEncoder.from_base(str(tiny_bert), max_seq_length=64, attention_dropout=0.0, hidden_dropout=0.0)
    encoder.freeze(embeddings=True, layers=1)
    return encoder.train()


def batch_of(encoder, rows):
    token_ids = encoder.tokenize([TEXTS[row] for row in rows])
    return (torch.tensor(rows), *pad_token_ids(token_ids, encoder.tokenizer.pad_token_id))


def trained_gradients(encoder, embeddings):
    encoder.zero_grad()
    embeddings.sum().backward()
    return {name: parameter.grad.clone() for name, parameter in encoder.named_parameters() if parameter.grad is not None}  # the pooler gets none


def test_resuming_at_a_layer_reproduces_the_forward_and_restores_the_model(encoder):
    _, input_ids, attention_mask = batch_of(encoder, [0, 1, 2])
    model = encoder.transformer.model
    layers, embeddings = list(transformer_layers(model)), model.embeddings
    resumed = encoder.forward_from_layer(encoder.hidden_states_after(input_ids, attention_mask, 1), attention_mask, 1)
    assert torch.allclose(resumed, encoder(input_ids, attention_mask), atol=1e-6)
    assert list(transformer_layers(model)) == layers and model.embeddings is embeddings


def test_cached_passages_give_the_embeddings_and_gradients_of_the_full_forward(encoder):
    cache = FrozenPrefixCache(encoder, 1, max_bytes=1 << 30)
    for rows in ([0, 1, 2], [2, 3, 1]):  # the second batch reads rows 1 and 2 back, padded to another width
        batch = batch_of(encoder, rows)
        cached = cache(*batch)
        direct = encoder(*batch[1:])
        assert torch.allclose(cached, direct, atol=1e-6)
        expected, actual = trained_gradients(encoder, direct), trained_gradients(encoder, cached)
        assert expected.keys() == actual.keys() and expected
        for name in expected:
            assert torch.allclose(actual[name], expected[name], atol=1e-6), name
    assert cache.summary()["passages"] == 4 and (cache.hits, cache.misses) == (2, 4)


def test_a_full_cache_computes_further_passages_without_keeping_them(encoder):
    cache = FrozenPrefixCache(encoder, 1, max_bytes=1)
    batch = batch_of(encoder, [0, 1])
    assert torch.allclose(cache(*batch), encoder(*batch[1:]), atol=1e-6)
    assert cache.summary()["passages"] == 0 and cache.held_bytes == 0


@pytest.mark.parametrize(("settings", "reason"), [
    ({"frozen_layers": 0}, "freeze_layers = 0"),
    ({"dropouts": (0.0, 0.1)}, "dropout"),
    ({"device": torch.device("cuda")}, "accelerator"),
    ({"world_size": 2}, "several processes"),
    ({"max_bytes": 0}, "frozen_layer_cache_gib = 0"),
])
def test_the_cache_is_off_where_it_would_change_training_or_not_pay(settings, reason):
    usable = {"frozen_layers": 2, "dropouts": (0.0, 0.0), "device": torch.device("cpu"), "world_size": 1, "max_bytes": 1 << 30}
    assert frozen_prefix_off_reason(**usable) is None
    assert reason in frozen_prefix_off_reason(**(usable | settings))


def test_training_with_the_cache_follows_training_without_it(tiny_train_config, pair_splits, tmp_path):
    cfg = dataclasses.replace(tiny_train_config, max_steps=4, eval_steps=0, freeze_layers=1, attention_dropout=0.0, hidden_dropout=0.0, logging_steps=1)
    losses = {}
    for name, gib in (("cached", 1.0), ("direct", 0.0)):
        _, summary = train_matcher(
            dataclasses.replace(cfg, frozen_layer_cache_gib=gib), pair_splits["train"], pair_splits["validation"],
            checkpoint_dir=tmp_path / name / "checkpoints", log_path=tmp_path / name / "log.jsonl", fingerprint="test",
        )
        losses[name] = [record["loss"] for record in map(json.loads, (tmp_path / name / "log.jsonl").read_text().splitlines()) if "loss" in record]
        assert ("frozen_layer_cache" in summary) == (gib > 0)
    assert len(losses["cached"]) == 4
    assert losses["cached"] == pytest.approx(losses["direct"], rel=1e-4)
