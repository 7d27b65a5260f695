"""Writer-independent training of a Siamese RNN on one fold's training users, the best step chosen on its validation users.

Training goes through `rnnviz.training.fit` (so a page can stream it, stop it, and see the loss); every
`validate_every` steps `BestOnValidation` measures the 1vs1 EERs on the validation users (references S1–S4
against their genuine probes, skilled forgeries and other validation users' genuine signatures) and keeps a
copy of the weights of the best step (the paper's Figure 6 green line). The scenario sets which EER counts:
skilled, random, or their mean for "skilled + random".
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as functional

from rnnviz.core.randomness import make_generator
from rnnviz.signatures import protocol
from rnnviz.signatures.data import Dataset
from rnnviz.signatures.features import ALL
from rnnviz.signatures.metrics import equal_error_rate
from rnnviz.signatures.pairs import SCENARIOS, PairData, pair_sampler, prepare
from rnnviz.signatures.siamese import LENGTH, SiameseRNN
from rnnviz.training.loop import StepInfo, TrainConfig, TrainResult, fit

DEFAULT_TRAINING = TrainConfig(steps=800, learning_rate=3e-3, batch_size=32, clip="norm", clip_threshold=5.0)
VALIDATE_EVERY = 50
BATCH = 512  # pairs scored at once


@dataclass
class Validation:
    """One validation measurement: the step and the 1vs1 EERs (fractions) on the validation users."""

    step: int
    skilled: float
    random: float


def selection_error(validation: Validation, scenario: str) -> float:
    """The EER the scenario trains for: skilled, random, or their mean."""
    return {"skilled": validation.skilled, "random": validation.random}.get(
        scenario, (validation.skilled + validation.random) / 2
    )


@torch.no_grad()
def pair_logits(model: SiameseRNN, data: PairData, pairs: Sequence[tuple[tuple[int, int], tuple[int, int]]]) -> np.ndarray:
    """Logits of (reference, probe) signature pairs, each signature embedded once; the model must be in eval mode."""
    keys = sorted({key for pair in pairs for key in pair})
    embedded = torch.cat([model.embed(data.signatures[data.rows(keys[i : i + BATCH])]) for i in range(0, len(keys), BATCH)])
    where = {key: row for row, key in enumerate(keys)}
    first = torch.tensor([where[a] for a, _ in pairs], dtype=torch.long)
    second = torch.tensor([where[b] for _, b in pairs], dtype=torch.long)
    chunks = [model.compare(embedded[first[i : i + BATCH]], embedded[second[i : i + BATCH]]) for i in range(0, len(pairs), BATCH)]
    return torch.cat(chunks).numpy() if chunks else np.zeros(0)


def validation_trials(dataset: Dataset, users: Sequence[int], random_per_user: int = 2) -> list[protocol.Trial]:
    """Validation trials: references S1–S4 against genuine probes, skilled forgeries and a few random forgeries."""
    trials = []
    for trial in protocol.trials(dataset, users, "1vs1"):
        if trial.references[0] > protocol.ENROLMENT:
            continue
        if trial.label == "random" and trial.probe_sample >= protocol.GENUINE_PROBES[0] + random_per_user:
            continue
        trials.append(trial)
    return trials


def trial_eers(trials: Sequence[protocol.Trial], scores: np.ndarray) -> tuple[float, float]:
    """Skilled and random EERs (fractions) of scored trials."""
    labels = np.array([t.label for t in trials])
    genuine = scores[labels == "genuine"]
    return tuple(
        equal_error_rate(genuine, scores[labels == kind]).rate if (labels == kind).any() else float("nan")
        for kind in ("skilled", "random")
    )


class BestOnValidation:
    """Training callback: every `every` steps, the validation EERs; keeps the weights of the best step."""

    def __init__(self, model: SiameseRNN, data: PairData, trials: Sequence[protocol.Trial], scenario: str, every: int):
        self.model, self.data, self.trials, self.scenario, self.every = model, data, list(trials), scenario, every
        self.pairs = [((t.claimed_user, t.references[0]), (t.probe_user, t.probe_sample)) for t in self.trials]
        self.records: list[Validation] = []
        self.best: Validation | None = None
        self.best_state: dict[str, torch.Tensor] | None = None
        self.listeners: list[Callable[[Validation, Validation], None]] = []  # (record, best so far)

    def measure(self, step: int) -> Validation:
        """The validation EERs of the model's current weights (eval mode during the measurement)."""
        self.model.eval()
        try:
            skilled, random = trial_eers(self.trials, pair_logits(self.model, self.data, self.pairs))
        finally:
            self.model.train()
        return Validation(step, skilled, random)

    def on_step_end(self, info: StepInfo) -> None:
        """Measure at step 1, every `every` steps and at the last step."""
        if info.step % self.every and info.step not in (1, info.steps):
            return
        record = self.measure(info.step)
        self.records.append(record)
        if self.best is None or selection_error(record, self.scenario) < selection_error(self.best, self.scenario):
            self.best = record
            self.best_state = {name: value.detach().clone() for name, value in self.model.state_dict().items()}
        for listener in self.listeners:
            listener(record, self.best)

    def on_train_end(self, result: TrainResult) -> None:
        """Measure the last step if the run ended early (stopped or time budget)."""
        if result.steps_done and (not self.records or self.records[-1].step != result.steps_done):
            self.on_step_end(StepInfo(result.steps_done, result.steps_done, 0.0, 0.0, 0.0))


@dataclass
class TrainedSiamese:
    """A trained model (the best validation step's weights, in eval mode) and how it got there."""

    model: SiameseRNN
    result: TrainResult
    validations: list[Validation] = field(default_factory=list)
    best: Validation | None = None
    scenario: str = "skilled + random"
    fold: protocol.Fold | None = None


def train_siamese(
    dataset: Dataset,
    fold: protocol.Fold,
    system: str = "BLSTM",
    scenario: str = "skilled + random",
    config: TrainConfig = DEFAULT_TRAINING,
    columns: tuple[int, ...] = ALL,
    callbacks: Iterable[object] = (),
    stop: threading.Event | None = None,
    validate_every: int = VALIDATE_EVERY,
    on_validation: Callable[[Validation, Validation], None] | None = None,
    duration_input: bool = False,
) -> TrainedSiamese:
    """Train on fold.train, keep the step with the best validation EER on fold.validation; seeds from config.seed.

    `on_validation(record, best)` hears each validation measurement (a page's live chart).
    """
    if scenario not in SCENARIOS:
        raise ValueError(f"scenario must be one of {', '.join(SCENARIOS)}, got {scenario!r}")
    if set(fold.train) & set(fold.validation):
        raise ValueError("a user is in both the training and the validation part")
    data = prepare(dataset, [*fold.train, *fold.validation], columns, LENGTH, duration_input)
    model = SiameseRNN(system, len(columns), duration_input=duration_input, generator=make_generator(config.seed))
    keeper = BestOnValidation(model, data, validation_trials(dataset, fold.validation), scenario, validate_every)
    keeper.listeners += [on_validation] if on_validation else []
    sampler = pair_sampler(data, fold.train, scenario, config.batch_size)

    def loss_fn(batch, _tbptt) -> tuple[torch.Tensor, dict[str, float]]:
        first, second, labels = batch
        logits = model(data.signatures[first], data.signatures[second])
        accuracy = ((logits > 0).float() == labels).float().mean()
        return functional.binary_cross_entropy_with_logits(logits, labels), {"accuracy": float(accuracy)}

    model.train()
    result = fit(model.parameters(), loss_fn, sampler, config, callbacks=[keeper, *callbacks], stop=stop)
    if keeper.best_state is not None:
        model.load_state_dict(keeper.best_state)
    model.eval()
    return TrainedSiamese(model, result, keeper.records, keeper.best, scenario, fold)


def frozen_copy(model: SiameseRNN) -> SiameseRNN:
    """An eval-mode copy that no training touches (for a page's cache)."""
    return copy.deepcopy(model).eval()
