"""Siamese LSTM, GRU, BLSTM and BGRU verifiers of Tolosana et al. (2018), built from rnnviz's Recurrent (fused path).

The paper's topology (Figure 5): both signatures go through the same first recurrent layer (46 units, weights
shared); its two output sequences are concatenated sample by sample and read by a second recurrent layer
(23 units); a linear unit with a sigmoid gives the probability that both were written by the same person.
Bidirectional systems use bidirectional layers of the same sizes in each direction. Two choices of ours,
said on the page: each signature's time functions are resampled to a fixed length (64 samples) so that
pairs batch without padding (the paper does not say how it aligned lengths), with one more input of ours, the
signature's duration (log of its 10 ms samples), which resampling and normalising would otherwise hide;
and the score is the mean of the logits of (a, b) and (b, a), so that score(a, b) = score(b, a) holds by construction.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from rnnviz.core.recurrent import Recurrent

SYSTEMS: dict[str, tuple[str, bool]] = {
    "LSTM": ("lstm", False),
    "GRU": ("gru", False),
    "BLSTM": ("lstm", True),
    "BGRU": ("gru", True),
}
FIRST_HIDDEN, SECOND_HIDDEN = 46, 23  # the paper's memory blocks per layer
LENGTH = 64  # samples per resampled signature
DURATION_SCALE = 100.0  # samples (1 s at 100 Hz): the duration input is log(N / 100)


def resample(functions: np.ndarray, length: int = LENGTH) -> np.ndarray:
    """Time functions (N, F) linearly interpolated onto `length` evenly spaced samples: (length, F) float32."""
    array = np.asarray(functions, dtype=np.float64)
    if array.ndim != 2 or array.shape[0] < 1 or array.shape[1] < 1:
        raise ValueError(f"time functions must be (samples, functions) with at least one sample, got {array.shape}")
    if length < 2:
        raise ValueError(f"length must be at least 2 samples, got {length}")
    if array.shape[0] == 1:
        return np.repeat(array, length, axis=0).astype(np.float32)
    old = np.linspace(0.0, 1.0, array.shape[0])
    new = np.linspace(0.0, 1.0, length)
    return np.stack([np.interp(new, old, column) for column in array.T], axis=1).astype(np.float32)  # (L, F)


def model_input(functions: np.ndarray, length: int = LENGTH, duration: bool = True) -> np.ndarray:
    """Resampled time functions (length, F), plus a constant log-duration column (length, F + 1) if `duration`."""
    resampled = resample(functions, length)
    if not duration:
        return resampled
    column = np.full((length, 1), np.log(len(functions) / DURATION_SCALE), dtype=np.float32)
    return np.concatenate([resampled, column], axis=1)


class SiameseRNN(nn.Module):
    """Two signatures (B, L, F) in, the logit that they share a writer (B,) out; shared first layer."""

    def __init__(
        self,
        system: str = "BLSTM",
        input_size: int = 23,
        first_hidden: int = FIRST_HIDDEN,
        second_hidden: int = SECOND_HIDDEN,
        length: int = LENGTH,
        duration_input: bool = False,
        *,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        if system not in SYSTEMS:
            raise ValueError(f"system must be one of {', '.join(SYSTEMS)}, got {system!r}")
        kind, bidirectional = SYSTEMS[system]
        self.system, self.input_size, self.length = system, int(input_size), int(length)
        self.duration_input = bool(duration_input)
        self.first = Recurrent(kind, input_size + self.duration_input, first_hidden, 1, bidirectional, generator=generator)
        self.second = Recurrent(kind, 2 * self.first.output_size, second_hidden, 1, bidirectional, generator=generator)
        self.output = nn.Linear(self.second.output_size, 1)
        bound = 1 / math.sqrt(self.second.output_size)
        with torch.no_grad():
            nn.init.uniform_(self.output.weight, -bound, bound, generator=generator)
            self.output.bias.zero_()

    @property
    def config(self) -> dict[str, Any]:
        """Plain data that rebuilds this model with `from_config`."""
        return {
            "model": "siamese",
            "system": self.system,
            "input_size": self.input_size,
            "first_hidden": self.first.hidden_size,
            "second_hidden": self.second.hidden_size,
            "length": self.length,
            "duration_input": self.duration_input,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> SiameseRNN:
        """Rebuild from `config`."""
        return cls(config["system"], config["input_size"], config["first_hidden"], config["second_hidden"],
                   config["length"], config.get("duration_input", False))  # fmt: skip

    def inputs(self, functions: np.ndarray) -> Tensor:
        """One signature's time functions (N, input_size) as this model's input (length, inputs)."""
        return torch.from_numpy(model_input(functions, self.length, self.duration_input))

    def embed(self, signatures: Tensor) -> Tensor:
        """The shared first layer: (B, L, F) -> (B, L, first outputs)."""
        return self.first(signatures).output

    def compare(self, first: Tensor, second: Tensor) -> Tensor:
        """Logits (B,) of two embedded batches (B, L, H), the mean over both orders (symmetric)."""
        if first.shape != second.shape:
            raise ValueError(f"both embedded batches must have one shape, got {tuple(first.shape)}, {tuple(second.shape)}")
        count = first.shape[0]
        pairs = torch.cat([torch.cat([first, second], dim=-1), torch.cat([second, first], dim=-1)])  # (2B, L, 2H)
        outputs = self.second(pairs).output  # (2B, L, H2 * directions)
        size = self.second.hidden_size
        summary = outputs[:, -1, :size]  # forward direction after the last sample
        if self.second.bidirectional:
            summary = torch.cat([summary, outputs[:, 0, size:]], dim=-1)  # backward direction after the first
        logits = self.output(summary).squeeze(-1)  # (2B,)
        return (logits[:count] + logits[count:]) / 2

    def forward(self, first: Tensor, second: Tensor) -> Tensor:
        """Logits (B,) that signature pairs (B, L, F) share a writer."""
        return self.compare(self.embed(first), self.embed(second))

    @torch.no_grad()
    def score(self, first: Tensor, second: Tensor) -> Tensor:
        """Probabilities (B,) that the pairs share a writer; the model must be in eval mode (a cached model is shared)."""
        if self.training:
            raise ValueError("call .eval() on a copy of the model before scoring; a shared model is not switched here")
        return torch.sigmoid(self.forward(first, second))
