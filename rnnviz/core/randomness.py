"""Random numbers a run owns: generators, layers initialised from one, dropout masks drawn from one.

torch's global generator is shared by every thread of the server, so a run that draws from it
repeats only when nothing else draws at the same time. Here every draw takes an explicit
`torch.Generator`; `None` keeps PyTorch's behaviour (the global generator) for notebook users.

    weights = make_generator(seed)
    layer = linear(8, 3, generator=weights)      # the numbers nn.Linear(8, 3) gives after torch.manual_seed(seed)
    y = dropout(x, 0.1, True, make_generator(seed, DROPOUT_STREAM))
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

DROPOUT_STREAM = 1_000_003  # added to a run's seed for its dropout masks (weights and batches use the seed itself)


def make_generator(seed: int | None, offset: int = 0, device: torch.device | str = "cpu") -> torch.Generator:
    """A generator of its own, seeded with seed + offset (fresh entropy when seed is None)."""
    generator = torch.Generator(device=device)
    if seed is None:
        generator.seed()  # from the operating system, not from torch's global generator
    else:
        generator.manual_seed(int(seed) + offset)
    return generator


def _on_cpu(module: nn.Module) -> nn.Module:
    """A module built on the meta device (its init drew nothing) given empty CPU parameters of the same shapes.

    What `Module.to_empty` does, without its first-call cost (about a second: it imports torch._dynamo).
    """
    for name, parameter in list(module.named_parameters(recurse=False)):
        setattr(module, name, nn.Parameter(torch.empty(parameter.shape, dtype=parameter.dtype),
                                           requires_grad=parameter.requires_grad))
    return module


def linear(in_features: int, out_features: int, bias: bool = True, *,
           generator: torch.Generator | None = None) -> nn.Linear:
    """nn.Linear with PyTorch's initialisation, its numbers drawn from `generator` (the global one when None)."""
    if generator is None:
        return nn.Linear(in_features, out_features, bias)
    layer = _on_cpu(nn.Linear(in_features, out_features, bias, device="meta"))  # no draw from the global generator
    with torch.no_grad():  # what nn.Linear.reset_parameters does, in the same order
        nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5), generator=generator)
        if layer.bias is not None:
            bound = 1 / math.sqrt(in_features) if in_features > 0 else 0.0
            nn.init.uniform_(layer.bias, -bound, bound, generator=generator)
    return layer


def embedding(num_embeddings: int, embedding_dim: int, padding_idx: int | None = None, *,
              generator: torch.Generator | None = None) -> nn.Embedding:
    """nn.Embedding with PyTorch's N(0, 1) initialisation drawn from `generator`, the padding row zero."""
    if generator is None:
        return nn.Embedding(num_embeddings, embedding_dim, padding_idx=padding_idx)
    weight = torch.empty(num_embeddings, embedding_dim)  # (V, E)
    nn.init.normal_(weight, generator=generator)  # what nn.Embedding.reset_parameters draws
    layer = nn.Embedding(num_embeddings, embedding_dim, padding_idx=padding_idx, _weight=weight)
    if layer.padding_idx is not None:
        with torch.no_grad():
            layer.weight[layer.padding_idx].fill_(0)
    return layer


def dropout(x: Tensor, p: float, training: bool, generator: torch.Generator | None = None) -> Tensor:
    """Inverted dropout whose mask comes from `generator`: the numbers F.dropout gives from the same state."""
    if not training or p == 0 or x.numel() == 0:
        return x
    if generator is None:
        return nn.functional.dropout(x, p, True)
    if p == 1:
        return x * 0.0
    keep = torch.empty_like(x).bernoulli_(1 - p, generator=generator)  # (same shape as x) 1 = kept
    return x * keep.div_(1 - p)


class Dropout(nn.Module):
    """nn.Dropout that takes the generator of its masks at each call (torch's global one when None)."""

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        if not 0 <= p <= 1:
            raise ValueError(f"dropout must be in [0, 1], got {p}")
        self.p = float(p)

    def forward(self, x: Tensor, generator: torch.Generator | None = None) -> Tensor:
        """x with each entry zeroed with probability p and the rest scaled by 1/(1-p), in training mode only."""
        return dropout(x, self.p, self.training, generator)

    def extra_repr(self) -> str:
        """The drop probability."""
        return f"p={self.p}"
