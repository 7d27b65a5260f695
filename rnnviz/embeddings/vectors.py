"""Vectors collected from trained models: embedding rows, encoder summaries, a char model's hidden states.

Every function reads the model under inference mode and never changes it (a model cached by the
app is shared by every session).
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field, replace

import numpy as np
import torch

from rnnviz.charlm.model import CharLM, prepare_text
from rnnviz.charlm.trace import MAX_TRACE_CHARS, trace_text
from rnnviz.core.randomness import make_generator
from rnnviz.data.languages import analyze_brackets
from rnnviz.data.pairs import encode_source, tokenize
from rnnviz.data.text import Vocabulary
from rnnviz.embeddings.projection import EmbeddingError
from rnnviz.seq2seq.decoding import evaluating
from rnnviz.seq2seq.model import Seq2Seq
from rnnviz.seq2seq.translator import Prepared, Translator

SIDES = ("source", "target")
BATCH_SIZE = 256
REBUILT_START = 0.2  # median correlation of the rows with a rebuilt start above which it is the real start
BARELY_TRAINED = 0.9  # ... above which the rows are mostly their random start (training moved them little)


@dataclass(frozen=True, eq=False)
class WordVectors:
    """A vocabulary's embedding rows, special tokens left out, most frequent word first."""

    words: list[str]
    vectors: np.ndarray  # (N, E)
    rows: np.ndarray  # (N,) the row of each word in the embedding matrix (its vocabulary id)
    language: str
    start: np.ndarray | None = None  # (N, E) each row's random start before training, when it can be rebuilt

    def __getitem__(self, selection: slice) -> WordVectors:
        """The words of `selection` (e.g. the 1,000 most frequent: `words[:1000]`)."""
        start = None if self.start is None else self.start[selection]
        return WordVectors(self.words[selection], self.vectors[selection], self.rows[selection], self.language, start)

    def start_correlation(self) -> float | None:
        """Median over the words of the correlation of each row with its random start (None without a start)."""
        if self.start is None:
            return None
        rows, start = self.vectors - self.vectors.mean(1, keepdims=True), self.start - self.start.mean(1, keepdims=True)
        norms = np.linalg.norm(rows, axis=1) * np.linalg.norm(start, axis=1)
        return float(np.median(np.sum(rows * start, axis=1) / np.where(norms > 0, norms, 1.0)))

    def trained_part(self) -> WordVectors:
        """Each row minus its random start: what training wrote into it. Rows training never changed are left
        out (they have no direction); EmbeddingError without a start or with fewer than 3 changed rows."""
        if self.start is None:
            raise EmbeddingError("this model's random start cannot be rebuilt (unknown seed): map the rows as stored")
        change = self.vectors - self.start  # (N, E)
        keep = np.flatnonzero(np.abs(change).max(axis=1) > 1e-6)
        if len(keep) < 3:
            raise EmbeddingError("training has not changed these rows yet: map the rows as stored, or train longer")
        return WordVectors([self.words[i] for i in keep], change[keep], self.rows[keep], self.language, self.start[keep])


def word_vectors(translator: Translator, side: str = "source") -> WordVectors:
    """The source (encoder) or target (decoder) embedding matrix of a translator, one row per word, with each
    row's random start when the checkpoint's seed rebuilds it."""
    if side not in SIDES:
        raise EmbeddingError(f"the side must be 'source' or 'target', got {side!r}")
    vocab = translator.source_vocab if side == "source" else translator.target_vocab
    layer = translator.model.encoder.embedding if side == "source" else translator.model.embedding
    found = vocabulary_vectors(vocab, layer.weight, getattr(translator, f"{side}_language"))
    start = initial_embeddings(translator).get(side)
    if start is None or start.shape[0] != layer.weight.shape[0]:
        return found
    with_start = replace(found, start=start[found.rows])
    correlation = with_start.start_correlation()
    return with_start if correlation is not None and correlation > REBUILT_START else found


_STARTS: dict[str, dict[str, np.ndarray]] = {}
_STARTS_LOCK = threading.Lock()


def initial_embeddings(translator: Translator) -> dict[str, np.ndarray]:
    """{"source": (V, E), "target": (V', E)}: the embedding matrices a seq2seq model started from, rebuilt by
    drawing its config's weights again from the checkpoint's seed (empty when that is impossible)."""
    config, seed = getattr(translator.model, "config", None), translator.info.get("seed")
    if not isinstance(config, dict) or config.get("model") != "seq2seq" or not isinstance(seed, int):
        return {}
    key = f"{sorted(config.items())!r}:{seed}"
    with _STARTS_LOCK:
        if key not in _STARTS:
            options = {k: v for k, v in config.items() if k not in ("model", "source_vocab_size", "target_vocab_size")}
            try:
                model = Seq2Seq(config["source_vocab_size"], config["target_vocab_size"], **options,
                                generator=make_generator(seed))  # fmt: skip
            except (TypeError, ValueError, KeyError):
                return {}
            with torch.inference_mode():
                _STARTS[key] = {"source": model.encoder.embedding.weight.double().numpy(),
                                "target": model.embedding.weight.double().numpy()}  # fmt: skip
            while len(_STARTS) > 8:
                _STARTS.pop(next(iter(_STARTS)))
        return _STARTS[key]


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
