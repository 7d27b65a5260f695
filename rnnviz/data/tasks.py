"""Generated sequence tasks with a dial for the dependency length: the embedded default data.

Three supervised tasks share one interface (`Task`): the adding problem (Hochreiter &
Schmidhuber 1997; the IRNN version of Le, Jaitly & Hinton 2015), copy / delayed recall, and
remember-the-first-symbol. `task.sample(batch_size, generator)` returns a `TaskBatch` of
batch-first CPU tensors that plug straight into an RNN; the same generator state gives
bit-identical batches. `task.loss` and `task.accuracy` count only the positions in
`batch.mask`, and `task.baseline_loss` is the loss of the best prediction that ignores the
input, so a page can draw the line between "not learned" and "learned".

The character-level corpora (the bracket-and-quote language, date pairs for seq2seq) live in
`rnnviz.data.languages` and are re-exported here, so `rnnviz.data.tasks` is the one place to look.
"""

from __future__ import annotations

import dataclasses
import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import torch
import torch.nn.functional as F

from rnnviz.core.validation import require_choice, require_fraction, require_int
from rnnviz.data.languages import (
    BRACKET_ALPHABET,
    DATE_FORMATS,
    DATE_SOURCE_ALPHABET,
    DATE_TARGET_ALPHABET,
    BracketText,
    analyze_brackets,
    bracket_text,
    date_pairs,
    format_date,
)

__all__ = [
    "BRACKET_ALPHABET", "DATE_FORMATS", "DATE_SOURCE_ALPHABET", "DATE_TARGET_ALPHABET", "IGNORE_INDEX",
    "MAX_LENGTH", "TASK_NAMES", "AddingTask", "BracketText", "CopyTask", "FirstSymbolTask", "Task",
    "TaskBatch", "analyze_brackets", "bracket_text", "date_pairs", "format_date", "make_task",
]

TASK_NAMES = ("adding", "copy", "first-symbol")
MAX_LENGTH = 2000  # longer sequences make a live CPU demo crawl
MAX_BATCH_SIZE = 100_000  # the element cap below is the real limit
MAX_BATCH_ELEMENTS = 50_000_000  # B * T * input_size floats: 200 MB
MAX_SYMBOLS = 64
MAX_COPY_SEQUENCE = 100
# Target of the positions outside the mask: PyTorch's ignore_index, so even an unmasked
# F.cross_entropy(predictions.flatten(0, 1), targets.flatten()) scores only the masked ones.
IGNORE_INDEX = -100


@dataclass(frozen=True)
class TaskBatch:
    """One batch of a task: inputs, targets, and the positions that are scored."""

    inputs: torch.Tensor  # (B, T, input_size) float32
    targets: torch.Tensor  # (B, T) long class ids (IGNORE_INDEX off the mask), or float for regression
    mask: torch.Tensor  # (B, T) bool: the positions the loss and accuracy count

    def to(self, device: torch.device | str) -> TaskBatch:
        """The same batch on `device`."""
        return TaskBatch(self.inputs.to(device), self.targets.to(device), self.mask.to(device))


class Task(ABC):
    """A supervised sequence task: sample batches, score predictions over the masked positions."""

    name: ClassVar[str]
    description: ClassVar[str]  # one sentence for a lecture audience
    kind: ClassVar[Literal["regression", "classification"]]

    @property
    @abstractmethod
    def num_steps(self) -> int:
        """T, the number of time steps of every sample."""

    @property
    @abstractmethod
    def dependency_length(self) -> int:
        """Largest distance in steps between an input that matters and the output that needs it."""

    @property
    @abstractmethod
    def input_size(self) -> int:
        """Features per time step."""

    @property
    @abstractmethod
    def output_size(self) -> int:
        """Number of classes, or 1 for regression."""

    @property
    @abstractmethod
    def baseline_loss(self) -> float:
        """Loss of the best constant prediction that ignores the input."""

    @abstractmethod
    def _sample(self, batch_size: int, generator: torch.Generator) -> TaskBatch:
        """Draw a batch; the arguments are already checked."""

    @abstractmethod
    def _correct(self, predictions: torch.Tensor, batch: TaskBatch) -> torch.Tensor:
        """Bool per masked position: is the prediction right?"""

    @abstractmethod
    def _masked_loss(self, predictions: torch.Tensor, batch: TaskBatch) -> torch.Tensor:
        """Mean loss over the masked positions; the shapes are already checked."""

    def sample(self, batch_size: int, generator: torch.Generator) -> TaskBatch:
        """Draw `batch_size` independent samples; the same generator state gives identical batches."""
        batch_size = require_int("batch_size", batch_size, minimum=1, maximum=MAX_BATCH_SIZE)
        if not isinstance(generator, torch.Generator) or generator.device.type != "cpu":
            raise ValueError(
                "generator must be a CPU torch.Generator, e.g. torch.Generator().manual_seed(0); "
                f"got {generator!r} (move the batch afterwards with batch.to(device))"
            )
        elements = batch_size * self.num_steps * self.input_size
        if elements > MAX_BATCH_ELEMENTS:
            raise ValueError(
                f"a batch of {batch_size} x {self.num_steps} steps x {self.input_size} features is "
                f"{elements:,} numbers, more than {MAX_BATCH_ELEMENTS:,}; lower batch_size or length"
            )
        return self._sample(batch_size, generator)

    def loss(self, predictions: torch.Tensor, batch: TaskBatch) -> torch.Tensor:
        """Scalar loss (MSE or cross-entropy) over the masked positions only; differentiable."""
        self._check_predictions(predictions, batch)
        return self._masked_loss(predictions, batch)

    def accuracy(self, predictions: torch.Tensor, batch: TaskBatch) -> float:
        """Fraction of the masked positions predicted right, in [0, 1]."""
        self._check_predictions(predictions, batch)
        with torch.no_grad():
            return float(self._correct(predictions, batch).float().mean().item())

    def _check_predictions(self, predictions: torch.Tensor, batch: TaskBatch) -> None:
        """Raise ValueError unless predictions are floats of shape (B, T, output_size)."""
        expected = (*batch.targets.shape, self.output_size)
        if not isinstance(predictions, torch.Tensor) or not predictions.is_floating_point():
            raise ValueError(f"predictions must be a float tensor of shape (B, T, output_size) = {expected}")
        if tuple(predictions.shape) != expected:
            got = tuple(predictions.shape)
            raise ValueError(f"predictions must have shape (B, T, output_size) = {expected}, got {got}")


class _ClassificationTask(Task):
    """Cross-entropy over the masked positions; accuracy is the argmax hit rate."""

    kind: ClassVar[Literal["classification"]] = "classification"

    def _masked_loss(self, predictions: torch.Tensor, batch: TaskBatch) -> torch.Tensor:
        """Mean cross-entropy of the logits at the masked positions."""
        return F.cross_entropy(predictions[batch.mask], batch.targets[batch.mask])  # (M, C), (M,)

    def _correct(self, predictions: torch.Tensor, batch: TaskBatch) -> torch.Tensor:
        """Argmax of the logits equals the target class."""
        return predictions[batch.mask].argmax(dim=-1) == batch.targets[batch.mask]  # (M,)


def _check_int_fields(task: Task, **bounds: tuple[int, int]) -> None:
    """Replace each named integer field of a frozen task by its checked value, or raise ValueError."""
    for name, (minimum, maximum) in bounds.items():
        why = "longer sequences make a live CPU demo crawl" if name == "length" else ""
        try:
            value = require_int(name, getattr(task, name), minimum=minimum, maximum=maximum, why=why)
        except ValueError as error:
            raise ValueError(f"{task.name} task: {error}") from None
        object.__setattr__(task, name, value)


@dataclass(frozen=True)
class AddingTask(Task):
    """The adding problem: add the two marked numbers of a long sequence of random numbers."""

    name: ClassVar[str] = "adding"
    description: ClassVar[str] = (
        "Read a sequence of random numbers, two of them marked (one in each half), "
        "and output the sum of the two marked numbers at the last step."
    )
    kind: ClassVar[Literal["regression"]] = "regression"

    length: int
    tolerance: float = 0.04  # Hochreiter & Schmidhuber's criterion for a correct answer

    def __post_init__(self) -> None:
        """Check the arguments."""
        _check_int_fields(self, length=(2, MAX_LENGTH))  # two halves, one marker each
        object.__setattr__(self, "tolerance", require_fraction("tolerance", self.tolerance, allow_zero=False))

    @property
    def num_steps(self) -> int:
        """T = length."""
        return self.length

    @property
    def dependency_length(self) -> int:
        """A marker at step 0, the answer at T-1."""
        return self.length - 1

    @property
    def input_size(self) -> int:
        """Channel 0: value in [0, 1); channel 1: marker."""
        return 2

    @property
    def output_size(self) -> int:
        """One real number."""
        return 1

    @property
    def baseline_loss(self) -> float:
        """Var(U1 + U2) = 2 * (1/12) = 1/6: the MSE of always answering the mean, 1.0."""
        return 1.0 / 6.0

    def _sample(self, batch_size: int, generator: torch.Generator) -> TaskBatch:
        """Values U(0, 1); one marker uniform in the first half, one in the second half."""
        steps, half = self.length, self.length // 2
        values = torch.rand(batch_size, steps, generator=generator)  # (B, T)
        first = torch.randint(0, half, (batch_size,), generator=generator)  # (B,)
        second = torch.randint(half, steps, (batch_size,), generator=generator)  # (B,)
        rows = torch.arange(batch_size)
        markers = torch.zeros(batch_size, steps)  # (B, T)
        markers[rows, first] = 1.0
        markers[rows, second] = 1.0
        targets = torch.zeros(batch_size, steps)  # (B, T)
        targets[:, -1] = values[rows, first] + values[rows, second]
        mask = torch.zeros(batch_size, steps, dtype=torch.bool)  # (B, T)
        mask[:, -1] = True
        return TaskBatch(torch.stack([values, markers], dim=-1), targets, mask)  # inputs (B, T, 2)

    def _masked_loss(self, predictions: torch.Tensor, batch: TaskBatch) -> torch.Tensor:
        """Mean squared error at the masked positions."""
        scored = predictions[..., 0][batch.mask]  # (M,)
        return F.mse_loss(scored, batch.targets[batch.mask].to(scored.dtype))

    def _correct(self, predictions: torch.Tensor, batch: TaskBatch) -> torch.Tensor:
        """|prediction - target| < tolerance."""
        return (predictions[..., 0][batch.mask] - batch.targets[batch.mask]).abs() < self.tolerance  # (M,)


@dataclass(frozen=True)
class CopyTask(_ClassificationTask):
    """Copy / delayed recall: see n symbols, wait, then write them back in order after a "go" marker.

    Layout of one sample (T = 2 * sequence_length + length steps), Arjovsky et al. 2016 style:
    the n symbols, then length - 1 blanks, then the go marker, then n blanks during which the
    model must output the n symbols. Symbol k is seen at step k and asked for at step
    n + length + k, so every symbol is carried exactly n + length steps.
    Input channels: 0..K-1 the symbols, K the blank, K+1 the go marker (one-hot).
    """

    name: ClassVar[str] = "copy"
    description: ClassVar[str] = (
        "See a short string of symbols, wait through a stretch of blanks, and after the go "
        "signal write the symbols back in the same order."
    )

    length: int  # the delay, in steps, from the last symbol shown to the first symbol asked for
    num_symbols: int = 8
    sequence_length: int = 5

    def __post_init__(self) -> None:
        """Check the arguments."""
        _check_int_fields(
            self, length=(1, MAX_LENGTH), num_symbols=(2, MAX_SYMBOLS), sequence_length=(1, MAX_COPY_SEQUENCE)
        )

    @property
    def num_steps(self) -> int:
        """T = 2n + delay."""
        return 2 * self.sequence_length + self.length

    @property
    def dependency_length(self) -> int:
        """delay + n."""
        return self.length + self.sequence_length

    @property
    def input_size(self) -> int:
        """K symbols, blank, go."""
        return self.num_symbols + 2

    @property
    def output_size(self) -> int:
        """K symbols."""
        return self.num_symbols

    @property
    def baseline_loss(self) -> float:
        """Symbols are uniform and independent, so an input-blind guess scores log K."""
        return math.log(self.num_symbols)

    def _sample(self, batch_size: int, generator: torch.Generator) -> TaskBatch:
        """Random symbols, blanks, the go marker one step before the answer."""
        count, answer_start = self.sequence_length, self.sequence_length + self.length
        blank, go = self.num_symbols, self.num_symbols + 1
        symbols = torch.randint(0, self.num_symbols, (batch_size, count), generator=generator)  # (B, n)
        ids = torch.full((batch_size, self.num_steps), blank, dtype=torch.long)  # (B, T)
        ids[:, :count] = symbols
        ids[:, answer_start - 1] = go
        targets = torch.full((batch_size, self.num_steps), IGNORE_INDEX, dtype=torch.long)  # (B, T)
        targets[:, answer_start:] = symbols
        mask = torch.zeros(batch_size, self.num_steps, dtype=torch.bool)  # (B, T)
        mask[:, answer_start:] = True
        return TaskBatch(F.one_hot(ids, self.input_size).float(), targets, mask)  # inputs (B, T, K+2)


@dataclass(frozen=True)
class FirstSymbolTask(_ClassificationTask):
    """Remember the first symbol through a stream of distractors and name it at the last step.

    By default the distractors are drawn from the same K symbols, so nothing but its position
    says which symbol matters. With `noise_symbols` > 0 they come from that many extra noise
    symbols instead (input channels K..K+noise-1), which a gate can learn to ignore by content.
    """

    name: ClassVar[str] = "first-symbol"
    description: ClassVar[str] = (
        "The first step shows one of a few symbols and a stream of distractors follows; "
        "at the last step, name the first symbol."
    )

    length: int  # T, the number of steps including the first
    num_symbols: int = 8
    noise_symbols: int = 0

    def __post_init__(self) -> None:
        """Check the arguments."""
        _check_int_fields(
            self, length=(1, MAX_LENGTH), num_symbols=(2, MAX_SYMBOLS), noise_symbols=(0, MAX_SYMBOLS)
        )

    @property
    def num_steps(self) -> int:
        """T = length."""
        return self.length

    @property
    def dependency_length(self) -> int:
        """Step 0 to step T-1."""
        return self.length - 1

    @property
    def input_size(self) -> int:
        """One-hot symbols."""
        return self.num_symbols + self.noise_symbols

    @property
    def output_size(self) -> int:
        """K symbols."""
        return self.num_symbols

    @property
    def baseline_loss(self) -> float:
        """The first symbol is uniform over K, so an input-blind guess scores log K."""
        return math.log(self.num_symbols)

    def _sample(self, batch_size: int, generator: torch.Generator) -> TaskBatch:
        """A uniform first symbol, uniform distractors after it; the target sits at the last step."""
        first = torch.randint(0, self.num_symbols, (batch_size, 1), generator=generator)  # (B, 1)
        if self.noise_symbols:
            low, high = self.num_symbols, self.num_symbols + self.noise_symbols
        else:
            low, high = 0, self.num_symbols
        rest = torch.randint(low, high, (batch_size, self.length - 1), generator=generator)  # (B, T-1)
        ids = torch.cat([first, rest], dim=1)  # (B, T)
        targets = torch.full((batch_size, self.length), IGNORE_INDEX, dtype=torch.long)  # (B, T)
        targets[:, -1] = first[:, 0]
        mask = torch.zeros(batch_size, self.length, dtype=torch.bool)  # (B, T)
        mask[:, -1] = True
        return TaskBatch(F.one_hot(ids, self.input_size).float(), targets, mask)  # inputs (B, T, K[+noise])


_TASK_CLASSES: dict[str, type[Task]] = {task.name: task for task in (AddingTask, CopyTask, FirstSymbolTask)}


def make_task(name: str, length: int, **options: Any) -> Task:
    """Build the task called `name` (one of TASK_NAMES) with dependency dial `length` and its options."""
    require_choice("task name", name, TASK_NAMES)
    task_class = _TASK_CLASSES[name]
    accepted = [field.name for field in dataclasses.fields(task_class) if field.name != "length"]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise ValueError(
            f"unknown option(s) for task {name!r}: {', '.join(unknown)}; "
            f"accepted: {', '.join(accepted) if accepted else 'none'}"
        )
    return task_class(length, **options)
