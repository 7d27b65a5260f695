"""SRU's fast path, compiled kernels (numba) and torch loop alike: gradcheck, equal to the explicit cells, stable."""

from __future__ import annotations

import pytest
import torch

from rnnviz.core import fused
from rnnviz.core.recurrent import Recurrent

ENGINES = ["compiled", "torch"]


@pytest.fixture(params=ENGINES)
def engine(request, monkeypatch) -> str:
    """Run the test once with numba's kernels and once with the torch loop."""
    if request.param == "compiled":
        pytest.importorskip("numba")
    monkeypatch.setattr(fused, "USE_NUMBA", request.param == "compiled")
    return request.param


def function_inputs(batch: int, steps: int, inputs: int, hidden: int) -> list[torch.Tensor]:
    """x, W, b, highway, v_f, v_r, c0 for SRUFunction, double precision, all requiring gradients."""
    shapes = [
        (batch, steps, inputs),
        (3 * hidden, inputs),
        (2 * hidden,),
        (batch, steps, hidden),
        (hidden,),
        (hidden,),
        (batch, hidden),
    ]
    return [torch.randn(*shape, dtype=torch.double, requires_grad=True) for shape in shapes]


def assert_fast_equals_explicit(layer: Recurrent, x: torch.Tensor, tolerance: float = 1e-5) -> None:
    """Outputs, final states and every gradient of the fast path match the explicit cells."""
    fast, explicit = layer(x, fast=True), layer(x, fast=False)
    torch.testing.assert_close(fast.output, explicit.output, atol=tolerance, rtol=tolerance)
    for a, b in zip(fast.state, explicit.state):
        torch.testing.assert_close(a, b, atol=tolerance, rtol=tolerance)
    inputs = [x, *layer.parameters()]
    weights = torch.randn_like(fast.output)
    grads_fast = torch.autograd.grad((fast.output * weights).sum() + sum(s.sum() for s in fast.state), inputs)
    grads_explicit = torch.autograd.grad((explicit.output * weights).sum() + sum(s.sum() for s in explicit.state), inputs)
    for a, b in zip(grads_fast, grads_explicit):
        assert torch.isfinite(a).all()
        torch.testing.assert_close(a, b, atol=10 * tolerance, rtol=10 * tolerance)


def test_compiled_kernels_run_float32_and_float64_on_the_cpu_only():
    pytest.importorskip("numba")
    tensor = torch.zeros(2)
    assert fused.numba_kernels(tensor, tensor) is not None
    assert fused.numba_kernels(tensor.double(), tensor.double()) is not None
    assert fused.numba_kernels(tensor.half(), tensor.half()) is None
    assert fused.numba_kernels(tensor, tensor.double()) is None  # mixed precision: the torch loop casts


@pytest.mark.parametrize("steps, block_steps, inputs", [(1, 1, 3), (2, 1, 3), (7, 2, 3), (7, 3, 5), (9, 16, 2)])
def test_gradcheck_across_block_edges(engine, steps, block_steps, inputs):
    torch.manual_seed(5)
    tensors = function_inputs(2, steps, inputs, 3)
    assert torch.autograd.gradcheck(lambda *values: fused.SRUFunction.apply(*values, block_steps), tensors)


@pytest.mark.parametrize("layers, bidirectional", [(1, False), (1, True), (2, False), (2, True)])
def test_fast_equals_explicit_for_layers_and_directions(engine, layers, bidirectional):
    torch.manual_seed(1)
    layer = Recurrent("sru", 5, 6, num_layers=layers, bidirectional=bidirectional)
    assert_fast_equals_explicit(layer, torch.randn(3, 9, 5, requires_grad=True))


@pytest.mark.parametrize("steps", [1, 2, 1000])
def test_fast_equals_explicit_for_short_and_long_sequences(engine, steps):
    torch.manual_seed(2)
    layer = Recurrent("sru", 4, 4)
    assert_fast_equals_explicit(layer, torch.randn(2, steps, 4, requires_grad=True), tolerance=1e-4)


@pytest.mark.parametrize("gate_bias", [-40.0, -8.0, 8.0, 40.0])
def test_gates_saturated_near_zero_and_one_stay_exact(engine, gate_bias):
    torch.manual_seed(3)
    layer = Recurrent("sru", 4, 5)
    with torch.no_grad():
        layer.cells[0].bias.fill_(gate_bias)  # forget and reset gates ~0 or ~1 (sigmoid(+-40) rounds to 0 or 1)
    assert_fast_equals_explicit(layer, 3 * torch.randn(3, 50, 4, requires_grad=True))


def test_compiled_and_torch_loop_agree_in_double_precision(monkeypatch):
    pytest.importorskip("numba")
    torch.manual_seed(4)
    tensors = function_inputs(3, 20, 4, 5)
    results = []
    for use_numba in (True, False):
        monkeypatch.setattr(fused, "USE_NUMBA", use_numba)
        output, last = fused.SRUFunction.apply(*tensors, 6)
        results.append([output, last, *torch.autograd.grad((output.sin().sum() + last.sum()), tensors)])
    for a, b in zip(*results):
        torch.testing.assert_close(a, b, atol=1e-12, rtol=1e-12)


def test_without_numba_the_torch_loop_runs(monkeypatch):
    monkeypatch.setattr(fused, "_NUMBA", [None])  # as if `import numba` had failed
    assert fused.numba_kernels(torch.zeros(2)) is None
    torch.manual_seed(5)
    assert_fast_equals_explicit(Recurrent("sru", 3, 4, bidirectional=True), torch.randn(2, 7, 3, requires_grad=True))


def test_a_numba_that_fails_its_check_leaves_the_torch_loop(monkeypatch):
    sru_kernels = pytest.importorskip("rnnviz.core.sru_kernels")

    def broken() -> None:
        raise RuntimeError("LLVM could not compile for this CPU")

    monkeypatch.setattr(sru_kernels, "check", broken)
    monkeypatch.setattr(fused, "_NUMBA", [])
    assert fused.numba_kernels(torch.zeros(2)) is None
    monkeypatch.undo()
    assert fused.numba_kernels(torch.zeros(2)) is not None
