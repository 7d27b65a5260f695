"""What each gradient-lab preset shows on seeds 0-4 at the settings the page ships (issue 17 item 6).

Not a speed target: the measurements the preset sentences quote. For every preset (and its
contrast with --contrast), each seed's run is trained as the page trains it, then read over its
whole recorded history: verdict, loss against the baseline, accuracy, the gradient ratio
||dL/dh_0|| / ||dL/dh_T|| over all measurements, exact zeros on the heatmap, and every check of the
claim. The last line of each preset gives the ranges over the seeds, to compare with its sentence.

    nice -n 5 python bench/presets.py [--presets 1,5] [--seeds 0-4] [--contrast]

One torch thread, as the server trains; one run at a time (5-40 s each on a shared 2-core machine).
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import torch
from timing import cpu_line  # bench/timing.py

from rnnviz.gradlab.checks import Expectation, check, ratio_series, summarize
from rnnviz.gradlab.presets import PRESETS
from rnnviz.gradlab.recorder import Recording, RunSettings, sigma_series, train_run


def log10_or_none(value: float) -> float | None:
    """log10 of a positive finite value, None for 0, inf or NaN."""
    return math.log10(value) if math.isfinite(value) and value > 0 else None


def measure(settings: RunSettings, expectation: Expectation | None) -> dict[str, object]:
    """Train one run and read it: the numbers a sentence may quote and the result of each check."""
    started = time.perf_counter()
    recording: Recording = train_run(settings)
    seconds = time.perf_counter() - started
    summary = summarize(recording)
    _, ratios = ratio_series(recording)
    logs = [v for v in (log10_or_none(r) for r in ratios) if v is not None]
    grid = np.stack([s.profile for s in recording.snapshots])
    _, sigmas = sigma_series(recording)
    jacobian = [v for v in sigmas.get("σ_max(mean Jacobian)", []) if math.isfinite(v)]
    checks = check(expectation, recording) if expectation is not None else []
    return {"seconds": seconds, "status": summary.status, "diverged_at": summary.diverged_at,
            "verdict": summary.verdict, "best": summary.best_relative_loss, "final": summary.final_relative_loss,
            "accuracy": summary.accuracy, "ratio_low": min(logs, default=math.nan),
            "ratio_high": max(logs, default=math.nan), "ratio_start": log10_or_none(ratios[0]),
            "ratio_zero": float(np.mean(ratios == 0)), "grid_zero": float(np.mean(grid == 0)),
            "jacobian": (min(jacobian, default=math.nan), max(jacobian, default=math.nan)), "checks": checks}


def print_run(seed: int, row: dict[str, object]) -> None:
    """One seed's numbers and its checks on a few lines."""
    low, high = row["jacobian"]
    print(f"  seed {seed}: {row['status']} ({row['seconds']:.0f} s), verdict {row['verdict']}, loss/baseline best "
          f"{row['best']:.3f} last-10% {row['final']:.3f}, accuracy {row['accuracy']:.2f}"
          + (f", diverged at {row['diverged_at']}" if row["diverged_at"] else ""))
    print(f"    log10 ratio over the run {row['ratio_low']:.1f} .. {row['ratio_high']:.1f} (start "
          f"{row['ratio_start'] if row['ratio_start'] is None else round(row['ratio_start'], 1)}), exactly 0 in "
          f"{row['ratio_zero']:.0%} of measurements and {row['grid_zero']:.0%} of heatmap cells; "
          f"σ_max(mean Jacobian) {low:.2f} .. {high:.2f}")
    for sentence, holds in row["checks"]:
        print(f"    {'✓' if holds else '✗'} {sentence}")


def print_ranges(rows: list[dict[str, object]]) -> None:
    """The ranges over all seeds: what a sentence may quote (with a margin)."""
    def span(key: str) -> str:
        values = [row[key] for row in rows if row[key] is not None and not math.isnan(row[key])]
        return f"{min(values):.3g} .. {max(values):.3g}" if values else "—"
    failed = sum(not holds for row in rows for _, holds in row["checks"])
    print(f"  over the seeds: best {span('best')}, last-10% {span('final')}, accuracy {span('accuracy')}, "
          f"log10 ratio low {span('ratio_low')} high {span('ratio_high')} start {span('ratio_start')}, "
          f"diverged at {span('diverged_at')}; failed checks: {failed}")


def seeds_from(text: str) -> list[int]:
    """'0-4' or '0,3' as a list of seeds."""
    if "-" in text:
        first, last = text.split("-")
        return list(range(int(first), int(last) + 1))
    return [int(part) for part in text.split(",")]


def main() -> None:
    """Measure the chosen presets (or their contrasts) on the chosen seeds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", default="1,2,3,4,5,6")
    parser.add_argument("--seeds", default="0-4")
    parser.add_argument("--contrast", action="store_true", help="measure each preset's contrast run instead")
    arguments = parser.parse_args()
    torch.set_num_threads(1)
    print(cpu_line())
    numbers = {int(n) for n in arguments.presets.split(",")}
    for item in PRESETS:
        settings = item.contrast if arguments.contrast else item.settings
        expectation = item.contrast_expect if arguments.contrast else item.expect
        if item.number not in numbers or settings is None:
            continue
        print(f"preset {item.number}{' contrast' if arguments.contrast else ''}: {settings.label()}", flush=True)
        rows = []
        for seed in seeds_from(arguments.seeds):
            rows.append(measure(settings.replace(seed=seed), expectation))
            print_run(seed, rows[-1])
        print_ranges(rows)


if __name__ == "__main__":
    main()
