"""Probes: per-timestep gradients against analytic cases and a hand-built unroll."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rnnviz.core.cells import KINDS
from rnnviz.core.recurrent import Recurrent
from rnnviz.probes import gradients as probes


def identity_relu_rnn(scale: float, size: int = 6) -> Recurrent:
    """A ReLU RNN with W_hh = scale * I and non-negative input weights and biases."""
    layer = Recurrent("rnn-relu", 4, size)
    cell = layer.cells[0]
    with torch.no_grad():
        cell.weight_hh.copy_(scale * torch.eye(size))
        cell.weight_ih.abs_()
        cell.bias_ih.fill_(0.1)
        cell.bias_hh.zero_()
    return layer


def last_step_sum(output: torch.Tensor) -> torch.Tensor:
    """A loss that reads only the last output."""
    return output[:, -1].sum()


@pytest.mark.parametrize("scale", [0.5, 0.9, 1.0, 1.2])
def test_relu_identity_rnn_gives_powers_of_the_scale(scale):
    steps = 12
    layer = identity_relu_rnn(scale)
    x = torch.rand(3, steps, 4)  # positive inputs keep every ReLU in its linear part
    norms = probes.timestep_grads(layer, x, last_step_sum)
    expected = scale ** np.arange(steps - 1, -1, -1) * norms[-1]
    np.testing.assert_allclose(norms, expected, rtol=1e-4)
    assert norms[-1] == pytest.approx(np.sqrt(3 * 6), rel=1e-5)  # dL/dh_T = ones(B, H)


def hand_unrolled_norms(layer: Recurrent, x: torch.Tensor, weights: torch.Tensor) -> np.ndarray:
    """||dL/dh_t|| from a loop written here, independent of the trace machinery."""
    cell = layer.cells[0]
    state, nodes, outputs = None, [], []
    for t in range(x.shape[1]):
        step = cell(x[:, t], state)
        state = step.state
        nodes.append(step.state if cell.kind == "sru" else step.h)
        outputs.append(step.h)
    loss = (torch.stack(outputs, dim=1) * weights).sum()
    grads = torch.autograd.grad(loss, nodes)
    return np.array([float(g.norm()) for g in grads])


@pytest.mark.parametrize("kind", KINDS)
def test_profile_equals_autograd_on_the_explicit_unroll(kind):
    torch.manual_seed(0)
    layer = Recurrent(kind, 3, 5)
    x = torch.randn(2, 8, 3)
    weights = torch.randn(2, 8, 5)
    norms = probes.timestep_grads(layer, x, lambda output: (output * weights).sum())
    np.testing.assert_allclose(norms, hand_unrolled_norms(layer, x, weights), rtol=1e-4, atol=1e-7)


def test_fused_retain_grad_sees_only_the_direct_path():
    """The teaching point of DESIGN.md: retain_grad on nn.LSTM's output misses the recurrence."""
    torch.manual_seed(1)
    module = torch.nn.LSTM(3, 5, batch_first=True)
    layer = Recurrent.from_torch(module)
    x = torch.randn(2, 6, 3)
    output, _ = module(x)
    output.retain_grad()
    last_step_sum(output).backward()
    direct = output.grad.norm(dim=(0, 2)).numpy()
    assert np.count_nonzero(direct) == 1
    real = probes.timestep_grads(layer, x, last_step_sum)
    assert (real[:-1] > 0).all()
    assert real[-1] == pytest.approx(direct[-1], rel=1e-5)


@pytest.mark.parametrize("k", [1, 3, 5])
def test_truncated_bptt_zeroes_exactly_the_steps_beyond_k(k):
    torch.manual_seed(2)
    layer = Recurrent("rnn", 3, 4)
    steps = 10
    norms = probes.timestep_grads(layer, torch.randn(2, steps, 3), last_step_sum, tbptt=(k, k))
    assert (norms[: steps - k] == 0).all()
    assert (norms[steps - k:] > 0).all()


def test_overlapping_windows_add_their_gradients():
    torch.manual_seed(3)
    layer = Recurrent("gru", 3, 4)
    x = torch.randn(2, 9, 3)
    loss = lambda output: output.sum()  # noqa: E731 - a loss at every step
    full = probes.timestep_grads(layer, x, loss)
    chunked = probes.timestep_grads(layer, x, loss, tbptt=(3, 3))
    long_windows = probes.timestep_grads(layer, x, loss, tbptt=(3, 9))
    np.testing.assert_allclose(long_windows, full, rtol=1e-4)  # k2 >= T: nothing is cut
    assert chunked[0] < full[0]


@pytest.mark.parametrize("kind", KINDS)
def test_probe_leaves_grads_and_weights_alone(kind):
    layer = Recurrent(kind, 3, 4, num_layers=2, bidirectional=True)
    before = {name: p.detach().clone() for name, p in layer.named_parameters()}
    norms = probes.timestep_grads(layer, torch.randn(2, 6, 3), last_step_sum)
    assert norms.shape == (6,)
    assert all(p.grad is None for p in layer.parameters())
    for name, p in layer.named_parameters():
        assert torch.equal(p, before[name])


def test_bidirectional_profile_combines_both_directions():
    torch.manual_seed(4)
    layer = Recurrent("rnn", 3, 4, bidirectional=True)
    norms = probes.timestep_grads(layer, torch.randn(2, 6, 3), lambda output: output[:, 0].sum())
    assert (norms > 0).all()  # the backward direction carries the gradient from t=0 to the end


def test_bad_loss_functions_are_explained():
    layer = Recurrent("rnn", 3, 4)
    x = torch.randn(2, 5, 3)
    with pytest.raises(ValueError, match="scalar"):
        probes.timestep_grads(layer, x, lambda output: output)
    with pytest.raises(ValueError, match="does not depend"):
        probes.timestep_grads(layer, x, lambda output: torch.tensor(1.0))
    with pytest.raises(ValueError, match="Recurrent"):
        probes.timestep_grads(torch.nn.LSTM(3, 4), x, last_step_sum)


def test_gradient_bound_and_singular_values():
    bound = probes.gradient_bound(sigma_max=2.0, gamma=0.25, steps=4)
    np.testing.assert_allclose(bound, [0.125, 0.25, 0.5, 1.0])
    matrix = torch.diag(torch.tensor([3.0, -5.0, 1.0]))
    np.testing.assert_allclose(probes.singular_values(matrix), [5.0, 3.0, 1.0], rtol=1e-6)
    blocks = probes.recurrent_blocks(Recurrent("lstm", 3, 4))
    assert list(blocks) == ["input", "forget", "candidate", "output"]
    assert all(block.shape == (4, 4) for block in blocks.values())


def test_gate_saturation_counts_fractions_per_unit():
    gate = torch.tensor([[[0.05, 0.5], [0.95, 0.5]], [[0.05, 0.99], [0.5, 0.01]]])  # (B=2, T=2, H=2)
    left, right = probes.gate_saturation(gate)
    np.testing.assert_allclose(left, [0.5, 0.25])
    np.testing.assert_allclose(right, [0.25, 0.25])
    mask = torch.tensor([[True, False], [True, False]])
    left, right = probes.gate_saturation(gate, mask=mask)
    np.testing.assert_allclose(left, [1.0, 0.0])
    np.testing.assert_allclose(right, [0.0, 0.5])


def test_detail_gives_the_output_gradient_and_the_trace_of_the_same_unroll():
    torch.manual_seed(5)
    layer = Recurrent("lstm", 3, 4, num_layers=2)
    x = torch.randn(2, 6, 3)
    weights = torch.randn(2, 6, 4)
    detail = probes.timestep_grads_detail(layer, x, lambda output: (output * weights).sum())
    torch.testing.assert_close(detail.output_grad, weights)  # d(sum(output * w))/d output = w, no recurrence
    np.testing.assert_allclose(detail.norms.numpy(), probes.timestep_grads(layer, x, lambda o: (o * weights).sum()))
    assert detail.result.trace[1]["forward"].hidden.shape == (2, 6, 4)
    assert all(p.grad is None for p in layer.parameters())
