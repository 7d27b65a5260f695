"""Fast paths for training: PyTorch's fused RNN kernels, and SRU's parallel form.

They compute exactly what the explicit cells compute (a test proves it), on the same
parameters, without recording gates. Probes never use them.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from rnnviz.core.cells import Cell, GRUCell, SRUCell

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
    if x.is_cuda:  # cuDNN would use TF32 (differences ~5e-4 from the explicit cells); keep full precision
        with torch.backends.cudnn.flags(enabled=True, allow_tf32=False):
            return _torch_kernel(kind, weights, x, states, num_layers, bidirectional, training)
    return _torch_kernel(kind, weights, x, states, num_layers, bidirectional, training)


def _torch_kernel(kind: str, weights: list[Tensor], x: Tensor, states: list, num_layers: int,
                  bidirectional: bool, training: bool) -> tuple[Tensor, list]:
    """The kernel call itself, dropout 0: the kernels' inter-layer dropout draws from torch's global generator."""
    if kind == "lstm":
        h0 = torch.stack([state[0] for state in states])  # (L*D, B, H)
        c0 = torch.stack([state[1] for state in states])
        output, h_n, c_n = torch.lstm(x, (h0, c0), weights, True, num_layers, 0.0, training,
                                      bidirectional, True)
        return output, [(h, c) for h, c in zip(h_n.unbind(0), c_n.unbind(0))]
    h0 = torch.stack(states)
    output, h_n = _TORCH_KERNELS[kind](x, h0, weights, True, num_layers, 0.0, training, bidirectional, True)
    return output, list(h_n.unbind(0))


class SRUFunction(torch.autograd.Function):
    """A whole SRU layer-direction after its input projection, forward and backward by hand.

    Batch-first (B, T, ...) like the caller, so no transposed copies; each step touches B rows
    of H contiguous floats. Only the light recurrence c_t = f_t*c_{t-1} + (1-f_t)*u_t is a loop;
    the reset gate and the highway output are computed for all steps at once, as SRU intends.
    """

    @staticmethod
    def forward(ctx, projected: Tensor, highway: Tensor, v_forget: Tensor, v_reset: Tensor, c0: Tensor):
        u, a_forget, a_reset = projected.chunk(3, dim=2)  # (B, T, H) each, strided views
        batch, steps, hidden = u.shape
        states = u.new_empty((batch, steps + 1, hidden))  # c_{-1} = c0, then c_0 .. c_{T-1}
        forgets = torch.empty_like(u)
        states[:, 0] = c0
        u_t, a_t, c_t, f_t = u.unbind(1), a_forget.unbind(1), states.unbind(1), forgets.unbind(1)  # views, once
        for t in range(steps):
            torch.sigmoid(torch.addcmul(a_t[t], v_forget, c_t[t]), out=f_t[t])
            torch.lerp(u_t[t], c_t[t], f_t[t], out=c_t[t + 1])  # f*c + (1-f)*u
        previous, cells = states[:, :-1], states[:, 1:]
        reset = torch.addcmul(a_reset, v_reset, previous).sigmoid_()
        output = torch.lerp(highway, cells, reset)  # r*c + (1-r)*x
        ctx.save_for_backward(u, highway, v_forget, v_reset, states, forgets, reset)
        return output, states[:, -1].clone()

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_output: Tensor, grad_last: Tensor):
        # In-place arithmetic on purpose: every fresh (B, T, H) buffer costs page faults on CPU.
        u, highway, v_forget, v_reset, states, forgets, reset = ctx.saved_tensors
        previous, cells = states[:, :-1], states[:, 1:]
        grad_projected = grad_output.new_empty((*u.shape[:2], 3 * u.shape[2]))
        grad_u, grad_a_forget, grad_a_reset = grad_projected.chunk(3, dim=2)
        # g (1 - r); x itself is often data and needs none
        grad_highway = torch.addcmul(grad_output, grad_output, reset, value=-1) if ctx.needs_input_grad[1] else None
        spread = torch.addcmul(reset, reset, reset, value=-1)  # r (1 - r) = dr/da_r; (B, T, H) scratch
        torch.sub(cells, highway, out=grad_a_reset).mul_(grad_output).mul_(spread)  # g (c - x) r (1 - r)
        direct = grad_output * reset  # what reaches c_t other than through c_{t+1}'s forget path
        direct[:, :-1].addcmul_(grad_a_reset[:, 1:], v_reset)  # r_{t+1} reads c_t
        direct[:, -1] += grad_last
        torch.addcmul(forgets, forgets, forgets, value=-1, out=spread)  # f (1 - f)
        slope = torch.sub(previous, u).mul_(spread)  # d c_t / d a_f = (c_{t-1} - u_t) f (1 - f)
        carry_factor = torch.addcmul(forgets, slope, v_forget)  # d c_t / d c_{t-1}
        totals, factors = direct.unbind(1), carry_factor.unbind(1)
        for t in range(u.shape[1] - 2, -1, -1):  # one op per step: dL/dc_t += dc_{t+1}/dc_t * dL/dc_{t+1}
            totals[t].addcmul_(factors[t + 1], totals[t + 1])
        grad_c0 = torch.mul(totals[0], factors[0]).addcmul_(grad_a_reset[:, 0], v_reset)
        torch.mul(direct, slope, out=grad_a_forget)
        torch.addcmul(direct, direct, forgets, value=-1, out=grad_u)  # direct (1 - f)
        grad_v_forget = torch.mul(grad_a_forget, previous, out=slope).sum(dim=(0, 1))
        grad_v_reset = torch.mul(grad_a_reset, previous, out=carry_factor).sum(dim=(0, 1))
        return grad_projected, grad_highway, grad_v_forget, grad_v_reset, grad_c0


def sru_direction(cell: SRUCell, x: Tensor, c0: Tensor, reverse: bool) -> tuple[Tensor, Tensor]:
    """One SRU layer and direction: one matmul over all steps, then the light recurrence."""
    x = x.flip(1) if reverse else x  # (B, T, I)
    projected = cell.project_input(x)  # (B, T, 3H): one matmul for every step
    output, c_last = SRUFunction.apply(projected, cell.highway(x), cell.v_forget, cell.v_reset, c0)
    return (output.flip(1) if reverse else output), c_last


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
