"""Small models built on `Recurrent`, each rebuilt from plain config (see `rnnviz.io.registry`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

from rnnviz.core.randomness import linear
from rnnviz.core.recurrent import Recurrent, RecurrentOutput
from rnnviz.core.validation import check_positive_int
from rnnviz.data.tasks import Task, TaskBatch


class SequenceModel(nn.Module):
    """Recurrent layers and a linear readout at every step: the model for generated tasks.

    `generator` draws the initial weights (torch's global generator when None).
    """

    def __init__(self, kind: str, input_size: int, hidden_size: int, output_size: int, num_layers: int = 1,
                 bidirectional: bool = False, *, generator: torch.Generator | None = None,
                 **cell_options: Any) -> None:
        super().__init__()
        self.recurrent = Recurrent(kind, input_size, hidden_size, num_layers, bidirectional, generator=generator,
                                   **cell_options)
        self.output_size = check_positive_int(output_size, "output_size")
        self.head = linear(self.recurrent.output_size, self.output_size, generator=generator)

    @property
    def config(self) -> dict[str, Any]:
        """Plain data that rebuilds this model."""
        return {**self.recurrent.config, "model": "sequence", "output_size": self.output_size}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> SequenceModel:
        """Rebuild from `config`."""
        return cls(config["kind"], config["input_size"], config["hidden_size"], config["output_size"],
                   config["num_layers"], config["bidirectional"], **config.get("cell_options", {}))

    @classmethod
    def for_task(cls, task: Task, kind: str, hidden_size: int, **options: Any) -> SequenceModel:
        """A model whose input and output sizes fit `task`."""
        return cls(kind, task.input_size, hidden_size, task.output_size, **options)

    def run(self, x: Tensor, *, trace: bool = False, tbptt: tuple[int, int] | None = None,
            fast: bool | None = None) -> tuple[Tensor, RecurrentOutput]:
        """(predictions (B, T, output_size), the recurrent layer's full output)."""
        result = self.recurrent(x, trace=trace, tbptt=tbptt, fast=fast)
        return self.head(result.output), result

    def forward(self, x: Tensor, tbptt: tuple[int, int] | None = None) -> Tensor:
        """Predictions (B, T, output_size) for inputs (B, T, input_size)."""
        return self.run(x, tbptt=tbptt)[0]


def task_loss(model: SequenceModel, task: Task) -> Callable[[TaskBatch, Any], tuple[Tensor, dict[str, float]]]:
    """A loss function for `rnnviz.training.loop.fit`: the task's loss, with its accuracy as a metric."""
    def loss_fn(batch: TaskBatch, tbptt: tuple[int, int] | None) -> tuple[Tensor, dict[str, float]]:
        predictions = model(batch.inputs, tbptt=tbptt)
        return task.loss(predictions, batch), {"accuracy": task.accuracy(predictions.detach(), batch)}
    return loss_fn


def task_sampler(task: Task, batch_size: int) -> Callable[[torch.Generator], TaskBatch]:
    """A batch sampler for `rnnviz.training.loop.fit`."""
    check_positive_int(batch_size, "batch_size")
    return lambda generator: task.sample(batch_size, generator)


