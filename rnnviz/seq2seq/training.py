"""Training an encoder–decoder on sentence pairs: batches, loss, validation, time budget.

`train_seq2seq` wraps `rnnviz.training.loop.fit` (Adam, clipping, divergence guard, stop flag):
shuffled epochs of padded batches, cross-entropy with padding ignored, teacher forcing
with a ratio (a forced batch runs the decoder fused; the others feed its own greedy
words), BLEU on a validation split from time to time with the best weights kept, and an
optional wall-clock deadline.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import sacrebleu
import torch
from torch import Tensor, nn

from rnnviz.core.randomness import DROPOUT_STREAM, make_generator
from rnnviz.core.validation import require_fraction, require_int
from rnnviz.data.pairs import BOS_ID, EOS_ID, PAD_ID, Batch, PairData, detokenize, encode_source, pad, tokenize
from rnnviz.data.text import Vocabulary
from rnnviz.seq2seq.decoding import greedy
from rnnviz.seq2seq.model import Seq2Seq
from rnnviz.training.loop import StepInfo, TrainConfig, TrainResult, fit, replace_settings

TRAINING = TrainConfig(steps=1_000_000, learning_rate=3e-3, optimizer="adam", clip="norm", clip_threshold=1.0,
                       batch_size=64, seed=0)  # steps is an upper bound: `seconds` or a stop usually ends a run


@dataclass
class Seq2SeqConfig:
    """How to train a translator: what only seq2seq has, and `train` (a TrainConfig) for the rest."""

    teacher_forcing: float = 1.0  # probability that a batch is fed the true previous words
    label_smoothing: float = 0.0
    validate_every: int = 0  # steps between validations; 0 = about once an epoch
    decay_start: float = 0.5  # share of the run (time or steps) after which the learning rate falls linearly
    final_lr_fraction: float = 0.05  # ... to this fraction of learning_rate at the end (1 = constant)
    train: TrainConfig = TRAINING  # seconds: the wall-clock budget of train_seq2seq, validations included

    def validate(self) -> Seq2SeqConfig:
        """Raise ValueError for settings out of range."""
        require_fraction("teacher_forcing", self.teacher_forcing)
        require_fraction("label_smoothing", self.label_smoothing)
        require_fraction("decay_start", self.decay_start)
        require_fraction("final_lr_fraction", self.final_lr_fraction)
        if not isinstance(self.train, TrainConfig):
            raise ValueError(f"train must be a rnnviz.training.loop.TrainConfig, got {type(self.train).__name__}")
        require_int("batch_size", self.train.batch_size, minimum=1, maximum=4096)
        self.train.validate()
        return self

    def replace(self, **changes: Any) -> Seq2SeqConfig:
        """A copy with some knobs changed; TrainConfig's (steps, learning_rate, seed, ...) go into `train`."""
        return replace_settings(self, **changes)


class EncodedPairs:
    """Pairs turned into id lists once; batches of them padded on demand."""

    def __init__(self, pairs: Sequence[tuple[str, str]], source_vocab: Vocabulary, target_vocab: Vocabulary,
                 tokens: str = "words", max_source: int | None = None) -> None:
        if not pairs:
            raise ValueError("there are no pairs to train on")
        self.pairs = list(pairs)
        self.sources = [source_vocab.encode(tokenize(s, tokens)) for s, _ in pairs]
        if max_source is not None:
            self.sources = [ids[: max_source - 1] for ids in self.sources]
        self.targets = [target_vocab.encode(tokenize(t, tokens)) for _, t in pairs]

    def __len__(self) -> int:
        """Number of pairs."""
        return len(self.pairs)

    def batch(self, index: Iterable[int]) -> Batch:
        """The pairs at `index`, padded."""
        index = list(index)
        sources = [self.sources[i] + [EOS_ID] for i in index]
        targets = [self.targets[i] for i in index]
        return Batch(pad(sources), torch.tensor([len(s) for s in sources]),
                     pad([[BOS_ID, *t] for t in targets]), pad([[*t, EOS_ID] for t in targets]))


class EpochSampler:
    """Shuffled epochs of fixed-size batches, drawn with the training run's generator.

    Within pools of `pool` batches, pairs of similar length are batched together (less padding).
    """

    def __init__(self, data: EncodedPairs, batch_size: int, pool: int = 16) -> None:
        self.data, self.batch_size, self.pool = data, min(batch_size, len(data)), pool
        self.epoch, self._batches, self._position = 0, [], 0

    def _new_epoch(self, generator: torch.Generator) -> None:
        """Shuffle, sort by length within pools, cut into batches, shuffle the batches."""
        order = torch.randperm(len(self.data), generator=generator).tolist()
        size, batches = self.batch_size, []
        for start in range(0, len(order) - size + 1, size * self.pool):
            pool = order[start: start + size * self.pool]
            pool.sort(key=lambda i: (len(self.data.targets[i]), len(self.data.sources[i])))
            batches.extend(pool[i: i + size] for i in range(0, len(pool) - size + 1, size))
        shuffled = torch.randperm(len(batches), generator=generator).tolist()
        self._batches, self._position = [batches[i] for i in shuffled], 0
        self.epoch += 1

    def __call__(self, generator: torch.Generator) -> Batch:
        """The next batch; a new epoch when this one is used up."""
        if self._position >= len(self._batches):
            self._new_epoch(generator)
        index = self._batches[self._position]
        self._position += 1
        return self.data.batch(index)

    @property
    def steps_per_epoch(self) -> int:
        """Batches in one pass over the data."""
        return max(1, len(self.data) // self.batch_size)


def seq2seq_loss(model: Seq2Seq, teacher_forcing: float = 1.0, label_smoothing: float = 0.0,
                 seed: int | None = 0) -> Callable[[Batch, Any], tuple[Tensor, dict[str, float]]]:
    """A loss for `fit`: cross-entropy per target word, padding ignored; coins and dropout masks from `seed`."""
    device = next(model.parameters()).device
    coin = make_generator(seed)
    masks = make_generator(seed, DROPOUT_STREAM, device)

    def loss_fn(batch: Batch, _tbptt: Any) -> tuple[Tensor, dict[str, float]]:
        batch = batch.to(device)
        memory = model.encode(batch.source, batch.source_lengths, generator=masks)
        forced = teacher_forcing >= 1 or float(torch.rand((), generator=coin)) < teacher_forcing
        real = batch.target_out != PAD_ID  # the output layer only runs where there is a word to predict
        if forced:
            features = model.teacher_forced_features(memory, batch.target_in, generator=masks)[0]  # (B, T, H)
            logits = model.logits(features[real], generator=masks)  # (N, V)
        else:
            logits = model.free_running(memory, batch.target_in, generator=masks)[0][real]
        targets = batch.target_out[real]
        loss = nn.functional.cross_entropy(logits, targets, label_smoothing=label_smoothing)
        return loss, {"words": float(targets.numel())}  # (an argmax accuracy here cost 3 % of each step)

    return loss_fn


@contextlib.contextmanager
def evaluated(model: Seq2Seq) -> Iterator[Seq2Seq]:
    """The model a run trains (never a shared one) in eval mode for a look, then back in its mode."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


def translate_ids(model: Seq2Seq, sources: Sequence[list[int]], *, batch_size: int = 256) -> list[list[int]]:
    """Greedy outputs (ids, without </s>) for source id lists, in batches sorted by length."""
    order = sorted(range(len(sources)), key=lambda i: len(sources[i]))
    outputs: list[list[int]] = [[] for _ in sources]
    for start in range(0, len(order), batch_size):
        chunk = order[start: start + batch_size]
        rows = [sources[i] + [EOS_ID] for i in chunk]
        hypotheses = greedy(model, pad(rows), torch.tensor([len(r) for r in rows]))
        for i, hypothesis in zip(chunk, hypotheses):
            outputs[i] = hypothesis.tokens
    return outputs


def evaluate(model: Seq2Seq, pairs: Sequence[tuple[str, str]], source_vocab: Vocabulary, target_vocab: Vocabulary,
             tokens: str = "words", max_source: int | None = None) -> dict[str, Any]:
    """Greedy translations of `pairs` scored against their references: BLEU (sacrebleu), exact match."""
    if not pairs:
        raise ValueError("there are no pairs to evaluate")
    data = EncodedPairs(pairs, source_vocab, target_vocab, tokens, max_source)
    outputs = translate_ids(model, data.sources)
    hypotheses = [detokenize(target_vocab.decode(ids), tokens) for ids in outputs]
    references = [detokenize(tokenize(t, tokens), tokens) for _, t in pairs]
    spaced = (lambda texts: [" ".join(text) for text in texts]) if tokens == "chars" else (lambda texts: texts)
    bleu = sacrebleu.corpus_bleu(spaced(hypotheses), [spaced(references)], force=True)
    exact = sum(h == r for h, r in zip(hypotheses, references)) / len(pairs)
    return {"bleu": round(float(bleu.score), 2), "exact": round(100 * exact, 2), "count": len(pairs),
            "hypotheses": hypotheses, "references": references}


@dataclass
class Validation:
    """One look at the validation split during training."""

    step: int
    seconds: float
    bleu: float
    exact: float


LATE_SHARE = 0.8  # under a deadline, validations before this share of the time are wasted: they never win


class Validator:
    """Callback: validate every `every` steps, keep the best weights, stop at the deadline."""

    def __init__(self, model: Seq2Seq, data: PairData, every: int, halt: threading.Event,
                 deadline: float | None = None, user_stop: threading.Event | None = None,
                 on_validation: Callable[[Validation], None] | None = None) -> None:
        self.model, self.data, self.every = model, data, max(1, every)
        self.halt, self.deadline, self.user_stop = halt, deadline, user_stop
        self.on_validation = on_validation
        self.history: list[Validation] = []
        self.best: Validation | None = None
        self.best_state: dict[str, Tensor] | None = None
        self.cost = 0.0  # seconds the last validation took
        self.started = time.perf_counter()

    def check(self, step: int) -> Validation:
        """Validate now; remember the weights if they are the best so far."""
        began = time.perf_counter()
        pairs = self.data.validation or self.data.train[: 500]
        with evaluated(self.model):  # the model this run trains, back to training mode afterwards
            result = evaluate(self.model, pairs, self.data.source_vocab, self.data.target_vocab, self.data.tokens,
                              self.model.max_source_length if self.model.attention_kind == "tutorial" else None)
        score = result["bleu"] if self.data.tokens == "words" else result["exact"]
        record = Validation(step, time.perf_counter() - self.started, result["bleu"], result["exact"])
        self.history.append(record)
        best_score = None if self.best is None else (self.best.bleu if self.data.tokens == "words" else self.best.exact)
        if best_score is None or score >= best_score:
            self.best = record
            self.best_state = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
        self.cost = time.perf_counter() - began
        if self.on_validation is not None:
            self.on_validation(record)
        return record

    def _late_enough(self) -> bool:
        """Under a time budget, skip the first 80 %: the decaying learning rate makes early weights lose."""
        if self.deadline is None:
            return True
        return time.perf_counter() - self.started >= LATE_SHARE * (self.deadline - self.started)

    def on_step_end(self, info: StepInfo) -> None:
        """Validate on schedule; set `halt` when the user stopped or the deadline is near."""
        if info.step % self.every == 0 and self._late_enough():
            self.check(info.step)
        if self.user_stop is not None and self.user_stop.is_set():
            self.halt.set()
        if self.deadline is None:
            return
        final_check = 1.2 * self.cost if self.history else 0.0  # room to validate the last weights too
        if time.perf_counter() + info.seconds / info.step + final_check > self.deadline:
            self.halt.set()  # the next step (and a last validation) would end past the deadline


class LinearDecay:
    """Callback: constant learning rate, then a linear fall to `final` x over the rest of the run.

    Progress is steps over planned steps, or elapsed time over the budget if that is further.
    """

    def __init__(self, config: Seq2SeqConfig, deadline: float | None) -> None:
        self.config, self.deadline = config, deadline
        self.started = time.perf_counter()
        self.optimizer: Any = None  # torch.optim.Optimizer or rnnviz.training.optim.FusedAdam: has param_groups

    def on_train_begin(self, optimizer: Any) -> None:
        """Remember the optimizer whose rate this schedules."""
        self.optimizer = optimizer

    def factor(self, progress: float) -> float:
        """Multiplier of the base rate at `progress` in [0, 1]."""
        start, final = self.config.decay_start, self.config.final_lr_fraction
        if progress <= start or start >= 1:
            return 1.0
        return 1.0 - (1.0 - final) * min(1.0, (progress - start) / (1.0 - start))

    def on_step_end(self, info: StepInfo) -> None:
        """Set the rate for the next step."""
        if self.optimizer is None:
            return
        progress = info.step / self.config.train.steps  # whichever ends the run first: steps or time
        if self.deadline is not None:
            progress = max(progress, (time.perf_counter() - self.started) / max(1e-9, self.deadline - self.started))
        for group in self.optimizer.param_groups:
            group["lr"] = self.config.train.learning_rate * self.factor(progress)


@dataclass
class Seq2SeqOutcome:
    """A finished training run: the fit result, validations, the best validation."""

    result: TrainResult
    validations: list[Validation] = field(default_factory=list)
    best: Validation | None = None
    epochs: float = 0.0


def train_seq2seq(model: Seq2Seq, data: PairData, config: Seq2SeqConfig, *, callbacks: Iterable[Any] = (),
                  stop: threading.Event | None = None, deadline: float | None = None,
                  keep_best: bool = True, validation_callback: Callable[[Validation], None] | None = None
                  ) -> Seq2SeqOutcome:
    """Train `model` in place on `data.train`; with keep_best, end with the best validated weights.

    `deadline` (a time.perf_counter() value) or `config.train.seconds` bound the wall time.
    """
    config.validate()
    started = time.perf_counter()
    if config.train.seconds is not None:
        deadline = min(deadline or math.inf, started + config.train.seconds)
    max_source = model.max_source_length if model.attention_kind == "tutorial" else None
    sampler = EpochSampler(EncodedPairs(data.train, data.source_vocab, data.target_vocab, data.tokens, max_source),
                           config.train.batch_size)
    every = config.validate_every or _default_every(config, sampler)
    halt = threading.Event()
    validator = Validator(model, data, every, halt, deadline, stop, validation_callback)
    model.train()
    loss_fn = seq2seq_loss(model, config.teacher_forcing, config.label_smoothing, config.train.seed)
    schedule = LinearDecay(config, deadline)
    # The deadline is this function's (counted from its start, room kept for a last validation): fit gets none.
    result = fit(model.parameters(), loss_fn, sampler, config.train.replace(seconds=None),
                 callbacks=[*callbacks, schedule, validator], stop=halt)
    if result.status == "stopped" and not (stop is not None and stop.is_set()):
        result.message = f"stopped at the time limit after {result.steps_done} steps ({result.seconds:.1f} s)"
    validated_last = bool(validator.history) and validator.history[-1].step == result.steps_done
    if result.steps_done and not validated_last:
        estimate = validator.cost if validator.history else 0.0
        if deadline is None or (validator.history and time.perf_counter() + 1.2 * estimate < deadline):
            validator.check(result.steps_done)
            validated_last = True
    # Without time to validate the last weights, keep them: the learning rate has decayed, they are the most trained.
    if keep_best and validated_last and validator.best_state is not None:
        model.load_state_dict(validator.best_state)
    model.eval()
    epochs = result.steps_done / sampler.steps_per_epoch
    return Seq2SeqOutcome(result, validator.history, validator.best if validated_last else None, epochs)


def _default_every(config: Seq2SeqConfig, sampler: EpochSampler) -> int:
    """Validate about once an epoch (at least every 50 steps)."""
    return max(50, sampler.steps_per_epoch)


class AttentionSnapshots:
    """Callback: every `every` steps, translate one fixed sentence and keep its attention map."""

    def __init__(self, model: Seq2Seq, data: PairData, sentence: str, every: int, keep: list[dict] | None = None):
        self.model, self.data, self.every = model, data, max(1, every)
        self.tokens = tokenize(sentence, data.tokens)
        self.snapshots: list[dict] = [] if keep is None else keep
        longest = max((len(tokenize(t, data.tokens)) for _, t in data.train[:2000]), default=10)
        self.max_steps = min(default_steps(len(self.tokens)), longest + 3)  # an untrained model babbles on

    def take(self, epoch: int) -> dict:
        """Translate the sentence now and record (epoch, tokens, attention)."""
        source, lengths = encode_source([self.tokens], self.data.source_vocab,
                                        self.model.max_source_length if self.model.attention_kind == "tutorial"
                                        else None)
        with evaluated(self.model):  # the model this run trains, back in its mode afterwards
            hypothesis = greedy(self.model, source, lengths, max_steps=self.max_steps)[0]
        output = self.data.target_vocab.decode(hypothesis.tokens)
        shot = {"epoch": epoch, "source_tokens": [*self.tokens, "</s>"][: source.shape[1]],
                "output_tokens": [*output, "</s>"] if hypothesis.finished else output,
                "output": detokenize(output, self.data.tokens),
                "attention": hypothesis.attention or [[0.0] * source.shape[1]]}
        if len(shot["output_tokens"]) != len(shot["attention"]):
            shot["output_tokens"] = shot["output_tokens"][: len(shot["attention"])]
        self.snapshots.append(shot)
        return shot

    def on_step_end(self, info: StepInfo) -> None:
        """Snapshot at the end of each epoch."""
        if info.step % self.every == 0 and self.model.attention_kind != "none":
            self.take(info.step // self.every)


def default_steps(source_tokens: int) -> int:
    """Output steps allowed for a source of this many tokens."""
    return min(200, 2 * (source_tokens + 1) + 10)


def live_run(data: PairData, model: Seq2Seq, config: Seq2SeqConfig, sentence: str, steps_per_epoch: int):
    """A target for `rnnviz.training.jobs.Job`: train with progress, Stop and per-epoch attention snapshots.

    What it records goes to `job.extras`: "snapshots" (list), "validations", "model", "data".
    """

    def target(job) -> TrainResult:
        snapshots: list[dict] = job.extras.setdefault("snapshots", [])
        watcher = AttentionSnapshots(model, data, sentence, steps_per_epoch, snapshots)
        if model.attention_kind != "none":
            watcher.take(0)
        outcome = train_seq2seq(model, data, config, callbacks=[job, watcher], stop=job.stop_event)
        job.extras.update({"validations": outcome.validations, "model": model, "data": data,
                           "best": outcome.best})
        return outcome.result

    return target
