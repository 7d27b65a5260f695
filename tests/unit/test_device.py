"""On a GPU, when one is present: the same numbers as on the CPU. Skipped on CPU-only machines."""

from __future__ import annotations

import pytest
import torch

from rnnviz.core.cells import KINDS
from rnnviz.core.recurrent import Recurrent
from rnnviz.probes import gradients as probes
from rnnviz.training.loop import TrainConfig, fit

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")


@pytest.mark.parametrize("kind", KINDS)
def test_gpu_fast_and_explicit_paths_match_the_cpu(kind):
    torch.manual_seed(0)
    layer = Recurrent(kind, 5, 8, num_layers=2, bidirectional=True)
    x = torch.randn(3, 12, 5)
    expected = layer(x, fast=False).output
    gpu_layer, gpu_x = layer.to("cuda"), x.to("cuda")
    for fast in (True, False):
        torch.testing.assert_close(gpu_layer(gpu_x, fast=fast).output.cpu(), expected, atol=1e-4, rtol=1e-4)


def test_gpu_probe_and_training_run():
    layer = Recurrent("lstm", 3, 6).to("cuda")
    x = torch.randn(2, 9, 3, device="cuda")
    norms = probes.timestep_grads(layer, x, lambda output: output[:, -1].sum())
    assert norms.shape == (9,) and (norms > 0).all()
    result = fit(layer.parameters(), lambda batch, tbptt: layer(x).output.square().mean(),
                 lambda generator: None, TrainConfig(steps=5))
    assert result.status == "finished"
