"""Character-level language models: characters -> embedding (or one-hot) -> Recurrent -> next character.

`CharLM` trains on the fused fast path; `rnnviz.charlm.trace` runs a typed text through its
explicit cells.
Training lives in `rnnviz.charlm.train`; the command line in `rnnviz.charlm.cli`
(`python -m rnnviz.charlm train --corpus brackets --cell lstm --seconds 60 --out FILE`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from rnnviz.core.randomness import embedding, linear
from rnnviz.core.recurrent import Recurrent
from rnnviz.core.validation import check_positive_int, require_int
from rnnviz.data.text import UNK, Vocabulary, clean_unicode


class CharLM(nn.Module):
    """Next-character model: embedding (or one-hot when embedding_size=0), recurrent layers, linear readout.

    `generator` draws the initial weights (torch's global generator when None).
    """

    def __init__(self, kind: str, vocab_size: int, hidden_size: int = 128, num_layers: int = 1,
                 embedding_size: int = 32, *, generator: torch.Generator | None = None,
                 **cell_options: Any) -> None:
        super().__init__()
        self.vocab_size = check_positive_int(vocab_size, "vocab_size")
        self.embedding_size = require_int("embedding_size", embedding_size, minimum=0)
        self.embedding = (embedding(self.vocab_size, self.embedding_size, generator=generator)
                          if self.embedding_size else None)
        input_size = self.embedding_size or self.vocab_size
        self.recurrent = Recurrent(kind, input_size, hidden_size, num_layers, False, generator=generator,
                                   **cell_options)
        self.head = linear(self.recurrent.hidden_size, self.vocab_size, generator=generator)

    @property
    def kind(self) -> str:
        """The cell kind: "rnn", "lstm", "gru", "sru", ..."""
        return self.recurrent.kind

    @property
    def config(self) -> dict[str, Any]:
        """Plain data that rebuilds this model (see `rnnviz.io.registry`)."""
        return {"model": "charlm", "kind": self.kind, "vocab_size": self.vocab_size,
                "hidden_size": self.recurrent.hidden_size, "num_layers": self.recurrent.num_layers,
                "embedding_size": self.embedding_size, "cell_options": dict(self.recurrent.cell_options)}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> CharLM:
        """Rebuild from `config`."""
        return cls(config["kind"], config["vocab_size"], config["hidden_size"], config["num_layers"],
                   config["embedding_size"], **config.get("cell_options", {}))

    def embed(self, ids: Tensor) -> Tensor:
        """Ids (B, T) -> inputs of the first recurrent layer (B, T, I)."""
        if ids.dtype not in (torch.int64, torch.int32) or ids.dim() != 2:
            raise ValueError(f"ids must be an integer tensor of shape (batch, time), got {ids.dtype} {tuple(ids.shape)}")
        if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= self.vocab_size):
            raise ValueError(f"ids must lie in [0, {self.vocab_size}); encode text with the model's vocabulary")
        if self.embedding is not None:
            return self.embedding(ids)
        return nn.functional.one_hot(ids.long(), self.vocab_size).to(self.head.weight.dtype)

    def forward(self, ids: Tensor, state: list | None = None, *, trace: bool = False):
        """Logits (B, T, V) for the character after each position, and the recurrent layer's output."""
        result = self.recurrent(self.embed(ids), state, trace=trace)
        return self.head(result.output), result


def prepare_text(text: str) -> str:
    """The text as the model reads it: Unicode clean-up (NFKC) and Windows/Mac line ends made '\\n'."""
    if not isinstance(text, str):
        raise ValueError(f"text must be a str, got {type(text).__name__}")
    return clean_unicode(text.replace("\r\n", "\n").replace("\r", "\n"))


def encode(vocab: Vocabulary, text: str) -> tuple[Tensor, np.ndarray]:
    """Ids (1, T) of the characters of `text`, and which of them are unknown (T,) bool."""
    ids = vocab.encode(text)
    unknown = np.array(vocab.unknown(text), dtype=bool) if text else np.zeros(0, dtype=bool)
    return torch.tensor([ids], dtype=torch.int64), unknown


def bits_per_char(model: CharLM, vocab: Vocabulary, text: str, *, window: int = 256,
                  batch_size: int = 32) -> float:
    """Mean -log2 p(next char) over `text`, read in windows of `window` characters from a zero state."""
    window = require_int("window", window, minimum=2)
    if len(text) < 2:
        raise ValueError("bits per character needs a text of at least 2 characters")
    ids = torch.tensor(vocab.encode(text), dtype=torch.int64)
    pieces = [ids[start:start + window] for start in range(0, len(ids) - 1, window - 1)]
    pieces = [piece for piece in pieces if len(piece) >= 2]  # each target is predicted exactly once
    full = [piece for piece in pieces if len(piece) == window]
    batches = [torch.stack(full[i:i + batch_size]) for i in range(0, len(full), batch_size)]
    batches += [piece.unsqueeze(0) for piece in pieces if len(piece) < window]  # the short tail
    total_bits, count = 0.0, 0
    with torch.inference_mode():
        for batch in batches:  # (B, L)
            logits, _ = model(batch[:, :-1])
            loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(),
                                               batch[:, 1:].reshape(-1), reduction="sum")
            total_bits += float(loss) / math.log(2)
            count += batch[:, 1:].numel()
    return total_bits / count


def sample_text(model: CharLM, vocab: Vocabulary, prefix: str, length: int, *, temperature: float = 1.0,
                seed: int | None = 0) -> str:
    """`length` characters drawn one at a time after `prefix` (never <unk> or another special token)."""
    length = require_int("length", length, minimum=0, maximum=100_000)
    if not (isinstance(temperature, (int, float)) and math.isfinite(temperature) and temperature > 0):
        raise ValueError(f"temperature must be a number > 0, got {temperature!r}")
    generator = torch.Generator()
    generator.manual_seed(seed) if seed is not None else generator.seed()
    banned = torch.tensor([token in vocab.specials for token in vocab.tokens])
    prefix = prepare_text(prefix) or "\n"
    out: list[str] = []
    with torch.inference_mode():
        logits, result = model(encode(vocab, prefix)[0])
        state = result.state
        for _ in range(length):
            scores = (logits[0, -1].float() / temperature).masked_fill(banned, -math.inf)
            index = int(torch.multinomial(torch.softmax(scores, dim=-1), 1, generator=generator))
            out.append(vocab.tokens[index])
            logits, result = model(torch.tensor([[index]]), state)
            state = result.state
    return "".join(out)


def char_vocabulary(text: str) -> Vocabulary:
    """Every character of `text`, most frequent first, plus <unk> for the ones it lacks."""
    return Vocabulary.build([text], specials=(UNK,))
