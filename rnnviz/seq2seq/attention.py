"""Attention: where the decoder looks in the source sentence while it writes each word.

Every kind scores each source position s for a decoder state h_t, then a softmax over the
real (unpadded) positions gives weights a_ts that sum to 1; the context is sum_s a_ts m_s.

- "additive"  (Bahdanau et al. 2015):  score = v^T tanh(W_q h_t + W_k m_s)
- "dot"       (Luong et al. 2015):     score = h_t . m_s
- "general"   (Luong et al. 2015):     score = h_t^T W_a m_s
- "tutorial"  (the PyTorch tutorial):  a_t = softmax(W [e_t; h_{t-1}]) over MAX_LENGTH slots. It
  scores slots from the decoder's own input and state alone: it never reads the encoder
  outputs' content, and it spends weight on empty slots past the end of the sentence.

All of them are computed after the decoder cell's step (Luong's placement), so that the
kinds differ only in the score, and the teacher-forced decoder runs fused over all steps.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor, nn

from rnnviz.core.randomness import linear

ATTENTION_KINDS = ("none", "additive", "dot", "general", "tutorial")
ATTENTION_LABELS = {
    "none": "none (Cho et al. 2014: one summary vector)",
    "additive": "additive (Bahdanau et al. 2015)",
    "dot": "multiplicative dot (Luong et al. 2015)",
    "general": "multiplicative general (Luong et al. 2015)",
    "tutorial": "the PyTorch tutorial's (blind to the encoder)",
}


class ContentAttention(nn.Module):
    """Additive, dot or general attention of decoder states over encoder outputs, masked."""

    def __init__(self, kind: str, query_size: int, memory_size: int, attention_size: int | None = None, *,
                 generator: torch.Generator | None = None) -> None:
        super().__init__()
        if kind not in ("additive", "dot", "general"):
            raise ValueError(f"content attention is 'additive', 'dot' or 'general', got {kind!r}")
        if kind == "dot" and query_size != memory_size:
            raise ValueError(f"dot attention needs the decoder size ({query_size}) to equal the encoder output "
                             f"size ({memory_size}); use 'general' (e.g. with a bidirectional encoder)")
        self.kind = kind
        if kind == "additive":
            size = attention_size or query_size
            self.query_proj = linear(query_size, size, bias=False, generator=generator)
            self.key_proj = linear(memory_size, size, generator=generator)
            bound = 1 / math.sqrt(size)
            self.score_vector = nn.Parameter(torch.empty(size).uniform_(-bound, bound, generator=generator))
        elif kind == "general":
            self.key_proj = linear(memory_size, query_size, bias=False, generator=generator)  # W_a m_s, once

    def keys(self, memory: Tensor) -> Tensor:
        """What each step compares against, computed once per sentence: (B, S, M) -> (B, S, A)."""
        return memory if self.kind == "dot" else self.key_proj(memory)

    def scores(self, query: Tensor, keys: Tensor) -> Tensor:
        """Unnormalised scores (B, T, S) for queries (B, T, Q)."""
        if self.kind == "additive":
            hidden = torch.tanh(self.query_proj(query).unsqueeze(2) + keys.unsqueeze(1))  # (B, T, S, A)
            return hidden @ self.score_vector
        return query @ keys.transpose(1, 2)

    def forward(self, query: Tensor, keys: Tensor, memory: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
        """(context (B, T, M), weights (B, T, S)); weights are exactly 0 where mask (B, S) is False."""
        scores = self.scores(query, keys).masked_fill(~mask.unsqueeze(1), float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        return weights @ memory, weights


class TutorialAttention(nn.Module):
    """The tutorial's AttnDecoderRNN attention: weights from [embedded input; previous hidden] only."""

    def __init__(self, embedding_size: int, hidden_size: int, memory_size: int, max_length: int, *,
                 generator: torch.Generator | None = None) -> None:
        super().__init__()
        self.max_length = max_length
        self.attn = linear(embedding_size + hidden_size, max_length, generator=generator)
        self.attn_combine = linear(embedding_size + memory_size, embedding_size, generator=generator)

    def forward(self, embedded: Tensor, previous_hidden: Tensor, slots: Tensor) -> tuple[Tensor, Tensor]:
        """(cell input (B, E), weights (B, max_length)); slots (B, max_length, M) are zero past the end."""
        weights = torch.softmax(self.attn(torch.cat([embedded, previous_hidden], dim=1)), dim=1)
        applied = (weights.unsqueeze(1) @ slots).squeeze(1)  # (B, M)
        return torch.relu(self.attn_combine(torch.cat([embedded, applied], dim=1))), weights


def tutorial_slots(memory: Tensor, max_length: int) -> Tensor:
    """Encoder outputs in MAX_LENGTH slots, zero past the sentence (padding is already zero)."""
    batch, steps, size = memory.shape
    if steps >= max_length:
        return memory[:, :max_length]
    return torch.cat([memory, memory.new_zeros(batch, max_length - steps, size)], dim=1)


def end_marker_share(attention: Any) -> float:
    """Mean weight on the last source column (</s>) over the output rows before the last.

    High values (over one half) mean the decoder reads the bidirectional encoder's summary,
    which sits at </s>, more than the words: its heatmap then shows little alignment.
    """
    import numpy as np

    weights = np.asarray(attention, dtype=np.float64)
    if weights.ndim != 2 or weights.shape[1] == 0:
        raise ValueError(f"attention must be (output steps, source tokens), got shape {weights.shape}")
    rows = weights[:-1] if weights.shape[0] > 1 else weights
    return float(rows[:, -1].mean())
