"""Vectors collected from trained models: embedding rows, encoder summaries, a char model's hidden states.

Every function reads the model under inference mode and never changes it (a model cached by the
app is shared by every session).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import torch

from rnnviz.charlm.model import CharLM, prepare_text
from rnnviz.charlm.trace import MAX_TRACE_CHARS, trace_text
from rnnviz.data.languages import analyze_brackets
from rnnviz.data.pairs import encode_source, tokenize
from rnnviz.data.text import Vocabulary
from rnnviz.embeddings.projection import EmbeddingError
from rnnviz.seq2seq.decoding import evaluating
from rnnviz.seq2seq.translator import Prepared, Translator

SIDES = ("source", "target")
BATCH_SIZE = 256


@dataclass(frozen=True, eq=False)
class WordVectors:
    """A vocabulary's embedding rows, special tokens left out, most frequent word first."""

    words: list[str]
    vectors: np.ndarray  # (N, E)
    rows: np.ndarray  # (N,) the row of each word in the embedding matrix (its vocabulary id)
    language: str


def word_vectors(translator: Translator, side: str = "source") -> WordVectors:
    """The source (encoder) or target (decoder) embedding matrix of a translator, one row per word."""
    if side not in SIDES:
        raise EmbeddingError(f"the side must be 'source' or 'target', got {side!r}")
    vocab = translator.source_vocab if side == "source" else translator.target_vocab
    layer = translator.model.encoder.embedding if side == "source" else translator.model.embedding
    return vocabulary_vectors(vocab, layer.weight, translator.source_language if side == "source" else translator.target_language)


def vocabulary_vectors(vocab: Vocabulary | None, weight: torch.Tensor, language: str = "") -> WordVectors:
    """Rows of `weight` (V, E) for the vocabulary's ordinary tokens; EmbeddingError without a vocabulary."""
    if vocab is None or not len(vocab):
        raise EmbeddingError("this model has no vocabulary, so its rows have no words: choose another model")
    if weight.shape[0] != len(vocab):
        raise EmbeddingError(f"the vocabulary has {len(vocab)} tokens but the embedding {weight.shape[0]} rows")
    rows = np.array([i for i, token in enumerate(vocab.tokens) if token not in vocab.specials], dtype=np.int64)
    with torch.inference_mode():
        matrix = weight.detach().float().cpu().numpy()
    return WordVectors([vocab.tokens[i] for i in rows], matrix[rows].astype(np.float64), rows, language)


def _cut(tokens: list[str], translator: Translator) -> list[str]:
    """Tokens cut to what the encoder accepts (the tutorial's attention has a fixed number of slots)."""
    model = translator.model
    limit = model.max_source_length - 1 if model.attention_kind == "tutorial" else 60
    return tokens[:limit]


def phrase_vectors(translator: Translator, sentences: list[str], batch_size: int = BATCH_SIZE) -> np.ndarray:
    """The encoder's summary vector (Cho et al.'s c) of each prepared sentence: (N, M)."""
    tokens = [_cut(tokenize(sentence, translator.tokens), translator) for sentence in sentences]
    if not tokens:
        return np.zeros((0, translator.model.encoder.output_size))
    if any(not row for row in tokens):
        raise EmbeddingError("an empty phrase has no summary: leave empty lines out")
    summaries = []
    with evaluating(translator.model):
        for start in range(0, len(tokens), batch_size):
            source, lengths = encode_source(tokens[start : start + batch_size], translator.source_vocab)
            device = next(translator.model.parameters()).device
            memory = translator.model.encode(source.to(device), lengths.to(device))
            summaries.append(memory.summary.float().cpu().numpy())  # (B, M)
    return np.concatenate(summaries).astype(np.float64)


@dataclass(frozen=True, eq=False)
class TypedPhrase:
    """A typed sentence prepared as the Translate page does, and its summary vector if it has words."""

    prepared: Prepared
    vector: np.ndarray | None  # (M,) or None when nothing is left after preparation
    notes: list[str] = field(default_factory=list)

    @property
    def all_unknown(self) -> bool:
        """Every word is outside the vocabulary (the vector says nothing about the words)."""
        return bool(self.prepared.tokens) and all(self.prepared.unknown)


def typed_phrase(translator: Translator, text: object) -> TypedPhrase:
    """Prepare typed text (cap, normalise, flag unknown words) and encode it."""
    prepared = translator.prepare(text)
    if prepared.empty:
        return TypedPhrase(prepared, None, list(prepared.notes))
    vector = phrase_vectors(
        translator, [" ".join(prepared.tokens) if translator.tokens == "words" else "".join(prepared.tokens)]
    )[0]
    return TypedPhrase(prepared, vector, list(prepared.notes))


@dataclass(frozen=True, eq=False)
class StateVectors:
    """A character model's hidden state after each character of a text, with structure labels."""

    text: str
    chars: list[str]
    vectors: np.ndarray  # (T, H)
    depth: np.ndarray  # (T,) open brackets after the character
    in_quote: np.ndarray  # (T,) bool
    unknown: np.ndarray  # (T,) bool


def state_vectors(model: CharLM, vocab: Vocabulary | None, text: str, layer: int = -1, name: str = "hidden") -> StateVectors:
    """Hidden states (or the LSTM's cell state with name="cell") of `layer` at every character of `text`."""
    if vocab is None:
        raise EmbeddingError("this model has no vocabulary: choose another model")
    text = prepare_text(text if isinstance(text, str) else str(text))[:MAX_TRACE_CHARS]
    if len(text) < 2:
        raise EmbeddingError("type at least a few characters: each one gives one point of the map")
    trace = trace_text(model, vocab, text)
    states = trace.layers[layer].states
    if name not in states:
        raise EmbeddingError(f"a {trace.kind} cell has no {name!r}; choose one of {', '.join(states)}")
    depth, in_quote = analyze_brackets(text)
    return StateVectors(text, list(text), states[name].astype(np.float64), depth, in_quote, trace.unknown)


def model_digest(model: torch.nn.Module) -> str:
    """A short hash of a model's weights and config: the cache key of its vectors and maps."""
    hasher = hashlib.sha256(repr(getattr(model, "config", type(model).__name__)).encode())
    with torch.inference_mode():
        for name, value in sorted(model.state_dict().items()):
            hasher.update(name.encode())
            hasher.update(value.detach().float().cpu().numpy().tobytes())
    return hasher.hexdigest()[:24]
