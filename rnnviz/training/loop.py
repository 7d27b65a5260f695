"""One training loop for every page: callbacks, clipping, truncated BPTT, stop flag, divergence guard.

The loop knows nothing about the model (minGPT style): it gets the parameters, a function
that turns a batch into a loss, and a source of batches. Progress goes to callbacks, so a
page can stream it without this package importing Streamlit.
"""

from __future__ import annotations

import dataclasses
import math
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

import torch
from torch import Tensor, nn

from rnnviz.core.randomness import make_generator
from rnnviz.core.recurrent import check_tbptt
from rnnviz.core.validation import check_positive_int, require_choice
from rnnviz.training.optim import FusedAdam, fused_kernel_available

OPTIMIZERS = ("adam", "sgd", "rmsprop", "adamw")
CLIP_MODES = ("none", "norm", "value")


@dataclass(frozen=True)
class TrainConfig:
    """How to train, for every trainer: steps and time, optimizer, clipping, batches, truncated BPTT, seed.

    The feature settings (gradient lab, char LM, seq2seq) hold one as `train` and check its ranges
    with their own names; change one knob with `config.replace(steps=...)`.
    """

    steps: int = 200
    seconds: float | None = None  # wall-clock budget: `fit` ends ("finished") after the step that crosses it
    learning_rate: float = 1e-2
    optimizer: str = "adam"
    momentum: float = 0.0  # SGD and RMSprop only
    weight_decay: float = 0.0
    clip: str = "none"  # "none" | "norm" | "value"
    clip_threshold: float = 1.0
    batch_size: int = 32  # what the trainer's sampler draws (fit itself takes batches ready-made)
    tbptt: tuple[int, int] | None = None  # (k1, k2): every k1 steps, backpropagate k2 steps
    seed: int | None = 0  # batches (and, in the trainers, weights, dropout, coins); None: fresh entropy

    def __post_init__(self) -> None:
        """Keep tbptt a tuple (a list from JSON or a form is accepted)."""
        if isinstance(self.tbptt, list):
            object.__setattr__(self, "tbptt", tuple(self.tbptt))

    def replace(self, **changes: Any) -> TrainConfig:
        """A copy with some knobs changed."""
        return dataclasses.replace(self, **changes)

    def validate(self) -> TrainConfig:
        """Raise ValueError with a clear message for settings out of range."""
        check_positive_int(self.steps, "steps")
        check_positive_int(self.batch_size, "batch_size")
        require_choice("optimizer", self.optimizer, OPTIMIZERS)
        require_choice("clip", self.clip, CLIP_MODES)
        for name in ("learning_rate", "clip_threshold") + (("seconds",) if self.seconds is not None else ()):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
                raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
        for name in ("momentum", "weight_decay"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not 0 <= value < 1:
                raise ValueError(f"{name} must be a number in [0, 1), got {value!r}")
        check_tbptt(self.tbptt)
        return self


TRAIN_KNOBS = frozenset(f.name for f in dataclasses.fields(TrainConfig))


def replace_settings(settings: Any, **changes: Any) -> Any:
    """A copy of feature settings that hold `train: TrainConfig`; TrainConfig's knobs go into `train`."""
    training = {name: changes.pop(name) for name in list(changes) if name in TRAIN_KNOBS}
    if training:
        changes["train"] = changes.get("train", settings.train).replace(**training)
    return dataclasses.replace(settings, **changes)


@dataclass
class StepInfo:
    """What one optimisation step did; handed to `on_step_end`."""

    step: int  # 1-based
    steps: int  # total planned
    loss: float
    grad_norm: float  # total gradient norm before clipping
    clipped_grad_norm: float  # after clipping
    metrics: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0  # since training began


@dataclass
class TrainResult:
    """How a run ended: "finished", "stopped" or "diverged", with its history."""

    status: str
    steps_done: int
    history: list[StepInfo]
    message: str
    seconds: float


class Callback(Protocol):
    """Anything with `on_step_end(info)`; `on_train_begin(optimizer)` and `on_train_end(result)` are optional.

    `on_train_begin` gets the optimizer, so a callback can schedule its learning rate.
    """

    def on_step_end(self, info: StepInfo) -> None: ...


# A loss function gets a batch and the truncated-BPTT setting; it returns the loss, or (loss, metrics).
LossFunction = Callable[[Any, "tuple[int, int] | None"], "Tensor | tuple[Tensor, dict[str, float]]"]


def make_optimizer(parameters: list[nn.Parameter], config: TrainConfig) -> torch.optim.Optimizer | FusedAdam:
    """The optimizer named in `config`."""
    rate, decay = config.learning_rate, config.weight_decay
    if config.optimizer == "sgd":
        return torch.optim.SGD(parameters, lr=rate, momentum=config.momentum, weight_decay=decay)
    if config.optimizer == "rmsprop":
        return torch.optim.RMSprop(parameters, lr=rate, momentum=config.momentum, weight_decay=decay)
    # torch.optim.Adam(fused=True)'s kernel (one pass, about 4x faster on CPU for a few million weights),
    # without the 2 s import of torch._dynamo that constructing a torch.optim optimizer costs.
    if fused_kernel_available(parameters):
        return FusedAdam(parameters, lr=rate, weight_decay=decay, decoupled=config.optimizer == "adamw")
    optimizer_class = torch.optim.AdamW if config.optimizer == "adamw" else torch.optim.Adam
    return optimizer_class(parameters, lr=rate, weight_decay=decay)


def _total_norm(tensors: list[Tensor]) -> float:
    """The 2-norm of all tensors together (one fused pass)."""
    return float(torch.linalg.vector_norm(torch.stack(torch._foreach_norm(tensors))))


def clip_gradients(parameters: list[nn.Parameter], mode: str, threshold: float) -> tuple[float, float]:
    """Clip in place by total norm or by value; return the total norm before and after."""
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return 0.0, 0.0
    if mode == "norm":
        before = float(nn.utils.clip_grad_norm_(parameters, threshold))  # returns the norm before clipping
        return before, before * min(1.0, threshold / (before + 1e-6)) if math.isfinite(before) else before
    before = _total_norm(grads)
    if mode == "value":
        nn.utils.clip_grad_value_(parameters, threshold)
        return before, _total_norm(grads)
    return before, before


class _Guard:
    """Keeps a copy of the last finite weights and puts them back when a step breaks them."""

    def __init__(self, parameters: list[nn.Parameter]) -> None:
        self.parameters = [p.detach() for p in parameters]
        self.saved = [p.clone() for p in self.parameters]

    def save(self) -> None:
        """Remember the current weights."""
        torch._foreach_copy_(self.saved, self.parameters)

    def finite(self) -> bool:
        """Whether every weight is finite (NaN and inf make the max-abs norm non-finite)."""
        return bool(torch.isfinite(torch.stack(torch._foreach_norm(self.parameters, float("inf")))).all())

    def restore(self) -> None:
        """Put the remembered weights back."""
        torch._foreach_copy_(self.parameters, self.saved)


def _batches(source: Iterable[Any] | Callable[[torch.Generator], Any], seed: int | None) -> Callable[[], Any]:
    """A function giving the next batch: from a sampler fed the run's own generator, or an iterable."""
    if callable(source) and not hasattr(source, "__iter__"):
        generator = make_generator(seed)
        return lambda: source(generator)
    iterator = iter(source)
    return lambda: next(iterator)


def _split_loss(output: Any) -> tuple[Tensor, dict[str, float]]:
    """Accept a loss tensor or (loss, metrics)."""
    loss, metrics = (output if isinstance(output, tuple) else (output, {}))
    if not isinstance(loss, Tensor) or loss.dim() != 0:
        raise ValueError("the loss function must return a scalar tensor, or (scalar tensor, metrics dict)")
    return loss, {name: float(value.detach() if isinstance(value, Tensor) else value) for name, value in metrics.items()}


def _call(callbacks: Iterable[Any], method: str, argument: Any) -> None:
    """Call `method` on every callback that has it."""
    for callback in callbacks:
        handler = getattr(callback, method, None)
        if handler is not None:
            handler(argument)


def fit(parameters: Iterable[nn.Parameter], loss_fn: LossFunction,
        batches: Iterable[Any] | Callable[[torch.Generator], Any], config: TrainConfig,
        callbacks: Iterable[Any] = (), stop: threading.Event | None = None) -> TrainResult:
    """Train until `config.steps` or `config.seconds`, a set `stop` event, or a non-finite loss (weights kept finite).

    `batches` is a sampler called with this run's torch.Generator (seeded from config.seed,
    so a run repeats bit for bit on CPU) or an iterable of batches.
    """
    config.validate()
    parameters = [p for p in parameters if p.requires_grad]
    callbacks = list(callbacks)
    optimizer = make_optimizer(parameters, config)
    next_batch = _batches(batches, config.seed)
    guard = _Guard(parameters)
    history: list[StepInfo] = []
    _call(callbacks, "on_train_begin", optimizer)
    started = time.perf_counter()
    status, message = _loop(parameters, loss_fn, next_batch, config, optimizer, guard, history,
                            callbacks, stop, started)
    result = TrainResult(status, len(history), history, message, time.perf_counter() - started)
    _call(callbacks, "on_train_end", result)
    return result


def _loop(parameters, loss_fn, next_batch, config, optimizer, guard, history, callbacks, stop,
          started) -> tuple[str, str]:
    """The steps themselves; returns (status, message)."""
    for step in range(1, config.steps + 1):
        if stop is not None and stop.is_set():
            return "stopped", f"stopped by the user after {step - 1} step{'' if step - 1 == 1 else 's'}"
        optimizer.zero_grad(set_to_none=True)
        loss, metrics = _split_loss(loss_fn(next_batch(), config.tbptt))
        if not torch.isfinite(loss):
            return "diverged", (f"diverged at step {step}: the loss became {float(loss.detach())}; "
                                f"kept the weights of step {step - 1}")
        loss.backward()
        before, after = clip_gradients(parameters, config.clip, config.clip_threshold)
        if not math.isfinite(after):
            return "diverged", f"diverged at step {step}: the gradient norm became {before}; kept the weights of step {step - 1}"
        guard.save()
        optimizer.step()
        if not guard.finite():
            guard.restore()
            return "diverged", f"diverged at step {step}: the weights became infinite; kept the weights of step {step - 1}"
        info = StepInfo(step, config.steps, float(loss.detach()), before, after, metrics, time.perf_counter() - started)
        history.append(info)
        _call(callbacks, "on_step_end", info)
        if config.seconds is not None and info.seconds >= config.seconds and step < config.steps:
            return "finished", f"reached the time budget of {config.seconds:g} s after {step} step{'' if step == 1 else 's'}"
    return "finished", f"finished {config.steps} step{'' if config.steps == 1 else 's'}"
