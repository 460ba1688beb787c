"""Text generators the style benchmark can ask for imitations: an OpenAI-compatible HTTP endpoint or a
local SmolLM2 that runs offline.

Every backend takes chat messages (``[{"role": "system"|"user", "content": ...}]``) and a seed and
returns the generated text; :class:`GenerationSettings` holds what both share.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Protocol

Message = dict[str, str]


@dataclasses.dataclass(frozen=True)
class GenerationSettings:
    """Sampling settings shared by every backend."""

    max_new_tokens: int = 200
    temperature: float = 0.8
    top_p: float = 0.95

    def __post_init__(self) -> None:
        if self.max_new_tokens < 1:
            raise ValueError(f"max_new_tokens={self.max_new_tokens}: must be >= 1; ask for at least one token")
        if self.temperature <= 0 or not 0 < self.top_p <= 1:
            raise ValueError(
                f"temperature={self.temperature}, top_p={self.top_p}: temperature must be > 0 and top_p in (0, 1]; "
                "use e.g. temperature 0.8 and top_p 0.95"
            )


class TextGenerator(Protocol):
    """What the benchmark needs from a backend."""

    @property
    def description(self) -> str:
        """A one-line name for reports (backend, model, endpoint), never a secret."""

    def generate(self, messages: Sequence[Message], *, seed: int) -> str:
        """The assistant's reply to ``messages``, sampled with ``seed`` where the backend supports it."""
