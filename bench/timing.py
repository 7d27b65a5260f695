"""Timing helpers shared by the bench scripts: the machine's line, medians interleaved so drift hits every candidate alike."""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

# The checkout this file lives in comes first on the path, so a script measures this checkout's rnnviz,
# not whichever one the environment has installed (a worktree's bench would otherwise time main's code).
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def cpu_line() -> str:
    """The CPU the figures come from: model, AVX-512 or not, torch threads, load average (figures differ by machine)."""
    import torch  # here, so that importing this module stays cheap

    model, flags = platform.processor() or "unknown CPU", ""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
        model = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), model)
        flags = next((line for line in lines if line.startswith("flags")), "")
    except OSError:
        pass
    avx512 = "yes" if " avx512f" in f"{flags} " else "no"
    load = " ".join(f"{value:.2f}" for value in os.getloadavg()) if hasattr(os, "getloadavg") else "unknown"
    busy = "  (busy: timings unreliable)" if hasattr(os, "getloadavg") and os.getloadavg()[0] > 1 else ""
    return (f"CPU: {model}, AVX-512 {avx512} (torch kernels: {torch.backends.cpu.get_cpu_capability()}), "
            f"{os.cpu_count()} cores; torch {torch.__version__}, {torch.get_num_threads()} thread(s); "
            f"load average {load}{busy}")


def interleaved_medians(functions: dict[str, Callable[[], object]], repeats: int, warmups: int = 2,
                        clock: Callable[[], float] = time.perf_counter) -> dict[str, float]:
    """Median seconds of each function, called round-robin `repeats` times after `warmups` calls each.

    `clock=time.process_time` counts the CPU time of every thread of this process instead of the wall
    clock: on a shared machine it does not count the time other programs hold the cores.
    """
    for function in functions.values():
        for _ in range(warmups):
            function()
    samples: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(repeats):
        for name, function in functions.items():
            start = clock()
            function()
            samples[name].append(clock() - start)
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
