"""Speed of the Unrolled graph library, as ratios measured in one run.

Targets: building and drawing the graph (build_graph + graph_figure) for T = 12, H = 16, 2 layers,
bidirectional <= 300 ms, printed as a ratio to 300 ms; the per-path BPTT terms (path_terms, W and U,
T = 12, H = 16) <= 3x one ordinary gradient of the same explicit unroll (float64 copy, forward with
trace=True + torch.autograd.grad of Σ_t E_t), measured in the same run. The ratio to the backward
pass alone is printed too.   Run: python bench/unrolled.py
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import time
from pathlib import Path

import torch
from torch.nn import functional

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from timing import cpu_line, interleaved_medians, print_targets  # noqa: E402  (bench/timing.py)

from rnnviz.core.kinds import KINDS  # noqa: E402
from rnnviz.plots.unrolled import graph_figure  # noqa: E402
from rnnviz.training.tasks import SequenceModel  # noqa: E402
from rnnviz.unrolled import build_graph, path_terms  # noqa: E402

GRAPH_TARGET_S, TERMS_TARGET = 0.300, 3.0
STEPS, HIDDEN, INPUTS, CLASSES = 12, 16, 4, 5


def data(kind: str, layers: int, bidirectional: bool, seed: int = 0):
    """A SequenceModel with one sequence of STEPS steps and its targets."""
    torch.manual_seed(seed)
    model = SequenceModel(kind, INPUTS, HIDDEN, CLASSES, num_layers=layers, bidirectional=bidirectional)
    return model, torch.randn(1, STEPS, INPUTS), torch.randint(0, CLASSES, (STEPS,))


def ordinary_gradient(model: SequenceModel, x: torch.Tensor, targets: torch.Tensor):
    """(forward + backward closure, backward-only seconds sampler) of the explicit unroll in float64."""
    double, x64 = copy.deepcopy(model).double(), x.double()
    parameters = list(double.parameters())

    def loss() -> torch.Tensor:
        logits = double.head(double.recurrent(x64, trace=True).output)[0]
        return functional.cross_entropy(logits, targets, reduction="sum")

    def forward_backward() -> None:
        torch.autograd.grad(loss(), parameters)

    def backward_seconds() -> float:
        value = loss()
        start = time.perf_counter()
        torch.autograd.grad(value, parameters)
        return time.perf_counter() - start

    return forward_backward, backward_seconds


def graph_row(kind: str, repeats: int) -> tuple[str, float, float, str]:
    """Build and draw the graph of a 2-layer bidirectional model: seconds as a ratio to 300 ms."""
    model, x, targets = data(kind, 2, True)
    seconds = interleaved_medians({"graph": lambda: graph_figure(build_graph(model, x, targets=targets), step=3)},
                                  repeats)["graph"]
    return f"{kind:8s} graph build + draw / 300 ms", seconds / GRAPH_TARGET_S, 1.0, f"{seconds * 1000:6.1f} ms"


def terms_row(kind: str, repeats: int) -> tuple[str, float, float, str]:
    """Per-path terms (W and U) against one ordinary gradient of the same explicit unroll, 1 layer."""
    model, x, targets = data(kind, 1, False)
    forward_backward, backward_seconds = ordinary_gradient(model, x, targets)
    seconds = interleaved_medians({"terms": lambda: path_terms(model, x, targets), "ordinary": forward_backward},
                                  repeats)
    backward = statistics.median(backward_seconds() for _ in range(repeats))
    detail = (f"{seconds['terms'] * 1000:6.2f} ms vs {seconds['ordinary'] * 1000:.2f} ms; "
              f"/ backward alone ({backward * 1000:.2f} ms): {seconds['terms'] / backward:.1f}")
    return f"{kind:8s} BPTT terms / ordinary forward+backward", seconds["terms"] / seconds["ordinary"], \
        TERMS_TARGET, detail


def main() -> None:
    """Parse arguments, measure, print ratios against the targets."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (the app's server uses 1)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(cpu_line())
    print(f"T={STEPS} H={HIDDEN}; graph: 2 layers, bidirectional; terms: 1 layer; median of {args.repeats}")
    print_targets([row(kind, args.repeats) for kind in KINDS for row in (graph_row, terms_row)])


if __name__ == "__main__":
    main()
