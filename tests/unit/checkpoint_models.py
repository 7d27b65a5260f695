"""A tiny model for checkpoint tests: tied weights, buffers of several dtypes, a 0-dim parameter."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

NAME = "ckpt-tiny"
TARGET = "tests.unit.checkpoint_models:Tiny"


class Tiny(nn.Module):
    """Embedding -> RNN -> output projection, optionally tied to the embedding."""

    def __init__(self, vocab_size: int = 7, hidden: int = 5, tied: bool = False, bias: bool = True) -> None:
        super().__init__()
        if vocab_size < 1 or hidden < 1:
            raise ValueError(f"vocab_size and hidden must be positive, got {vocab_size} and {hidden}")
        self._config = {"model": NAME, "vocab_size": vocab_size, "hidden": hidden, "tied": tied, "bias": bias}
        self.embed = nn.Embedding(vocab_size, hidden)
        self.rnn = nn.RNN(hidden, hidden, batch_first=True)
        self.out = nn.Linear(hidden, vocab_size, bias=bias)
        if tied:
            self.out.weight = self.embed.weight
        self.temperature = nn.Parameter(torch.tensor(1.5))
        self.register_buffer("seen", torch.tensor(0, dtype=torch.int64))
        self.register_buffer("mask", torch.ones(vocab_size, dtype=torch.bool))
        self.register_buffer("scratch", torch.zeros(3), persistent=False)

    @property
    def config(self) -> dict[str, Any]:
        """Plain JSON-able config that rebuilds this model."""
        return dict(self._config)

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Tiny:
        """Rebuild from `config`."""
        return cls(**{key: value for key, value in config.items() if key != "model"})

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Logits (B, T, V) for token ids (B, T)."""
        states, _ = self.rnn(self.embed(tokens))
        logits = self.out(states) / self.temperature
        return logits.masked_fill(~self.mask, float("-inf"))
