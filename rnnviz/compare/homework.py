"""The lecture's homework as a grid: GRU (the tutorial's cell) against LSTM and SRU, 1-3 encoder layers,
one-way against bidirectional encoder, on the tutorial's fra->eng pairs, each run at the same time budget,
scored by held-out BLEU. Every run goes through `rnnviz.seq2seq.training.train_seq2seq`.

    python -m rnnviz.compare homework --data ../shared/data/eng-fra.txt --seconds 20 --seeds 2 --out FILE
    python -m rnnviz.compare homework ... --seconds 30 --clock cpu   # 30 CPU seconds each (torch threads 1):
                                                        # fair on a shared machine, whose load would otherwise
                                                        # decide how far each run gets
    python -m rnnviz.compare homework ... --steps 200   # the same steps each instead

The results file (JSON) records the command that made it, the clock, the machine's load, and every run.
"""

from __future__ import annotations

import collections
import contextlib
import datetime
import itertools
import json
import math
import os
import statistics
import threading
import time
import types
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rnnviz.compare import report
from rnnviz.compare.configs import Configuration
from rnnviz.compare.runner import RunRecord
from rnnviz.compare.translation import load_tutorial_pairs as load_tutorial_pairs  # the homework's data
from rnnviz.compare.translation import translator
from rnnviz.core.randomness import make_generator
from rnnviz.data.pairs import PairData
from rnnviz.seq2seq import training as seq2seq_training
from rnnviz.seq2seq.model import Seq2Seq
from rnnviz.seq2seq.training import TRAINING, Seq2SeqConfig, evaluate, train_seq2seq
from rnnviz.training import loop as training_loop

FORMAT = 1
SHIPPED = Path(__file__).with_name("homework_results.json")
CELLS = ("gru", "lstm", "sru")  # the tutorial's cell first
LAYERS = (1, 2, 3)
DIRECTIONS = (False, True)
METRIC = "held-out BLEU"
CLOCKS = ("wall", "cpu")  # a seconds budget on time.perf_counter, or on time.process_time (this process's CPU)
# The translate command's recipe for budgets up to a minute (rnnviz.seq2seq.cli.default_recipe).
HIDDEN, LEARNING_RATE, LABEL_SMOOTHING = 128, 1e-2, 0.1


@dataclass(frozen=True)
class HomeworkRun:
    """One row of the grid from one seed, as the results file stores it."""

    cell: str
    layers: int
    bidirectional: bool
    seed: int
    parameters: int
    steps: int
    epochs: float
    train_seconds: float
    step_ms: float
    test_bleu: float
    validation_bleu: float | None
    status: str
    message: str = ""
    cpu_seconds: float | None = None  # CPU seconds of the training (validations included); None in older files

    @property
    def configuration(self) -> Configuration:
        """The row as a comparison configuration (the encoder's cell, layers, direction)."""
        encoder = HIDDEN // 2 if self.bidirectional else HIDDEN
        return Configuration(self.cell, self.layers, self.bidirectional, encoder)

    @property
    def timed_out(self) -> bool:
        """Whether the run ended at its time budget (the trainer says "stopped at the time limit"): it finished."""
        return self.status == "stopped" and "time limit" in self.message

    def record(self) -> RunRecord:
        """The run as a RunRecord, for the comparison's table, sentences and figures."""
        return RunRecord(
            self.configuration,
            self.seed,
            self.parameters,
            "finished" if self.timed_out else self.status,
            self.message,
            final_metric=self.test_bleu,
            train_seconds=self.train_seconds,
            measured_step_seconds=self.step_ms / 1000,
        )


@dataclass
class HomeworkResults:
    """A results file: how it was made and its runs."""

    command: str
    seconds: float | None  # the time budget of each run, or None under a steps budget
    seeds: int
    created: str
    steps: int | None = None  # the steps budget of each run, or None under a time budget
    machine: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    runs: list[HomeworkRun] = field(default_factory=list)
    clock: str = "wall"  # what a seconds budget counted: "wall" (perf_counter) or "cpu" (process_time)
    parts: list[str] = field(default_factory=list)  # the commands whose outputs were merged into this file

    @property
    def budget(self) -> str:
        """'20 s of training each', '30 CPU seconds of training each' or '200 training steps each'."""
        if self.steps:
            return f"{self.steps:,} training steps each"
        return f"{self.seconds:g} {'CPU seconds' if self.clock == 'cpu' else 's'} of training each"

    def records(self) -> list[RunRecord]:
        """Every run as a RunRecord."""
        return [run.record() for run in self.runs]


def grid(
    cells: Sequence[str] = CELLS, layers: Sequence[int] = LAYERS, directions: Sequence[bool] = DIRECTIONS
) -> list[tuple[str, int, bool]]:
    """Every (cell, encoder layers, bidirectional) of the homework."""
    return [(cell, depth, both) for cell in cells for depth in layers for both in directions]


def build_translator(data: PairData, cell: str, layers: int, bidirectional: bool, seed: int) -> Seq2Seq:
    """The translate command's small recipe with the row's encoder (and decoder) cell, layers and direction."""
    return translator(data, Configuration(cell, layers, bidirectional, HIDDEN), make_generator(seed))


@contextlib.contextmanager
def training_clock(clock: str) -> Iterator[Callable[[], float]]:
    """The clock a seconds budget counts; under "cpu" the seq2seq trainer's deadline, schedule and validations,
    and fit's step times, read time.process_time (this process's CPU seconds) instead of time.perf_counter.

    Only for a process that trains one thing at a time (the command line): process_time counts every thread.
    """
    if clock not in CLOCKS:
        raise ValueError(f"unknown clock {clock!r}; expected one of {', '.join(CLOCKS)}")
    if clock == "wall":
        yield time.perf_counter
        return
    modules = (seq2seq_training, training_loop)  # fit's step times too: the trainer's halting estimate reads them
    originals = [module.time for module in modules]
    for module in modules:
        module.time = types.SimpleNamespace(perf_counter=time.process_time)  # type: ignore[assignment]
    try:
        yield time.process_time
    finally:
        for module, original in zip(modules, originals):
            module.time = original


class _StepClock:
    """Callback: the clock's reading after every step (for the median step time on that clock)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock, self.readings = clock, [clock()]

    def on_step_end(self, info: Any) -> None:
        """Read the clock."""
        self.readings.append(self.clock())

    def median_ms(self) -> float:
        """Median milliseconds between steps (NaN before two steps)."""
        gaps = [b - a for a, b in itertools.pairwise(self.readings[1:])]
        return round(1000 * statistics.median(gaps), 3) if gaps else math.nan


def train_row(
    data: PairData,
    cell: str,
    layers: int,
    bidirectional: bool,
    seed: int,
    seconds: float | None,
    steps: int | None = None,
    stop: threading.Event | None = None,
    callbacks: Sequence[Any] = (),
    clock: str = "wall",
) -> tuple[HomeworkRun, Seq2Seq]:
    """Train one row from one seed for `seconds` on `clock` (validations included) or `steps`; (its score, the model)."""
    model = build_translator(data, cell, layers, bidirectional, seed)
    config = Seq2SeqConfig(
        label_smoothing=LABEL_SMOOTHING,
        train=TRAINING.replace(
            learning_rate=LEARNING_RATE, seed=seed, seconds=None if steps else seconds, steps=steps or TRAINING.steps
        ),
    )
    cpu_began, wall_began = time.process_time(), time.perf_counter()
    with training_clock(clock) as reading:
        step_clock = _StepClock(reading)
        outcome = train_seq2seq(model, data, config, callbacks=[*callbacks, step_clock], stop=stop)
    cpu_seconds, wall_seconds = time.process_time() - cpu_began, time.perf_counter() - wall_began
    history = outcome.result.history
    bleu = evaluate(model, data.test, data.source_vocab, data.target_vocab)["bleu"] if history else math.nan
    run = HomeworkRun(
        cell,
        layers,
        bidirectional,
        seed,
        sum(p.numel() for p in model.parameters()),
        outcome.result.steps_done,
        round(outcome.epochs, 3),
        round(wall_seconds, 2),
        step_clock.median_ms(),
        float(bleu),
        outcome.best.bleu if outcome.best else None,
        outcome.result.status,
        outcome.result.message,
        round(cpu_seconds, 2),
    )
    return run, model


def run_homework(
    data: PairData,
    seconds: float | None,
    seeds: int,
    command: str,
    *,
    steps: int | None = None,
    rows: Sequence[tuple[str, int, bool]] | None = None,
    say: Callable[[str], None] = lambda _: None,
    clock: str = "wall",
    save_to: str | Path | None = None,
    first_seed: int = 0,
) -> HomeworkResults:
    """Every row from every seed, seed by seed (so a machine's changing load spreads over all rows); with
    `save_to`, the file is rewritten after every run."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else math.nan
    results = HomeworkResults(
        command,
        seconds,
        seeds,
        datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        steps,
        {"cpus": os.cpu_count(), "load_at_start": round(load, 2)},
        dict(data.info),
        clock=clock,
    )
    rows = list(rows or grid())
    for seed in range(first_seed, first_seed + seeds):
        for cell, layers, bidirectional in rows:
            began = time.perf_counter()
            run, _model = train_row(data, cell, layers, bidirectional, seed, seconds, steps, clock=clock)
            results.runs.append(run)
            if save_to is not None:  # after every run: a stopped grid keeps what it finished
                save_results(results, save_to)
            say(
                f"{cell} x{layers} {'bi' if bidirectional else 'one-way'} seed {seed}: BLEU {run.test_bleu:.1f} "
                f"after {run.steps} steps ({time.perf_counter() - began:.0f} s wall, {run.cpu_seconds:.0f} s CPU)"
            )
    if hasattr(os, "getloadavg"):
        results.machine["load_at_end"] = round(os.getloadavg()[0], 2)
    return results


def save_results(results: HomeworkResults, path: str | Path) -> Path:
    """Write the results file (JSON, one run per entry)."""
    path = Path(path)
    payload = {
        "format": FORMAT,
        **{key: value for key, value in asdict(results).items() if key != "runs"},
        "runs": [asdict(run) for run in results.runs],
    }
    path.write_text(json.dumps(payload, indent=1, allow_nan=True) + "\n", encoding="utf-8")
    return path


def read_results(path: str | Path = SHIPPED) -> HomeworkResults:
    """Read a results file; ValueError naming what is wrong."""
    path = Path(path)
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"cannot read the homework results {path.name}: {error}") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ValueError(f"{path.name} is not a homework results file of format {FORMAT}")
    try:
        runs = [HomeworkRun(**run) for run in payload["runs"]]
        return HomeworkResults(
            payload["command"],
            None if payload["seconds"] is None else float(payload["seconds"]),
            int(payload["seeds"]),
            payload["created"],
            payload.get("steps"),
            payload.get("machine", {}),
            payload.get("data", {}),
            runs,
            str(payload.get("clock", "wall")),
            [str(part) for part in payload.get("parts", [])],
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"{path.name} lacks a field of the homework results: {error}") from None


def complete_seeds(runs: list[HomeworkRun]) -> list[HomeworkRun]:
    """Only the runs of seeds that every row has (a grid stopped mid-seed keeps its finished seeds)."""
    rows = {(run.cell, run.layers, run.bidirectional) for run in runs}
    by_seed = collections.defaultdict(set)
    for run in runs:
        by_seed[run.seed].add((run.cell, run.layers, run.bidirectional))
    kept = {seed for seed, seen in by_seed.items() if seen == rows}
    return [run for run in runs if run.seed in kept]


def merge_results(parts: Sequence[HomeworkResults], command: str, only_complete_seeds: bool = False) -> HomeworkResults:
    """One results file from grids run in several processes at the same budget; ValueError when they differ.

    With only_complete_seeds, a seed that some row lacks (its process was stopped) is left out for every row.
    """
    if not parts:
        raise ValueError("give at least one results file to merge")
    first = parts[0]
    for part in parts[1:]:
        same = (part.seconds, part.steps, part.clock, part.data.get("sha256"))
        if same != (first.seconds, first.steps, first.clock, first.data.get("sha256")):
            raise ValueError(f"cannot merge grids of different budgets, clocks or data: {part.command!r}")
    runs = [run for part in parts for run in part.runs]
    if only_complete_seeds:
        runs = complete_seeds(runs)
        if not runs:
            raise ValueError("no seed has a run for every row yet")
    keys = [(run.cell, run.layers, run.bidirectional, run.seed) for run in runs]
    if len(set(keys)) != len(keys):
        raise ValueError("the files to merge share a row and seed: run each row in one process only")
    loads = [part.machine.get("load_at_end", math.nan) for part in parts]
    machine = {**first.machine, "processes": len(parts), "load_at_end": max(loads)}
    order = {row: number for number, row in enumerate(grid())}
    runs.sort(key=lambda run: (run.seed, order.get((run.cell, run.layers, run.bidirectional), len(order))))
    seeds_per_row = collections.Counter((run.cell, run.layers, run.bidirectional) for run in runs)
    return HomeworkResults(
        command,
        first.seconds,
        min(seeds_per_row.values()),
        first.created,
        first.steps,
        machine,
        first.data,
        runs,
        first.clock,
        [part.command for part in parts],
    )


def questions(results: HomeworkResults) -> dict[str, list[RunRecord]]:
    """The homework's three questions, each as the runs that answer it (with every other knob at GRU's row)."""
    runs = results.records()

    def pick(test: Callable[[Configuration], bool]) -> list[RunRecord]:
        return [run for run in runs if test(run.configuration)]

    return {
        "LSTM and SRU instead of GRU (1 layer, one-way)": pick(lambda c: c.num_layers == 1 and not c.bidirectional),
        "More layers (GRU, one-way)": pick(lambda c: c.kind == "gru" and not c.bidirectional),
        "Bidirectional encoder (GRU, 1 layer)": pick(lambda c: c.kind == "gru" and c.num_layers == 1),
    }


def markdown(results: HomeworkResults) -> str:
    """The homework's report: how it was made, each question's table and sentences, then the whole grid."""
    setting = (
        f"Made by `{results.command}` on {results.created} ({results.budget}, {results.seeds} seed(s), "
        f"{results.machine.get('cpus', '?')} CPU cores, load {results.machine.get('load_at_start', '?')}). "
        f"Data: {results.data.get('file', '?')}, the tutorial's fra→eng pairs "
        f"({results.data.get('split', {}).get('train', '?')} trained on, "
        f"{results.data.get('split', {}).get('test', '?')} held out). Score: {METRIC} (greedy, sacrebleu)."
    )
    if results.parts:
        setting += (
            f" Its rows ran in {len(results.parts)} processes, then merged: "
            + "; ".join(f"`{command}`" for command in results.parts)
            + "."
        )
    if results.clock == "cpu" and not results.steps:
        setting += (
            " The seconds are CPU seconds of the training process (one torch thread): other programs do not cut them "
            "short, though on an oversubscribed machine each step costs more of them."
        )
    parts = ["# The homework, answered", "", setting, ""]
    for question, runs in questions(results).items():
        parts += [f"## {question}", "", report.markdown_table(report.summary_rows(runs, METRIC, gradients=False)), ""]
        parts += [f"- {text}" for text in report.pair_sentences(runs, METRIC, True)] + [""]
    parts += ["## The whole grid", "", report.markdown_table(report.summary_rows(results.records(), METRIC, gradients=False))]
    return "\n".join(parts) + "\n"
