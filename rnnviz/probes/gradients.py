"""Measurements of a recurrent network: gradients per timestep, singular values, gate statistics.

Every probe runs the explicit unroll and uses `torch.autograd.grad`, so it sees every path
of the recurrence (a `retain_grad` on a fused module's output sees only the direct one) and
never writes a parameter's `.grad`. Probes never change the model they look at.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from rnnviz.core.kinds import kind_info
from rnnviz.core.recurrent import Recurrent, RecurrentOutput
from rnnviz.core.validation import check_tensor


def _check_loss(loss: object) -> Tensor:
    """The loss function must return a scalar tensor attached to the graph."""
    if not isinstance(loss, Tensor) or loss.dim() != 0:
        shape = tuple(loss.shape) if isinstance(loss, Tensor) else type(loss).__name__
        raise ValueError(f"loss_fn must return a scalar tensor, got {shape}")
    if not loss.requires_grad:
        raise ValueError("loss_fn's result does not depend on the network output; "
                         "compute it from the output it receives")
    return loss


@dataclass
class TimestepGrads:
    """What one per-timestep gradient measurement computed, for callers that need more than the norms."""

    norms: Tensor  # (T,) ||dL/dh_t|| of the chosen layer, detached
    loss: Tensor  # the scalar loss, detached
    output_grad: Tensor  # (B, T, H*directions): dL/d(output) through the loss alone, no recurrence; detached
    result: RecurrentOutput  # the traced forward pass (its trace gives every state and gate)


def timestep_grads_detail(layer: Recurrent, x: Tensor, loss_fn: Callable[[Tensor], Tensor], *,
                          state: list | None = None, tbptt: tuple[int, int] | None = None,
                          layer_index: int = -1) -> TimestepGrads:
    """`timestep_grads_tensor`, plus the gradient at the output and the traced forward, from one unroll."""
    with torch.enable_grad():
        result: RecurrentOutput = layer(x, state, trace=True, tbptt=tbptt)
        loss = _check_loss(loss_fn(result.output))
        keys, nodes = [], []
        for direction, trace in enumerate(result.trace[layer_index].values()):
            for t, node in trace.state_nodes:
                keys.append((direction, t))
                nodes.append(node)
        *grads, output_grad = torch.autograd.grad(loss, [*nodes, result.output], allow_unused=True)
    summed: dict[tuple[int, int], Tensor] = {}
    for key, grad in zip(keys, grads):
        if grad is not None:  # truncated BPTT recomputes some h_t: the copies' gradients add up
            summed[key] = summed[key] + grad if key in summed else grad
    squared = x.new_zeros(x.shape[1])
    for (_, t), grad in summed.items():
        squared[t] += grad.pow(2).sum()
    if output_grad is None:
        output_grad = torch.zeros_like(result.output)
    return TimestepGrads(squared.sqrt().detach(), loss.detach(), output_grad.detach(), result)


def timestep_grads_tensor(layer: Recurrent, x: Tensor, loss_fn: Callable[[Tensor], Tensor], *,
                          state: list | None = None, tbptt: tuple[int, int] | None = None,
                          layer_index: int = -1) -> tuple[Tensor, Tensor]:
    """(||dL/dh_t|| per timestep (T,), loss) as tensors; see `timestep_grads`."""
    detail = timestep_grads_detail(layer, x, loss_fn, state=state, tbptt=tbptt, layer_index=layer_index)
    return detail.norms, detail.loss


def timestep_grads(layer: Recurrent, x: Tensor, loss_fn: Callable[[Tensor], Tensor], *,
                   state: list | None = None, tbptt: tuple[int, int] | None = None,
                   layer_index: int = -1) -> np.ndarray:
    """||dL/dh_t|| for each timestep t of one layer (the last by default): numpy (T,).

    loss_fn(output (B, T, H*directions)) -> scalar. h_t is the state that carries the
    recurrence (SRU: c_t); with two directions the forward and backward states at t are
    taken together. With `tbptt=(k1, k2)` gradients flow only through the truncated windows.
    """
    if not isinstance(layer, Recurrent):
        raise ValueError(f"layer must be an rnnviz.core.recurrent.Recurrent, got {type(layer).__name__}")
    norms, _ = timestep_grads_tensor(layer, x, loss_fn, state=state, tbptt=tbptt, layer_index=layer_index)
    return norms.detach().cpu().numpy()


def singular_values(matrix: Tensor, count: int | None = None) -> np.ndarray:
    """The largest singular values of a 2-D matrix, in decreasing order."""
    check_tensor(matrix, "matrix", (None, None))
    values = torch.linalg.svdvals(matrix.detach().double()).cpu().numpy()
    return values[:count] if count else values


def recurrent_blocks(layer: Recurrent, layer_index: int = 0, direction: str = "forward") -> dict[str, Tensor]:
    """The (H, H) blocks that multiply h_{t-1}, by gate name (vanilla RNN: one block, "W_hh")."""
    cell = layer.cell(layer_index, direction)
    weight = cell.recurrent_weight().detach()
    names = kind_info(cell.kind).recurrent_blocks
    return dict(zip(names, weight.chunk(len(names), dim=0)))


def gradient_bound(sigma_max: float, gamma: float, steps: int) -> np.ndarray:
    """The bound ||dh_T/dh_k|| <= (gamma * sigma_max)^(T-k) for k = 0..T-1, as numpy (T,)."""
    distance = np.arange(steps - 1, -1, -1, dtype=np.float64)
    with np.errstate(over="ignore", under="ignore"):
        return np.power(float(gamma) * float(sigma_max), distance)


def gate_saturation(gate: Tensor, low: float = 0.1, high: float = 0.9,
                    mask: Tensor | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per unit, the fraction of (batch, time) positions below `low` and above `high`: two (H,) arrays."""
    check_tensor(gate, "gate", (None, None, None))
    if mask is not None:
        check_tensor(mask, "mask", tuple(gate.shape[:2]), floating=False)
        values = gate.detach()[mask.bool()]  # (N, H)
    else:
        values = gate.detach().reshape(-1, gate.shape[-1])
    if values.shape[0] == 0:
        raise ValueError("gate_saturation needs at least one unmasked position")
    left = (values < low).double().mean(dim=0).cpu().numpy()
    right = (values > high).double().mean(dim=0).cpu().numpy()
    return left, right
