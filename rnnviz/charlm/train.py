"""Training character language models: corpora, batches, a time or step budget, validation bits per character.

    corpus = bracket_corpus()                       # or text_corpus(open(path).read(), name=...)
    trained = train_charlm(corpus, LMSettings(kind="lstm").replace(seconds=60))
    save_charlm("checkpoints/charlm-brackets-lstm.safetensors", trained, command="...")

Everything goes through `rnnviz.training.loop.fit`, so a page can run it in a background job with
progress, Stop and a live loss curve.
"""

from __future__ import annotations

import hashlib
import math
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from rnnviz.charlm.model import CharLM, bits_per_char, char_vocabulary, prepare_text
from rnnviz.core.cells import KINDS
from rnnviz.core.randomness import make_generator
from rnnviz.core.validation import require_choice, require_fraction, require_int
from rnnviz.data.languages import bracket_text
from rnnviz.data.text import Vocabulary
from rnnviz.io import checkpoints
from rnnviz.training.loop import StepInfo, TrainConfig, TrainResult, fit, replace_settings

MIN_CORPUS_CHARS = 200
MAX_VALIDATION_CHARS = 100_000  # enough for a stable bits-per-character, quick on a laptop
CURVE_POINTS = 200  # the loss curve stored in a checkpoint


@dataclass(frozen=True)
class Corpus:
    """Text to train on and held-out text to measure on."""

    name: str  # "brackets", or the file's name
    train: str
    validation: str
    source: dict[str, Any] = field(default_factory=dict)  # how it was made (generator settings, file digest)


def bracket_corpus(num_chars: int = 300_000, *, max_depth: int = 6, seed: int = 0,
                   quote_probability: float = 0.15) -> Corpus:
    """The bracket-and-quote language: training text from `seed`, validation from `seed + 1`."""
    settings = {"max_depth": max_depth, "quote_probability": quote_probability}
    train = bracket_text(num_chars, seed=seed, **settings).text
    validation = bracket_text(max(num_chars // 10, MIN_CORPUS_CHARS), seed=seed + 1, **settings).text
    return Corpus("brackets", train, validation,
                  {"generator": "rnnviz.data.languages.bracket_text", "num_chars": num_chars, "seed": seed, **settings})


def check_learnable(text: str) -> None:
    """Refuse a text with nothing to predict (only whitespace, or one character repeated): it trains to 0 bits."""
    if not any(not char.isspace() for char in text):
        raise ValueError(f"the text has {len(text):,} characters but all are spaces or line breaks: there is "
                         "nothing to predict (a model would score a meaningless 0 bits per character); "
                         "give a text with words")
    if len(set(text)) < 2:
        raise ValueError(f"the text is one character ({text[0]!r}) repeated {len(text):,} times: there is nothing "
                         "to predict; give a text with words")


def text_corpus(text: str, *, name: str = "text", validation_fraction: float = 0.1) -> Corpus:
    """Plain text: the last `validation_fraction` is held out for validation."""
    text = prepare_text(text)
    fraction = require_fraction("validation_fraction", validation_fraction, allow_zero=False)
    if len(text) < MIN_CORPUS_CHARS:
        raise ValueError(f"the corpus has {len(text):,} characters; give at least {MIN_CORPUS_CHARS} to train on")
    check_learnable(text)
    cut = max(len(text) - max(int(len(text) * fraction), 2), 2)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return Corpus(name, text[:cut], text[cut:], {"chars": len(text), "sha256": digest,
                                                 "validation_fraction": fraction})


def file_corpus(path: str | Path, *, validation_fraction: float = 0.1) -> Corpus:
    """A UTF-8 plain-text file as a corpus (named after the file, never its full path)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ValueError(f"cannot read the corpus {str(path)!r}: {error}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"the corpus {path.name!r} is not UTF-8 text ({error.reason} at byte "
                         f"{error.start}); save it as UTF-8 plain text") from None
    return text_corpus(text, name=path.name, validation_fraction=validation_fraction)


TRAINING = TrainConfig(steps=2000, learning_rate=3e-3, clip="norm", clip_threshold=1.0, batch_size=32, seed=0)


@dataclass
class LMSettings:
    """The model and how to train it (`train`: a TrainConfig; its `seconds`, if set, ends training at a time budget)."""

    kind: str = "lstm"
    hidden_size: int = 128
    num_layers: int = 1
    embedding_size: int = 32  # 0: one-hot input
    seq_length: int = 100
    unknown_rate: float = 0.002  # share of input characters replaced by <unk>, so unknown input reads sensibly
    train: TrainConfig = TRAINING  # the char models' defaults: 2,000 steps of 32 windows, Adam 3e-3, norm clip 1

    def validate(self) -> LMSettings:
        """Raise ValueError with a clear message for settings out of range."""
        require_choice("kind", self.kind, KINDS)
        for name, low, high in (("hidden_size", 1, 2048), ("num_layers", 1, 8), ("seq_length", 2, 2000)):
            require_int(name, getattr(self, name), minimum=low, maximum=high)
        require_int("embedding_size", self.embedding_size, minimum=0, maximum=2048)
        require_fraction("unknown_rate", self.unknown_rate)
        if not isinstance(self.train, TrainConfig):
            raise ValueError(f"train must be a rnnviz.training.loop.TrainConfig, got {type(self.train).__name__}")
        require_int("batch_size", self.train.batch_size, minimum=1, maximum=4096)
        require_int("steps", self.train.steps, minimum=1, maximum=10_000_000)
        require_int("seed", self.train.seed, minimum=0)
        self.train.validate()
        return self

    def replace(self, **changes: Any) -> LMSettings:
        """A copy with some knobs changed; TrainConfig's (steps, seconds, learning_rate, ...) go into `train`."""
        return replace_settings(self, **changes)


@dataclass
class TrainedLM:
    """What `train_charlm` returns."""

    model: CharLM
    vocab: Vocabulary
    result: TrainResult
    metrics: dict[str, float]
    settings: LMSettings
    corpus: Corpus


def window_sampler(ids: Tensor, seq_length: int, batch_size: int, unknown_id: int, unknown_rate: float):
    """Batches of random windows: (inputs (B, L), targets (B, L)), some inputs replaced by <unk>."""
    if len(ids) < seq_length + 1:
        raise ValueError(f"the training text has {len(ids):,} characters; it needs more than "
                         f"seq_length={seq_length}")

    def sample(generator: torch.Generator) -> tuple[Tensor, Tensor]:
        starts = torch.randint(0, len(ids) - seq_length, (batch_size,), generator=generator)
        windows = torch.stack([ids[start:start + seq_length + 1] for start in starts.tolist()])
        inputs = windows[:, :-1].clone()
        if unknown_rate > 0:
            hide = torch.rand(inputs.shape, generator=generator) < unknown_rate
            inputs[hide] = unknown_id
        return inputs, windows[:, 1:]
    return sample


def lm_loss(model: CharLM):
    """A loss function for `fit`: cross-entropy in nats, bits per character as a metric."""
    def loss_fn(batch: tuple[Tensor, Tensor], tbptt: Any) -> tuple[Tensor, dict[str, float]]:
        inputs, targets = batch
        logits, _ = model(inputs)
        loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
        return loss, {"bits_per_char": float(loss.detach()) / math.log(2)}
    return loss_fn


def build_model(settings: LMSettings, vocab: Vocabulary) -> CharLM:
    """A fresh CharLM for `settings`, its weights drawn from a generator seeded with `settings.train.seed`."""
    return CharLM(settings.kind, len(vocab), settings.hidden_size, settings.num_layers, settings.embedding_size,
                  generator=make_generator(settings.train.seed))


def train_charlm(corpus: Corpus, settings: LMSettings, *, callbacks: list[Any] | None = None,
                 stop: threading.Event | None = None, model: CharLM | None = None,
                 vocab: Vocabulary | None = None) -> TrainedLM:
    """Train a CharLM on `corpus` (steps or time budget, whichever ends first), then measure it.

    Threads are the caller's choice (the app's sidebar, the command's --threads).
    """
    settings.validate()
    vocab = vocab or char_vocabulary(corpus.train)
    model = model or build_model(settings, vocab)
    ids = torch.tensor(vocab.encode(corpus.train), dtype=torch.int64)
    sampler = window_sampler(ids, settings.seq_length, settings.train.batch_size, vocab.unk_id, settings.unknown_rate)
    model.train()
    result = fit(model.parameters(), lm_loss(model), sampler, settings.train, callbacks or [], stop)
    model.eval()
    return TrainedLM(model, vocab, result, measure(model, vocab, corpus, result), settings, corpus)


def measure(model: CharLM, vocab: Vocabulary, corpus: Corpus, result: TrainResult) -> dict[str, float]:
    """Validation bits per character (on up to MAX_VALIDATION_CHARS held-out characters) and training figures."""
    validation = corpus.validation[:MAX_VALIDATION_CHARS]
    recent = [info.loss for info in result.history[-50:]]
    metrics = {"validation_bpc": round(bits_per_char(model, vocab, validation), 4),
               "validation_chars": len(validation),
               "train_seconds": round(result.seconds, 1), "steps": result.steps_done}
    if recent:
        metrics["train_bpc_last50"] = round(sum(recent) / len(recent) / math.log(2), 4)
    return metrics


def loss_curve_points(history: list[StepInfo], points: int = CURVE_POINTS) -> list[list[float]]:
    """[[step, bits per char], ...]: the history averaged into at most `points` buckets."""
    if not history:
        return []
    size = max(1, math.ceil(len(history) / points))
    curve = []
    for first in range(0, len(history), size):
        bucket = history[first:first + size]
        curve.append([bucket[-1].step, round(sum(i.loss for i in bucket) / len(bucket) / math.log(2), 4)])
    return curve


def save_charlm(path: str | Path, trained: TrainedLM, *, command: str = "") -> Path:
    """Write a checkpoint: weights, vocabulary, loss curve, metrics, and how it was made (`extra`)."""
    extra = {"command": command, "corpus": trained.corpus.name, "corpus_source": trained.corpus.source,
             "train_chars": len(trained.corpus.train), "settings": asdict(trained.settings),
             "status": trained.result.status, "message": trained.result.message}
    return checkpoints.save(path, trained.model, vocab=trained.vocab.to_json(),
                            history=loss_curve_points(trained.result.history), metrics=trained.metrics,
                            step=trained.result.steps_done, extra=extra)
