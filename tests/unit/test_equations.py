"""The equations with numbers, on a bare cell + x_t + state (no model, no trace)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rnnviz.core import cells
from rnnviz.core.kinds import KINDS, kind_info
from rnnviz.probes.equations import explain_step

NAMES = {"forget gate": "forget", "input gate": "input", "output gate": "output", "candidate": "candidate",
         "cell state": "cell", "reset gate": "reset", "update gate": "update", "current memory content": "candidate",
         "state vector": "cell", "pre-activation": "preactivation"}
FINAL = ("hidden state", "final memory", "output vector")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("sizes", [(3, 5), (5, 5)])
def test_each_equation_gives_the_cells_own_value(kind: str, sizes: tuple[int, int]) -> None:
    """Recomputed from the weights, every gate and the new state equal one real step of the cell."""
    torch.manual_seed(1)
    cell = cells.make(kind, *sizes).double()
    x, h_prev = torch.randn(1, sizes[0], dtype=torch.float64), torch.randn(1, sizes[1], dtype=torch.float64)
    c_prev = torch.randn(1, sizes[1], dtype=torch.float64)
    state = {"lstm": (h_prev, c_prev), "sru": c_prev}.get(kind, h_prev)
    with torch.no_grad():
        step = cell(x, state)
    has_cell = kind_info(kind).has_cell_state
    for unit in range(sizes[1]):
        equations = explain_step(cell, x[0].numpy(), h_prev[0].numpy(), c_prev[0].numpy() if has_cell else None, unit)
        for equation in equations:
            expected = step.h if equation.name in FINAL else step.gates[NAMES[equation.name]]
            assert equation.value == pytest.approx(float(expected[0, unit]), abs=1e-9), (kind, equation.name)


def test_bad_vectors_get_a_message_that_says_what_was_expected() -> None:
    """Wrong shapes, NaN, a missing cell state, a unit out of range: ValueErrors, never IndexErrors."""
    cell = cells.make("lstm", 3, 4)
    x, h = np.zeros(3), np.zeros(4)
    with pytest.raises(ValueError, match="needs the previous cell state"):
        explain_step(cell, x, h, None, 0)
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        explain_step(cell, np.zeros(4), h, h, 0)
    with pytest.raises(ValueError, match="NaN"):
        explain_step(cell, np.array([0.0, np.nan, 0.0]), h, h, 0)
    with pytest.raises(ValueError, match="unit"):
        explain_step(cell, x, h, h, 4)
