"""Running a comparison: every configuration x seed through its task's trainer, one after another.

    task = make_comparison_task("adding", 50)
    sized = size_configurations(task, configurations, budget)
    records = run_grid(task, sized, budget)

A page runs the same grid in one background `rnnviz.training.jobs.Job` (`grid_target`): the runs share
one slot of the server's queue, Stop ends the whole set, and `job.extras["grid"]` shows it live.
"""

from __future__ import annotations

import math
import statistics
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rnnviz.compare.configs import MAX_PARAMETERS, Budget, Configuration, check_configurations
from rnnviz.compare.matching import match_parameters
from rnnviz.compare.tasks import ComparisonTask
from rnnviz.compare.weights import run_weights
from rnnviz.training.loop import StepInfo, TrainConfig, TrainResult

STEP_CAP = 1_000_000  # under a time budget the seconds end a run, not the steps
CLIP_THRESHOLD = 1.0  # every run clips the gradient norm at 1: the same rule for every cell


@dataclass
class RunRecord:
    """One configuration trained from one seed: what the result table and the curves need."""

    configuration: Configuration
    seed: int
    parameters: int
    status: str = "running"  # "running", "finished", "stopped", "diverged" or "failed"
    message: str = ""
    steps: list[int] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    metric: list[float] = field(default_factory=list)  # the task's step metric (training batches)
    final_metric: float = math.nan  # held-out score; NaN for a diverged or failed run
    gradient_ratio: float = math.nan  # ||dL/dh_0|| / ||dL/dh_T|| after training
    train_seconds: float = 0.0
    weights: bytes | None = field(default=None, repr=False, compare=False)  # the trained model's checkpoint

    @property
    def label(self) -> str:
        """The configuration's label."""
        return self.configuration.label

    measured_step_seconds: float | None = None  # a step time measured elsewhere (a results file), else from seconds

    @property
    def step_seconds(self) -> float:
        """Median seconds per training step (NaN before two steps)."""
        if self.measured_step_seconds is not None:
            return self.measured_step_seconds
        if len(self.seconds) < 2:
            return math.nan
        return statistics.median(b - a for a, b in zip(self.seconds, self.seconds[1:]))

    @property
    def diverged_at(self) -> int | None:
        """The step whose loss or weights broke, for a diverged run."""
        return len(self.steps) + 1 if self.status == "diverged" else None

    def on_step_end(self, info: StepInfo, step_metric: str) -> None:
        """Record one step."""
        self.steps.append(info.step)
        self.seconds.append(info.seconds)
        self.loss.append(info.loss)
        self.metric.append(float(info.metrics.get(step_metric, math.nan)))


def size_configurations(task: ComparisonTask, configurations: list[Configuration], budget: Budget) -> list[Configuration]:
    """Check the set and give each configuration its hidden size: solved for the parameter budget, or its own."""
    configurations = check_configurations(configurations)
    budget.validate()
    for configuration in configurations:
        task.check(configuration)
    if budget.size == "parameters":
        return match_parameters(configurations, task.parameter_count, budget.parameters, task.max_hidden)
    for configuration in configurations:
        if task.parameter_count(configuration) > MAX_PARAMETERS:
            raise ValueError(
                f"{configuration.label} at hidden size {configuration.hidden_size} has "
                f"{task.parameter_count(configuration):,} parameters, more than the {MAX_PARAMETERS:,} "
                "that train live here: lower its hidden size"
            )
    return configurations


def train_config(task: ComparisonTask, budget: Budget, seed: int) -> TrainConfig:
    """One run's TrainConfig: the budget's length, rate and batch, the task's optimizer, norm clipping."""
    timed = budget.length == "seconds"
    return TrainConfig(
        steps=STEP_CAP if timed else budget.steps,
        seconds=budget.seconds if timed else None,
        learning_rate=budget.learning_rate,
        optimizer=task.optimizer,
        weight_decay=task.weight_decay,
        clip="norm",
        clip_threshold=CLIP_THRESHOLD,
        batch_size=budget.batch_size,
        seed=seed,
    )


class _Recorder:
    """Callback: one run's steps into its record, and on to the other callbacks."""

    def __init__(self, record: RunRecord, step_metric: str, callbacks: Iterable[Any]) -> None:
        self.record, self.step_metric, self.callbacks = record, step_metric, list(callbacks)

    def on_step_end(self, info: StepInfo) -> None:
        """Record, then pass on."""
        self.record.on_step_end(info, self.step_metric)
        for callback in self.callbacks:
            callback.on_step_end(info)


def run_one(
    task: ComparisonTask,
    configuration: Configuration,
    seed: int,
    budget: Budget,
    callbacks: Iterable[Any] = (),
    stop: threading.Event | None = None,
    record: RunRecord | None = None,
) -> RunRecord:
    """Build, train and score one configuration from one seed; a failure is recorded, never raised."""
    record = record or RunRecord(configuration, seed, task.parameter_count(configuration))
    try:
        model = task.build(configuration, seed)
        trained = task.train(
            model, configuration, train_config(task, budget, seed), [_Recorder(record, task.step_metric, callbacks)], stop
        )
    except (ValueError, RuntimeError) as error:
        record.status, record.message = "failed", f"{type(error).__name__}: {error}"
        return record
    record.status, record.message = trained.result.status, trained.result.message
    record.train_seconds = trained.result.seconds
    if trained.result.status != "diverged" and trained.result.steps_done:
        record.final_metric = trained.final_metric
        model.eval()
        record.gradient_ratio = task.gradient_ratio(model)
        record.weights = run_weights(model, record, task)
    return record


@dataclass
class GridState:
    """A comparison in progress: the plan, the runs so far (the last may be training), and its outcome."""

    task: ComparisonTask
    configurations: list[Configuration]
    budget: Budget
    records: list[RunRecord] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)
    ended: float | None = None

    @property
    def plan(self) -> list[tuple[Configuration, int]]:
        """Every (configuration, seed), seed by seed, so each configuration shows up early."""
        return [(configuration, seed) for seed in range(self.budget.seeds) for configuration in self.configurations]

    @property
    def finished_runs(self) -> list[RunRecord]:
        """The runs that ended (any status but running)."""
        return [record for record in self.records if record.status != "running"]


def run_grid(
    task: ComparisonTask,
    configurations: list[Configuration],
    budget: Budget,
    *,
    callbacks: Iterable[Any] = (),
    stop: threading.Event | None = None,
    state: GridState | None = None,
    seed_offset: int = 0,
) -> list[RunRecord]:
    """Train every configuration from seeds seed_offset .. seed_offset + budget.seeds - 1; stop ends the rest."""
    state = state or GridState(task, configurations, budget)
    callbacks = list(callbacks)
    for configuration, seed in state.plan:
        if stop is not None and stop.is_set():
            break
        record = RunRecord(configuration, seed + seed_offset, task.parameter_count(configuration))
        state.records.append(record)
        run_one(task, configuration, seed + seed_offset, budget, callbacks, stop, record)
    state.ended = time.perf_counter()
    return state.records


class _Progress:
    """Callback: every step to the job (its progress bar); under a time budget, the expected total steps."""

    def __init__(self, job: Any, state: GridState) -> None:
        self.job, self.state = job, state

    def on_step_end(self, info: StepInfo) -> None:
        """Pass the step on; re-estimate the job's total steps from the rate so far when runs are timed."""
        self.job.on_step_end(info)
        budget = self.state.budget
        if budget.length != "seconds":
            return
        done = len(self.job.history)
        runs_left = len(self.state.plan) - len(self.state.records)
        elapsed = sum(r.seconds[-1] for r in self.state.records if r.seconds)
        rate = done / max(elapsed, 1e-9)
        self.job.steps = max(done + 1, int(done + rate * (runs_left * budget.seconds + budget.seconds - info.seconds)))


def grid_target(task: ComparisonTask, configurations: list[Configuration], budget: Budget, seed_offset: int = 0):
    """A target for `rnnviz.training.jobs.Job`: the whole grid in one job; `job.extras["grid"]` is its GridState."""

    def target(job: Any) -> TrainResult:
        state = GridState(task, configurations, budget)
        job.extras["grid"] = state
        run_grid(
            task,
            configurations,
            budget,
            callbacks=[_Progress(job, state)],
            stop=job.stop_event,
            state=state,
            seed_offset=seed_offset,
        )
        seconds = (state.ended or time.perf_counter()) - state.started
        planned, ran = len(state.plan), len(state.finished_runs)
        if job.stop_event.is_set():
            return TrainResult("stopped", len(job.history), [], f"stopped by the user after {ran} of {planned} runs", seconds)
        diverged = sum(record.status == "diverged" for record in state.records)
        note = f" ({diverged} diverged)" if diverged else ""
        return TrainResult("finished", len(job.history), [], f"finished {planned} runs{note} in {seconds:.0f} s", seconds)

    return target


def planned_steps(configurations: list[Configuration], budget: Budget) -> int:
    """What the job's progress bar counts to (under a time budget, a first guess the runs correct)."""
    per_run = budget.steps if budget.length == "steps" else max(1, int(budget.seconds * 100))
    return len(configurations) * budget.seeds * per_run
