"""Recurrent: fast path == explicit cells for every kind x layers x direction, torch parity, traces."""

from __future__ import annotations

import pytest
import torch

from rnnviz.core.cells import KINDS
from rnnviz.core.recurrent import Recurrent
from rnnviz.io import registry

GRID = [(kind, layers, bidirectional) for kind in KINDS for layers in (1, 2) for bidirectional in (False, True)]


def flat_state(state) -> list[torch.Tensor]:
    """Every tensor of a list of cell states."""
    out = []
    for s in state:
        out.extend(s if isinstance(s, tuple) else [s])
    return out


@pytest.mark.parametrize("kind, layers, bidirectional", GRID)
def test_fast_path_equals_explicit_cells(kind, layers, bidirectional):
    torch.manual_seed(0)
    layer = Recurrent(kind, 5, 6, num_layers=layers, bidirectional=bidirectional)
    x = torch.randn(3, 9, 5, requires_grad=True)
    fast = layer(x, fast=True)
    explicit = layer(x, fast=False)
    torch.testing.assert_close(fast.output, explicit.output, atol=1e-5, rtol=1e-5)
    for a, b in zip(flat_state(fast.state), flat_state(explicit.state)):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)
    inputs = [x, *layer.parameters()]
    weights = torch.randn_like(fast.output)
    grads_fast = torch.autograd.grad((fast.output * weights).sum(), inputs)
    grads_explicit = torch.autograd.grad((explicit.output * weights).sum(), inputs)
    for a, b in zip(grads_fast, grads_explicit):
        torch.testing.assert_close(a, b, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("module_class, options", [
    (torch.nn.RNN, {"nonlinearity": "tanh"}), (torch.nn.RNN, {"nonlinearity": "relu"}),
    (torch.nn.LSTM, {}), (torch.nn.GRU, {})])
@pytest.mark.parametrize("layers, bidirectional", [(1, False), (2, False), (1, True), (3, True)])
def test_from_torch_matches_torch_module(module_class, options, layers, bidirectional):
    torch.manual_seed(1)
    module = module_class(4, 5, num_layers=layers, bidirectional=bidirectional, batch_first=True, **options)
    layer = Recurrent.from_torch(module)
    x = torch.randn(2, 8, 4)
    expected, _ = module(x)
    torch.testing.assert_close(layer(x).output, expected, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(layer(x, trace=True).output, expected, atol=1e-5, rtol=1e-5)


def test_from_torch_rejects_projection_and_other_modules():
    with pytest.raises(ValueError, match="proj_size"):
        Recurrent.from_torch(torch.nn.LSTM(3, 4, proj_size=2))
    with pytest.raises(ValueError, match=r"torch\.nn\.RNN, LSTM or GRU"):
        Recurrent.from_torch(torch.nn.Linear(3, 4))


@pytest.mark.parametrize("kind, layers, bidirectional", GRID)
def test_trace_has_every_layer_direction_step_and_gate(kind, layers, bidirectional):
    layer = Recurrent(kind, 4, 6, num_layers=layers, bidirectional=bidirectional)
    x = torch.randn(2, 7, 4)
    result = layer(x, trace=True)
    assert len(result.trace) == layers
    for layer_trace in result.trace:
        assert tuple(layer_trace) == layer.directions
        for direction in layer_trace.values():
            assert len(direction.hidden_steps) == 7
            assert direction.hidden.shape == (2, 7, 6)
            assert set(direction.gates) == set(layer.cell(0).gate_names)
            assert all(gate.shape == (2, 7, 6) for gate in direction.gates.values())
    last = result.trace[-1]
    torch.testing.assert_close(result.output[..., :6], last["forward"].hidden)
    if bidirectional:  # backward states are stored in input time order
        torch.testing.assert_close(result.output[..., 6:], last["backward"].hidden)


@pytest.mark.parametrize("kind", KINDS)
def test_batch_invariance(kind):
    torch.manual_seed(2)
    layer = Recurrent(kind, 3, 4, num_layers=2, bidirectional=True)
    x = torch.randn(5, 6, 3)
    together = layer(x).output
    alone = torch.cat([layer(x[i:i + 1]).output for i in range(5)])
    torch.testing.assert_close(together, alone, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("kind", KINDS)
def test_carried_state_continues_the_sequence(kind):
    layer = Recurrent(kind, 3, 4, num_layers=2)
    x = torch.randn(2, 10, 3)
    whole = layer(x).output
    first = layer(x[:, :4])
    second = layer(x[:, 4:], first.state)
    torch.testing.assert_close(torch.cat([first.output, second.output], dim=1), whole, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("kind", KINDS)
def test_config_rebuilds_an_equal_model(kind):
    layer = Recurrent(kind, 3, 4, num_layers=2, bidirectional=True)
    rebuilt = registry.build(layer.config)
    rebuilt.load_state_dict(layer.state_dict())
    x = torch.randn(2, 5, 3)
    torch.testing.assert_close(rebuilt(x).output, layer(x).output)


def test_cho_gru_has_no_fast_path_but_runs():
    layer = Recurrent("gru", 3, 4, reset_after=False)
    assert not layer.can_use_fast_path()
    assert layer(torch.randn(2, 5, 3)).output.shape == (2, 5, 4)
    with pytest.raises(ValueError, match="no fast path"):
        layer(torch.randn(2, 5, 3), fast=True)


@pytest.mark.parametrize("kind", KINDS)
def test_truncated_bptt_keeps_values_and_cuts_gradients(kind):
    torch.manual_seed(3)
    layer = Recurrent(kind, 3, 4)
    x = torch.randn(2, 12, 3, requires_grad=True)
    full = layer(x)
    truncated = layer(x, tbptt=(4, 4))
    torch.testing.assert_close(truncated.output, full.output, atol=1e-6, rtol=1e-5)
    (grad_x,) = torch.autograd.grad(truncated.output[:, -1].sum(), [x])
    assert grad_x[:, :8].abs().max() == 0  # beyond k=4 steps from the last output
    assert grad_x[:, 8:].abs().max() > 0


@pytest.mark.parametrize("call, message", [
    (lambda layer: layer(torch.randn(2, 5)), r"shape \(any, any, 3\)"),
    (lambda layer: layer(torch.randn(2, 5, 4)), "shape"),
    (lambda layer: layer(torch.randn(2, 0, 3)), "at least one"),
    (lambda layer: layer(torch.full((1, 2, 3), float("nan"))), "NaN"),
    (lambda layer: layer(torch.randn(2, 5, 3), [torch.zeros(2, 4)]), "list of 2"),
    (lambda layer: layer(torch.randn(2, 5, 3), tbptt=(3, 2)), "k2 >= k1"),
    (lambda layer: layer(torch.randn(2, 5, 3), tbptt=(0, 2)), "k1"),
    (lambda layer: layer(torch.randn(2, 5, 3), trace=True, fast=True), "no trace"),
])
def test_bad_input_raises_value_error(call, message):
    layer = Recurrent("lstm", 3, 4, num_layers=2)
    with pytest.raises(ValueError, match=message):
        call(layer)


@pytest.mark.parametrize("arguments, message", [
    (("lstmx", 3, 4), "unknown cell kind"), (("gru", 3, 4, 0), "num_layers"), (("rnn", 0, 4), "input_size")])
def test_bad_construction_raises_value_error(arguments, message):
    with pytest.raises(ValueError, match=message):
        Recurrent(*arguments)


def test_truncated_bptt_needs_one_direction():
    with pytest.raises(ValueError, match="unidirectional"):
        Recurrent("gru", 3, 4, bidirectional=True)(torch.randn(1, 4, 3), tbptt=(2, 2))


def test_sru_hand_written_backward_passes_gradcheck():
    from rnnviz.core.fused import SRUFunction

    torch.manual_seed(4)
    steps, batch, hidden = 5, 3, 4
    shapes = [(batch, steps, 3 * hidden), (batch, steps, hidden), (hidden,), (hidden,), (batch, hidden)]
    inputs = [torch.randn(*shape, dtype=torch.double, requires_grad=True) for shape in shapes]
    assert torch.autograd.gradcheck(SRUFunction.apply, inputs)


@pytest.mark.parametrize("steps, block_steps", [(1, 1), (7, 2), (7, 3), (8, 4), (9, 16)])
def test_sru_blocked_backward_passes_gradcheck_across_block_edges(steps, block_steps):
    from rnnviz.core.fused import SRUFunction

    torch.manual_seed(5)
    batch, hidden = 2, 3
    shapes = [(batch, steps, 3 * hidden), (batch, steps, hidden), (hidden,), (hidden,), (batch, hidden)]
    inputs = [torch.randn(*shape, dtype=torch.double, requires_grad=True) for shape in shapes]
    assert torch.autograd.gradcheck(lambda *tensors: SRUFunction.apply(*tensors, block_steps), inputs)


@pytest.mark.parametrize("block_steps", [1, 3, 16])
def test_sru_fast_path_is_the_same_for_any_block_length(block_steps, monkeypatch):
    from rnnviz.core import fused

    torch.manual_seed(6)
    layer = Recurrent("sru", 4, 5, num_layers=2, bidirectional=True)
    x = torch.randn(3, 11, 4, requires_grad=True)
    monkeypatch.setattr(fused, "BLOCK_STEPS", block_steps)
    fast = layer(x, fast=True).output
    explicit = layer(x, fast=False).output
    torch.testing.assert_close(fast, explicit, atol=1e-5, rtol=1e-5)
    weights = torch.randn_like(fast)
    grads_fast = torch.autograd.grad((fast * weights).sum(), [x, *layer.parameters()])
    grads_explicit = torch.autograd.grad((explicit * weights).sum(), [x, *layer.parameters()])
    for a, b in zip(grads_fast, grads_explicit):
        torch.testing.assert_close(a, b, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("values, finite", [
    ([1.0, 2.0, 3.0], True),
    ([3e38, 3e38, 3e38], True),  # the sum overflows to inf, yet every entry is finite
    ([1.0, float("inf"), 2.0], False),
    ([float("inf"), float("-inf"), 0.0], False),  # +inf + -inf: NaN
    ([1.0, float("nan"), 2.0], False),
    ([], True),
])
def test_check_finite_rejects_exactly_the_non_finite(values, finite):
    from rnnviz.core.validation import check_finite
    tensor = torch.tensor(values, dtype=torch.float32)
    if finite:
        assert check_finite(tensor, "x") is tensor
    else:
        with pytest.raises(ValueError, match="x contains NaN or infinite"):
            check_finite(tensor, "x")
