"""Timing helpers shared by the bench scripts: medians, interleaved so drift hits every candidate alike."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def interleaved_medians(functions: dict[str, Callable[[], object]], repeats: int,
                        warmups: int = 2) -> dict[str, float]:
    """Median seconds of each function, called round-robin `repeats` times after `warmups` calls each."""
    for function in functions.values():
        for _ in range(warmups):
            function()
    samples: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(repeats):
        for name, function in functions.items():
            start = time.perf_counter()
            function()
            samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in samples.items()}


def median_seconds(function: Callable[[], object], repeats: int, warmups: int = 2) -> float:
    """Median seconds of one function."""
    return interleaved_medians({"f": function}, repeats, warmups)["f"]


def print_targets(rows: list[tuple[str, float, float, str]], width: int = 44) -> int:
    """One line per (name, ratio, target, detail): ok or MISSED against `ratio <= target`; return how many missed."""
    failed = 0
    for name, ratio, target, detail in rows:
        ok = ratio <= target
        failed += not ok
        print(f"  {name:{width}s} {ratio:6.2f}  (target <= {target:.2f}) {'ok' if ok else 'MISSED'}  {detail}".rstrip())
    print("all targets met" if not failed else f"{failed} target(s) missed")
    return failed
