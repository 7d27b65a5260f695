"""What the five input/output tasks share: the task interface, `run`'s per-step result, training through `fit`.

Every task says what real application of the lecture's "Types" slide it stands for, its input
and output shapes, a held-out metric with a target, and defaults that reach the target within
seconds on a laptop CPU. `train(task, seed=...)` is the one place that calls
`rnnviz.training.fit`; `train_config` the one place that builds a `TrainConfig`.
"""

from __future__ import annotations

import contextlib
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnviz.core.kinds import KINDS
from rnnviz.core.validation import require_choice, require_int
from rnnviz.data.tasks import TaskBatch
from rnnviz.data.text import cap_text
from rnnviz.training.loop import LossFunction, StepInfo, TrainConfig, TrainResult, fit

MAX_HIDDEN_SIZE = 512  # bigger models train too slowly for a live demo
MAX_STEPS = 1000  # T: longer sequences make a live CPU demo crawl
EVALUATION_SEED = 1_000_003  # the held-out data, the same for every run
IO_TYPES = ("one-to-one", "one-to-many", "many-to-one", "many-to-many-aligned", "encoder-decoder")


@dataclass(frozen=True)
class StepOutputs:
    """One input through a model, step by step: what a page puts on the unrolled graph."""

    io_type: str  # one of IO_TYPES
    initial: str | None  # what set h_0 (one to many: the input), None when h_0 = 0
    inputs: tuple[str, ...]  # (T,) what enters each step
    outputs: tuple[str | None, ...]  # (T,) what each step outputs; None where the task reads nothing out
    truth: tuple[str | None, ...]  # (T,) the right output where it is known, else None
    values: Tensor  # (T, C) readout at every step (probabilities, or the value); NaN rows: no readout
    classes: tuple[str, ...]  # (C,) what each column of `values` is
    hidden: Tensor  # (T, H) hidden state of the last layer after each step
    feedback: tuple[bool, ...]  # (T,) the step reads the model's own previous output
    unknown: tuple[bool, ...]  # (T,) the step's input was never seen in training and is read as unknown
    answer: str  # the whole output, as text
    notes: tuple[str, ...] = ()  # what was changed about the input (cut, unknown characters)

    @property
    def num_steps(self) -> int:
        """T, the number of unrolled steps."""
        return len(self.inputs)


@dataclass(frozen=True)
class Defaults:
    """Settings that reach the task's target within seconds on a 2-core laptop (see bench/unrolled_tasks.py)."""

    hidden_size: int
    steps: int
    learning_rate: float
    batch_size: int
    kind: str = "gru"
    clip: str = "norm"
    clip_threshold: float = 1.0
    optimizer: str = "adam"
    weight_decay: float = 0.0


class IOTask(ABC):
    """One of the lecture's five input/output types as a small task a page can train and run."""

    io_type: ClassVar[str]  # one of IO_TYPES
    name: ClassVar[str]  # the toy task
    application: ClassVar[str]  # the real application the slide names, in a sentence or two
    description: ClassVar[str]  # the toy task, in a sentence
    shapes: ClassVar[str]  # input and output shapes
    metric: ClassVar[str]  # what `evaluate` returns, e.g. "accuracy on 1,000 held-out images"
    target: ClassVar[float]  # the value of the metric a trained model reaches
    example: ClassVar[str]  # an input for `run`
    defaults: ClassVar[Defaults]

    @abstractmethod
    def build_model(self, seed: int, kind: str, hidden_size: int) -> nn.Module:
        """A fresh model, every weight drawn from a generator seeded by `seed`; arguments already checked."""

    @abstractmethod
    def sampler(self, batch_size: int) -> Callable[[torch.Generator], Any]:
        """Training batches for `fit`, drawn from the run's generator."""

    @abstractmethod
    def loss_function(self, model: nn.Module) -> LossFunction:
        """(batch, tbptt) -> (loss, {"accuracy": ...}) for `fit`."""

    @abstractmethod
    def evaluate(self, model: nn.Module) -> float:
        """The metric on the fixed held-out data."""

    @abstractmethod
    def run(self, model: nn.Module, text: str) -> StepOutputs:
        """Outputs per step for an input a person typed; ValueError with a message for bad input."""

    def model(self, seed: int = 0, kind: str | None = None, hidden_size: int | None = None) -> nn.Module:
        """A fresh model with the task's default kind and size unless given."""
        kind = require_choice("kind", self.defaults.kind if kind is None else kind, KINDS)
        hidden_size = require_int("hidden_size", self.defaults.hidden_size if hidden_size is None else hidden_size,
                                  minimum=1, maximum=MAX_HIDDEN_SIZE, why="bigger models train too slowly here")
        return self.build_model(require_int("seed", seed, minimum=0), kind, hidden_size)


@dataclass
class Evaluation:
    """The held-out metric at one step of training."""

    step: int
    seconds: float  # training time until this step, evaluations excluded
    value: float


class TargetWatch:
    """A `fit` callback: the held-out metric every `every` steps and at the last; when it first reached the target."""

    def __init__(self, task: IOTask, model: nn.Module, every: int) -> None:
        self.task, self.model = task, model
        self.every = require_int("evaluate_every", every, minimum=1)
        self.evaluations: list[Evaluation] = []
        self._evaluation_seconds = 0.0

    def on_step_end(self, info: StepInfo) -> None:
        """Evaluate on the held-out data when due."""
        if info.step % self.every and info.step != info.steps:
            return
        started = time.perf_counter()
        with torch.no_grad():
            value = self.task.evaluate(self.model)
        self.evaluations.append(Evaluation(info.step, info.seconds - self._evaluation_seconds, value))
        self._evaluation_seconds += time.perf_counter() - started

    @property
    def reached(self) -> Evaluation | None:
        """The first evaluation at or above the target, or None."""
        return next((e for e in self.evaluations if e.value >= self.task.target), None)


@dataclass
class Trained:
    """A trained model, how training ended, and the held-out metric along the way."""

    model: nn.Module
    result: TrainResult
    metric: float  # held-out, after training
    evaluations: list[Evaluation] = field(default_factory=list)
    seconds_to_target: float | None = None  # training seconds until the metric first reached the target

    @property
    def losses(self) -> list[float]:
        """Training loss per step."""
        return [info.loss for info in self.result.history]


def train_config(task: IOTask, seed: int = 0, **overrides: Any) -> TrainConfig:
    """The task's default TrainConfig for a run seeded by `seed`, with `overrides` (e.g. steps=50)."""
    defaults = task.defaults
    config = TrainConfig(steps=defaults.steps, learning_rate=defaults.learning_rate, optimizer=defaults.optimizer,
                         weight_decay=defaults.weight_decay, clip=defaults.clip, clip_threshold=defaults.clip_threshold,
                         seed=require_int("seed", seed, minimum=0))
    return replace(config, **overrides).validate()


@contextlib.contextmanager
def flush_denormals() -> Iterator[None]:
    """Treat subnormal floats as 0 in this thread while training, then switch it back off (threads start off).

    Gradients that vanish through a few hundred steps pass through the subnormal range, where a CPU
    computes many times slower: a 200-word review trained three times slower without this.
    The setting is per thread, so other sessions' threads are untouched.
    """
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(False)


def train(task: IOTask, *, seed: int = 0, model: nn.Module | None = None, config: TrainConfig | None = None,
          batch_size: int | None = None, callbacks: Iterable[Any] = (), stop: threading.Event | None = None,
          evaluate_every: int | None = None) -> Trained:
    """Train `task`'s model (a fresh one from `seed` unless given) through `rnnviz.training.fit`."""
    model = task.model(seed) if model is None else model
    config = train_config(task, seed) if config is None else config
    batch_size = require_int("batch_size", task.defaults.batch_size if batch_size is None else batch_size,
                             minimum=1, maximum=4096)
    watch = TargetWatch(task, model, evaluate_every or max(1, config.steps // 10))
    with flush_denormals():
        result = fit(model.parameters(), task.loss_function(model), task.sampler(batch_size), config,
                     callbacks=[*callbacks, watch], stop=stop)
    final = watch.evaluations[-1].value if watch.evaluations and result.status == "finished" else None
    if final is None:
        with torch.no_grad():
            final = task.evaluate(model)
    reached = watch.reached
    return Trained(model, result, final, watch.evaluations, None if reached is None else reached.seconds)


def masked_classification(predictions: Tensor, batch: TaskBatch) -> tuple[Tensor, dict[str, float]]:
    """Cross-entropy of logits (B, T, C) at the masked positions, and their accuracy."""
    scored, targets = predictions[batch.mask], batch.targets[batch.mask]  # (M, C), (M,)
    accuracy = float((scored.detach().argmax(dim=-1) == targets).float().mean())
    return F.cross_entropy(scored, targets), {"accuracy": accuracy}


def prepare_text(text: object, limit: int, what: str) -> tuple[str, list[str]]:
    """(text cut to `limit` characters, notes); ValueError for a non-string or an empty one."""
    if not isinstance(text, str):
        raise ValueError(f"{what} must be text, got {type(text).__name__}")
    if not text.strip():
        raise ValueError(f"{what} is empty: type something first")
    capped, cut = cap_text(text, limit)
    notes = [f"the input was cut to its first {limit:,} characters (it had {len(text):,})"] if cut else []
    return capped, notes


def unknown_note(symbols: Sequence[str], unknown: Sequence[bool], what: str = "characters") -> list[str]:
    """A note naming the symbols read as unknown, or none."""
    seen = list(dict.fromkeys(symbol for symbol, flag in zip(symbols, unknown) if flag))
    if not seen:
        return []
    shown = ", ".join(repr(symbol) for symbol in seen[:10]) + (" ..." if len(seen) > 10 else "")
    return [f"{len(seen)} {what} the model never saw are read as unknown: {shown}"]


def no_readout(steps: int, classes: int) -> Tensor:
    """NaN rows (steps, classes): steps that read nothing out."""
    return torch.full((steps, classes), float("nan"))
