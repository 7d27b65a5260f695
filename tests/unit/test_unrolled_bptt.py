"""BPTT in numbers: per-path terms against autograd for every kind, the readout formula, decay, truncation."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from torch.nn import functional

from rnnviz.core.kinds import KINDS
from rnnviz.data.tasks import IGNORE_INDEX
from rnnviz.training.tasks import SequenceModel
from rnnviz.unrolled import (
    build_graph,
    parameter_names,
    path_terms,
    readout_gradient,
    tbptt_windows,
    term_decay,
    truncated_bptt,
    truncation_cuts,
)

TOLERANCE = 1e-6


def model_and_data(kind: str, layers: int = 1, bidirectional: bool = False, steps: int = 7, seed: int = 0):
    """A small SequenceModel, one sequence and targets (step 2 without a loss)."""
    torch.manual_seed(seed)
    model = SequenceModel(kind, 3, 4, 5, num_layers=layers, bidirectional=bidirectional)
    x = torch.randn(1, steps, 3)
    targets = torch.randint(0, 5, (steps,))
    targets[2] = IGNORE_INDEX
    return model, x, targets


def autograd_losses(model: SequenceModel, x: torch.Tensor, targets: torch.Tensor, tbptt=None):
    """(float64 copy of the model, E_t of the steps with a target), through the model's own forward."""
    double = copy.deepcopy(model).double()
    logits = double(x.double(), tbptt=tbptt)[0]
    keep = targets != IGNORE_INDEX
    return double, functional.cross_entropy(logits[keep], targets[keep], reduction="none")


def chosen_parameters(double: SequenceModel, layer: int, direction: str, weight: str) -> list[torch.Tensor]:
    """The parameters that make up `weight` of one layer and direction."""
    cell = double.recurrent.cell(layer, direction)
    return [getattr(cell, name) for name in parameter_names(double.recurrent.kind, weight)]


@pytest.mark.parametrize("layers, bidirectional, layer, direction", [
    (1, False, 0, "forward"), (2, False, 1, "forward"), (2, True, 0, "backward")])
@pytest.mark.parametrize("kind", KINDS)
def test_row_sums_and_total_equal_autograd_for_every_kind(kind, layers, bidirectional, layer, direction):
    model, x, targets = model_and_data(kind, layers, bidirectional)
    result = path_terms(model, x, targets, layer=layer, direction=direction)
    double, losses = autograd_losses(model, x, targets)
    np.testing.assert_allclose(result.losses, losses.detach().numpy(), atol=TOLERANCE)
    for weight in ("W", "U"):
        terms = result.terms[weight]
        parameters = chosen_parameters(double, layer, direction, weight)
        for row in range(len(losses)):
            grads = torch.autograd.grad(losses[row], parameters, retain_graph=True)
            for name, grad in zip(terms.parameters, grads):
                torch.testing.assert_close(terms.row_sums[name][row], grad, atol=TOLERANCE, rtol=0)
        totals = torch.autograd.grad(losses.sum(), parameters, retain_graph=True)
        for name, total in zip(terms.parameters, totals):
            torch.testing.assert_close(terms.total[name], total, atol=TOLERANCE, rtol=0)


@pytest.mark.parametrize("kind", KINDS)
def test_terms_from_steps_after_the_loss_step_are_exactly_zero(kind):
    model, x, targets = model_and_data(kind)
    result = path_terms(model, x, targets)
    assert list(result.loss_steps) == [0, 1, 3, 4, 5, 6]  # step 2 has no target
    for weight in ("W", "U"):
        norms = result.terms[weight].norms
        assert norms.shape == (6, 7)
        for row, t in enumerate(result.loss_steps):
            assert np.all(norms[row, t + 1:] == 0.0)
            if kind != "rnn-relu":  # a ReLU that is off passes exactly no gradient
                assert np.all(norms[row, 1: t + 1] > 0.0)  # k = 0 multiplies W by h_{-1} = 0


def test_the_backward_direction_gets_gradient_only_from_later_steps():
    model, x, targets = model_and_data("gru", 1, True)
    result = path_terms(model, x, targets, direction="backward")
    for row, t in enumerate(result.loss_steps):
        assert np.all(result.terms["W"].norms[row, :t] == 0.0)
        assert np.all(result.terms["W"].norms[row, t:-1] > 0.0)


def test_parameters_that_count_as_w_and_u():
    assert parameter_names("sru", "W") == ("v_forget", "v_reset")
    assert parameter_names("lstm", "W") == ("weight_hh",)
    assert parameter_names("gru", "U") == ("weight_ih",)
    with pytest.raises(ValueError, match="weight"):
        parameter_names("rnn", "V")


@pytest.mark.parametrize("kind", KINDS)
def test_readout_gradient_formula_equals_autograd(kind):
    model, x, targets = model_and_data(kind, 2, True)
    result = readout_gradient(model, x, targets)
    assert result.formula.shape == (6, 5, 8)  # loss steps, classes, hidden size x directions
    assert result.max_difference < 1e-12
    double, losses = autograd_losses(model, x, targets)
    (grad,) = torch.autograd.grad(losses[3], double.head.weight)
    torch.testing.assert_close(result.formula[3], grad, atol=TOLERANCE, rtol=0)


def test_tbptt_windows_follow_recurrents_windows():
    assert tbptt_windows(10, (3, 4)) == ((0, 0, 1), (0, 1, 4), (3, 4, 7), (6, 7, 10))
    assert tbptt_windows(6, None) == ((0, 0, 6),)
    with pytest.raises(ValueError, match="k2 >= k1"):
        tbptt_windows(6, (3, 2))


@pytest.mark.parametrize("tbptt", [(3, 3), (2, 5), (1, 1), (11, 11)])
@pytest.mark.parametrize("kind", KINDS)
def test_truncated_terms_vanish_beyond_the_window_and_sum_to_recurrents_tbptt_gradient(kind, tbptt):
    model, x, targets = model_and_data(kind, 2, steps=11)
    result = truncated_bptt(model, x, targets, *tbptt, layer=1, repeats=1)
    starts = {t: begin for begin, first, end in result.windows for t in range(first, end)}
    for row, t in enumerate(result.truncated.loss_steps):
        for weight in ("W", "U"):
            norms = result.truncated.terms[weight].norms[row]
            assert np.all(norms[: starts[t]] == 0.0) and np.all(norms[t + 1:] == 0.0)
            if kind != "rnn-relu":  # a ReLU that is off passes exactly no gradient
                assert np.all(norms[max(starts[t], 1): t + 1] > 0.0)
    double, losses = autograd_losses(model, x, targets, tbptt=tbptt)
    for weight in ("W", "U"):
        parameters = chosen_parameters(double, 1, "forward", weight)
        grads = torch.autograd.grad(losses.sum(), parameters, retain_graph=True)
        for name, grad in zip(result.truncated.terms[weight].parameters, grads):
            torch.testing.assert_close(result.truncated.terms[weight].total[name], grad, atol=TOLERANCE, rtol=0)
        assert (result.relative_error[weight] == 0.0) == (tbptt == (11, 11))
    assert result.seconds_full > 0 and result.seconds_truncated > 0


def test_truncation_cuts_the_recurrent_edges_into_each_window():
    model, x, targets = model_and_data("lstm", 2, steps=10)
    graph = build_graph(model, x, targets=targets)
    cuts = truncation_cuts(graph, 4, 4)  # windows start at steps 0, 2 and 6
    expected = {f"{name}[{layer},forward][{t - 1}]->{name}[{layer},forward][{t}]"
                for name in ("h", "c") for layer in (0, 1) for t in (2, 6)}
    assert set(cuts) == expected
    assert truncated_bptt(model, x, targets, 4, 4, graph=graph, repeats=1).cut_edges == cuts
    assert truncation_cuts(graph, 10, 10) == ()
    long_graph = build_graph(model, torch.randn(1, 30, 3))
    through = truncation_cuts(long_graph, 10, 10)  # windows start at 10 and 20, both hidden behind the ellipsis
    assert all(long_graph.edges[[e.id for e in long_graph.edges].index(cut)].through_ellipsis for cut in through)


def test_a_vanilla_rnn_decays_under_the_bound_and_gated_cells_get_a_reference_line():
    torch.manual_seed(3)
    model = SequenceModel("rnn", 3, 8, 5)
    x, targets = torch.randn(1, 20, 3), torch.randint(0, 5, (20,))
    decay = term_decay(path_terms(model, x, targets))
    assert decay.proven and decay.relative[0] == pytest.approx(1.0)
    reached = np.isfinite(decay.high)
    assert np.all(decay.high[reached] <= decay.bound[reached] * (1 + 1e-9))
    np.testing.assert_allclose(decay.bound, (decay.gamma * decay.sigma_max) ** np.arange(20))
    gated = term_decay(path_terms(*model_and_data("lstm")))
    assert not gated.proven and "reference" in gated.note


@pytest.mark.parametrize("call, message", [
    (lambda m, x, y: path_terms(m.recurrent, x, y), "needs a readout"),
    (lambda m, x, y: path_terms(m, torch.randn(1, 201, 3), torch.zeros(201, dtype=torch.long)), "at most 200"),
    (lambda m, x, y: path_terms(m, x, y, layer=1), "layer must be at most 0"),
    (lambda m, x, y: path_terms(m, x, y, direction="backward"), "direction must be one of 'forward'"),
    (lambda m, x, y: path_terms(m, x, y, weights=("V",)), "weight must be one of"),
    (lambda m, x, y: truncated_bptt(m, x, y, 3, 2), "k2 >= k1"),
])
def test_bad_input_raises_a_value_error_that_says_what_to_do(call, message):
    model, x, targets = model_and_data("rnn")
    with pytest.raises(ValueError, match=message):
        call(model, x, targets)


def test_truncation_needs_a_unidirectional_network():
    model, x, targets = model_and_data("gru", 1, True)
    with pytest.raises(ValueError, match="unidirectional"):
        path_terms(model, x, targets, tbptt=(2, 2))
    with pytest.raises(ValueError, match="unidirectional"):
        truncation_cuts(build_graph(model, x), 2, 2)


def test_probes_leave_the_model_untouched():
    model, x, targets = model_and_data("sru", 2)
    before = {name: value.clone() for name, value in model.state_dict().items()}
    path_terms(model, x, targets, tbptt=(2, 3))
    readout_gradient(model, x, targets)
    assert all(torch.equal(before[name], value) for name, value in model.state_dict().items())
    assert all(p.grad is None and p.dtype == torch.float32 for p in model.parameters())
    assert isinstance(model.recurrent.cells[0].v_forget, torch.nn.Parameter)
