"""Frozen regression fixture: today's cells give the numbers they gave when the fixture was written."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import load_file

from tests.fixtures.make_regression import FIXTURE, VARIANTS, build


@pytest.fixture(scope="module")
def frozen() -> dict[str, torch.Tensor]:
    """The fixture's tensors."""
    return load_file(str(FIXTURE))


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("fast", [False, None])
def test_outputs_match_the_frozen_fixture(frozen, variant, fast):
    layer = build(variant)
    prefix = f"{variant}/"
    layer.load_state_dict({k[len(prefix):]: v for k, v in frozen.items() if k.startswith(prefix) and k != prefix + "output"})
    with torch.no_grad():
        output = layer(frozen["x"], fast=fast).output
    torch.testing.assert_close(output, frozen[prefix + "output"], atol=1e-6, rtol=1e-5)
