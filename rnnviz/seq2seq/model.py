"""The lecture's encoder–decoder (Cho et al. 2014) with a choice of attention.

Encoder: embedding + `Recurrent` (any cell kind, layers, bidirectional) over the source ids
with </s> appended; padded positions are masked and their outputs zeroed. Its summary is
the last real output (forward) and the first (backward). The decoder starts from
tanh(W summary) (Cho et al.'s h'_0) and, at each step, one cell step per layer on
[embedding of the previous word; context for "none"], then attention over the encoder
outputs (see `rnnviz.seq2seq.attention`), h~_t = tanh(W_c [h_t; c_t]) and logits = W_o h~_t.

Training runs the decoder fused over all steps when it can (teacher forcing, attention
after the cell); `step` is the same computation one word at a time, for decoding.
Nothing is stored on the module between calls: every intermediate is returned.
Randomness is explicit: `generator=` at construction draws the weights, and `generator=`
on each call draws the dropout masks (both torch's global generator when None).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from rnnviz.core import fused
from rnnviz.core.cells import KINDS, Cell, State
from rnnviz.core.randomness import Dropout, embedding, linear
from rnnviz.core.recurrent import Recurrent, unroll
from rnnviz.core.validation import check_positive_int, require_choice
from rnnviz.data.pairs import MAX_LENGTH, PAD_ID, Batch
from rnnviz.seq2seq.attention import ATTENTION_KINDS, ContentAttention, TutorialAttention, tutorial_slots


@dataclass(frozen=True)
class Memory:
    """The encoded source, ready for the decoder."""

    outputs: Tensor  # (B, S, M) encoder outputs, zero at padding
    mask: Tensor  # (B, S) True at real tokens
    summary: Tensor  # (B, M) the sentence in one vector
    keys: Tensor | None = None  # (B, S, A) attention keys, computed once
    slots: Tensor | None = None  # (B, MAX_LENGTH, M) the tutorial's fixed slots

    def select(self, index: Tensor) -> Memory:
        """Rows `index` of every tensor (for beams and sub-batches)."""
        def pick(t):
            return (None if t is None else t.index_select(0, index))
        return Memory(pick(self.outputs), pick(self.mask), pick(self.summary), pick(self.keys), pick(self.slots))


@dataclass(frozen=True)
class Step:
    """One decoder step: logits over the target vocabulary, the next state, the attention row."""

    logits: Tensor  # (B, V)
    state: list[State]  # per decoder layer
    attention: Tensor | None  # (B, S), or (B, MAX_LENGTH) for the tutorial's kind, None for "none"


def reverse_within(x: Tensor, lengths: Tensor) -> Tensor:
    """Reverse each sequence of x (B, T, ...) within its length; padding stays at the end."""
    steps = torch.arange(x.shape[1], device=x.device).unsqueeze(0)  # (1, T)
    index = torch.where(steps < lengths.unsqueeze(1), lengths.unsqueeze(1) - 1 - steps, steps)  # (B, T)
    return x.gather(1, index.view(*index.shape, *([1] * (x.dim() - 2))).expand_as(x))


def _run_cell(cell: Cell, kind: str, x: Tensor, training: bool) -> Tensor:
    """One layer and direction over x (B, T, I) from a zero state: outputs (B, T, H), fused when possible."""
    state = [cell.initial_state(x.shape[0], x)]
    if fused.supports(kind, cell):
        if kind == "sru":
            return fused.sru_stack([cell], x, state, 1, False)[0]
        return fused.torch_kernel(kind, [cell], x, state, 1, False, training)[0]
    steps, _ = unroll(cell, x, state[0])
    return torch.stack([step.h for step in steps], dim=1)


class Encoder(nn.Module):
    """Embedding + recurrent layers over padded source ids."""

    def __init__(self, vocab_size: int, embedding_size: int, hidden_size: int, kind: str, num_layers: int,
                 bidirectional: bool, dropout: float, *, generator: torch.Generator | None = None) -> None:
        super().__init__()
        self.embedding = embedding(vocab_size, embedding_size, padding_idx=PAD_ID, generator=generator)
        self.recurrent = Recurrent(kind, embedding_size, hidden_size, num_layers, bidirectional, generator=generator)
        self.dropout = Dropout(dropout)

    @property
    def output_size(self) -> int:
        """Size of each encoder output (hidden size times directions)."""
        return self.recurrent.output_size

    def forward(self, source: Tensor, lengths: Tensor,
                generator: torch.Generator | None = None) -> tuple[Tensor, Tensor, Tensor]:
        """(outputs (B, S, M) zero at padding, mask (B, S), summary (B, M)) for ids (B, S)."""
        mask = torch.arange(source.shape[1], device=source.device).unsqueeze(0) < lengths.unsqueeze(1)
        x = self.dropout(self.embedding(source), generator)  # (B, S, E)
        if not self.recurrent.bidirectional or bool((lengths == source.shape[1]).all()):
            outputs = self.recurrent(x).output  # padding only after the real tokens: they are unaffected
        else:
            outputs = self._bidirectional_padded(x, lengths)
        outputs = outputs * mask.unsqueeze(2)
        last = outputs[torch.arange(source.shape[0], device=source.device), lengths - 1]  # (B, M)
        if self.recurrent.bidirectional:
            hidden = self.recurrent.hidden_size
            summary = torch.cat([last[:, :hidden], outputs[:, 0, hidden:]], dim=1)
        else:
            summary = last
        return outputs, mask, summary

    def _bidirectional_padded(self, x: Tensor, lengths: Tensor) -> Tensor:
        """Layer by layer, the backward direction reading each sentence reversed within its length."""
        recurrent = self.recurrent
        for layer in range(recurrent.num_layers):
            forward = _run_cell(recurrent.cell(layer, "forward"), recurrent.kind, x, self.training)
            backward = _run_cell(recurrent.cell(layer, "backward"), recurrent.kind, reverse_within(x, lengths),
                                 self.training)
            x = torch.cat([forward, reverse_within(backward, lengths)], dim=2)
        return x


def _attention_layers(kind: str, embedding_size: int, hidden_size: int, memory_size: int, attention_size: int | None,
                      max_source_length: int, generator: torch.Generator | None) -> tuple[nn.Module | None, ...]:
    """(attention, combine): the attention of `kind` and the W_c of h~ = tanh(W_c [h; c]) (None where unused)."""
    if kind == "tutorial":
        return TutorialAttention(embedding_size, hidden_size, memory_size, max_source_length, generator=generator), None
    attention = None if kind == "none" else ContentAttention(kind, hidden_size, memory_size, attention_size,
                                                             generator=generator)
    return attention, linear(hidden_size + memory_size, hidden_size, generator=generator)


class Seq2Seq(nn.Module):
    """Encoder–decoder with attention "none", "additive", "dot", "general" or "tutorial".

    `encoder_hidden_size` (default: hidden_size) sizes each encoder direction, so a bidirectional
    encoder of hidden_size / 2 per direction gives outputs that dot attention can compare.
    `tie_embeddings` makes the output layer reuse the target embedding matrix (needs
    embedding_size == hidden_size); old checkpoints, whose config lacks the key, load untied.
    """

    def __init__(self, source_vocab_size: int, target_vocab_size: int, *, hidden_size: int = 256,
                 embedding_size: int | None = None, cell: str = "gru", decoder_cell: str | None = None,
                 encoder_layers: int = 1, decoder_layers: int = 1, bidirectional: bool = False,
                 attention: str = "additive", attention_size: int | None = None, dropout: float = 0.1,
                 max_source_length: int = MAX_LENGTH, encoder_hidden_size: int | None = None,
                 tie_embeddings: bool = False, generator: torch.Generator | None = None) -> None:
        super().__init__()
        require_choice("attention", attention, ATTENTION_KINDS)
        require_choice("cell", cell, KINDS)
        require_choice("decoder_cell", decoder_cell or cell, KINDS)
        if not 0 <= dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        embedding_size = embedding_size or hidden_size
        self._config = {
            "model": "seq2seq", "source_vocab_size": check_positive_int(source_vocab_size, "source_vocab_size"),
            "target_vocab_size": check_positive_int(target_vocab_size, "target_vocab_size"),
            "hidden_size": check_positive_int(hidden_size, "hidden_size"), "embedding_size": embedding_size,
            "cell": cell, "decoder_cell": decoder_cell or cell,
            "encoder_layers": check_positive_int(encoder_layers, "encoder_layers"),
            "decoder_layers": check_positive_int(decoder_layers, "decoder_layers"),
            "bidirectional": bool(bidirectional), "attention": attention,
            "attention_size": attention_size or hidden_size, "dropout": float(dropout),
            "max_source_length": check_positive_int(max_source_length, "max_source_length"),
            "encoder_hidden_size": check_positive_int(encoder_hidden_size or hidden_size, "encoder_hidden_size"),
            "tie_embeddings": bool(tie_embeddings),
        }
        if tie_embeddings and embedding_size != hidden_size:
            raise ValueError(f"tie_embeddings shares the target embedding with the output layer, so it needs "
                             f"embedding_size == hidden_size (got {embedding_size} and {hidden_size})")
        self.attention_kind = attention
        self.max_source_length = max_source_length
        self.encoder = Encoder(source_vocab_size, embedding_size, encoder_hidden_size or hidden_size, cell,
                               encoder_layers, bidirectional, dropout, generator=generator)
        memory_size = self.encoder.output_size
        self.embedding = embedding(target_vocab_size, embedding_size, padding_idx=PAD_ID, generator=generator)
        self.dropout = Dropout(dropout)
        extra = memory_size if attention == "none" else 0
        self.decoder = Recurrent(decoder_cell or cell, embedding_size + extra, hidden_size, decoder_layers,
                                 generator=generator)
        self.bridge = linear(memory_size, hidden_size * decoder_layers, generator=generator)
        self.attention, self.combine = _attention_layers(attention, embedding_size, hidden_size, memory_size,
                                                         attention_size, max_source_length, generator)
        self.out = linear(hidden_size, target_vocab_size, generator=generator)
        if tie_embeddings:  # Press & Wolf 2017: one matrix reads and writes target words (+5-7 BLEU here)
            self.out.weight = self.embedding.weight

    @property
    def config(self) -> dict[str, Any]:
        """Plain data that rebuilds this model (see rnnviz.io.registry)."""
        return dict(self._config)

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Seq2Seq:
        """Rebuild from `config`."""
        options = {key: value for key, value in config.items()
                   if key not in ("model", "source_vocab_size", "target_vocab_size")}
        return cls(config["source_vocab_size"], config["target_vocab_size"], **options)

    # ------------------------------------------------------------ encoder side

    def encode(self, source: Tensor, lengths: Tensor, *, generator: torch.Generator | None = None) -> Memory:
        """Encode ids (B, S) with lengths (B,) into a Memory; the tutorial's kind keeps MAX_LENGTH slots."""
        if self.attention_kind == "tutorial" and source.shape[1] > self.max_source_length:
            raise ValueError(f"the tutorial's attention has {self.max_source_length} slots; cut the source "
                             f"to {self.max_source_length} tokens (</s> included)")
        outputs, mask, summary = self.encoder(source, lengths, generator)
        keys = slots = None
        if isinstance(self.attention, ContentAttention):
            keys = self.attention.keys(outputs)
        elif self.attention_kind == "tutorial":
            slots = tutorial_slots(outputs, self.max_source_length)
        return Memory(outputs, mask, summary, keys, slots)

    def initial_state(self, memory: Memory) -> list[State]:
        """Cho et al.'s h'_0 = tanh(W summary) for every decoder layer (LSTM cells start with c = 0)."""
        hidden = torch.tanh(self.bridge(memory.summary)).chunk(self.decoder.num_layers, dim=1)
        if self.decoder.kind == "lstm":
            return [(h, torch.zeros_like(h)) for h in hidden]
        return list(hidden)

    # ------------------------------------------------------------ decoder side

    def _features(self, top: Tensor, memory: Memory) -> tuple[Tensor, Tensor | None]:
        """What the output layer reads, h~_t (B, T, H), and the attention (B, T, S), from top states (B, T, H)."""
        if self.attention_kind == "tutorial":
            return top, None
        if self.attention is None:
            context, weights = memory.summary.unsqueeze(1).expand(-1, top.shape[1], -1), None
        else:
            context, weights = self.attention(top, memory.keys, memory.outputs, memory.mask)
        return torch.tanh(self.combine(torch.cat([top, context], dim=2))), weights

    def logits(self, features: Tensor, *, generator: torch.Generator | None = None) -> Tensor:
        """Scores over the target vocabulary for features (..., H)."""
        return self.out(self.dropout(features, generator))

    def step(self, tokens: Tensor, state: list[State], memory: Memory, *,
             generator: torch.Generator | None = None) -> Step:
        """One output word: previous ids (B,) and state -> logits (B, V), next state, attention row."""
        result = self._step(tokens, state, memory, generator)
        return Step(self.logits(result.logits, generator=generator), result.state, result.attention)

    def _step(self, tokens: Tensor, state: list[State], memory: Memory, generator: torch.Generator | None) -> Step:
        """One step up to the features h~ (returned in the `logits` field)."""
        x = self.dropout(self.embedding(tokens), generator)  # (B, E)
        tutorial_weights = None
        if self.attention_kind == "none":
            x = torch.cat([x, memory.summary], dim=1)
        elif self.attention_kind == "tutorial":
            top_previous = state[-1][0] if self.decoder.kind == "lstm" else state[-1]  # SRU: its c
            x, tutorial_weights = self.attention(x, top_previous, memory.slots)
        new_state = []
        for cell, cell_state in zip(self.decoder.cells, state):
            result = cell.step_projected(cell.project_input(x), x, cell_state)
            new_state.append(result.state)
            x = result.h
        features, weights = self._features(x.unsqueeze(1), memory)
        weights = tutorial_weights if self.attention_kind == "tutorial" else weights
        return Step(features.squeeze(1), new_state, None if weights is None else weights.squeeze(1))

    def teacher_forced(self, memory: Memory, target_in: Tensor, *,
                       generator: torch.Generator | None = None) -> tuple[Tensor, Tensor | None]:
        """Logits (B, T, V) and attention (B, T, S) feeding the true previous words (B, T)."""
        features, attention = self.teacher_forced_features(memory, target_in, generator=generator)
        return self.logits(features, generator=generator), attention

    def teacher_forced_features(self, memory: Memory, target_in: Tensor, *,
                                generator: torch.Generator | None = None) -> tuple[Tensor, Tensor | None]:
        """Features h~ (B, T, H) and attention (B, T, S); the decoder runs fused over all steps."""
        if self.attention_kind == "tutorial":
            return self._stepwise(memory, target_in, True, True, generator)
        x = self.dropout(self.embedding(target_in), generator)  # (B, T, E)
        if self.attention_kind == "none":
            x = torch.cat([x, memory.summary.unsqueeze(1).expand(-1, x.shape[1], -1)], dim=2)
        top = self.decoder(x, self.initial_state(memory)).output  # (B, T, H)
        return self._features(top, memory)

    def free_running(self, memory: Memory, target_in: Tensor, forced: bool = False, *,
                     generator: torch.Generator | None = None) -> tuple[Tensor, Tensor | None]:
        """Step by step for T = target_in's length, feeding its own greedy words (or the true ones if forced)."""
        return self._stepwise(memory, target_in, forced, False, generator)

    def _stepwise(self, memory: Memory, target_in: Tensor, forced: bool, features_only: bool,
                  generator: torch.Generator | None) -> tuple[Tensor, Tensor | None]:
        """The decoder one step at a time: (logits (B, T, V) or features (B, T, H), attention)."""
        state, tokens = self.initial_state(memory), target_in[:, 0]
        outputs, rows = [], []
        for t in range(target_in.shape[1]):
            result = self._step(tokens, state, memory, generator)
            features, state = result.logits, result.state  # _step returns features in .logits
            outputs.append(features if features_only else self.logits(features, generator=generator))
            rows.append(result.attention)
            if t + 1 < target_in.shape[1]:
                tokens = (target_in[:, t + 1] if forced
                          else self.logits(features, generator=generator).argmax(dim=1).detach())
        attention = None if rows[0] is None else torch.stack(rows, dim=1)
        return torch.stack(outputs, dim=1), attention

    def forward(self, batch: Batch, *, generator: torch.Generator | None = None) -> Tensor:
        """Teacher-forced logits (B, T, V) for a batch; `generator` draws the dropout masks."""
        memory = self.encode(batch.source, batch.source_lengths, generator=generator)
        return self.teacher_forced(memory, batch.target_in, generator=generator)[0]
