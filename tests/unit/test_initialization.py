"""Recurrent initializations: each scheme gives the matrix it promises, gated cells per block."""

from __future__ import annotations

import math

import pytest
import torch

from rnnviz.core.initialization import SCHEMES, initialize_recurrent, spectral_radius_of
from rnnviz.core.recurrent import Recurrent


def blocks(layer: Recurrent) -> list[torch.Tensor]:
    """Every (H, H) block of every cell's W_hh."""
    return [block for cell in layer.cells for block in cell.weight_hh.detach().split(cell.hidden_size)]


def seeded_generator(seed: int = 0) -> torch.Generator:
    """A fresh CPU generator."""
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("scale", [0.5, 2.0])
def test_normal_has_the_promised_spread_and_spectral_radius(scale):
    layer = Recurrent("rnn", 3, 256)
    initialize_recurrent(layer, "normal", scale, generator=seeded_generator())
    weight = layer.cells[0].weight_hh.detach()
    assert weight.std().item() == pytest.approx(scale / math.sqrt(256), rel=0.03)
    assert spectral_radius_of(weight) == pytest.approx(scale, rel=0.1)  # circular law


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_orthogonal_blocks_have_every_singular_value_equal_to_the_scale(kind):
    layer = Recurrent(kind, 3, 16, num_layers=2)
    initialize_recurrent(layer, "orthogonal", 1.5, generator=seeded_generator())
    for block in blocks(layer):
        torch.testing.assert_close(block.T @ block, 2.25 * torch.eye(16), atol=1e-5, rtol=0)


def test_identity_is_scale_times_eye_and_irnn_biases_start_at_zero():
    layer = Recurrent("rnn-relu", 3, 8)
    initialize_recurrent(layer, "identity", 0.9)
    cell = layer.cells[0]
    torch.testing.assert_close(cell.weight_hh.detach(), 0.9 * torch.eye(8))
    assert not cell.bias_ih.any() and not cell.bias_hh.any()
    lstm = Recurrent("lstm", 3, 8)
    biases = lstm.cells[0].bias_ih.detach().clone()
    initialize_recurrent(lstm, "identity", 1.0)
    assert all(torch.equal(block, torch.eye(8)) for block in blocks(lstm))  # four gate blocks
    assert torch.equal(lstm.cells[0].bias_ih, biases)  # gated cells keep their biases


def test_xavier_stays_inside_its_glorot_bound():
    layer = Recurrent("gru", 3, 50)
    initialize_recurrent(layer, "xavier", 2.0, generator=seeded_generator())
    bound = 2.0 * math.sqrt(6 / 100)
    for block in blocks(layer):
        assert block.abs().max() <= bound
        assert block.std().item() == pytest.approx(bound / math.sqrt(3), rel=0.1)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("scheme", SCHEMES)
def test_spectral_radius_is_set_exactly_for_every_block(kind, scheme):
    layer = Recurrent(kind, 3, 12)
    initialize_recurrent(layer, scheme, 0.7, spectral_radius=1.3, generator=seeded_generator())
    for block in blocks(layer):
        assert spectral_radius_of(block) == pytest.approx(1.3, rel=1e-5)


def test_sru_gets_the_diagonal_analogue():
    layer = Recurrent("sru", 6, 6)
    cell = layer.cells[0]
    initialize_recurrent(layer, "identity", 0.8)
    assert torch.equal(cell.v_forget, torch.full((6,), 0.8)) and torch.equal(cell.v_reset, torch.full((6,), 0.8))
    initialize_recurrent(layer, "orthogonal", 0.5, generator=seeded_generator())
    assert torch.equal(cell.v_forget.abs(), torch.full((6,), 0.5))
    initialize_recurrent(layer, "normal", 1.0, spectral_radius=2.0, generator=seeded_generator())
    assert cell.v_forget.abs().max().item() == pytest.approx(2.0)


def test_input_weights_and_default_scheme_are_left_alone():
    torch.manual_seed(0)
    layer = Recurrent("lstm", 3, 5)
    before = {name: p.detach().clone() for name, p in layer.named_parameters()}
    initialize_recurrent(layer, "default")
    assert all(torch.equal(p, before[name]) for name, p in layer.named_parameters())
    initialize_recurrent(layer, "normal", 1.0)
    assert torch.equal(layer.cells[0].weight_ih, before["cells.0.weight_ih"])
    assert not torch.equal(layer.cells[0].weight_hh, before["cells.0.weight_hh"])


def test_the_same_generator_seed_gives_the_same_weights():
    first, second = Recurrent("rnn", 3, 10), Recurrent("rnn", 3, 10)
    initialize_recurrent(first, "normal", 1.0, generator=seeded_generator(5))
    initialize_recurrent(second, "normal", 1.0, generator=seeded_generator(5))
    assert torch.equal(first.cells[0].weight_hh, second.cells[0].weight_hh)


@pytest.mark.parametrize(("arguments", "message"), [
    (("glorot", 1.0, None), "initialization must be one of"),
    (("normal", 0.0, None), r"scale must be a number in \(0, 10\]"),
    (("normal", -1.0, None), "scale"),
    (("normal", float("nan"), None), "scale"),
    (("normal", 11.0, None), "scale"),
    (("normal", True, None), "scale"),
    (("normal", 1.0, 0.0), "spectral radius"),
    (("normal", 1.0, float("inf")), "spectral radius"),
])
def test_out_of_range_settings_are_rejected_with_a_clear_message(arguments, message):
    with pytest.raises(ValueError, match=message):
        initialize_recurrent(Recurrent("rnn", 2, 3), *arguments)


def test_only_recurrent_modules_are_accepted():
    with pytest.raises(ValueError, match="Recurrent"):
        initialize_recurrent(torch.nn.RNN(2, 3), "normal")
