"""Many to one on real data: the sentiment of a movie review, read word by word, said once at the end.

The reviews come from a CSV file the caller names (columns `text` and `label`, labels
Positive/Negative or 1/0, e.g. a few thousand IMDb reviews); nothing is downloaded or shipped.
Reviews are long, which is the point: the answer is read out after the last word, so what the
first sentences said must survive a hundred steps or more (max_words).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor

from rnnviz.core.validation import require_fraction, require_int
from rnnviz.data.text import Vocabulary
from rnnviz.training.loop import LossFunction
from rnnviz.unrolled.io_common import MAX_STEPS, Defaults, IOTask, StepOutputs, prepare_text, unknown_note
from rnnviz.unrolled.io_models import EmbeddedSequenceModel, build_seeded

SENTIMENT_CLASSES = ("negative", "positive")
_LABELS = {"negative": 0, "neg": 0, "0": 0, "positive": 1, "pos": 1, "1": 1}
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[!?]")
MAX_REVIEW_CHARACTERS = 5000
MAX_FILE_BYTES = 100_000_000


def words_of(text: str) -> list[str]:
    """Lowercase words (and ! ?) of a review, HTML line breaks dropped."""
    return _WORD.findall(text.lower().replace("<br />", " "))


def read_reviews(path: str | Path) -> tuple[list[str], list[int]]:
    """(texts, labels 0/1) of a CSV file with columns text and label; ValueError saying what is wrong."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"no review file at {str(path)!r}: give the path of a CSV file with columns "
                         "text and label (Positive/Negative), e.g. imdb_small.csv")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ValueError(f"{path.name} is larger than {MAX_FILE_BYTES // 1_000_000} MB; use a smaller sample")
    with path.open(newline="", encoding="utf-8", errors="replace") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or not {"text", "label"} <= set(reader.fieldnames):
            raise ValueError(f"{path.name} needs the columns text and label; it has {reader.fieldnames}")
        rows = [(row["text"] or "", (row["label"] or "").strip().lower()) for row in reader]
    odd = sorted({label for _, label in rows if label not in _LABELS})
    if odd:
        raise ValueError(f"{path.name}: labels must be Positive/Negative or 1/0; found {', '.join(odd[:5])}")
    if len(rows) < 20 or len({label for _, label in rows}) < 2:
        raise ValueError(f"{path.name} needs at least 20 reviews of both labels; it has {len(rows)}")
    return [text for text, _ in rows], [_LABELS[label] for _, label in rows]


@dataclass(frozen=True)
class ReviewBatch:
    """Word ids padded on the left, so every review ends at the last step, and the labels."""

    ids: Tensor  # (B, T) long, 0 = padding
    labels: Tensor  # (B,) long: 0 negative, 1 positive


class SentimentTask(IOTask):
    """Many to one: a movie review in, word by word; positive or negative out, after the last word."""

    io_type: ClassVar[str] = "many-to-one"
    name: ClassVar[str] = "review sentiment"
    application: ClassVar[str] = (
        "Sentiment classification: a whole review goes in, one word per step, and one output (positive or "
        "negative) comes out after the last word. Only that output is scored, so the loss reaches the first "
        "words only through every step in between.")
    description: ClassVar[str] = "Real movie reviews (the last max_words words of each): positive or negative?"
    shapes: ClassVar[str] = "input (B, T = max_words word ids) -> output (B, 2 classes) read at step T"
    metric: ClassVar[str] = "accuracy on the held-out 20% of the reviews"
    target: ClassVar[float] = 0.7
    example: ClassVar[str] = "I expected a lot from this film, but the plot was thin and the acting was awful."
    defaults: ClassVar[Defaults] = Defaults(hidden_size=64, steps=300, learning_rate=0.01, batch_size=32,
                                            optimizer="adamw", weight_decay=0.5)  # 2,400 reviews overfit without

    def __init__(self, path: str | Path, max_words: int = 100, vocabulary_size: int = 5000,
                 held_out: float = 0.2, split_seed: int = 0) -> None:
        self.max_words = require_int("max_words", max_words, minimum=1, maximum=MAX_STEPS,
                                     why="longer reviews make a live CPU demo crawl")
        texts, labels = read_reviews(path)
        order = torch.randperm(len(texts), generator=torch.Generator().manual_seed(require_int(
            "split_seed", split_seed, minimum=0))).tolist()
        cut = int(len(texts) * (1 - require_fraction("held_out", held_out, allow_zero=False)))
        words = [words_of(text) for text in texts]
        self.vocabulary = Vocabulary.build([words[i] for i in order[:cut]], min_count=2, max_size=require_int(
            "vocabulary_size", vocabulary_size, minimum=10, maximum=50_000))
        ids, labels_tensor = self._encode(words), torch.tensor(labels)
        self.train_split = ReviewBatch(ids[order[:cut]], labels_tensor[order[:cut]])
        self.held_out = ReviewBatch(ids[order[cut:]], labels_tensor[order[cut:]])

    def _encode(self, reviews: list[list[str]]) -> Tensor:
        """(N, max_words) ids of the last max_words words of each review, padded on the left."""
        ids = torch.zeros(len(reviews), self.max_words, dtype=torch.long)
        for row, words in enumerate(reviews):
            kept = words[-self.max_words:]
            if kept:
                ids[row, -len(kept):] = torch.tensor(self.vocabulary.encode(kept))
        return ids

    def build_model(self, seed: int, kind: str, hidden_size: int) -> EmbeddedSequenceModel:
        """Word embeddings, a recurrent layer, a readout of two classes."""
        return build_seeded(lambda: EmbeddedSequenceModel(kind, len(self.vocabulary), 32, hidden_size, 2), seed)

    def sampler(self, batch_size: int) -> Callable[[torch.Generator], ReviewBatch]:
        """Training reviews drawn with replacement from the run's generator."""
        count = len(self.train_split.labels)

        def sample(generator: torch.Generator) -> ReviewBatch:
            rows = torch.randint(0, count, (batch_size,), generator=generator)
            return ReviewBatch(self.train_split.ids[rows], self.train_split.labels[rows])
        return sample

    def loss_function(self, model: EmbeddedSequenceModel) -> LossFunction:
        """Cross-entropy of the readout after the last word."""
        def loss_fn(batch: ReviewBatch, tbptt: tuple[int, int] | None) -> tuple[Tensor, dict[str, float]]:
            logits = model(batch.ids)[:, -1]  # (B, 2)
            accuracy = float((logits.detach().argmax(dim=-1) == batch.labels).float().mean())
            return F.cross_entropy(logits, batch.labels), {"accuracy": accuracy}
        return loss_fn

    @torch.no_grad()
    def evaluate(self, model: EmbeddedSequenceModel) -> float:
        """Accuracy on the held-out reviews."""
        logits = model(self.held_out.ids)[:, -1]  # (N, 2)
        return float((logits.argmax(dim=-1) == self.held_out.labels).float().mean())

    def run(self, model: EmbeddedSequenceModel, text: str) -> StepOutputs:
        """Read a review word by word; the readout at every step shows the opinion so far, the last one counts."""
        text, notes = prepare_text(text, MAX_REVIEW_CHARACTERS, "the review")
        words = words_of(text)
        if not words:
            raise ValueError("the review has no words (letters or digits) to read")
        unknown = self.vocabulary.unknown(words)
        with torch.no_grad():
            readout, hidden = model.run(torch.tensor([self.vocabulary.encode(words)]))  # (1, T, 2), (1, T, H)
        probabilities = readout[0].softmax(dim=-1)
        answer = SENTIMENT_CLASSES[int(probabilities[-1].argmax())]
        steps = len(words)
        notes += unknown_note(words, unknown, "words")
        return StepOutputs(self.io_type, None, tuple(words), (None,) * (steps - 1) + (answer,), (None,) * steps,
                           probabilities, SENTIMENT_CLASSES, hidden[0], (False,) * steps, tuple(unknown), answer,
                           tuple(notes))
