"""The one-step state Jacobian ds_t/ds_{t-1} of a recurrent layer, averaged over positions.

s_t is what a cell carries from one step to the next: h_t for the vanilla RNN and the GRU,
(h_t, c_t) stacked for the LSTM (a 2H x 2H Jacobian), c_t for the SRU. Its singular values
say how much one step stretches or shrinks a gradient: the gradient from step T back to step
k is a product of T-k of these matrices. Computed from the explicit cells with
`torch.autograd.grad`, on detached copies of the states: the model and its `.grad` are untouched.
"""

from __future__ import annotations

import torch
from torch import Tensor

from rnnviz.core.recurrent import Recurrent

ROW_CHUNK = 64  # Jacobian rows computed per batched backward pass (bounds memory)


def _layer_states(layer: Recurrent, x: Tensor, layer_index: int,
                  trace: list | None = None) -> tuple[Tensor, Tensor]:
    """(the layer's input (B, T, I), its carried state s_t (B, T, S)) from an explicit unroll's trace."""
    if trace is None:
        with torch.no_grad():
            trace = layer(x, trace=True).trace
    index = layer_index % layer.num_layers
    layer_input = x if index == 0 else trace[index - 1]["forward"].hidden
    own = trace[index]["forward"]
    if layer.kind == "lstm":
        states = torch.cat([own.hidden, own.gates["cell"]], dim=2)  # (B, T, 2H): h then c
    elif layer.kind == "sru":
        states = own.gates["cell"]  # (B, T, H)
    else:
        states = own.hidden
    return layer_input.detach(), states.detach()


def _positions(batch: int, steps: int, count: int) -> tuple[Tensor, Tensor]:
    """Up to `count` (sequence, step) pairs with step >= 1, spread evenly over both."""
    pairs = torch.cartesian_prod(torch.arange(batch), torch.arange(1, steps))  # (B*(T-1), 2)
    if pairs.shape[0] > count:
        pairs = pairs[torch.linspace(0, pairs.shape[0] - 1, count).round().long()]
    return pairs[:, 0], pairs[:, 1]


def mean_state_jacobian(layer: Recurrent, x: Tensor, layer_index: int = -1, positions: int = 128,
                        trace: list | None = None) -> Tensor:
    """Mean over up to `positions` (sequence, step) pairs of ds_t/ds_{t-1}: (S, S), S = H (LSTM: 2H).

    `trace` is `layer(x, trace=True).trace` when the caller already ran it (saves one unroll).
    """
    if layer.bidirectional:
        raise ValueError("mean_state_jacobian needs a unidirectional layer")
    if x.shape[1] < 2:
        raise ValueError("mean_state_jacobian needs sequences of at least two steps")
    layer_input, states = _layer_states(layer, x, layer_index, trace)
    cell = layer.cell(layer_index % layer.num_layers)
    rows, cols = _positions(x.shape[0], x.shape[1], positions)
    x_t = layer_input[rows, cols]  # (N, I)
    previous = states[rows, cols - 1].clone().requires_grad_(True)  # (N, S)
    size = states.shape[2]
    with torch.enable_grad():
        state = (previous[:, : size // 2], previous[:, size // 2:]) if layer.kind == "lstm" else previous
        step = cell.step_projected(cell.project_input(x_t), x_t, state)
        new = torch.cat(step.state, dim=1) if layer.kind == "lstm" else step.state  # (N, S)
        parts = []
        for start in range(0, size, ROW_CHUNK):
            count = min(ROW_CHUNK, size - start)
            selectors = torch.zeros(count, *new.shape, dtype=new.dtype)  # (rows, N, S)
            selectors[torch.arange(count), :, torch.arange(start, start + count)] = 1.0
            (grads,) = torch.autograd.grad(new, previous, selectors, retain_graph=True, is_grads_batched=True)
            parts.append(grads.mean(dim=1))  # (rows, S): row i of the mean Jacobian
    return torch.cat(parts, dim=0).detach()
