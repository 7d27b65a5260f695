"""A comparison's results as people read them: the table, one sentence per pair, curves, CSV and Markdown."""

from __future__ import annotations

import csv
import io
import itertools
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rnnviz.compare.runner import RunRecord
from rnnviz.compare.statistics import sentence, summarize
from rnnviz.plots.compare import Curve

CURVE_POINTS = 150  # a curve is averaged into at most this many points (training batches are noisy)
CSV_FIELDS = (
    "configuration",
    "cell",
    "layers",
    "bidirectional",
    "hidden_size",
    "parameters",
    "seed",
    "status",
    "steps",
    "train_seconds",
    "step_ms",
    "final_metric",
    "gradient_ratio",
    "message",
)


@dataclass(frozen=True)
class Group:
    """The runs of one configuration (its seeds), in the order the configurations were given."""

    label: str
    runs: list[RunRecord]

    @property
    def scores(self) -> list[float]:
        """Held-out scores of the seeds (NaN for diverged or failed runs)."""
        return [run.final_metric for run in self.runs]


def group_runs(records: Sequence[RunRecord]) -> list[Group]:
    """Runs grouped by configuration label, first appearance first (only runs that ended)."""
    groups: dict[str, list[RunRecord]] = {}
    for record in records:
        if record.status != "running":
            groups.setdefault(record.label, []).append(record)
    return [Group(label, runs) for label, runs in groups.items()]


def _geometric_mean(values: Sequence[float]) -> float:
    """Geometric mean of the positive finite values (gradient ratios span decades), NaN without any."""
    logs = [math.log10(v) for v in values if v is not None and math.isfinite(v) and v > 0]
    return 10 ** (sum(logs) / len(logs)) if logs else math.nan


def _outcomes(runs: Sequence[RunRecord]) -> str:
    """'3 finished' or '2 finished, seed 1 diverged at step 40'."""
    finished = sum(run.status in ("finished", "stopped") and math.isfinite(run.final_metric) for run in runs)
    parts = [f"{finished} of {len(runs)} scored"]
    for run in runs:
        if run.status == "diverged":
            parts.append(f"seed {run.seed} diverged at step {run.diverged_at}")
        elif run.status == "failed":
            parts.append(f"seed {run.seed} failed: {run.message}")
        elif run.status == "stopped":
            parts.append(f"seed {run.seed} stopped at step {len(run.steps)}")
    return "; ".join(parts)


def summary_rows(records: Sequence[RunRecord], metric: str, gradients: bool = True) -> list[dict[str, object]]:
    """One row per configuration: size, parameters, time per step, final metric mean ± std, gradient at t = 0."""
    rows = []
    for group in group_runs(records):
        first = group.runs[0]
        step_times = [run.step_seconds for run in group.runs if math.isfinite(run.step_seconds)]
        ratio = _geometric_mean([run.gradient_ratio for run in group.runs])
        rows.append(
            {
                "configuration": group.label,
                "hidden size": first.configuration.hidden_size,
                "parameters": first.parameters,
                "ms per step": round(1000 * statistics.median(step_times), 2) if step_times else math.nan,
                metric: summarize(group.scores).text(),
                "‖∂L/∂h₀‖ ÷ ‖∂L/∂h_T‖": f"{ratio:.1e}" if math.isfinite(ratio) else "—",
                "seeds": _outcomes(group.runs),
            }
        )
        if not gradients:
            del rows[-1]["‖∂L/∂h₀‖ ÷ ‖∂L/∂h_T‖"]
    return rows


def pair_sentences(records: Sequence[RunRecord], metric: str, higher_is_better: bool) -> list[str]:
    """For every pair of configurations, whether the difference is larger than the seed-to-seed spread."""
    groups = group_runs(records)
    return [
        sentence(a.label, a.scores, b.label, b.scores, metric, higher_is_better) for a, b in itertools.combinations(groups, 2)
    ]


def step_time_ratio(records: Sequence[RunRecord], kind: str = "sru", baseline: str = "lstm") -> float | None:
    """Median step time of `kind` over that of `baseline` (single-layer, one-way runs preferred), None without both."""

    def median_for(name: str) -> float | None:
        times = [r.step_seconds for r in records if r.configuration.kind == name and math.isfinite(r.step_seconds)]
        return statistics.median(times) if times else None

    mine, theirs = median_for(kind), median_for(baseline)
    return mine / theirs if mine and theirs else None


def _smooth(values: Sequence[float]) -> np.ndarray:
    """A running mean over a twentieth of the run (training batches are noisy), NaN kept out of the window."""
    array = np.asarray(values, dtype=np.float64)
    window = max(1, len(array) // 20)
    if window == 1:
        return array
    finite = np.isfinite(array)
    sums = np.convolve(np.where(finite, array, 0.0), np.ones(window), "full")[: len(array)]
    counts = np.convolve(finite.astype(float), np.ones(window), "full")[: len(array)]
    with np.errstate(invalid="ignore", divide="ignore"):
        return sums / counts


def _buckets(values: Sequence[float], points: int) -> np.ndarray:
    """Means over at most `points` equal buckets."""
    array = np.asarray(values, dtype=np.float64)
    if len(array) <= points:
        return array
    edges = np.linspace(0, len(array), points + 1).astype(int)
    return np.array([array[a:b].mean() for a, b in itertools.pairwise(edges) if b > a])


def curves(records: Sequence[RunRecord], x: str = "steps", y: str = "loss", points: int = CURVE_POINTS) -> list[Curve]:
    """Every run (finished or training) as a Curve of loss or metric against steps or seconds, smoothed."""
    found = []
    for record in records:
        xs, ys = getattr(record, x)[:], getattr(record, y)[:]  # copies: a training run appends meanwhile
        count = min(len(xs), len(ys))
        if count:
            found.append(Curve(record.label, record.seed, _buckets(xs[:count], points), _buckets(_smooth(ys[:count]), points)))
    return found


def runs_csv(records: Sequence[RunRecord]) -> str:
    """The raw runs, one row per configuration and seed."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS)
    writer.writeheader()
    for run in records:
        c = run.configuration
        writer.writerow(
            {
                "configuration": run.label,
                "cell": c.kind,
                "layers": c.num_layers,
                "bidirectional": c.bidirectional,
                "hidden_size": c.hidden_size,
                "parameters": run.parameters,
                "seed": run.seed,
                "status": run.status,
                "steps": len(run.steps),
                "train_seconds": round(run.train_seconds, 3),
                "step_ms": round(1000 * run.step_seconds, 3),
                "final_metric": run.final_metric,
                "gradient_ratio": run.gradient_ratio,
                "message": run.message,
            }
        )
    return buffer.getvalue()


def markdown_table(rows: Sequence[dict[str, object]]) -> str:
    """Rows of dicts as a Markdown table (pipes in cells escaped)."""
    if not rows:
        return "_no runs_"
    names = list(rows[0])
    cell = lambda value: str(value).replace("|", "\\|")  # noqa: E731
    lines = ["| " + " | ".join(names) + " |", "|" + "---|" * len(names)]
    lines += ["| " + " | ".join(cell(row[name]) for name in names) + " |" for row in rows]
    return "\n".join(lines)


def markdown_report(
    title: str, setting: str, records: Sequence[RunRecord], metric: str, higher_is_better: bool, figures: Sequence[str] = ()
) -> str:
    """The report: what was compared, the table, one sentence per pair, and the figures' PNG names."""
    parts = [f"# {title}", "", setting, "", markdown_table(summary_rows(records, metric)), ""]
    parts += [f"- {text}" for text in pair_sentences(records, metric, higher_is_better)]
    parts += ["", *[f"![{name}]({name})" for name in figures]]
    return "\n".join(parts).rstrip() + "\n"
