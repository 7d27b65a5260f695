"""The models of the five input/output types, all built from `Recurrent`, weights from the run's generator.

- `SequenceModel` (rnnviz.training.tasks): vectors in, a readout at every step (one to one, many to one,
  many to many aligned); `EmbeddedSequenceModel` puts an embedding of token ids in front of it.
- `CharDecoder`: the decoder of one to many and of the encoder–decoder: it reads its previous output
  character and writes the next; `teacher_forced` runs every step in one fused call, `free_running`
  and `mixed` one step at a time, feeding back the model's own choice.
- `Captioner` (one to many: one vector sets h_0) and `EncoderDecoder` (a source read by an encoder).

`build_seeded(factory, seed)` builds a model on the meta device and fills every weight from a
`torch.Generator` seeded by `seed`, so torch's global generator is never drawn from.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import torch
from torch import Tensor, nn

from rnnviz.core.cells import Cell, SRUCell, State
from rnnviz.core.kinds import kind_info
from rnnviz.core.recurrent import Recurrent
from rnnviz.core.validation import check_positive_int
from rnnviz.training.tasks import SequenceModel

IGNORE_INDEX = -100  # targets past the end of a shorter sequence (F.cross_entropy's ignore_index)
ModelT = TypeVar("ModelT", bound=nn.Module)


def _uniform_(tensor: Tensor, bound: float, generator: torch.Generator) -> None:
    """Fill `tensor` in place with U(-bound, bound) drawn from `generator`."""
    tensor.copy_((torch.rand(tensor.shape, generator=generator) * 2 - 1) * bound)


@torch.no_grad()
def initialize_weights(model: nn.Module, generator: torch.Generator) -> None:
    """PyTorch's default initialization of every weight, drawn from `generator`, in module order."""
    done: set[int] = set()
    for module in model.modules():
        own = list(module.named_parameters(recurse=False))
        if isinstance(module, Cell):
            for name, parameter in own:
                if isinstance(module, SRUCell) and name == "bias":
                    parameter.zero_()
                else:
                    _uniform_(parameter, 1.0 / math.sqrt(module.hidden_size), generator)
        elif isinstance(module, nn.Linear):
            for _, parameter in own:
                _uniform_(parameter, 1.0 / math.sqrt(module.in_features), generator)
        elif isinstance(module, nn.Embedding):
            module.weight.copy_(torch.randn(module.weight.shape, generator=generator))
            if module.padding_idx is not None:
                module.weight[module.padding_idx].zero_()
        else:
            continue
        done.update(id(parameter) for _, parameter in own)
    missed = [name for name, parameter in model.named_parameters() if id(parameter) not in done]
    if missed:
        raise ValueError(f"initialize_weights does not know how to fill {', '.join(missed)}")


def build_seeded(factory: Callable[[], ModelT], seed: int) -> ModelT:
    """`factory()` built without drawing from torch's global generator, weights from a generator seeded by `seed`."""
    with torch.device("meta"):
        model = factory()
    model = model.to_empty(device="cpu")
    initialize_weights(model, torch.Generator().manual_seed(seed))
    return model


class EmbeddedSequenceModel(nn.Module):
    """Token ids (B, T) through an embedding, then `SequenceModel` (a readout at every step)."""

    def __init__(self, kind: str, vocabulary_size: int, embedding_size: int, hidden_size: int, output_size: int,
                 num_layers: int = 1) -> None:
        super().__init__()
        self.vocabulary_size = check_positive_int(vocabulary_size, "vocabulary_size")
        self.embedding = nn.Embedding(self.vocabulary_size, check_positive_int(embedding_size, "embedding_size"),
                                      padding_idx=0)
        self.sequence = SequenceModel(kind, embedding_size, hidden_size, output_size, num_layers)

    @property
    def config(self) -> dict[str, Any]:
        """Plain data that rebuilds this model."""
        recurrent = self.sequence.recurrent
        return {"model": "unrolled-embedded-sequence", "kind": recurrent.kind,
                "vocabulary_size": self.vocabulary_size, "embedding_size": self.embedding.embedding_dim,
                "hidden_size": recurrent.hidden_size, "output_size": self.sequence.output_size,
                "num_layers": recurrent.num_layers}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> EmbeddedSequenceModel:
        """Rebuild from `config`."""
        return cls(config["kind"], config["vocabulary_size"], config["embedding_size"], config["hidden_size"],
                   config["output_size"], config["num_layers"])

    def run(self, ids: Tensor) -> tuple[Tensor, Tensor]:
        """(readout (B, T, C), hidden states of the last layer (B, T, H)) for ids (B, T)."""
        readout, result = self.sequence.run(self.embedding(ids))  # (B, T, C)
        return readout, result.output

    def forward(self, ids: Tensor) -> Tensor:
        """Readout (B, T, C) at every step."""
        return self.run(ids)[0]


@dataclass(frozen=True)
class Decoded:
    """What a decoder wrote: logits, the ids it chose, its hidden states and final state."""

    logits: Tensor  # (B, U, V)
    ids: Tensor  # (B, U) argmax of the logits
    hidden: Tensor  # (B, U, H) last layer
    state: list[State]


@dataclass(frozen=True)
class DecoderStart:
    """Where a decoder starts: its initial state, and a context vector it reads at every step (or None)."""

    state: list[State]  # per decoder layer
    context: Tensor | None  # (B, C): the encoder's summary (Cho et al. 2014), None for the one-to-many model

    @property
    def batch_size(self) -> int:
        """B."""
        first = self.state[0]
        return (first[0] if isinstance(first, tuple) else first).shape[0]  # LSTM: (h, c)


def state_from_vector(recurrent: Recurrent, vector: Tensor) -> list[State]:
    """A state for every layer of `recurrent` whose hidden part is `vector` (B, H); cell memories start at 0."""
    info = kind_info(recurrent.kind)
    if info.state_names == ("hidden", "cell"):
        return [(vector, torch.zeros_like(vector)) for _ in recurrent.cells]
    return [vector for _ in recurrent.cells]  # ("hidden",), or SRU's ("cell",)


class CharDecoder(nn.Module):
    """Reads the previous output character (a start symbol first), and a context if any, and writes the next."""

    def __init__(self, kind: str, vocabulary_size: int, embedding_size: int, hidden_size: int,
                 num_layers: int = 1, context_size: int = 0) -> None:
        super().__init__()
        self.vocabulary_size = check_positive_int(vocabulary_size, "vocabulary_size")
        self.context_size = int(context_size)
        self.start_id = self.vocabulary_size  # an input-only id: the decoder never writes it
        self.embedding = nn.Embedding(self.vocabulary_size + 1, check_positive_int(embedding_size, "embedding_size"))
        self.recurrent = Recurrent(kind, embedding_size + self.context_size, hidden_size, num_layers)
        self.head = nn.Linear(self.recurrent.output_size, self.vocabulary_size)

    def previous_of(self, targets: Tensor) -> Tensor:
        """The teacher-forced inputs (B, U): the start id, then targets[:, :-1] (padding read as id 0)."""
        start = targets.new_full((targets.shape[0], 1), self.start_id)
        return torch.cat([start, targets[:, :-1].clamp(min=0)], dim=1)  # (B, U)

    def inputs_of(self, previous: Tensor, context: Tensor | None) -> Tensor:
        """(B, U, E [+ C]): the embedded previous ids (B, U), the context appended at every step."""
        embedded = self.embedding(previous)  # (B, U, E)
        if context is None:
            return embedded
        return torch.cat([embedded, context.unsqueeze(1).expand(-1, previous.shape[1], -1)], dim=2)

    def teacher_forced(self, start: DecoderStart, targets: Tensor) -> Decoded:
        """All U steps in one fused call, each reading the true previous character of targets (B, U)."""
        result = self.recurrent(self.inputs_of(self.previous_of(targets), start.context), start.state)
        logits = self.head(result.output)  # (B, U, V)
        return Decoded(logits, logits.argmax(dim=-1), result.output, result.state)

    def step(self, state: list[State], previous: Tensor, context: Tensor | None) -> tuple[Tensor, Tensor, list[State]]:
        """One step: (logits (B, V), hidden (B, H), next state) after reading ids `previous` (B,)."""
        result = self.recurrent(self.inputs_of(previous.unsqueeze(1), context), state)  # output (B, 1, H)
        return self.head(result.output[:, 0]), result.output[:, 0], result.state

    def mixed(self, start: DecoderStart, targets: Tensor, feed_truth: Tensor) -> Decoded:
        """Step by step; where feed_truth (B, U) is True read the true previous character, else the model's own."""
        if bool(feed_truth.all()):
            return self.teacher_forced(start, targets)
        return self._loop(start, targets.shape[1], self.previous_of(targets), feed_truth, stop_at=None)

    def free_running(self, start: DecoderStart, steps: int, stop_at: int | None = None) -> Decoded:
        """Up to `steps` steps, each reading the model's own previous choice; stops once every row wrote `stop_at`."""
        return self._loop(start, check_positive_int(steps, "steps"), None, None, stop_at)

    def _loop(self, start: DecoderStart, steps: int, truth: Tensor | None, feed_truth: Tensor | None,
              stop_at: int | None) -> Decoded:
        """The sequential decoder: each step needs the choice of the step before."""
        state, previous = start.state, torch.full((start.batch_size,), self.start_id, dtype=torch.long)
        logits, hidden, finished = [], [], torch.zeros(start.batch_size, dtype=torch.bool)
        for t in range(steps):
            if truth is not None and feed_truth is not None and t > 0:
                previous = torch.where(feed_truth[:, t], truth[:, t], previous)
            step_logits, step_hidden, state = self.step(state, previous, start.context)
            logits.append(step_logits)
            hidden.append(step_hidden)
            previous = step_logits.detach().argmax(dim=-1)  # (B,) the model's own choice
            if stop_at is not None:
                finished |= previous == stop_at
                if bool(finished.all()):
                    break
        stacked = torch.stack(logits, dim=1)  # (B, U, V)
        return Decoded(stacked, stacked.argmax(dim=-1), torch.stack(hidden, dim=1), state)


class Captioner(nn.Module):
    """One to many: one input vector sets h_0 = tanh(W x + b), then `CharDecoder` writes the sequence."""

    def __init__(self, kind: str, input_size: int, vocabulary_size: int, embedding_size: int,
                 hidden_size: int) -> None:
        super().__init__()
        self.input_size = check_positive_int(input_size, "input_size")
        self.bridge = nn.Linear(self.input_size, check_positive_int(hidden_size, "hidden_size"))
        self.decoder = CharDecoder(kind, vocabulary_size, embedding_size, hidden_size)

    @property
    def config(self) -> dict[str, Any]:
        """Plain data that rebuilds this model."""
        decoder = self.decoder
        return {"model": "unrolled-captioner", "kind": decoder.recurrent.kind, "input_size": self.input_size,
                "vocabulary_size": decoder.vocabulary_size, "embedding_size": decoder.embedding.embedding_dim,
                "hidden_size": decoder.recurrent.hidden_size}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Captioner:
        """Rebuild from `config`."""
        return cls(config["kind"], config["input_size"], config["vocabulary_size"], config["embedding_size"],
                   config["hidden_size"])

    def initial_state(self, sources: Tensor) -> tuple[DecoderStart, Tensor | None]:
        """(the decoder's start from sources (B, F): h_0 = tanh(W x + b), no context; no encoder states)."""
        return DecoderStart(state_from_vector(self.decoder.recurrent, torch.tanh(self.bridge(sources))), None), None


class EncoderDecoder(nn.Module):
    """Many to many, unaligned (Cho et al. 2014): an encoder reads the source; its summary c starts the decoder.

    h'_0 = tanh(W c + b), and the decoder reads c again at every step next to its previous character.
    """

    def __init__(self, kind: str, source_vocabulary_size: int, target_vocabulary_size: int, embedding_size: int,
                 hidden_size: int, num_layers: int = 1) -> None:
        super().__init__()
        self.source_vocabulary_size = check_positive_int(source_vocabulary_size, "source_vocabulary_size")
        self.embedding = nn.Embedding(self.source_vocabulary_size, check_positive_int(embedding_size,
                                                                                       "embedding_size"), padding_idx=0)
        self.encoder = Recurrent(kind, embedding_size, hidden_size, num_layers)
        self.bridge = nn.Linear(hidden_size, hidden_size)
        self.decoder = CharDecoder(kind, target_vocabulary_size, embedding_size, hidden_size, num_layers,
                                   context_size=hidden_size)

    @property
    def config(self) -> dict[str, Any]:
        """Plain data that rebuilds this model."""
        return {"model": "unrolled-encoder-decoder", "kind": self.encoder.kind,
                "source_vocabulary_size": self.source_vocabulary_size,
                "target_vocabulary_size": self.decoder.vocabulary_size,
                "embedding_size": self.embedding.embedding_dim, "hidden_size": self.encoder.hidden_size,
                "num_layers": self.encoder.num_layers}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> EncoderDecoder:
        """Rebuild from `config`."""
        return cls(config["kind"], config["source_vocabulary_size"], config["target_vocabulary_size"],
                   config["embedding_size"], config["hidden_size"], config["num_layers"])

    def initial_state(self, sources: Tensor) -> tuple[DecoderStart, Tensor]:
        """(the decoder's start after the encoder read ids (B, S), padded on the left; encoder states (B, S, H))."""
        outputs = self.encoder(self.embedding(sources)).output  # (B, S, H)
        summary = outputs[:, -1]  # (B, H): the last step, the end of every source
        start = DecoderStart(state_from_vector(self.decoder.recurrent, torch.tanh(self.bridge(summary))), summary)
        return start, outputs
