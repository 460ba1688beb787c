"""BiEncoder construction: the dropout overrides training uses for speed on CPU."""

from __future__ import annotations

from pathlib import Path

import torch
from transformers import AutoConfig

from writing7.models.bi_encoder import BiEncoder


def dropout_rates(encoder: BiEncoder) -> set[float]:
    return {module.p for module in encoder.transformer.model.modules() if isinstance(module, torch.nn.Dropout)}


def test_dropout_overrides_reach_every_layer(tiny_bert: Path) -> None:
    own = AutoConfig.from_pretrained(str(tiny_bert))
    untouched = BiEncoder.from_base(str(tiny_bert), max_seq_length=32)
    assert dropout_rates(untouched) == {own.hidden_dropout_prob, own.attention_probs_dropout_prob}
    hidden = BiEncoder.from_base(str(tiny_bert), max_seq_length=32, attention_dropout=0.0, hidden_dropout=0.3)
    assert dropout_rates(hidden) == {0.0, 0.3}
    none = BiEncoder.from_base(str(tiny_bert), max_seq_length=32, attention_dropout=0.0, hidden_dropout=0.0)
    assert dropout_rates(none) == {0.0}
    none.train()
    ids = torch.tensor(none.tokenize(["It was a dark and stormy night."]))
    mask = torch.ones_like(ids)
    torch.testing.assert_close(none(ids, mask), none(ids, mask))  # no random mask left: training forwards are repeatable
