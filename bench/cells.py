"""Speed of the recurrent paths, as ratios measured in one run (T=100, H=128, B=32, forward+backward).

Targets (issue 2): fast path / plain torch.nn module <= 1.10; SRU fast / LSTM fast <= 0.50;
explicit traced unroll / fast path <= 5.   Run: python bench/cells.py [--threads 1 2] [--clock cpu]
Each thread count is measured in turn; the SRU line says whether numba's kernels ran (rnnviz/core/sru_kernels.py).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Callable

import torch
from timing import cpu_line, interleaved_medians, print_targets  # bench/timing.py

from rnnviz.core import fused
from rnnviz.core.recurrent import Recurrent

TORCH_MODULES = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}


def forward_backward(run: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> Callable[[], None]:
    """A closure doing one forward and one backward pass."""
    def step() -> None:
        run(x).square().mean().backward()
    return step


def measure(steps: int, hidden: int, batch: int, repeats: int, clock: Callable[[], float]) -> dict[str, float]:
    """Seconds per forward+backward for each path."""
    torch.manual_seed(0)
    x = torch.randn(batch, steps, hidden)
    functions: dict[str, Callable[[], None]] = {}
    for kind, module_class in TORCH_MODULES.items():
        module = module_class(hidden, hidden, batch_first=True)
        layer = Recurrent.from_torch(module)
        functions[f"torch.nn.{module_class.__name__}"] = forward_backward(lambda v, m=module: m(v)[0], x)
        functions[f"{kind} fast"] = forward_backward(lambda v, m=layer: m(v).output, x)
        functions[f"{kind} explicit+trace"] = forward_backward(lambda v, m=layer: m(v, trace=True).output, x)
    sru = Recurrent("sru", hidden, hidden)
    functions["sru fast"] = forward_backward(lambda v: sru(v).output, x)
    functions["sru explicit+trace"] = forward_backward(lambda v: sru(v, trace=True).output, x)
    return interleaved_medians(functions, repeats, clock=clock)


def report(seconds: dict[str, float]) -> list[tuple[str, float, float]]:
    """(name, ratio, target) rows."""
    rows = []
    for kind, name in (("rnn", "RNN"), ("lstm", "LSTM"), ("gru", "GRU")):
        rows.append((f"{kind} fast / torch.nn.{name}", seconds[f"{kind} fast"] / seconds[f"torch.nn.{name}"], 1.10))
    rows.append(("sru fast / lstm fast", seconds["sru fast"] / seconds["lstm fast"], 0.50))
    for kind in ("rnn", "lstm", "gru", "sru"):
        rows.append((f"{kind} explicit+trace / {kind} fast",
                     seconds[f"{kind} explicit+trace"] / seconds[f"{kind} fast"], 5.0))
    return rows


FIRST_CALL = """
import sys, time
sys.path.insert(0, sys.argv[1])
import torch
from rnnviz.core.recurrent import Recurrent
layer, x = Recurrent("sru", 128, 128), torch.randn(32, 100, 128)
start, cpu = time.perf_counter(), time.process_time()
layer(x).output.square().mean().backward()
print(time.perf_counter() - start, time.process_time() - cpu)
"""


def sru_engine_line() -> str:
    """Which elementwise SRU path runs, and a fresh process's first SRU forward+backward (numba import, cached code)."""
    kernels = fused.numba_kernels(torch.zeros(1))
    if kernels is None:
        return "SRU elementwise part: torch loop (numba not installed)"
    import numba

    first = subprocess.run([sys.executable, "-c", FIRST_CALL, str(fused.__file__).rsplit("/rnnviz/", 1)[0]],
                           capture_output=True, text=True, check=True).stdout.split()
    wall, cpu = (float(value) for value in first)
    return (f"SRU elementwise part: numba {numba.__version__} kernels; a fresh process's first SRU forward+backward "
            f"(numba import, code from the disk cache) {wall:.2f} s wall, {cpu:.2f} s CPU")


def main() -> None:
    """Parse arguments, measure, print figures and ratios."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="torch thread counts, measured in turn")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                        help="cpu: this process's CPU time, steadier than the wall clock on a busy machine")
    args = parser.parse_args()
    print(sru_engine_line())
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    for threads in args.threads:
        torch.set_num_threads(threads)
        print(cpu_line())
        print(f"T={args.steps} H={args.hidden} B={args.batch}, forward+backward, median of {args.repeats}, "
              f"{args.clock} clock")
        seconds = measure(args.steps, args.hidden, args.batch, args.repeats, clock)
        for name, value in seconds.items():
            print(f"  {name:28s} {value * 1000:8.2f} ms")
        print_targets([(name, ratio, target, "") for name, ratio, target in report(seconds)], width=34)


if __name__ == "__main__":
    main()
