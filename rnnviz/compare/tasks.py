"""The tasks a comparison can race on, each trained by its page family's own trainer.

Every task says how many parameters a configuration has (from `rnnviz.core.kinds`), builds the real
model from a seed, trains it (generated tasks and reviews through `rnnviz.training.loop.fit`, the
bracket language through `rnnviz.charlm.train.train_charlm`), scores it on held-out data, and measures
the gradient that reaches t = 0 with `rnnviz.probes.gradients.timestep_grads`.
"""

from __future__ import annotations

import functools
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnviz.charlm.model import CharLM, char_vocabulary
from rnnviz.charlm.train import Corpus, LMSettings, bracket_corpus, build_model, train_charlm
from rnnviz.compare.base import ComparisonTask, Trained, display_name, first_over_last
from rnnviz.compare.configs import Configuration
from rnnviz.compare.matching import readout_parameters, recurrent_parameters
from rnnviz.compare.translation import TranslationTask
from rnnviz.core.randomness import embedding, make_generator
from rnnviz.data.tasks import TASK_NAMES, Task, make_task
from rnnviz.data.text import Vocabulary
from rnnviz.probes.gradients import timestep_grads
from rnnviz.training.loop import TrainConfig, fit
from rnnviz.training.tasks import SequenceModel, task_loss, task_sampler
from rnnviz.unrolled.io_sentiment import SentimentTask

EVALUATION_SEED = 987_654  # the held-out batches: the same for every run, never trained on
EVALUATION_BATCH = 512
EMBEDDING_SIZE = 32


class GeneratedTask(ComparisonTask):
    """Adding, copy or first symbol at a dependency length: SequenceModel + task_loss + task_sampler."""

    step_metric = "accuracy"
    higher_is_better = True

    def __init__(self, name: str, length: int) -> None:
        self.task: Task = make_task(name, length)
        self.name = name
        self.label = {"adding": "adding problem", "copy": "copy", "first-symbol": "first symbol"}[name] + f" (T = {length})"
        self.metric = "held-out accuracy"

    def parameter_count(self, configuration: Configuration) -> int:
        """Recurrent layers plus the readout at every step."""
        c, directions = configuration, 2 if configuration.bidirectional else 1
        return recurrent_parameters(
            c.kind, self.task.input_size, c.hidden_size, c.num_layers, c.bidirectional
        ) + readout_parameters(c.hidden_size * directions, self.task.output_size)

    def build(self, configuration: Configuration, seed: int) -> SequenceModel:
        """SequenceModel.for_task with the configuration's cell, layers and direction."""
        c = configuration
        return SequenceModel.for_task(
            self.task,
            c.kind,
            c.hidden_size,
            num_layers=c.num_layers,
            bidirectional=c.bidirectional,
            generator=make_generator(seed),
        )

    @functools.cached_property
    def _held_out(self):
        """One large batch the runs never train on."""
        return self.task.sample(EVALUATION_BATCH, make_generator(EVALUATION_SEED))

    def train(self, model, configuration, config, callbacks, stop) -> Trained:
        """fit(...) on fresh batches, then accuracy on the held-out batch."""
        result = fit(
            model.parameters(), task_loss(model, self.task), task_sampler(self.task, config.batch_size), config, callbacks, stop
        )
        with torch.no_grad():
            accuracy = self.task.accuracy(model(self._held_out.inputs), self._held_out)
        return Trained(result, float(accuracy))

    def gradient_ratio(self, model: SequenceModel) -> float:
        """The task's loss on 64 held-out sequences, differentiated at every h_t."""
        batch = self._held_out
        inputs = batch.inputs[:64]
        small = type(batch)(inputs, batch.targets[:64], batch.mask[:64])
        return first_over_last(timestep_grads(model.recurrent, inputs, lambda output: self.task.loss(model.head(output), small)))


@functools.lru_cache(maxsize=2)
def _bracket_data(num_chars: int) -> tuple[Corpus, Vocabulary]:
    """The bracket-and-quote corpus and its characters (built once per process)."""
    corpus = bracket_corpus(num_chars)
    return corpus, char_vocabulary(corpus.train)


class BracketTask(ComparisonTask):
    """The bracket-and-quote language, next character: the char model's trainer, bits per character."""

    name = "brackets"
    label = "bracket language (next character)"
    metric = "validation bits per character"
    step_metric = "bits_per_char"
    higher_is_better = False
    bidirectional_allowed = False

    def __init__(self, seq_length: int = 50, num_chars: int = 60_000) -> None:
        self.seq_length = seq_length
        self.corpus, self.vocab = _bracket_data(num_chars)

    def checkpoint_vocab(self) -> dict[str, list[str]]:
        """The characters, as an Inside-the-cell checkpoint stores them."""
        return self.vocab.to_json()

    def parameter_count(self, configuration: Configuration) -> int:
        """Embedding, recurrent layers, next-character readout."""
        c, size = configuration, len(self.vocab)
        return (
            size * EMBEDDING_SIZE
            + recurrent_parameters(c.kind, EMBEDDING_SIZE, c.hidden_size, c.num_layers)
            + readout_parameters(c.hidden_size, size)
        )

    def settings(self, configuration: Configuration, config: TrainConfig) -> LMSettings:
        """The char model's settings for this configuration."""
        return LMSettings(
            kind=configuration.kind,
            hidden_size=configuration.hidden_size,
            num_layers=configuration.num_layers,
            embedding_size=EMBEDDING_SIZE,
            seq_length=self.seq_length,
            unknown_rate=0.0,
            train=config,
        )

    def build(self, configuration: Configuration, seed: int) -> CharLM:
        """build_model of the char family, seeded."""
        self.check(configuration)
        return build_model(self.settings(configuration, TrainConfig(seed=seed)), self.vocab)

    def train(self, model, configuration, config, callbacks, stop) -> Trained:
        """train_charlm on the corpus; its validation bits per character."""
        trained = train_charlm(
            self.corpus, self.settings(configuration, config), callbacks=list(callbacks), stop=stop, model=model, vocab=self.vocab
        )
        return Trained(trained.result, float(trained.metrics["validation_bpc"]))

    def gradient_ratio(self, model: CharLM) -> float:
        """The loss of the last character of 16 validation windows, differentiated at every h_t."""
        ids = torch.tensor(self.vocab.encode(self.corpus.validation[: 16 * (self.seq_length + 1)]))
        windows = ids[: 16 * (self.seq_length + 1)].reshape(16, self.seq_length + 1)  # (B, L + 1)
        inputs, target = windows[:, :-1], windows[:, -1]

        def last_loss(output: Tensor) -> Tensor:
            return F.cross_entropy(model.head(output[:, -1]), target)

        return first_over_last(timestep_grads(model.recurrent, model.embed(inputs).detach(), last_loss))


class ReviewClassifier(nn.Module):
    """Word embeddings, recurrent layers (any direction), a readout of two classes at every step."""

    def __init__(self, configuration: Configuration, vocabulary_size: int, generator: torch.Generator) -> None:
        super().__init__()
        c = configuration
        self.embedding = embedding(vocabulary_size, EMBEDDING_SIZE, padding_idx=0, generator=generator)
        self.sequence = SequenceModel(
            c.kind, EMBEDDING_SIZE, c.hidden_size, 2, c.num_layers, c.bidirectional, generator=generator
        )
        self.vocabulary_size = vocabulary_size
        self.configuration = configuration

    @property
    def config(self) -> dict[str, object]:
        """What a checkpoint needs to rebuild this model (rnnviz.compare.weights.BUILDERS names it)."""
        c = self.configuration
        return {"model": "compare-review-classifier", "kind": c.kind, "num_layers": c.num_layers,
                "bidirectional": c.bidirectional, "hidden_size": c.hidden_size, "vocabulary_size": self.vocabulary_size}

    @classmethod
    def from_config(cls, config: dict[str, object]) -> ReviewClassifier:
        """The model `config` describes, with fresh weights (a checkpoint then loads its own)."""
        configuration = Configuration(config["kind"], config["num_layers"], config["bidirectional"], config["hidden_size"])
        return cls(configuration.validate(), int(config["vocabulary_size"]), make_generator(0))

    @property
    def recurrent(self):
        """The recurrent layers (what the gradient probe reads)."""
        return self.sequence.recurrent

    def forward(self, ids: Tensor) -> Tensor:
        """Class scores (B, T, 2) for word ids (B, T)."""
        return self.sequence(self.embedding(ids))


@functools.lru_cache(maxsize=2)
def _reviews(path: str, max_words: int) -> SentimentTask:
    """The reviews file read and split once per process."""
    return SentimentTask(path, max_words=max_words)


class SentimentComparison(ComparisonTask):
    """Real movie reviews, many to one: the unrolled page's review data, held-out accuracy."""

    name = "sentiment"
    metric = "held-out accuracy"
    step_metric = "accuracy"
    higher_is_better = True
    optimizer = "adamw"
    weight_decay = 0.5  # what the unrolled page found: 2,400 reviews overfit without

    def __init__(self, path: str | Path, max_words: int = 100) -> None:
        self.reviews = _reviews(str(path), max_words)
        self.label = f"review sentiment ({display_name(path)}, last {max_words} words)"

    def checkpoint_vocab(self) -> dict[str, list[str]]:
        """The reviews' word vocabulary."""
        return self.reviews.vocabulary.to_json()

    def parameter_count(self, configuration: Configuration) -> int:
        """Embedding, recurrent layers, two-class readout."""
        c, directions = configuration, 2 if configuration.bidirectional else 1
        return (
            len(self.reviews.vocabulary) * EMBEDDING_SIZE
            + recurrent_parameters(c.kind, EMBEDDING_SIZE, c.hidden_size, c.num_layers, c.bidirectional)
            + readout_parameters(c.hidden_size * directions, 2)
        )

    def build(self, configuration: Configuration, seed: int) -> ReviewClassifier:
        """A ReviewClassifier, seeded."""
        return ReviewClassifier(configuration, len(self.reviews.vocabulary), make_generator(seed))

    def train(self, model, configuration, config, callbacks, stop) -> Trained:
        """fit(...) on training reviews, then held-out accuracy."""
        result = fit(
            model.parameters(),
            self.reviews.loss_function(model),
            self.reviews.sampler(config.batch_size),
            config,
            callbacks,
            stop,
        )
        model.eval()
        return Trained(result, self.reviews.evaluate(model))

    def gradient_ratio(self, model: ReviewClassifier) -> float:
        """The loss after the last word of 32 held-out reviews, differentiated at every h_t."""
        ids, labels = self.reviews.held_out.ids[:32], self.reviews.held_out.labels[:32]

        def last_loss(output: Tensor) -> Tensor:
            return F.cross_entropy(model.sequence.head(output[:, -1]), labels)

        return first_over_last(timestep_grads(model.recurrent, model.embedding(ids).detach(), last_loss))


TASK_CHOICES = (*TASK_NAMES, "brackets", "sentiment", "translation")


def make_comparison_task(
    name: str, length: int = 50, reviews: str | Path | None = None, pairs: str | Path | None = None
) -> ComparisonTask:
    """The task called `name`: a generated one at `length`, the bracket language, reviews from a CSV file,
    or translation of the tutorial's pairs file."""
    if name in TASK_NAMES:
        return GeneratedTask(name, length)
    if name == "brackets":
        return BracketTask()
    if name == "sentiment":
        if reviews is None:
            raise ValueError("the sentiment task needs a reviews CSV file (columns text and label)")
        return SentimentComparison(reviews)
    if name == "translation":
        if pairs is None:
            raise ValueError("the translation task needs the tutorial's pairs file (eng-fra.txt)")
        return TranslationTask(pairs)
    raise ValueError(f"unknown task {name!r}; expected one of {', '.join(TASK_CHOICES)}")
