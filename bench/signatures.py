"""Signature verification speed on SVC2004 Task 2 (issue 13): time functions for all 1,600 signatures <= 5 s,
the full DTW evaluation (5 user folds, 1vs1 and 4vs1) <= 60 s, verifying one signature (time functions, DTW and
a shipped BLSTM against four references) <= 300 ms; then the paper's orderings and the EER goals, read from the
committed Siamese summary (ui/signatures/siamese_svc2004.json, written by `python -m rnnviz.signatures paper`).

Each target prints as the measured seconds over the target's seconds (<= 1.00 meets it), beside the
time to read the files in the same run as a yardstick for how busy the machine is.

    python bench/signatures.py [--data ../shared/data/signatures/svc2004] [--parallel] [--skip-dtw]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch

from bench.timing import cpu_line, print_targets
from rnnviz.signatures import features
from rnnviz.signatures.data import load_svc2004
from rnnviz.signatures.evaluation import eer_table, evaluate_dtw
from rnnviz.signatures.pairs import SCENARIOS

FEATURES_SECONDS = 5.0
DTW_SECONDS = 60.0
VERIFY_SECONDS = 0.3
TRAIN_SECONDS = 300.0
SUMMARY = Path(__file__).resolve().parents[1] / "ui" / "signatures" / "siamese_svc2004.json"
CHECKPOINT = Path(__file__).resolve().parents[1] / "checkpoints" / "signature-blstm.safetensors"


def verify_seconds(dataset) -> float:
    """Seconds to verify one signature against four references with DTW and the shipped BLSTM (best of 5)."""
    from rnnviz.io import checkpoints
    from rnnviz.signatures.dtw import dtw_scores, reference_spread
    from rnnviz.signatures.experiments import BUILDERS

    model = checkpoints.load(CHECKPOINT, builders=BUILDERS).model.eval()
    references = [dataset.get(1, s).points for s in (1, 2, 3, 4)]
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        functions = [features.time_functions(points) for points in references]
        probe = features.time_functions(dataset.get(1, 25).points)
        _ = float(dtw_scores(functions, [probe]).mean()) / reference_spread(functions)
        first = torch.stack([model.inputs(f) for f in functions])
        second = model.inputs(probe).expand(4, -1, -1)
        with torch.no_grad():
            model(first, second)
        best = min(best, time.perf_counter() - start)
    return best


def eer(summary: dict, system: str, mode: str, kind: str) -> float:
    """An EER in % from the summary (NaN when absent)."""
    entry = next((e for e in summary["systems"] if e["system"] == system and e["mode"] == mode), None)
    return float("nan") if entry is None or entry[kind]["eer"] is None else 100 * entry[kind]["eer"]


def print_orderings(summary: dict) -> None:
    """The paper's orderings, reproduced or refuted on our fold, and the EER goals."""
    rnns = [f"{s}, trained skilled + random" for s in ("LSTM", "GRU", "BLSTM", "BGRU")]
    dtw, staged = "DTW, user-normalised", [f"two-stage (DTW, then {s})" for s in ("LSTM", "GRU", "BLSTM", "BGRU")]
    systems = [dtw, *rnns]
    better = sum(eer(summary, s, "4vs1", k) <= eer(summary, s, "1vs1", k) for s in systems for k in ("skilled", "random"))
    print(f"4vs1 at least as good as 1vs1: {better} of {2 * len(systems)} (system, forgery) cases")
    random = {s: eer(summary, s, "4vs1", "random") for s in [*systems, *(f"{r[:-19]}random" for r in rnns)]}
    print(f"best on random forgeries (4vs1): {min(random, key=random.get)} ({min(random.values()):.2f} %)")
    every_rnn = [f"{s}, trained {sc}" for s in ("LSTM", "GRU", "BLSTM", "BGRU") for sc in SCENARIOS]
    skilled = {s: eer(summary, s, "4vs1", "skilled") for s in every_rnn}
    print(f"best RNN on skilled forgeries (4vs1): {min(skilled, key=skilled.get)} ({min(skilled.values()):.2f} %)")
    for name, rnn in zip(staged, rnns):
        values = {k: (eer(summary, name, "4vs1", k), eer(summary, dtw, "4vs1", k), eer(summary, rnn, "4vs1", k))
                  for k in ("skilled", "random")}  # fmt: skip
        ok = all(v[0] <= min(v[1], v[2]) for v in values.values())
        print(f"{name}: skilled {values['skilled'][0]:.2f} %, random {values['random'][0]:.2f} %; at least as good "
              f"as either stage on both: {'yes' if ok else 'no'}; goal skilled < 5 %, random < 1 %: "
              f"{'met' if values['skilled'][0] < 5 and values['random'][0] < 1 else 'missed'}")  # fmt: skip


def main() -> int:
    """Read the set, time the 23 functions of every signature, print the targets."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="the SVC2004 Task 2 folder (default: ../shared/...)")
    parser.add_argument("--parallel", action="store_true", help="DTW on every core (OpenMP)")
    parser.add_argument("--skip-dtw", action="store_true", help="time the time functions only")
    arguments = parser.parse_args()
    print(cpu_line())
    start = time.perf_counter()
    dataset = load_svc2004(arguments.data)
    read_seconds = time.perf_counter() - start
    start = time.perf_counter()
    functions = features.dataset_time_functions(dataset.signatures)
    feature_seconds = time.perf_counter() - start
    points = sum(len(values) for values in functions.values())
    print(f"SVC2004: {len(functions):,} signatures, {points:,} points; reading the files took {read_seconds:.2f} s")
    rows = [
        (
            "23 time functions, all signatures (s / 5 s)",
            feature_seconds / FEATURES_SECONDS,
            1.0,
            f"{feature_seconds:.2f} s, {1e6 * feature_seconds / points:.1f} µs a point",
        )
    ]
    if not arguments.skip_dtw:
        start = time.perf_counter()
        result = evaluate_dtw(dataset, parallel=arguments.parallel)
        dtw_seconds = time.perf_counter() - start
        print(eer_table(result.scores).round(2).to_string(index=False))
        rows.append(
            (
                "full DTW evaluation (s / 60 s)",
                dtw_seconds / DTW_SECONDS,
                1.0,
                f"{dtw_seconds:.1f} s, {len(result.scores):,} scores, parallel={arguments.parallel}",
            )
        )
    seconds = verify_seconds(dataset)
    rows.append(("verify one signature, DTW + BLSTM (s / 0.3 s)", seconds / VERIFY_SECONDS, 1.0, f"{1000 * seconds:.0f} ms"))
    if SUMMARY.is_file():
        summary = json.loads(SUMMARY.read_text())
        longest = max(run["seconds"] for run in summary["about"]["curves"].values())
        rows.append(("longest Siamese training, 1,000 steps at most (s / 300 s)", longest / TRAIN_SECONDS, 1.0,
                     f"{longest:.0f} s on the shared 2-core machine, from the summary"))  # fmt: skip
        print_orderings(summary)
    return 1 if print_targets(rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
