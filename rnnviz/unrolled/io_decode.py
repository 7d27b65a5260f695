"""The two input/output types with a decoder that feeds its outputs back: one to many and the encoder–decoder.

- one to many: a number 0-99 (one input vector: its two digits) -> its English spelling, "forty-two".
- many to many (encoder–decoder): a date as people write it -> ISO, "wednesday 25 nov 2026" -> "2026-11-25".

Both train with a teacher-forcing ratio: the probability, per batch or per step, that a decoder
step reads the true previous character rather than the model's own choice. The draws come from the
run's generator in the sampler, so a run repeats bit for bit. At 1.0 every step is known in advance
and the decoder runs all steps in one fused call; below 1.0 it runs one step at a time.
"""

from __future__ import annotations

import datetime
from abc import abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnviz.core.validation import require_choice, require_fraction
from rnnviz.data.languages import (
    DATE_FORMATS,
    DATE_SOURCE_ALPHABET,
    DATE_TARGET_ALPHABET,
    FIRST_DATE,
    LAST_DATE,
    date_pairs,
    format_date,
)
from rnnviz.training.loop import LossFunction
from rnnviz.unrolled.io_common import (
    EVALUATION_SEED,
    Defaults,
    IOTask,
    StepOutputs,
    no_readout,
    prepare_text,
    unknown_note,
)
from rnnviz.unrolled.io_models import IGNORE_INDEX, Captioner, Decoded, EncoderDecoder, build_seeded

END, START = "</s>", "<s>"
END_ID = 0  # every target vocabulary starts with the end symbol
FORCING_MODES = ("batch", "step")


@dataclass(frozen=True)
class PairBatch:
    """Sources, targets, and where teacher forcing feeds the truth."""

    sources: Tensor  # (B, S) source ids, or (B, F) one input vector each
    targets: Tensor  # (B, U) target ids ending in END_ID, IGNORE_INDEX after it
    feed_truth: Tensor  # (B, U) bool: the step reads the true previous character (step 0 reads the start)


def draw_feed_truth(shape: tuple[int, int], ratio: float, per: str, generator: torch.Generator) -> Tensor:
    """(B, U) bool: True with probability `ratio`, one draw per batch or per step; the same draws whatever the ratio."""
    uniform = torch.rand(shape, generator=generator)  # (B, U)
    return (uniform[:1, :1] < ratio).expand(shape) if per == "batch" else uniform < ratio


class DecoderTask(IOTask):
    """A task whose decoder writes a sequence of characters and reads each one back."""

    target_alphabet: ClassVar[str]
    max_target_length: ClassVar[int]  # characters, END excluded

    def __init__(self, teacher_forcing: float = 1.0, per: str = "batch") -> None:
        self.teacher_forcing = require_fraction("teacher_forcing", teacher_forcing)
        self.per = require_choice("per", per, FORCING_MODES)
        self.classes = (END, *self.target_alphabet)
        self.target_ids = {char: index + 1 for index, char in enumerate(self.target_alphabet)}

    @abstractmethod
    def draw(self, batch_size: int, generator: torch.Generator) -> tuple[Tensor, list[str]]:
        """(sources, target strings) of a random batch."""

    def encode_targets(self, texts: list[str]) -> Tensor:
        """(B, max_target_length + 1) ids with END after each text, IGNORE_INDEX after that."""
        targets = torch.full((len(texts), self.max_target_length + 1), IGNORE_INDEX, dtype=torch.long)
        for row, text in enumerate(texts):
            targets[row, :len(text) + 1] = torch.tensor([*(self.target_ids[char] for char in text), END_ID])
        return targets

    def decode_ids(self, ids: list[int]) -> str:
        """The text of ids up to the first END."""
        cut = ids.index(END_ID) if END_ID in ids else len(ids)
        return "".join(self.classes[i] for i in ids[:cut])

    def sampler(self, batch_size: int) -> Callable[[torch.Generator], PairBatch]:
        """Random pairs and teacher-forcing draws, all from the run's generator."""
        def sample(generator: torch.Generator) -> PairBatch:
            sources, texts = self.draw(batch_size, generator)
            targets = self.encode_targets(texts)
            return PairBatch(sources, targets, draw_feed_truth(targets.shape, self.teacher_forcing, self.per,
                                                               generator))
        return sample

    def loss_function(self, model: nn.Module) -> LossFunction:
        """Mean over the target characters of E_t, the cross-entropy of step t; token accuracy as the metric."""
        def loss_fn(batch: PairBatch, tbptt: tuple[int, int] | None) -> tuple[Tensor, dict[str, float]]:
            start, _ = model.initial_state(batch.sources)
            decoded = model.decoder.mixed(start, batch.targets, batch.feed_truth)
            return sequence_loss(decoded, batch.targets)
        return loss_fn

    def exact_match(self, model: nn.Module, sources: Tensor, texts: list[str]) -> float:
        """Fraction of sources whose free-running (greedy) output is exactly the target text."""
        with torch.no_grad():
            start, _ = model.initial_state(sources)
            decoded = model.decoder.free_running(start, self.max_target_length + 1, stop_at=END_ID)
        written = [self.decode_ids(row) for row in decoded.ids.tolist()]
        return sum(a == b for a, b in zip(written, texts)) / len(texts)

    def decode_one(self, model: nn.Module, sources: Tensor) -> tuple[Decoded, Tensor | None]:
        """(free-running decoding of one source (1, ...), the encoder's hidden states (1, S, H) or None)."""
        with torch.no_grad():
            start, encoder_hidden = model.initial_state(sources)
            return model.decoder.free_running(start, self.max_target_length + 1, stop_at=END_ID), encoder_hidden

    def decoder_steps(self, decoded: Decoded) -> tuple[tuple[str, ...], tuple[str, ...], Tensor, str]:
        """(inputs, outputs, probabilities (U, V), answer) of one decoding, up to its END."""
        written = decoded.ids[0].tolist()
        outputs = tuple(self.classes[i] for i in written)
        inputs = (START, *outputs[:-1])
        return inputs, outputs, decoded.logits[0].softmax(dim=-1), self.decode_ids(written)


def sequence_loss(decoded: Decoded, targets: Tensor) -> tuple[Tensor, dict[str, float]]:
    """Cross-entropy of logits (B, U, V) against targets (B, U), IGNORE_INDEX left out; token accuracy."""
    scored = targets != IGNORE_INDEX  # (B, U)
    loss = F.cross_entropy(decoded.logits.flatten(0, 1), targets.flatten(), ignore_index=IGNORE_INDEX)
    accuracy = float((decoded.ids[scored] == targets[scored]).float().mean())
    return loss, {"accuracy": accuracy}


# ---------------------------------------------------------------- one to many: spell a number

ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
        "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")
TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")


def spell(number: int) -> str:
    """English words of 0-99: 7 -> "seven", 42 -> "forty-two"."""
    if number < 20:
        return ONES[number]
    tens, ones = divmod(number, 10)
    return TENS[tens] + (f"-{ONES[ones]}" if ones else "")


def digits_vector(numbers: Tensor) -> Tensor:
    """(B, 20): one-hot of the tens digit, then of the ones digit, of numbers (B,) in 0-99."""
    return torch.cat([F.one_hot(numbers // 10, 10), F.one_hot(numbers % 10, 10)], dim=1).float()


class SpellingTask(DecoderTask):
    """One to many: one input (a number's two digits) sets h_0, the decoder writes the number in words."""

    io_type: ClassVar[str] = "one-to-many"
    name: ClassVar[str] = "spell a number"
    application: ClassVar[str] = (
        "Image captioning: one input (the image, as a feature vector) and a sentence out, one word per step, "
        "each step reading the word written before it. Here the 'image' is a number 0-99 and the caption "
        "its spelling, one character per step.")
    description: ClassVar[str] = "A number 0-99 goes in once; its English spelling comes out, one character a step."
    shapes: ClassVar[str] = "input (B, 20: tens and ones digits one-hot) -> output (B, U <= 14, 28 characters)"
    metric: ClassVar[str] = "exactly right spellings of all 100 numbers (free-running)"
    target: ClassVar[float] = 0.95
    example: ClassVar[str] = "42"
    defaults: ClassVar[Defaults] = Defaults(hidden_size=64, steps=300, learning_rate=0.01, batch_size=64)
    target_alphabet: ClassVar[str] = "abcdefghijklmnopqrstuvwxyz-"
    max_target_length: ClassVar[int] = max(len(spell(number)) for number in range(100))

    def build_model(self, seed: int, kind: str, hidden_size: int) -> Captioner:
        """The digits set h_0; a character decoder writes the spelling."""
        return build_seeded(lambda: Captioner(kind, 20, len(self.classes), 16, hidden_size), seed)

    def draw(self, batch_size: int, generator: torch.Generator) -> tuple[Tensor, list[str]]:
        """Numbers uniform over 0-99."""
        numbers = torch.randint(0, 100, (batch_size,), generator=generator)  # (B,)
        return digits_vector(numbers), [spell(number) for number in numbers.tolist()]

    def evaluate(self, model: Captioner) -> float:
        """Fraction of the 100 numbers spelled exactly right."""
        numbers = torch.arange(100)
        return self.exact_match(model, digits_vector(numbers), [spell(n) for n in numbers.tolist()])

    def run(self, model: Captioner, text: str) -> StepOutputs:
        """Spell the number typed (0-99), one character per step."""
        text, notes = prepare_text(text, 100, "the number")
        if not text.strip().isdecimal() or not 0 <= int(text.strip()) <= 99:
            raise ValueError(f"type a whole number from 0 to 99, e.g. 42; got {text.strip()[:20]!r}")
        number = int(text.strip())
        decoded, _ = self.decode_one(model, digits_vector(torch.tensor([number])))
        inputs, outputs, probabilities, answer = self.decoder_steps(decoded)
        truth = (*spell(number), END)
        steps = len(outputs)
        return StepOutputs(self.io_type, str(number), inputs, outputs,
                           tuple(truth[t] if t < len(truth) else None for t in range(steps)), probabilities,
                           self.classes, decoded.hidden[0], (False, *([True] * (steps - 1))), (False,) * steps,
                           answer, tuple(notes))


# ---------------------------------------------------------------- many to many: the encoder–decoder on dates

MAX_SOURCE_LENGTH = 32  # the longest format writes 29 characters
SOURCE_PAD_ID, SOURCE_UNKNOWN_ID = 0, 1


class DateTask(DecoderTask):
    """Encoder–decoder: read a date as people write it, write it as YYYY-MM-DD."""

    io_type: ClassVar[str] = "encoder-decoder"
    name: ClassVar[str] = "dates to ISO"
    application: ClassVar[str] = (
        "Machine translation: the whole sentence is read first (the encoder), because words in the two "
        "languages do not line up one to one; then the decoder writes the translation, reading each word "
        "it wrote. Here the 'sentence' is a date in one of 13 human formats and the 'translation' its ISO form.")
    description: ClassVar[str] = ("'wednesday 25 nov 2026' -> '2026-11-25': characters in, characters out, "
                                  "through one vector, the encoder's summary c, which sets the decoder's first "
                                  "state and is read again at every decoder step (Cho et al. 2014).")
    shapes: ClassVar[str] = "input (B, S <= 32 characters) -> output (B, U = 11: 10 characters and the end)"
    metric: ClassVar[str] = "exactly right dates on 500 held-out pairs (free-running)"
    target: ClassVar[float] = 0.9
    example: ClassVar[str] = "wednesday 25 nov 2026"
    defaults: ClassVar[Defaults] = Defaults(hidden_size=64, steps=450, learning_rate=0.01, batch_size=64)
    target_alphabet: ClassVar[str] = DATE_TARGET_ALPHABET
    max_target_length: ClassVar[int] = 10

    def __init__(self, teacher_forcing: float = 1.0, per: str = "batch") -> None:
        super().__init__(teacher_forcing, per)
        self.source_ids = {char: index + 2 for index, char in enumerate(DATE_SOURCE_ALPHABET)}
        self.held_out = date_pairs(500, seed=EVALUATION_SEED)

    def build_model(self, seed: int, kind: str, hidden_size: int) -> EncoderDecoder:
        """A GRU (or the chosen kind) encoder and decoder of the same size."""
        return build_seeded(lambda: EncoderDecoder(kind, len(self.source_ids) + 2, len(self.classes), 16,
                                                   hidden_size), seed)

    def encode_sources(self, texts: list[str]) -> Tensor:
        """(B, MAX_SOURCE_LENGTH) ids, padded on the left so every source ends at the last step."""
        ids = torch.full((len(texts), MAX_SOURCE_LENGTH), SOURCE_PAD_ID, dtype=torch.long)
        for row, text in enumerate(texts):
            if text:
                ids[row, -len(text):] = torch.tensor([self.source_ids.get(c, SOURCE_UNKNOWN_ID) for c in text])
        return ids

    def draw(self, batch_size: int, generator: torch.Generator) -> tuple[Tensor, list[str]]:
        """Dates uniform over 1950-2049, formats uniform over the 13."""
        first, last = FIRST_DATE.toordinal(), LAST_DATE.toordinal()
        days = torch.randint(first, last + 1, (batch_size,), generator=generator).tolist()
        formats = torch.randint(0, len(DATE_FORMATS), (batch_size,), generator=generator).tolist()
        dates = [datetime.date.fromordinal(day) for day in days]
        sources = [format_date(date, DATE_FORMATS[index]) for date, index in zip(dates, formats)]
        return self.encode_sources(sources), [date.isoformat() for date in dates]

    def evaluate(self, model: EncoderDecoder) -> float:
        """Fraction of 500 held-out dates written exactly right."""
        sources, targets = zip(*self.held_out)
        return self.exact_match(model, self.encode_sources(list(sources)), list(targets))

    def run(self, model: EncoderDecoder, text: str) -> StepOutputs:
        """Encode the date typed, then decode it free-running; encoder steps have no output."""
        lowered = text.lower() if isinstance(text, str) else text  # before the cut: "İ".lower() is 2 characters
        changed = lowered != text
        text, notes = prepare_text(lowered, MAX_SOURCE_LENGTH, "the date")
        notes += ["read in lowercase, as the model was trained"] if changed else []
        unknown = [char not in self.source_ids for char in text]
        notes += unknown_note(list(text), unknown)
        decoded, encoder_hidden = self.decode_one(model, self.encode_sources([text]))
        inputs, outputs, probabilities, answer = self.decoder_steps(decoded)
        source, steps = len(text), len(outputs)
        values = torch.cat([no_readout(source, len(self.classes)), probabilities])  # (S + U, V)
        hidden = torch.cat([encoder_hidden[0, -source:], decoded.hidden[0]])  # (S + U, H)
        return StepOutputs(self.io_type, None, (*text, *inputs), (None,) * source + outputs,
                           (None,) * (source + steps), values, self.classes, hidden,
                           (False,) * (source + 1) + (True,) * (steps - 1), (*unknown, *([False] * steps)),
                           answer, tuple(notes))
