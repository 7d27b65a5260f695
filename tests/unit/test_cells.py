"""Cells: parity with torch, the lecture's equations on the returned gates, bad input."""

from __future__ import annotations

import pytest
import torch

from rnnviz.core import cells

TORCH_CELLS = [
    (cells.RNNCell, lambda: torch.nn.RNNCell(5, 7, nonlinearity="tanh")),
    (cells.RNNCell, lambda: torch.nn.RNNCell(5, 7, nonlinearity="relu")),
    (cells.LSTMCell, lambda: torch.nn.LSTMCell(5, 7)),
    (cells.GRUCell, lambda: torch.nn.GRUCell(5, 7)),
]


def run_steps(cell: cells.Cell, x: torch.Tensor) -> list[cells.CellStep]:
    """Step a cell through x (B, T, I) with the public, checked call."""
    state, steps = None, []
    for t in range(x.shape[1]):
        step = cell(x[:, t], state)
        steps.append(step)
        state = step.state
    return steps


@pytest.mark.parametrize("ours, make_torch", TORCH_CELLS)
def test_from_torch_matches_torch_cell_over_steps(ours, make_torch):
    torch.manual_seed(0)
    reference = make_torch()
    cell = ours.from_torch(reference)
    x = torch.randn(4, 6, 5)
    step = run_steps(cell, x)[-1]
    h = torch.zeros(4, 7)
    c = torch.zeros(4, 7)
    for t in range(6):
        if isinstance(reference, torch.nn.LSTMCell):
            h, c = reference(x[:, t], (h, c))
        else:
            h = reference(x[:, t], h)
    torch.testing.assert_close(step.h, h, atol=1e-5, rtol=1e-5)


def test_from_torch_rejects_other_modules():
    with pytest.raises(ValueError, match=r"torch\.nn\.LSTMCell"):
        cells.LSTMCell.from_torch(torch.nn.GRUCell(3, 4))


def test_from_torch_without_bias_uses_zero_bias():
    reference = torch.nn.GRUCell(3, 4, bias=False)
    cell = cells.GRUCell.from_torch(reference)
    x = torch.randn(2, 3)
    torch.testing.assert_close(cell(x).h, reference(x))


@pytest.mark.parametrize("kind", cells.KINDS)
def test_gates_have_documented_names_and_shapes(kind):
    cell = cells.make(kind, input_size=8, hidden_size=16)
    step = cell(torch.randn(3, 8))
    assert tuple(step.gates) == cells.GATE_NAMES[kind]
    assert step.h.shape == (3, 16)
    for value in step.gates.values():
        assert value.shape == (3, 16)


def test_lstm_equations_hold_on_returned_gates():
    torch.manual_seed(1)
    cell = cells.make("lstm", 5, 6)
    x = torch.randn(4, 3, 5)
    steps = run_steps(cell, x)
    c_prev = torch.zeros(4, 6)
    for step in steps:
        gates = step.gates
        for name in ("input", "forget", "output"):
            assert ((gates[name] > 0) & (gates[name] < 1)).all()
        assert (gates["candidate"].abs() < 1).all()
        torch.testing.assert_close(gates["cell"], gates["forget"] * c_prev + gates["input"] * gates["candidate"])
        torch.testing.assert_close(step.h, gates["output"] * torch.tanh(gates["cell"]))
        c_prev = gates["cell"]


@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_equations_for_both_candidate_forms(reset_after):
    torch.manual_seed(2)
    cell = cells.GRUCell(5, 6, reset_after=reset_after)
    x, h_prev = torch.randn(4, 5), torch.randn(4, 6)
    step = cell(x, h_prev)
    w_ir, w_iz, w_in = cell.weight_ih.chunk(3)
    w_hr, w_hz, w_hn = cell.weight_hh.chunk(3)
    b_ir, b_iz, b_in = cell.bias_ih.chunk(3)
    b_hr, b_hz, b_hn = cell.bias_hh.chunk(3)
    r = torch.sigmoid(x @ w_ir.T + b_ir + h_prev @ w_hr.T + b_hr)
    z = torch.sigmoid(x @ w_iz.T + b_iz + h_prev @ w_hz.T + b_hz)
    if reset_after:  # cuDNN / PyTorch: tanh(W x + r*(U h))
        candidate = torch.tanh(x @ w_in.T + b_in + r * (h_prev @ w_hn.T + b_hn))
    else:  # Cho et al. 2014: tanh(W x + U(r*h))
        candidate = torch.tanh(x @ w_in.T + b_in + (r * h_prev) @ w_hn.T + b_hn)
    torch.testing.assert_close(step.gates["reset"], r)
    torch.testing.assert_close(step.gates["update"], z)
    torch.testing.assert_close(step.gates["candidate"], candidate)
    torch.testing.assert_close(step.h, z * h_prev + (1 - z) * candidate)


def test_gru_candidate_forms_differ():
    torch.manual_seed(3)
    pytorch_form = cells.GRUCell(4, 4)
    cho_form = cells.GRUCell(4, 4, reset_after=False)
    cho_form.load_state_dict(pytorch_form.state_dict())
    x, h = torch.randn(2, 4), torch.randn(2, 4)
    assert not torch.allclose(pytorch_form(x, h).h, cho_form(x, h).h)


@pytest.mark.parametrize("input_size", [6, 4])
def test_sru_equations_hold(input_size):
    torch.manual_seed(4)
    cell = cells.SRUCell(input_size, 6)
    x, c_prev = torch.randn(3, input_size), torch.randn(3, 6)
    step = cell(x, c_prev)
    w, w_f, w_r = cell.weight_ih.chunk(3)
    b_f, b_r = cell.bias.chunk(2)
    f = torch.sigmoid(x @ w_f.T + cell.v_forget * c_prev + b_f)
    r = torch.sigmoid(x @ w_r.T + cell.v_reset * c_prev + b_r)
    c = f * c_prev + (1 - f) * (x @ w.T)
    highway = x if input_size == 6 else x @ cell.weight_skip.T
    torch.testing.assert_close(step.gates["forget"], f)
    torch.testing.assert_close(step.gates["reset"], r)
    torch.testing.assert_close(step.state, c)
    torch.testing.assert_close(step.h, r * c + (1 - r) * highway)
    assert (cell.weight_skip is None) == (input_size == 6)


@pytest.mark.parametrize("kind", cells.KINDS)
def test_batch_invariance(kind):
    torch.manual_seed(5)
    cell = cells.make(kind, 3, 5)
    x = torch.randn(4, 7, 3)
    together = run_steps(cell, x)[-1].h
    alone = torch.cat([run_steps(cell, x[i:i + 1])[-1].h for i in range(4)])
    torch.testing.assert_close(together, alone)


def test_relu_rnn_is_relu_of_preactivation():
    cell = cells.make("rnn-relu", 3, 4)
    step = cell(torch.randn(5, 3))
    torch.testing.assert_close(step.h, torch.relu(step.gates["preactivation"]))
    assert (step.h >= 0).all()


@pytest.mark.parametrize("call, message", [
    (lambda: cells.make("transformer", 3, 4), "unknown cell kind"),
    (lambda: cells.make("lstm", 0, 4), "input_size must be an integer >= 1"),
    (lambda: cells.make("gru", 3, -2), "hidden_size must be an integer >= 1"),
    (lambda: cells.make("rnn", 3, 2.5), "hidden_size"),
    (lambda: cells.RNNCell(3, 4, nonlinearity="sigmoid"), "nonlinearity"),
    (lambda: cells.make("lstm", 3, 4)(torch.randn(2, 5)), r"shape \(any, 3\)"),
    (lambda: cells.make("lstm", 3, 4)(torch.randn(2, 2, 3)), "shape"),
    (lambda: cells.make("lstm", 3, 4)(torch.tensor([[1.0, float("nan"), 0.0]])), "NaN"),
    (lambda: cells.make("gru", 3, 4)(torch.ones(2, 3, dtype=torch.long)), "floating-point"),
    (lambda: cells.make("gru", 3, 4)(torch.randn(2, 3), torch.randn(3, 4)), r"shape \(2, 4\)"),
    (lambda: cells.make("lstm", 3, 4)(torch.randn(2, 3), torch.randn(2, 4)), r"pair \(h, c\)"),
    (lambda: cells.make("sru", 3, 4)(torch.randn(2, 3), "state"), "torch.Tensor"),
])
def test_bad_input_raises_value_error_saying_what_was_expected(call, message):
    with pytest.raises(ValueError, match=message):
        call()
