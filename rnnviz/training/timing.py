"""Measured costs: time a few real steps of `fit`, and fit seconds = intercept + slope × size to them.

A page that warns before a long run times the run's own settings on the machine that will run
them (a formula of FLOPs was 3-6 times too low for long LSTMs), at short sequence lengths so that
the timing stays cheap, then extrapolates along the sequence length, where the cost is a straight
line: a fixed part per step (optimizer, readout, a Jacobian) plus the same work for every timestep.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from torch import nn

from rnnviz.training.loop import LossFunction, TrainConfig, TrainResult, fit

Timer = Callable[[], float]  # seconds, increasing (time.perf_counter, or a fake clock in tests)


@dataclass(frozen=True)
class LinearCost:
    """Seconds = intercept + slope × size (size: timesteps per sequence), both at least 0."""

    intercept: float
    slope: float

    def seconds(self, size: float) -> float:
        """The cost at `size`."""
        return self.intercept + self.slope * size


def linear_cost(points: Sequence[tuple[float, float]]) -> LinearCost:
    """The least-squares line through measured (size, seconds); one point gives a cost proportional to size."""
    points = [(float(size), float(seconds)) for size, seconds in points]
    if not points or any(size <= 0 or not math.isfinite(seconds) or seconds < 0 for size, seconds in points):
        raise ValueError(f"points must be (size > 0, seconds >= 0) pairs, at least one, got {points!r}")
    sizes = {size for size, _ in points}
    if len(sizes) == 1:
        size = sizes.pop()
        return LinearCost(0.0, sum(seconds for _, seconds in points) / len(points) / size)
    mean_size = sum(size for size, _ in points) / len(points)
    mean_seconds = sum(seconds for _, seconds in points) / len(points)
    spread = sum((size - mean_size) ** 2 for size, _ in points)
    slope = sum((size - mean_size) * (seconds - mean_seconds) for size, seconds in points) / spread
    if slope < 0:  # noise (a busy machine) made the longer sequence faster: trust the longest measurement,
        size, seconds = max(points)  # the nearest to long runs, and proportional to size as an unrolled step is
        return LinearCost(0.0, seconds / size)
    intercept = mean_seconds - slope * mean_size
    if intercept < 0:  # a line through the origin instead
        return LinearCost(0.0, sum(s * t for s, t in points) / sum(s * s for s, _ in points))
    return LinearCost(intercept, slope)


class _Clock:
    """Training callback: the timer's reading when training begins and after every step."""

    def __init__(self, timer: Timer) -> None:
        self.timer = timer
        self.marks: list[float] = []

    def on_train_begin(self, optimizer: Any) -> None:
        """Mark the start (after the optimizer was built)."""
        self.marks.append(self.timer())

    def on_step_end(self, info: Any) -> None:
        """Mark the end of a step."""
        self.marks.append(self.timer())

    def on_train_end(self, result: TrainResult) -> None:
        """Mark the end of a step that stopped training (a diverged step still took time)."""
        if result.status != "finished":
            self.marks.append(self.timer())


def step_seconds(parameters: Iterable[nn.Parameter], loss_fn: LossFunction, batches: Any, config: TrainConfig, *,
                 steps: int = 1, warmup: int = 0, timer: Timer = time.perf_counter) -> float:
    """Mean seconds of `steps` real training steps of `fit` with `config`, after `warmup` untimed ones.

    The parameters are trained (pass a throwaway model). A run that diverges while timed counts
    the time until it stopped.
    """
    if steps < 1 or warmup < 0:
        raise ValueError(f"steps must be >= 1 and warmup >= 0, got {steps} and {warmup}")
    clock = _Clock(timer)
    fit(parameters, loss_fn, batches, config.replace(steps=warmup + steps, seconds=None), callbacks=[clock])
    marks = clock.marks  # [begin, end of step 1, ..., end of the last step]
    intervals = len(marks) - 1
    first = warmup if intervals > warmup else 0  # diverged while warming up: time what ran
    return max(0.0, marks[-1] - marks[first]) / max(1, intervals - first)


def call_seconds(function: Callable[[], object], timer: Timer = time.perf_counter) -> float:
    """Seconds one call of `function` takes."""
    start = timer()
    function()
    return max(0.0, timer() - start)
