"""FusedAdam: torch.optim.Adam(fused=True)'s numbers, without importing torch._dynamo."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from rnnviz.training.optim import FusedAdam


def twin_models():
    """Two identical small models."""
    torch.manual_seed(0)
    first = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.Tanh(), torch.nn.Linear(7, 3))
    second = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.Tanh(), torch.nn.Linear(7, 3))
    second.load_state_dict(first.state_dict())
    return first, second


@pytest.mark.parametrize("decoupled, weight_decay", [(False, 0.0), (False, 0.01), (True, 0.01)])
def test_fused_adam_equals_torch_fused_adam_bit_for_bit(decoupled, weight_decay):
    ours_model, theirs_model = twin_models()
    ours = FusedAdam(ours_model.parameters(), lr=0.01, weight_decay=weight_decay, decoupled=decoupled)
    torch_class = torch.optim.AdamW if decoupled else torch.optim.Adam
    theirs = torch_class(theirs_model.parameters(), lr=0.01, weight_decay=weight_decay, fused=True)
    generator = torch.Generator().manual_seed(1)
    for step in range(6):
        x = torch.randn(4, 5, generator=generator)
        for model, optimizer in ((ours_model, ours), (theirs_model, theirs)):
            optimizer.zero_grad(set_to_none=True)
            model(x).square().mean().backward()
            if step == 2:  # a parameter without a gradient this step is left alone
                model[0].bias.grad = None
            if step == 4:  # a schedule changes the rate through param_groups
                optimizer.param_groups[0]["lr"] = 0.003
            optimizer.step()
    for mine, reference in zip(ours_model.parameters(), theirs_model.parameters()):
        assert torch.equal(mine, reference)
    assert not torch.equal(ours_model[0].weight, twin_models()[0][0].weight)  # it did move


def test_zero_grad_clears_or_zeroes():
    model, _ = twin_models()
    optimizer = FusedAdam(model.parameters())
    model(torch.randn(2, 5)).sum().backward()
    optimizer.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.any() for p in model.parameters())
    optimizer.zero_grad()
    assert all(p.grad is None for p in model.parameters())


@pytest.mark.parametrize("arguments, message", [
    ({"parameters": []}, "floating-point"),
    ({"parameters": [torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(2, dtype=torch.float64))]},
     "one dtype"),
    ({"lr": -1.0}, "lr"), ({"betas": (0.9, 1.0)}, "betas"), ({"lr": float("nan")}, "lr"),
])
def test_bad_settings_raise_value_error(arguments, message):
    arguments.setdefault("parameters", [torch.nn.Parameter(torch.zeros(2))])
    with pytest.raises(ValueError, match=message):
        FusedAdam(**arguments)


def test_training_with_adam_never_imports_torch_dynamo():
    script = (
        "import sys, torch\n"
        "from rnnviz.training.loop import TrainConfig, fit\n"
        "layer = torch.nn.Linear(3, 1)\n"
        "fit(layer.parameters(), lambda batch, _: layer(batch).square().mean(), [torch.ones(2, 3)] * 3,\n"
        "    TrainConfig(steps=3, optimizer='adam'))\n"
        "print('torch._dynamo' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
