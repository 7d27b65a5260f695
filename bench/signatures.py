"""Signature verification speed on SVC2004 Task 2 (issue 13): time functions for all 1,600 signatures <= 5 s,
the full DTW evaluation (5 user folds, 1vs1 and 4vs1) <= 60 s, verifying one signature (time functions, DTW and
a shipped BLSTM against four references) <= 300 ms. It prints the DTW EERs (user- and cohort-normalised) per fold,
over all users and per user, the SVC2004 organisers' protocol, then the paper's orderings as true/false with
their numbers and the EER goals (the RNN ones read from the committed Siamese summary
ui/signatures/siamese_svc2004.json, written by `python -m rnnviz.signatures paper`, which covers one fold).

Each target prints as the measured seconds over the target's seconds (<= 1.00 meets it), beside the
time to read the files in the same run as a yardstick for how busy the machine is.

    python bench/signatures.py [--data ../shared/data/signatures/svc2004] [--parallel] [--skip-dtw]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd
import torch

from bench.timing import cpu_line, print_targets
from rnnviz.signatures import features
from rnnviz.signatures.data import load_svc2004
from rnnviz.signatures.evaluation import DTW_COHORT, DTW_NORMALISED, eer_table, evaluate_dtw, user_eer_table
from rnnviz.signatures.organisers import evaluate_organisers
from rnnviz.signatures.pairs import SCENARIOS
from rnnviz.signatures.scoring import FUSED, TWO_STAGE

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


def verdict(holds: bool, numbers: str, claim: str) -> None:
    """One of the paper's orderings as true/false with its numbers."""
    print(f"  {'true ' if holds else 'false'}  {claim}: {numbers}")


def print_dtw(scores: pd.DataFrame) -> None:
    """Each normalisation's DTW EERs per fold, over all users (one threshold) and per user; 4vs1 vs 1vs1."""
    for system in (DTW_NORMALISED, DTW_COHORT):
        print_system(scores[scores["system"] == system], system)


def print_system(normalised: pd.DataFrame, system: str) -> None:
    """One DTW system's EERs per fold, over all users and per user, and whether 4vs1 beats 1vs1."""
    per_fold = eer_table(normalised, ["fold"])
    print(f"{system}, time functions {'/'.join(features.NAMES[c] for c in features.DTW_CHOICE)}, EER %:")
    print("  fold  users  1vs1 skilled  1vs1 random  4vs1 skilled  4vs1 random")
    for fold, group in per_fold.groupby("fold"):
        values = {(r.mode, k): getattr(r, k) for r in group.itertuples() for k in ("skilled", "random")}
        users = normalised.loc[normalised["fold"] == fold, "claimed_user"].nunique()
        print(
            f"  {fold:4d}  {users:5d}  "
            + "  ".join(f"{values[(m, k)]:12.2f}" for m in ("1vs1", "4vs1") for k in ("skilled", "random"))
        )
    pooled = {(r.mode, k): getattr(r, k) for r in eer_table(normalised).itertuples() for k in ("skilled", "random")}
    each = {(r.mode, k): getattr(r, k) for r in user_eer_table(normalised).itertuples() for k in ("skilled", "random")}
    for name, table in (("all users, one threshold", pooled), ("per user, averaged", each)):
        print(f"  {name:26s}" + "  ".join(f"{table[(m, k)]:12.2f}" for m in ("1vs1", "4vs1") for k in ("skilled", "random")))
    print(f"paper's orderings, all 40 users ({system}, one threshold):")
    for kind in ("skilled", "random"):
        one, four = pooled[("1vs1", kind)], pooled[("4vs1", kind)]
        verdict(four < one, f"4vs1 {four:.2f} % vs 1vs1 {one:.2f} %", f"4vs1 better than 1vs1 on {kind} forgeries")


def print_organisers(dataset) -> None:
    """The SVC2004 organisers' protocol: pooled and per user and trial, each normalisation."""
    scores = evaluate_organisers(dataset).scores
    pooled = eer_table(scores).set_index("system")
    each = user_eer_table(scores, ["claimed_user", "fold"]).set_index("system")
    print("SVC2004 organisers' protocol (5 random references, 10 trials, 40 users; SVC2004 best, 60 hidden users: 2.89 %):")
    for system in pooled.index:
        print(f"  {system}: one threshold: skilled {pooled.loc[system, 'skilled']:.2f} %, random "
              f"{pooled.loc[system, 'random']:.2f} %; a threshold per user and trial, averaged: skilled "
              f"{each.loc[system, 'skilled']:.2f} %, random {each.loc[system, 'random']:.2f} %")  # fmt: skip


def print_orderings(summary: dict) -> None:
    """The paper's orderings on the Siamese summary's fold as true/false with numbers, and the EER goals."""
    names = ("LSTM", "GRU", "BLSTM", "BGRU")
    dtw, fold = "DTW, user-normalised", summary["about"].get("fold", 0)
    print(f"paper's orderings on fold {fold}'s {summary['users']} test users (4vs1, one threshold; the Siamese summary):")
    every_rnn = [f"{s}, trained {sc}" for s in names for sc in SCENARIOS]
    random = {s: eer(summary, s, "4vs1", "random") for s in every_rnn}
    best = min(random, key=random.get)
    value = eer(summary, dtw, "4vs1", "random")
    verdict(value <= random[best], f"DTW {value:.2f} % vs best RNN {best} {random[best]:.2f} %", "DTW best on random forgeries")
    skilled = {s: eer(summary, s, "4vs1", "skilled") for s in every_rnn}
    best = min(skilled, key=skilled.get)
    verdict(best.startswith("B"), f"best {best} {skilled[best]:.2f} %", "a bidirectional RNN best on skilled forgeries")
    weights = summary["about"].get("fusion_weights", {})
    for system, form in ((s, f) for s in names for f in (TWO_STAGE, FUSED)):
        staged, rnn = form.format(system=system), f"{system}, trained skilled + random"
        values = {k: (eer(summary, staged, "4vs1", k), eer(summary, dtw, "4vs1", k), eer(summary, rnn, "4vs1", k))
                  for k in ("skilled", "random")}  # fmt: skip
        if math.isnan(values["skilled"][0]):
            continue
        text = "; ".join(f"{k} {v[0]:.2f} % (DTW {v[1]:.2f}, {system} {v[2]:.2f})" for k, v in values.items())
        note = f" (RNN weight {weights[system]:g}, chosen on validation users)" if form == FUSED and system in weights else ""
        verdict(all(v[0] <= min(v[1], v[2]) for v in values.values()), text, f"{staged}{note} at least as good as either stage")
        met = values["skilled"][0] < 5 and values["random"][0] < 1
        print(f"         goal skilled < 5 % and random < 1 % with {staged}: {'met' if met else 'missed'}")


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
        print_dtw(result.scores)
        print_organisers(dataset)
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
