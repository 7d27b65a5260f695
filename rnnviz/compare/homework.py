"""The lecture's homework as a grid: GRU (the tutorial's cell) against LSTM and SRU, 1-3 encoder layers,
one-way against bidirectional encoder, on the tutorial's fra->eng pairs, each run at the same time budget,
scored by held-out BLEU. Every run goes through `rnnviz.seq2seq.training.train_seq2seq`.

    python -m rnnviz.compare homework --data ../shared/data/eng-fra.txt --seconds 20 --seeds 2 --out FILE
    python -m rnnviz.compare homework ... --steps 200   # the same steps each instead (a shared machine's load
                                                        # would otherwise decide how far each run gets)

The results file (JSON) records the command that made it, the machine's load, and every run.
"""

from __future__ import annotations

import datetime
import itertools
import json
import math
import os
import statistics
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rnnviz.compare import report
from rnnviz.compare.configs import Configuration
from rnnviz.compare.runner import RunRecord
from rnnviz.core.randomness import make_generator
from rnnviz.data.pairs import PairData, load_pairs
from rnnviz.seq2seq.model import Seq2Seq
from rnnviz.seq2seq.training import TRAINING, Seq2SeqConfig, evaluate, train_seq2seq

FORMAT = 1
SHIPPED = Path(__file__).with_name("homework_results.json")
CELLS = ("gru", "lstm", "sru")  # the tutorial's cell first
LAYERS = (1, 2, 3)
DIRECTIONS = (False, True)
METRIC = "held-out BLEU"
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

    @property
    def configuration(self) -> Configuration:
        """The row as a comparison configuration (the encoder's cell, layers, direction)."""
        encoder = HIDDEN // 2 if self.bidirectional else HIDDEN
        return Configuration(self.cell, self.layers, self.bidirectional, encoder)

    def record(self) -> RunRecord:
        """The run as a RunRecord, for the comparison's table, sentences and figures."""
        return RunRecord(
            self.configuration,
            self.seed,
            self.parameters,
            self.status,
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

    @property
    def budget(self) -> str:
        """'20 s of training each' or '200 steps each'."""
        return f"{self.steps:,} training steps each" if self.steps else f"{self.seconds:g} s of training each"

    def records(self) -> list[RunRecord]:
        """Every run as a RunRecord."""
        return [run.record() for run in self.runs]


def grid(
    cells: Sequence[str] = CELLS, layers: Sequence[int] = LAYERS, directions: Sequence[bool] = DIRECTIONS
) -> list[tuple[str, int, bool]]:
    """Every (cell, encoder layers, bidirectional) of the homework."""
    return [(cell, depth, both) for cell in cells for depth in layers for both in directions]


def load_tutorial_pairs(path: str | Path) -> PairData:
    """The tutorial's preparation of fra->eng ('i am / he is ...' pairs under 10 words), split with seed 0."""
    return load_pairs(path, source_language="fra", target_language="eng", tutorial_filter=True, test=1000, validation=500, seed=0)


def build_translator(data: PairData, cell: str, layers: int, bidirectional: bool, seed: int) -> Seq2Seq:
    """The translate command's small recipe with the row's encoder (and decoder) cell, layers and direction."""
    max_source = max(len(source.split(" ")) for source, _ in data.train) + 1
    return Seq2Seq(
        len(data.source_vocab),
        len(data.target_vocab),
        hidden_size=HIDDEN,
        cell=cell,
        encoder_layers=layers,
        bidirectional=bidirectional,
        attention="additive",
        dropout=0.0,
        max_source_length=max_source,
        encoder_hidden_size=HIDDEN // 2 if bidirectional else HIDDEN,
        tie_embeddings=True,
        generator=make_generator(seed),
    )


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
) -> HomeworkRun:
    """Train one row from one seed for `seconds` (validations included) or `steps`, then score the held-out pairs."""
    model = build_translator(data, cell, layers, bidirectional, seed)
    config = Seq2SeqConfig(
        label_smoothing=LABEL_SMOOTHING,
        train=TRAINING.replace(
            learning_rate=LEARNING_RATE, seed=seed, seconds=None if steps else seconds, steps=steps or TRAINING.steps
        ),
    )
    outcome = train_seq2seq(model, data, config, callbacks=callbacks, stop=stop)
    history = outcome.result.history
    gaps = [b.seconds - a.seconds for a, b in itertools.pairwise(history)]
    bleu = evaluate(model, data.test, data.source_vocab, data.target_vocab)["bleu"] if history else math.nan
    return HomeworkRun(
        cell,
        layers,
        bidirectional,
        seed,
        sum(p.numel() for p in model.parameters()),
        outcome.result.steps_done,
        round(outcome.epochs, 3),
        round(outcome.result.seconds, 2),
        round(1000 * statistics.median(gaps), 3) if gaps else math.nan,
        float(bleu),
        outcome.best.bleu if outcome.best else None,
        outcome.result.status,
        outcome.result.message,
    )


def run_homework(
    data: PairData,
    seconds: float | None,
    seeds: int,
    command: str,
    *,
    steps: int | None = None,
    rows: Sequence[tuple[str, int, bool]] | None = None,
    say: Callable[[str], None] = lambda _: None,
) -> HomeworkResults:
    """Every row from every seed, seed by seed (so a machine's changing load spreads over all rows)."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else math.nan
    results = HomeworkResults(
        command,
        seconds,
        seeds,
        datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        steps,
        {"cpus": os.cpu_count(), "load_at_start": round(load, 2)},
        dict(data.info),
    )
    rows = list(rows or grid())
    for seed in range(seeds):
        for cell, layers, bidirectional in rows:
            began = time.perf_counter()
            run = train_row(data, cell, layers, bidirectional, seed, seconds, steps)
            results.runs.append(run)
            say(
                f"{cell} x{layers} {'bi' if bidirectional else 'one-way'} seed {seed}: BLEU {run.test_bleu:.1f} "
                f"after {run.steps} steps ({time.perf_counter() - began:.0f} s)"
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
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"{path.name} lacks a field of the homework results: {error}") from None


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
    parts = ["# The homework, answered", "", setting, ""]
    for question, runs in questions(results).items():
        parts += [f"## {question}", "", report.markdown_table(report.summary_rows(runs, METRIC, gradients=False)), ""]
        parts += [f"- {text}" for text in report.pair_sentences(runs, METRIC, True)] + [""]
    parts += ["## The whole grid", "", report.markdown_table(report.summary_rows(results.records(), METRIC, gradients=False))]
    return "\n".join(parts) + "\n"
