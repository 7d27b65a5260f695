"""Fast paths for training: PyTorch's fused RNN kernels, and SRU's parallel form.

They compute exactly what the explicit cells compute (a test proves it), on the same
parameters, without recording gates. Probes never use them.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from rnnviz.cells import Cell, GRUCell, SRUCell

_TORCH_KERNELS = {"rnn": torch.rnn_tanh, "rnn-relu": torch.rnn_relu, "gru": torch.gru}


def supports(kind: str, cell: Cell) -> bool:
    """Whether a fused path exists for this cell (Cho's GRU form has none)."""
    if isinstance(cell, GRUCell):
        return cell.reset_after
    return kind in ("rnn", "rnn-relu", "lstm", "sru")


def torch_kernel(kind: str, cells: Sequence[Cell], x: Tensor, states: list, num_layers: int,
                 bidirectional: bool, training: bool) -> tuple[Tensor, list]:
    """Run torch.rnn_tanh/rnn_relu/lstm/gru on the cells' own parameters (batch-first)."""
    weights = [w for cell in cells for w in (cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)]
    if kind == "lstm":
        h0 = torch.stack([state[0] for state in states])  # (L*D, B, H)
        c0 = torch.stack([state[1] for state in states])
        output, h_n, c_n = torch.lstm(x, (h0, c0), weights, True, num_layers, 0.0, training,
                                      bidirectional, True)
        return output, [(h, c) for h, c in zip(h_n.unbind(0), c_n.unbind(0))]
    h0 = torch.stack(states)
    output, h_n = _TORCH_KERNELS[kind](x, h0, weights, True, num_layers, 0.0, training, bidirectional, True)
    return output, list(h_n.unbind(0))


class _SRURecurrence(torch.autograd.Function):
    """c_t = f_t*c_{t-1} + (1-f_t)*u_t with f_t = sigmoid(a_t + v*c_{t-1}), by hand both ways.

    Time-major (T, B, H) so that every step reads and writes contiguous memory.
    """

    @staticmethod
    def forward(ctx, u: Tensor, a_forget: Tensor, v_forget: Tensor, c0: Tensor):  # noqa: D102
        cells, forgets = torch.empty_like(u), torch.empty_like(u)  # (T, B, H)
        c = c0
        for t in range(u.shape[0]):
            torch.sigmoid(torch.addcmul(a_forget[t], v_forget, c), out=forgets[t])
            c = torch.lerp(u[t], c, forgets[t], out=cells[t])  # f*c + (1-f)*u
        ctx.save_for_backward(u, v_forget, c0, cells, forgets)
        return cells

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_cells: Tensor):  # noqa: D102
        u, v_forget, c0, cells, forgets = ctx.saved_tensors
        previous = torch.cat([c0.unsqueeze(0), cells[:-1]])  # c_{t-1}: (T, B, H)
        # d c_t / d a_t = (c_{t-1} - u_t) f (1 - f);  d c_t / d c_{t-1} = f + that * v
        slope = (previous - u) * forgets * (1 - forgets)
        carry_factor = torch.addcmul(forgets, slope, v_forget)
        grad_cells = grad_cells.contiguous()
        totals = torch.empty_like(grad_cells)
        carry = torch.zeros_like(c0)
        for t in range(u.shape[0] - 1, -1, -1):
            total = torch.add(grad_cells[t], carry, out=totals[t])  # dL/dc_t, all paths
            carry = total * carry_factor[t]
        grad_a = totals * slope
        grad_u = totals * (1 - forgets)
        grad_v = (grad_a * previous).sum(dim=(0, 1))
        return grad_u, grad_a, grad_v, carry


def sru_direction(cell: SRUCell, x: Tensor, c0: Tensor, reverse: bool) -> tuple[Tensor, Tensor]:
    """One SRU layer and direction: one matmul over all steps, then the light recurrence."""
    x = x.transpose(0, 1)  # (T, B, I)
    if reverse:
        x = x.flip(0)
    projected = cell.project_input(x)  # (T, B, 3H): one matmul for every step
    u, a_forget, a_reset = projected.chunk(3, dim=2)
    cells = _SRURecurrence.apply(u.contiguous(), a_forget.contiguous(), cell.v_forget, c0)  # (T, B, H)
    previous = torch.cat([c0.unsqueeze(0), cells[:-1]])
    reset = torch.sigmoid(torch.addcmul(a_reset, cell.v_reset, previous))
    output = torch.lerp(cell.highway(x), cells, reset)  # r*c + (1-r)*x
    if reverse:
        output = output.flip(0)
    return output.transpose(0, 1), cells[-1]


def sru_stack(cells: Sequence[SRUCell], x: Tensor, states: list, num_layers: int,
              bidirectional: bool) -> tuple[Tensor, list]:
    """All SRU layers and directions, layer l reading layer l-1's concatenated output."""
    directions = 2 if bidirectional else 1
    final_states = []
    for layer in range(num_layers):
        outputs = []
        for direction in range(directions):
            index = layer * directions + direction
            output, c_last = sru_direction(cells[index], x, states[index], reverse=direction == 1)
            outputs.append(output)
            final_states.append(c_last)
        x = torch.cat(outputs, dim=2) if directions == 2 else outputs[0]
    return x, final_states
