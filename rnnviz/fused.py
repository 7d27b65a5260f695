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
    if x.is_cuda:  # cuDNN would use TF32 (differences ~5e-4 from the explicit cells); keep full precision
        with torch.backends.cudnn.flags(enabled=True, allow_tf32=False):
            return _torch_kernel(kind, weights, x, states, num_layers, bidirectional, training)
    return _torch_kernel(kind, weights, x, states, num_layers, bidirectional, training)


def _torch_kernel(kind: str, weights: list[Tensor], x: Tensor, states: list, num_layers: int,
                  bidirectional: bool, training: bool) -> tuple[Tensor, list]:
    """The kernel call itself."""
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

    Time-major (T, B, ...) so every step reads and writes contiguous memory. Only the light
    recurrence c_t = f_t*c_{t-1} + (1-f_t)*u_t is a loop; the reset gate and the highway
    output are computed for all steps at once, as SRU intends.
    """

    @staticmethod
    def forward(ctx, projected: Tensor, highway: Tensor, v_forget: Tensor, v_reset: Tensor, c0: Tensor):  # noqa: D102
        u, a_forget, a_reset = projected.chunk(3, dim=2)  # (T, B, H) each, strided views
        steps = u.shape[0]
        states = u.new_empty((steps + 1, *c0.shape))  # c_{-1} = c0, then c_0 .. c_{T-1}
        forgets = torch.empty_like(u)
        states[0] = c0
        u_t, a_t, c_t, f_t = u.unbind(0), a_forget.unbind(0), states.unbind(0), forgets.unbind(0)  # views, once
        for t in range(steps):
            torch.sigmoid(torch.addcmul(a_t[t], v_forget, c_t[t]), out=f_t[t])
            torch.lerp(u_t[t], c_t[t], f_t[t], out=c_t[t + 1])  # f*c + (1-f)*u
        previous, cells = states[:-1], states[1:]
        reset = torch.addcmul(a_reset, v_reset, previous).sigmoid_()
        output = torch.lerp(highway, cells, reset)  # r*c + (1-r)*x
        ctx.save_for_backward(u, highway, v_forget, v_reset, states, forgets, reset)
        return output, states[-1].clone()

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_output: Tensor, grad_last: Tensor):  # noqa: D102
        # In-place arithmetic on purpose: every fresh (T, B, H) buffer costs page faults on CPU.
        u, highway, v_forget, v_reset, states, forgets, reset = ctx.saved_tensors
        grad_output = grad_output.contiguous()  # arrives transposed from the batch-first caller
        previous, cells = states[:-1], states[1:]
        grad_projected = grad_output.new_empty((*u.shape[:2], 3 * u.shape[2]))
        grad_u, grad_a_forget, grad_a_reset = grad_projected.chunk(3, dim=2)
        complement = 1 - reset  # (T, B, H) scratch, reused below
        grad_highway = grad_output * complement if ctx.needs_input_grad[1] else None  # x itself: often data
        torch.sub(cells, highway, out=grad_a_reset)
        grad_a_reset.mul_(grad_output).mul_(reset).mul_(complement)  # through r = sigmoid(a_r + v_r c_{t-1})
        direct = grad_output * reset  # what reaches c_t other than through c_{t+1}'s forget path
        direct[:-1].addcmul_(grad_a_reset[1:], v_reset)  # r_{t+1} reads c_t
        direct[-1] += grad_last
        slope = torch.sub(previous, u).mul_(forgets)
        torch.neg(forgets, out=complement).add_(1)
        slope.mul_(complement)  # d c_t / d a_f = (c_{t-1} - u_t) f (1 - f)
        carry_factor = torch.addcmul(forgets, slope, v_forget)  # d c_t / d c_{t-1}
        carry = torch.zeros_like(states[0])
        totals, factors = direct.unbind(0), carry_factor.unbind(0)
        for t in range(u.shape[0] - 1, -1, -1):
            carry = totals[t].add_(carry).mul(factors[t])  # totals[t] = dL/dc_t, all paths
        grad_c0 = carry.addcmul_(grad_a_reset[0], v_reset)
        torch.mul(direct, slope, out=grad_a_forget)
        torch.mul(direct, complement, out=grad_u)
        grad_v_forget = slope.mul_(direct).mul_(previous).sum(dim=(0, 1))
        grad_v_reset = carry_factor.copy_(grad_a_reset).mul_(previous).sum(dim=(0, 1))
        return grad_projected, grad_highway, grad_v_forget, grad_v_reset, grad_c0


def sru_direction(cell: SRUCell, x: Tensor, c0: Tensor, reverse: bool) -> tuple[Tensor, Tensor]:
    """One SRU layer and direction: one matmul over all steps, then the light recurrence."""
    x = (x.flip(1) if reverse else x).transpose(0, 1).contiguous()  # (T, B, I): contiguous for every pass
    projected = cell.project_input(x)  # (T, B, 3H): one matmul for every step
    output, c_last = SRUFunction.apply(projected, cell.highway(x), cell.v_forget, cell.v_reset, c0)
    if reverse:
        output = output.flip(0)
    return output.transpose(0, 1), c_last


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
