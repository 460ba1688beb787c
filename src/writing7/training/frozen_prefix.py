"""Compute the frozen lower layers once per training passage, not once per draw.

With the embedding block and the ``k`` lowest transformer layers frozen and dropout off, the states that
enter layer ``k + 1`` are a fixed function of the passage's token ids, ``h_k = f_k(ids)``; only the upper
layers change as training goes. A run draws each passage more than once (300 steps x 48 passages over
about 6,300 passages: 2.3 draws each), so keeping ``h_k`` per passage removes the frozen layers'
forward from every later draw. The cost of one draw, in forwards of one layer, falls from
``k + 3 (L - k)`` (frozen forwards + trained forward and backward) to ``3 (L - k)``; over a run with
``D`` draws of ``U`` distinct passages the frozen share falls from ``D k`` to ``U k``. It is the same
computation (attention never reads a padded position, and pooling skips them), so training is unchanged.

Memory: one ``(tokens, hidden)`` float tensor per distinct passage (384 KB for a 256-token MiniLM passage,
about 2 GB for the shared corpus); once ``max_bytes`` are held, further passages are computed as before.
"""

from __future__ import annotations

import logging

import torch

from writing7.models.bi_encoder import BiEncoder

logger = logging.getLogger(__name__)


def frozen_prefix_off_reason(*, frozen_layers: int, dropouts: tuple[float, float], device: torch.device, world_size: int, max_bytes: int) -> str | None:
    """Why the frozen layers' output cannot be kept for these settings (None: it can).

    ``dropouts`` are the attention and hidden-state dropout the frozen layers run with (freezing layers
    freezes the embedding block too: :meth:`~writing7.models.bi_encoder.BiEncoder.freeze`)."""
    if max_bytes <= 0:
        return "frozen_layer_cache_gib = 0"
    if frozen_layers == 0:
        return "no frozen layers (freeze_layers = 0)"
    if any(dropouts):
        return "dropout makes the frozen layers' output random (set attention_dropout = 0 and hidden_dropout = 0)"
    if device.type != "cpu":
        return "on an accelerator the frozen forward is cheaper than keeping its output"
    if world_size > 1:
        return "training runs in several processes"
    return None


class FrozenPrefixCache:
    """``cache(rows, input_ids, attention_mask)`` -> the encoder's embeddings of those passages, the frozen
    layers' output of each passage (by its row in the training table) computed once."""

    def __init__(self, encoder: BiEncoder, frozen_layers: int, *, max_bytes: int) -> None:
        self.encoder = encoder
        self.frozen_layers = frozen_layers
        self.max_bytes = max_bytes
        self.states: dict[int, torch.Tensor] = {}  # passage row -> (tokens, hidden) states entering layer k + 1
        self.held_bytes = 0
        self.hits = self.misses = 0

    def __call__(self, rows: torch.Tensor, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """(batch,) passage rows, (batch, tokens) ids and mask -> (batch, embedding_dim) embeddings, with gradient."""
        lengths = attention_mask.sum(dim=1).tolist()
        row_ids = rows.tolist()
        computed = self._compute_missing(row_ids, lengths, input_ids, attention_mask)
        states = [computed.get(position) if position in computed else self.states[row] for position, row in enumerate(row_ids)]
        hidden = states[0].new_zeros((len(row_ids), input_ids.shape[1], states[0].shape[-1]))  # (batch, tokens, hidden); pads stay 0
        for position, state in enumerate(states):
            hidden[position, : lengths[position]] = state
        return self.encoder.forward_from_layer(hidden, attention_mask, self.frozen_layers)

    def _compute_missing(self, row_ids: list[int], lengths: list[int], input_ids: torch.Tensor, attention_mask: torch.Tensor) -> dict[int, torch.Tensor]:
        """Run the frozen layers on the passages not held yet; keep what fits. -> {batch position: (tokens, hidden)}."""
        missing = [position for position, row in enumerate(row_ids) if row not in self.states]
        self.hits += len(row_ids) - len(missing)
        self.misses += len(missing)
        if not missing:
            return {}
        width = max(lengths[position] for position in missing)
        index = torch.tensor(missing)
        with torch.no_grad():
            states = self.encoder.hidden_states_after(input_ids[index, :width], attention_mask[index, :width], self.frozen_layers)
        computed = {}
        for offset, position in enumerate(missing):
            state = states[offset, : lengths[position]].clone()  # its own storage: the padded batch is freed
            computed[position] = state
            size = state.numel() * state.element_size()
            if self.held_bytes + size <= self.max_bytes:
                self.states[row_ids[position]] = state
                self.held_bytes += size
        return computed

    def summary(self) -> dict[str, float]:
        """Passages held, their memory and the share of draws served from memory, for the training report."""
        draws = self.hits + self.misses
        return {"passages": len(self.states), "gib": round(self.held_bytes / 2**30, 3), "hit_rate": round(self.hits / max(draws, 1), 3)}
