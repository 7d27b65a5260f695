"""Speed of Compare cells, as ratios measured in one run.

Targets (issue 12): the grid through the background queue / the same trainings called directly <= 1.10;
the default comparison (adding T=40, 4 cells x 3 seeds x 250 steps) / 60 s <= 1.00. Printed, not targeted:
SRU's training step / LSTM's at matched parameters on the adding task and on IMDb reviews (when
../shared/data/imdb_small.csv or $RNNVIZ_DATA/imdb_small.csv is there), as the page shows it.
Run: python bench/compare.py [--threads 1]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import torch
from timing import print_targets  # bench/timing.py

from rnnviz.compare import Budget, Configuration, make_comparison_task, run_grid, size_configurations
from rnnviz.compare.runner import grid_target, planned_steps, run_one
from rnnviz.training.jobs import Job, JobSlots

ROOT = Path(__file__).resolve().parents[1]
CELLS = ("rnn", "lstm", "gru", "sru")


def reviews_file() -> Path | None:
    """The IMDb sample, if this machine has it."""
    folder = os.environ.get("RNNVIZ_DATA") or ROOT.parent / "shared" / "data"
    path = Path(folder) / "imdb_small.csv"
    return path if path.is_file() else None


def step_ratio(task_name: str, parameters: int, steps: int, repeats: int, reviews: Path | None = None) -> tuple[float, str]:
    """Median step time of SRU over LSTM at matched parameters, runs interleaved."""
    task = make_comparison_task(task_name, 40, reviews)
    budget = Budget(parameters=parameters, steps=steps, seeds=1)
    lstm, sru = size_configurations(task, [Configuration("lstm"), Configuration("sru")], budget)
    times: dict[str, list[float]] = {"lstm": [], "sru": []}
    for repeat in range(repeats):
        for configuration in (lstm, sru):
            times[configuration.kind].append(run_one(task, configuration, repeat, budget).step_seconds)
    lstm_ms, sru_ms = (1000 * statistics.median(times[k]) for k in ("lstm", "sru"))
    return sru_ms / lstm_ms, f"LSTM H={lstm.hidden_size} {lstm_ms:.2f} ms, SRU H={sru.hidden_size} {sru_ms:.2f} ms"


def translation_ratio(pairs: Path, steps: int, repeats: int) -> tuple[float, str]:
    """SRU's step over LSTM's on the homework's translator (same recipe; embeddings make the sizes close)."""
    from rnnviz.compare import homework

    data = homework.load_tutorial_pairs(pairs)
    times: dict[str, list[float]] = {"lstm": [], "sru": []}
    sizes = {}
    for repeat in range(repeats):
        for kind in ("lstm", "sru"):
            run, _model = homework.train_row(data, kind, 1, False, repeat, None, steps)
            times[kind].append(run.step_ms)
            sizes[kind] = run.parameters
    lstm_ms, sru_ms = (statistics.median(times[k]) for k in ("lstm", "sru"))
    detail = f"LSTM {sizes['lstm']:,} parameters {lstm_ms:.1f} ms, SRU {sizes['sru']:,} parameters {sru_ms:.1f} ms"
    return sru_ms / lstm_ms, detail


def queue_overhead(repeats: int) -> tuple[float, str]:
    """Wall time of a small grid in a Job over the same grid called directly (alternating, medians)."""
    task = make_comparison_task("adding", 40)
    budget = Budget(parameters=2000, steps=60, seeds=2)
    sized = size_configurations(task, [Configuration(kind) for kind in CELLS], budget)
    direct, queued = [], []
    for _ in range(repeats):
        began = time.perf_counter()
        run_grid(task, sized, budget)
        direct.append(time.perf_counter() - began)
        began = time.perf_counter()
        job = Job(grid_target(task, sized, budget), JobSlots(1), planned_steps(sized, budget)).start()
        job.wait()
        queued.append(time.perf_counter() - began)
    a, b = statistics.median(direct), statistics.median(queued)
    return b / a, f"direct {a:.2f} s, queued {b:.2f} s (4 cells x 2 seeds x 60 steps)"


def default_comparison() -> tuple[float, str]:
    """The page's default comparison, timed end to end (building, training, scoring, gradients)."""
    task = make_comparison_task("adding", 40)
    budget = Budget()
    sized = size_configurations(task, [Configuration(kind) for kind in CELLS], budget)
    began = time.perf_counter()
    records = run_grid(task, sized, budget)
    seconds = time.perf_counter() - began
    return seconds / 60.0, f"{seconds:.1f} s for {len(records)} runs of {budget.steps} steps"


def main() -> int:
    """Measure and print the ratios; the exit status counts the missed targets."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=1, help="torch threads (the app's server uses 1)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"Compare cells, {args.threads} torch thread(s), {os.cpu_count()} cores")
    ratio, detail = queue_overhead(args.repeats)
    seconds_ratio, seconds_detail = default_comparison()
    missed = print_targets(
        [("grid in the queue / direct", ratio, 1.10, detail), ("default comparison / 60 s", seconds_ratio, 1.00, seconds_detail)]
    )
    print("SRU step / LSTM step at matched parameters (the page shows the same ratio):")
    adding, adding_detail = step_ratio("adding", 2000, 40, args.repeats)
    print(f"  adding T=40, 2,000 parameters       {adding:6.2f}  {adding_detail}")
    pairs = reviews_file().with_name("eng-fra.txt") if reviews_file() else None
    if pairs is None or not pairs.is_file():
        print("  translation: skipped (no eng-fra.txt beside the reviews)")
    else:
        translation, translation_detail = translation_ratio(pairs, 40, args.repeats)
        print(f"  translation fra->eng, homework recipe  {translation:6.2f}  {translation_detail}")
    reviews = reviews_file()
    if reviews is None:
        print("  IMDb reviews: skipped (no imdb_small.csv in ../shared/data or $RNNVIZ_DATA)")
    else:
        task = make_comparison_task("sentiment", reviews=reviews)
        target = task.parameter_count(Configuration("lstm", hidden_size=64))
        sentiment, sentiment_detail = step_ratio("sentiment", target, 20, args.repeats, reviews)
        print(f"  IMDb reviews, last 100 words, {target:,} parameters {sentiment:6.2f}  {sentiment_detail}")
    return missed


if __name__ == "__main__":
    raise SystemExit(main())
