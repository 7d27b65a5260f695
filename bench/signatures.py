"""Signature verification speed on SVC2004 Task 2 (issue 13): time functions for all 1,600 signatures <= 5 s,
the full DTW evaluation (5 user folds, 1vs1 and 4vs1) <= 60 s.

Each target prints as the measured seconds over the target's seconds (<= 1.00 meets it), beside the
time to read the files in the same run as a yardstick for how busy the machine is.

    python bench/signatures.py [--data ../shared/data/signatures/svc2004] [--parallel] [--skip-dtw]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.timing import print_targets
from rnnviz.signatures import features
from rnnviz.signatures.data import load_svc2004
from rnnviz.signatures.evaluation import eer_table, evaluate_dtw

FEATURES_SECONDS = 5.0
DTW_SECONDS = 60.0


def main() -> int:
    """Read the set, time the 23 functions of every signature, print the targets."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="the SVC2004 Task 2 folder (default: ../shared/...)")
    parser.add_argument("--parallel", action="store_true", help="DTW on every core (OpenMP)")
    parser.add_argument("--skip-dtw", action="store_true", help="time the time functions only")
    arguments = parser.parse_args()
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
    return 1 if print_targets(rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
