"""The shared shape of a loss with one temperature: checked once here, used by the loss's own math."""

from __future__ import annotations

from torch import nn


class TemperatureLoss(nn.Module):
    """An ``nn.Module`` loss holding one ``temperature`` > 0; ``loss_name`` names it in the error."""

    loss_name = "loss"

    def __init__(self, temperature: float) -> None:
        super().__init__()
        if temperature <= 0:
            raise ValueError(f"{self.loss_name} temperature must be > 0, got {temperature}")
        self.temperature = temperature
