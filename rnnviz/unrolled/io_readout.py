"""Three input/output types whose model is `Recurrent` + a linear readout (`SequenceModel`).

- one to one: a 3x3 "image" (T = 1, the degenerate case: no recurrence) -> horizontal, vertical or diagonal line.
- many to one: the adding problem, the sum of the two marked numbers of a sequence, read out at the last step.
- many to many aligned: the bracket depth after every character of the bracket language.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from rnnviz.core.validation import require_int
from rnnviz.data.languages import BRACKET_ALPHABET, analyze_brackets, bracket_text
from rnnviz.data.tasks import TaskBatch, make_task
from rnnviz.training.loop import LossFunction
from rnnviz.training.tasks import SequenceModel, task_loss, task_sampler
from rnnviz.unrolled.io_common import (
    EVALUATION_SEED,
    MAX_STEPS,
    Defaults,
    IOTask,
    StepOutputs,
    masked_classification,
    prepare_text,
    unknown_note,
)
from rnnviz.unrolled.io_models import build_seeded

MAX_TEXT_CHARACTERS = 2000


def _readout(model: SequenceModel, inputs: Tensor) -> tuple[Tensor, Tensor]:
    """(readout (T, C), hidden (T, H)) of one sequence inputs (T, I), without a graph."""
    with torch.no_grad():
        readout, result = model.run(inputs.unsqueeze(0))
    return readout[0], result.output[0]


# ---------------------------------------------------------------- one to one: line images

LINE_CLASSES = ("horizontal", "vertical", "diagonal")
PIXEL_ON, PIXEL_OFF, PIXEL_SEPARATORS = "#1xX*", ".0_-o", " /|,\n\t"


def _line_images() -> list[list[Tensor]]:
    """Per class, every 3x3 image (9,) of a line: 3 rows, 3 columns, 2 diagonals."""
    rows = [torch.zeros(3, 3).index_fill_(0, torch.tensor([p]), 1.0) for p in range(3)]
    columns = [image.T.contiguous() for image in rows]
    diagonals = [torch.eye(3), torch.eye(3).flip(1)]
    return [[image.flatten() for image in group] for group in (rows, columns, diagonals)]


_IMAGES = _line_images()


class LineImageTask(IOTask):
    """One to one: classify a 3x3 image of a line, with one stray pixel half the time."""

    io_type: ClassVar[str] = "one-to-one"
    name: ClassVar[str] = "line images"
    application: ClassVar[str] = (
        "Image classification: one input (an image), one output (its class). There is nothing to carry "
        "from step to step, so the RNN is a one-step feed-forward network: h = tanh(W x + b), y = V h.")
    description: ClassVar[str] = ("A 3x3 black-and-white image shows a horizontal, vertical or diagonal line; "
                                  "half the images have one pixel flipped. Name the line.")
    shapes: ClassVar[str] = "input (B, T=1, 9 pixels) -> output (B, T=1, 3 classes)"
    metric: ClassVar[str] = "accuracy on 1,000 held-out images"
    target: ClassVar[float] = 0.98
    example: ClassVar[str] = "#../.#./..#"
    defaults: ClassVar[Defaults] = Defaults(hidden_size=16, steps=150, learning_rate=0.03, batch_size=64)

    def build_model(self, seed: int, kind: str, hidden_size: int) -> SequenceModel:
        """Recurrent over one step, then a readout to 3 classes."""
        return build_seeded(lambda: SequenceModel(kind, 9, hidden_size, len(LINE_CLASSES)), seed)

    def sampler(self, batch_size: int) -> Callable[[torch.Generator], TaskBatch]:
        """Random lines, half with a stray pixel."""
        return lambda generator: self.sample(batch_size, generator)

    def sample(self, batch_size: int, generator: torch.Generator) -> TaskBatch:
        """A batch: inputs (B, 1, 9), targets (B, 1)."""
        classes = torch.randint(0, 3, (batch_size,), generator=generator)  # (B,)
        positions = torch.randint(0, 6, (batch_size,), generator=generator)  # reduced per class below
        flips = torch.randint(0, 9, (batch_size,), generator=generator)  # (B,)
        stray = torch.rand(batch_size, generator=generator) < 0.5  # (B,)
        images = torch.stack([_IMAGES[c][p % len(_IMAGES[c])] for c, p in zip(classes.tolist(), positions.tolist())])
        rows = torch.arange(batch_size)[stray]
        images[rows, flips[stray]] = 1.0 - images[rows, flips[stray]]  # (B, 9)
        return TaskBatch(images.unsqueeze(1), classes.unsqueeze(1), torch.ones(batch_size, 1, dtype=torch.bool))

    def loss_function(self, model: SequenceModel) -> LossFunction:
        """Cross-entropy of the one output."""
        return lambda batch, tbptt: masked_classification(model(batch.inputs), batch)

    @torch.no_grad()
    def evaluate(self, model: SequenceModel) -> float:
        """Accuracy on 1,000 held-out images."""
        batch = self.sample(1000, torch.Generator().manual_seed(EVALUATION_SEED))
        return masked_classification(model(batch.inputs), batch)[1]["accuracy"]

    def run(self, model: SequenceModel, text: str) -> StepOutputs:
        """Classify 9 pixels typed as '#' (on) and '.' (off), rows optionally split by '/'; others read as grey."""
        text, notes = prepare_text(text, 200, "the image")
        pixels = [char for char in text if char not in PIXEL_SEPARATORS]
        if len(pixels) != 9:
            raise ValueError(f"an image has 9 pixels, 3 rows of 3 such as '#../.#./..#' ('#' on, '.' off); "
                             f"got {len(pixels)}")
        unknown = [char not in PIXEL_ON + PIXEL_OFF for char in pixels]
        values = torch.tensor([0.5 if odd else float(char in PIXEL_ON) for char, odd in zip(pixels, unknown)])
        readout, hidden = _readout(model, values.unsqueeze(0))  # (1, 3), (1, H)
        probabilities = readout.softmax(dim=-1)
        answer = LINE_CLASSES[int(probabilities[0].argmax())]
        notes += [f"{note}; they count as grey (0.5)" for note in unknown_note(pixels, unknown, "pixels")]
        image = "/".join("".join(pixels[row * 3:row * 3 + 3]) for row in range(3))
        return StepOutputs(self.io_type, None, (image,), (answer,), (None,), probabilities, LINE_CLASSES, hidden,
                           (False,), (any(unknown),), answer, tuple(notes))


# ---------------------------------------------------------------- many to one: the adding problem


class AddingSumTask(IOTask):
    """Many to one: read T numbers, two of them marked, and output their sum at the last step."""

    io_type: ClassVar[str] = "many-to-one"
    name: ClassVar[str] = "adding problem"
    application: ClassVar[str] = (
        "Sentiment classification: a whole review goes in, one word at a time, and one output (positive or "
        "negative) comes out at the end. Here, offline, the adding problem plays the review: only two of the "
        "numbers matter, and the answer is read once, after the last one.")
    description: ClassVar[str] = ("T random numbers in [0, 1), two of them marked (one in each half): output "
                                  "the sum of the two marked numbers after the last step.")
    shapes: ClassVar[str] = "input (B, T, 2: value, marker) -> output (B, 1) read at step T"
    metric: ClassVar[str] = "fraction of 1,000 held-out sums within 0.04"
    target: ClassVar[float] = 0.9
    example: ClassVar[str] = "0.3 *0.7 0.1 0.5 0.9 0.4 *0.2 0.6"
    defaults: ClassVar[Defaults] = Defaults(hidden_size=32, steps=600, learning_rate=0.01, batch_size=64)

    def __init__(self, length: int = 20) -> None:
        self.length = require_int("T (sequence length)", length, minimum=2, maximum=MAX_STEPS,
                                  why="longer sequences make a live CPU demo crawl")
        self.task = make_task("adding", self.length)

    def build_model(self, seed: int, kind: str, hidden_size: int) -> SequenceModel:
        """Recurrent over (value, marker), a readout of one number."""
        return build_seeded(lambda: SequenceModel(kind, 2, hidden_size, 1), seed)

    def sampler(self, batch_size: int) -> Callable[[torch.Generator], TaskBatch]:
        """The adding task's batches."""
        return task_sampler(self.task, batch_size)

    def loss_function(self, model: SequenceModel) -> LossFunction:
        """Squared error of the last step's readout."""
        return task_loss(model, self.task)

    @torch.no_grad()
    def evaluate(self, model: SequenceModel) -> float:
        """Fraction of 1,000 held-out sums within the tolerance."""
        batch = self.task.sample(1000, torch.Generator().manual_seed(EVALUATION_SEED))
        return self.task.accuracy(model(batch.inputs), batch)

    def run(self, model: SequenceModel, text: str) -> StepOutputs:
        """Numbers in [0, 1] split by spaces or commas, the two that count marked with '*'."""
        text, notes = prepare_text(text, MAX_TEXT_CHARACTERS, "the numbers")
        tokens = text.replace(",", " ").split()  # at most 1,000: each takes 2 of the 2,000 characters
        values, marks = zip(*(_number(token) for token in tokens))
        if sum(marks) != 2:
            raise ValueError(f"mark exactly two numbers with '*', e.g. {self.example!r}; {sum(marks)} are marked")
        inputs = torch.tensor([values, [float(mark) for mark in marks]]).T  # (T, 2)
        readout, hidden = _readout(model, inputs)  # (T, 1), (T, H)
        truth = sum(value for value, mark in zip(values, marks) if mark)
        steps = len(tokens)
        if steps != self.length:
            notes.append(f"trained on T = {self.length}; this input has T = {steps}")
        answer = f"{float(readout[-1, 0]):.3f}"  # the readout at every step is in `values`; only the last is trained
        return StepOutputs(self.io_type, None, tuple(tokens), (None,) * (steps - 1) + (answer,),
                           (None,) * (steps - 1) + (f"{truth:.3f}",), readout, ("sum",), hidden,
                           (False,) * steps, (False,) * steps, answer, tuple(notes))


def _number(token: str) -> tuple[float, bool]:
    """(value, marked) of a token like '0.3' or '*0.7'; ValueError unless the value is in [0, 1]."""
    marked = token.startswith("*")
    try:
        value = float(token.lstrip("*"))
    except ValueError:
        raise ValueError(f"{token!r} is not a number; type numbers between 0 and 1, marked ones as *0.7") from None
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"the numbers must lie between 0 and 1 (the task's range), got {token!r}")
    return value, marked


# ---------------------------------------------------------------- many to many aligned: bracket depth


class BracketDepthTask(IOTask):
    """Many to many, aligned: after every character of the bracket language, how many brackets are open."""

    io_type: ClassVar[str] = "many-to-many-aligned"
    name: ClassVar[str] = "bracket depth"
    application: ClassVar[str] = (
        "Video classification on frame level: one output per input frame (is this frame a goal?), each "
        "depending on the frames so far. Here the frames are characters and the label of each is the "
        "number of brackets open after it, which the RNN must count through time.")
    description: ClassVar[str] = ("Lines like f(a [b c] \"say {x}\") d: after each character, output the "
                                  "depth (0 to max_depth) of open brackets. Loss: the sum over steps of E_t.")
    shapes: ClassVar[str] = "input (B, T, 35: one-hot characters + unknown) -> output (B, T, max_depth + 1 classes)"
    metric: ClassVar[str] = "per-character accuracy on 200 held-out lines"
    target: ClassVar[float] = 0.97
    example: ClassVar[str] = 'f(a [b c] "say {x}") d'
    defaults: ClassVar[Defaults] = Defaults(hidden_size=64, steps=250, learning_rate=0.02, batch_size=32)

    def __init__(self, length: int = 64, max_depth: int = 4, corpus_seed: int = 0) -> None:
        self.length = require_int("T (window length)", length, minimum=1, maximum=MAX_STEPS,
                                  why="longer sequences make a live CPU demo crawl")
        self.max_depth = require_int("max_depth", max_depth, minimum=1, maximum=8)
        self.alphabet = {char: index for index, char in enumerate(BRACKET_ALPHABET)}
        self.unknown_id = len(self.alphabet)
        self.classes = tuple(str(depth) for depth in range(self.max_depth + 1))
        corpus = bracket_text(20_000 + 20 * self.length, max_depth=self.max_depth,
                              seed=require_int("corpus_seed", corpus_seed, minimum=0))
        self.corpus = self._encode(corpus.text)
        held_out = bracket_text(200 * 8 * self.max_depth, max_depth=self.max_depth, seed=EVALUATION_SEED).text
        self.held_out = self._held_out_lines([line + "\n" for line in held_out.split("\n")[:200]])

    def _encode(self, text: str) -> tuple[Tensor, Tensor, Tensor]:
        """(ids (N,), depths (N,) capped at max_depth, offsets of the line starts) of a text of the language."""
        ids = torch.tensor([self.alphabet[char] for char in text])
        depths = torch.from_numpy(np.minimum(analyze_brackets(text)[0], self.max_depth))
        starts = torch.tensor([0] + [i + 1 for i, char in enumerate(text[:-1]) if char == "\n"])
        return ids, depths, starts

    def _held_out_lines(self, lines: list[str]) -> TaskBatch:
        """The lines as one batch, padded at the end (after each line's last step, so nothing real changes)."""
        width = max(len(line) for line in lines)
        ids = torch.full((len(lines), width), self.unknown_id, dtype=torch.long)  # (L, N)
        depths = torch.zeros(len(lines), width, dtype=torch.long)
        mask = torch.zeros(len(lines), width, dtype=torch.bool)
        for row, line in enumerate(lines):
            line_ids, line_depths, _ = self._encode(line)
            ids[row, :len(line)], depths[row, :len(line)], mask[row, :len(line)] = line_ids, line_depths, True
        return TaskBatch(F.one_hot(ids, self.unknown_id + 1).float(), depths, mask)

    def build_model(self, seed: int, kind: str, hidden_size: int) -> SequenceModel:
        """Recurrent over one-hot characters, a readout of the depth at every step."""
        return build_seeded(lambda: SequenceModel(kind, self.unknown_id + 1, hidden_size, len(self.classes)), seed)

    def sampler(self, batch_size: int) -> Callable[[torch.Generator], TaskBatch]:
        """Windows of T characters that start at a line start (depth 0), drawn from the run's generator."""
        ids, depths, starts = self.corpus
        starts = starts[starts + self.length <= len(ids)]

        def sample(generator: torch.Generator) -> TaskBatch:
            begin = starts[torch.randint(0, len(starts), (batch_size,), generator=generator)]  # (B,)
            index = begin.unsqueeze(1) + torch.arange(self.length)  # (B, T)
            inputs = F.one_hot(ids[index], self.unknown_id + 1).float()  # (B, T, 35)
            return TaskBatch(inputs, depths[index], torch.ones(index.shape, dtype=torch.bool))
        return sample

    def loss_function(self, model: SequenceModel) -> LossFunction:
        """Mean over steps of E_t, the cross-entropy of the depth after step t."""
        return lambda batch, tbptt: masked_classification(model(batch.inputs, tbptt=tbptt), batch)

    @torch.no_grad()
    def evaluate(self, model: SequenceModel) -> float:
        """Per-character accuracy over 200 held-out lines, each read from its start (depth 0)."""
        return masked_classification(model(self.held_out.inputs), self.held_out)[1]["accuracy"]

    def run(self, model: SequenceModel, text: str) -> StepOutputs:
        """The depth after every character typed; characters outside the language read as unknown."""
        text, notes = prepare_text(text, MAX_TEXT_CHARACTERS, "the text")
        unknown = [char not in self.alphabet for char in text]
        ids = torch.tensor([self.alphabet.get(char, self.unknown_id) for char in text])
        readout, hidden = _readout(model, F.one_hot(ids, self.unknown_id + 1).float())  # (T, C), (T, H)
        probabilities = readout.softmax(dim=-1)
        predicted = [self.classes[int(i)] for i in probabilities.argmax(dim=-1)]
        true_depth = analyze_brackets(text)[0]
        if int(true_depth.max()) > self.max_depth:
            notes.append(f"the text nests {int(true_depth.max())} deep; the model counts up to {self.max_depth}")
        truth = tuple(str(min(int(depth), self.max_depth)) for depth in true_depth)
        notes += unknown_note(list(text), unknown)
        return StepOutputs(self.io_type, None, tuple(text), tuple(predicted), truth, probabilities, self.classes,
                           hidden, (False,) * len(text), tuple(unknown), "".join(predicted), tuple(notes))
