"""What every task a comparison races on provides: its parameter count, model, trainer, score and gradient probe."""

from __future__ import annotations

import re
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from torch import nn

from rnnviz.compare.configs import MAX_SOLVED_HIDDEN, Configuration
from rnnviz.training.loop import TrainConfig, TrainResult


@dataclass(frozen=True)
class Trained:
    """What one training gave: the fit result and the held-out score."""

    result: TrainResult
    final_metric: float


class ComparisonTask(ABC):
    """A task several configurations race on."""

    name: str  # "adding", "brackets", "sentiment"
    label: str  # for people
    metric: str  # the held-out score's name
    step_metric: str  # the key of StepInfo.metrics drawn live
    higher_is_better: bool
    bidirectional_allowed: bool = True
    max_hidden: int = MAX_SOLVED_HIDDEN  # the largest hidden size parameter matching tries
    optimizer: str = "adam"
    weight_decay: float = 0.0

    @abstractmethod
    def parameter_count(self, configuration: Configuration) -> int:
        """sum(p.numel()) of the model `build` makes for `configuration`."""

    @abstractmethod
    def build(self, configuration: Configuration, seed: int) -> nn.Module:
        """The model, its weights drawn from a generator seeded with `seed`."""

    @abstractmethod
    def train(
        self,
        model: nn.Module,
        configuration: Configuration,
        config: TrainConfig,
        callbacks: Iterable[Any],
        stop: threading.Event | None,
    ) -> Trained:
        """Train `model` with this task's trainer, then score it on held-out data."""

    @abstractmethod
    def gradient_ratio(self, model: nn.Module) -> float:
        """||dL/dh_0|| / ||dL/dh_T|| of the last layer on one held-out batch (explicit unroll, autograd)."""

    def checkpoint_vocab(self) -> Any:
        """What a run's checkpoint stores as its vocabulary (JSON-able; None for generated number tasks)."""
        return None

    def check(self, configuration: Configuration) -> None:
        """ValueError when this task cannot run the configuration."""
        if configuration.bidirectional and not self.bidirectional_allowed:
            raise ValueError(
                f"{self.label} predicts the next character, so it cannot read the future: "
                f"untick bidirectional for {configuration.label}"
            )


def first_over_last(norms: Any) -> float:
    """First over last of a per-timestep gradient profile (NaN when the last is 0)."""
    last = float(norms[-1])
    return float(norms[0]) / last if last > 0 else float("nan")


UPLOAD_PREFIX = re.compile(r"^rnnviz-[0-9a-f]{16}-")  # how the page names an uploaded copy (by its content)


def display_name(path: str | Path) -> str:
    """A data file's name for people: an upload's copy shows the name it was uploaded under."""
    return UPLOAD_PREFIX.sub("", Path(path).name)
