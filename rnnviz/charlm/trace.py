"""A typed text through a CharLM's explicit cells: every gate and state at every character.

`trace_text` returns, per layer, every gate and state at every character, the next-character
probabilities and the model's surprise in bits, as NumPy arrays (the model is not changed).
`explain_char` gives the lecture's equations of one unit at one character with the numbers in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from rnnviz.charlm.model import CharLM, encode
from rnnviz.core.kinds import TABLE, kind_info
from rnnviz.core.validation import check_positive_int, require_int
from rnnviz.data.text import Vocabulary
from rnnviz.probes.equations import Equation, explain_traced

MAX_TRACE_CHARS = 20_000  # a trace keeps every gate of every step: cap what one call may ask for

# What the page shows for each kind, in order: the cell's gates and states, then the hidden state.
STATE_NAMES: dict[str, tuple[str, ...]] = {name: kind.traced for name, kind in TABLE.items()}


def value_range(kind: str, name: str) -> tuple[float, float] | None:
    """The range a gate or state of a cell kind lies in, or None when it is unbounded."""
    return kind_info(kind).value_range(name)


@dataclass(frozen=True, eq=False)
class LayerTrace:
    """One layer's view of a text: what it read and every gate and state, each (T, H) or (T, I)."""

    inputs: np.ndarray  # (T, I): x_t of this layer (embedding, or the layer below's h_t)
    states: dict[str, np.ndarray]  # name -> (T, H), in STATE_NAMES order ("hidden" last)


@dataclass(frozen=True, eq=False)
class TextTrace:
    """A text run through a CharLM: gates and states per layer, next-character predictions, surprise."""

    text: str
    kind: str
    tokens: tuple[str, ...]  # the vocabulary: probabilities[:, j] is the chance of tokens[j]
    ids: np.ndarray  # (T,) int64
    unknown: np.ndarray  # (T,) bool: the model never saw this character (read as <unk>)
    layers: list[LayerTrace]
    probabilities: np.ndarray  # (T, V): the next character after position t
    surprise_bits: np.ndarray  # (T,): -log2 p(char t | chars before t); NaN at t=0 and for unknown chars

    @property
    def chars(self) -> list[str]:
        """The text's characters, one per time step."""
        return list(self.text)

    def state(self, name: str, layer: int = 0) -> np.ndarray:
        """One gate or state of one layer, (T, H)."""
        if not 0 <= layer < len(self.layers):
            raise ValueError(f"layer must be between 0 and {len(self.layers) - 1}, got {layer}")
        states = self.layers[layer].states
        if name not in states:
            raise ValueError(f"a {self.kind} cell has no {name!r}; choose one of {', '.join(states)}")
        return states[name]

    def top_k(self, k: int = 5) -> tuple[list[list[str]], np.ndarray]:
        """The k likeliest next characters after each position, (T lists of k) and their probabilities (T, k)."""
        k = min(check_positive_int(k, "k"), self.probabilities.shape[1])
        order = np.argsort(-self.probabilities, axis=1, kind="stable")[:, :k]  # (T, k)
        chars = [[self.tokens[j] for j in row] for row in order]
        return chars, np.take_along_axis(self.probabilities, order, axis=1)

    def mean_bits(self) -> float:
        """Mean surprise over the characters that have one (bits per character), NaN if none."""
        known = self.surprise_bits[~np.isnan(self.surprise_bits)]
        return float(known.mean()) if known.size else math.nan


def trace_text(model: CharLM, vocab: Vocabulary, text: str) -> TextTrace:
    """Run `text` through the explicit cells of `model` without changing it; see `TextTrace`.

    The text is read from a zero state, as in training. Characters outside the vocabulary
    are read as <unk> (flagged in `unknown`); empty text is refused with a ValueError.
    """
    if not isinstance(model, CharLM):
        raise ValueError(f"model must be a CharLM, got {type(model).__name__}")
    if len(vocab) != model.vocab_size:
        raise ValueError(f"the vocabulary has {len(vocab)} tokens but the model expects {model.vocab_size}")
    if not isinstance(text, str) or not text:
        raise ValueError("the text is empty: type at least one character")
    if len(text) > MAX_TRACE_CHARS:
        raise ValueError(f"the text has {len(text):,} characters; trace at most {MAX_TRACE_CHARS:,} at once")
    ids, unknown = encode(vocab, text)
    with torch.inference_mode():
        inputs = model.embed(ids)  # (1, T, I)
        logits, result = model(ids, trace=True)
        log_probs = torch.log_softmax(logits[0].float(), dim=-1)  # (T, V)
    layers = []
    layer_input = inputs[0]
    for layer_trace in result.trace:
        direction = layer_trace["forward"]
        states = {name: values[0].numpy() for name, values in direction.gates.items()}
        hidden = direction.hidden[0]
        states["hidden"] = hidden.numpy()
        ordered = {name: states[name] for name in STATE_NAMES[model.kind]}
        layers.append(LayerTrace(inputs=layer_input.numpy(), states=ordered))
        layer_input = hidden
    return TextTrace(text=text, kind=model.kind, tokens=tuple(vocab.tokens), ids=ids[0].numpy(),
                     unknown=unknown, layers=layers, probabilities=log_probs.exp().numpy(),
                     surprise_bits=surprise(log_probs.numpy(), ids[0].numpy(), unknown))


def surprise(log_probs: np.ndarray, ids: np.ndarray, unknown: np.ndarray) -> np.ndarray:
    """-log2 p(x_t | x_<t) per character from the predictions made one step earlier: (T,), NaN where undefined."""
    bits = np.full(len(ids), np.nan)
    if len(ids) > 1:
        bits[1:] = -log_probs[np.arange(len(ids) - 1), ids[1:]] / math.log(2)
    bits[unknown] = np.nan  # <unk> is never a target: its probability says nothing
    return bits




def explain_char(model: CharLM, trace: TextTrace, layer: int, t: int, unit: int) -> list[Equation]:
    """The equations of `unit` at character `t` of `layer`, with the traced numbers, in the lecture's order."""
    layer = require_int("layer", layer, minimum=0, maximum=len(trace.layers) - 1)
    t = require_int("t (the character position)", t, minimum=0, maximum=len(trace.text) - 1)
    cell = model.recurrent.cell(layer)
    if cell.kind != trace.kind:
        raise ValueError(f"the trace comes from a {trace.kind} model, this model is {cell.kind}")
    states = trace.layers[layer].states
    return explain_traced(cell, trace.layers[layer].inputs, states["hidden"], states.get("cell"), t, unit)
