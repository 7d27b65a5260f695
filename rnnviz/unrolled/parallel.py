"""Is it parallelizable? Teacher forcing against free-running decoding, on the same model and batch.

h_t needs h_{t-1}, so no RNN runs its steps at once. But a decoder that reads its previous
output can be given the TRUE previous outputs instead (teacher forcing): then every input of
every step is known in advance and the whole decoder runs in one fused call. Free running
(what decoding a new input must do) feeds each output back, one call per step.

`time_decoding` measures both (forward, and forward + backward as in training) and their ratio;
`teacher_forcing_curves` trains with teacher-forcing ratios such as 1.0, 0.5 and 0.0 from the
same seed and returns the loss curves, as data a page can plot.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import torch
from torch import nn

from rnnviz.core.validation import require_choice, require_fraction, require_int
from rnnviz.unrolled.io_common import flush_denormals, train, train_config
from rnnviz.unrolled.io_decode import FORCING_MODES, DecoderTask, PairBatch, sequence_loss
from rnnviz.unrolled.io_models import DecoderStart

MAX_CURVE_STEPS = 2000


@dataclass(frozen=True)
class ParallelTiming:
    """Median seconds of the decoder on one batch: teacher-forced (one fused call) and free-running (a loop)."""

    batch_size: int
    steps: int  # U, the decoder steps
    teacher_forced_forward: float
    free_running_forward: float
    teacher_forced_training: float  # forward + backward
    free_running_training: float

    @property
    def forward_ratio(self) -> float:
        """How many times longer free running takes than teacher forcing, forward only."""
        return self.free_running_forward / self.teacher_forced_forward

    @property
    def training_ratio(self) -> float:
        """How many times longer free running takes than teacher forcing, forward + backward."""
        return self.free_running_training / self.teacher_forced_training


def _median_seconds(functions: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Median seconds of each function, called round-robin `repeats` times after one warm-up call each."""
    for function in functions.values():
        function()
    samples: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(repeats):
        for name, function in functions.items():
            started = time.perf_counter()
            function()
            samples[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in samples.items()}


def time_decoding(task: DecoderTask, model: nn.Module, batch_size: int = 64, repeats: int = 5,
                  seed: int = 0) -> ParallelTiming:
    """Teacher-forced and free-running decoding of the same batch by the same model, forward and training."""
    batch = task.sampler(require_int("batch_size", batch_size, minimum=1, maximum=4096))(
        torch.Generator().manual_seed(require_int("seed", seed, minimum=0)))
    with torch.no_grad():
        start, _ = model.initial_state(batch.sources)  # the encoder's part is the same in both: left out
    decoder, targets, steps = model.decoder, batch.targets, batch.targets.shape[1]

    def forward(teacher: bool) -> Callable[[], object]:
        def call() -> object:
            with torch.no_grad():
                return decoder.teacher_forced(start, targets) if teacher else decoder.free_running(start, steps)
        return call

    def training(teacher: bool) -> Callable[[], object]:
        def call() -> object:
            decoded = decoder.teacher_forced(start, targets) if teacher else decoder.free_running(start, steps)
            gradients = torch.autograd.grad(sequence_loss(decoded, targets)[0], list(decoder.parameters()))
            return gradients  # never written to .grad: the model may be shared
        return call

    with flush_denormals():
        seconds = _median_seconds({"tf": forward(True), "fr": forward(False), "tf_train": training(True),
                                   "fr_train": training(False)}, require_int("repeats", repeats, minimum=1))
    return ParallelTiming(batch_size, steps, seconds["tf"], seconds["fr"], seconds["tf_train"], seconds["fr_train"])


def forced_and_free(model: nn.Module, batch: PairBatch) -> tuple[torch.Tensor, torch.Tensor]:
    """(teacher-forced logits, free-running logits) (B, U, V) of one batch, without a graph."""
    with torch.no_grad():
        start: DecoderStart = model.initial_state(batch.sources)[0]
        forced = model.decoder.teacher_forced(start, batch.targets).logits
        free = model.decoder.free_running(start, batch.targets.shape[1]).logits
    return forced, free


@dataclass(frozen=True)
class ForcingCurve:
    """Training with one teacher-forcing ratio: the loss per step and the held-out metric at the end."""

    ratio: float
    per: str  # "batch" or "step"
    losses: list[float]  # training loss per step
    accuracies: list[float]  # training token accuracy per step
    metric: float  # held-out, free-running, after training
    seconds: float
    status: str  # "finished", "stopped" or "diverged"
    message: str


def teacher_forcing_curves(task: DecoderTask, ratios: Sequence[float] = (1.0, 0.5, 0.0), steps: int = 200,
                           seed: int = 0, per: str = "batch", callbacks: Iterable[object] = ()) -> list[ForcingCurve]:
    """Train one fresh model per ratio, all from `seed` (same weights, same batches), for `steps` steps each."""
    if isinstance(ratios, (int, float)) or not ratios:
        raise ValueError("ratios must be a non-empty list of numbers between 0 and 1, e.g. (1.0, 0.5, 0.0)")
    ratios = [require_fraction("teacher-forcing ratio", ratio) for ratio in ratios]
    steps = require_int("steps", steps, minimum=1, maximum=MAX_CURVE_STEPS, why="each curve trains a model")
    per = require_choice("per", per, FORCING_MODES)
    curves = []
    for ratio in ratios:
        forced_task = type(task)(teacher_forcing=ratio, per=per)
        trained = train(forced_task, seed=seed, config=train_config(forced_task, seed, steps=steps),
                        callbacks=callbacks, evaluate_every=steps)
        history = trained.result.history
        curves.append(ForcingCurve(ratio, per, [info.loss for info in history],
                                   [info.metrics.get("accuracy", float("nan")) for info in history], trained.metric,
                                   trained.result.seconds, trained.result.status, trained.result.message))
    return curves
