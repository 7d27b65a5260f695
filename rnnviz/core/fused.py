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


BLOCK_STEPS = 16  # time steps per block: a block's (B, 16, H) buffers stay in a core's L2 cache


class SRUFunction(torch.autograd.Function):
    """A whole SRU layer-direction after its input projection, forward and backward by hand.

    Batch-first (B, T, ...) like the caller, so no transposed copies. Only the light recurrence
    c_t = f_t*c_{t-1} + (1-f_t)*u_t is a loop (three small ops a step forward, one backward);
    everything else runs on blocks of `block_steps` steps at once, while the block is still in
    cache: on a CPU an elementwise pass over (B, T, H) costs memory traffic, not arithmetic.
    """

    @staticmethod
    def forward(ctx, projected: Tensor, highway: Tensor, v_forget: Tensor, v_reset: Tensor, c0: Tensor,
                block_steps: int = BLOCK_STEPS):
        u, a_forget, a_reset = projected.chunk(3, dim=2)  # (B, T, H) each, strided views
        batch, steps, hidden = u.shape
        states = u.new_empty((batch, steps + 1, hidden))  # c_{-1} = c0, then c_0 .. c_{T-1}
        forgets, reset, output = (u.new_empty(u.shape) for _ in range(3))
        states[:, 0] = c0
        u_t, a_t, c_t, f_t = u.unbind(1), a_forget.unbind(1), states.unbind(1), forgets.unbind(1)  # views, once
        pieces = zip(*(part.split(block_steps, dim=1) for part in (
            a_reset, states[:, :-1], states[:, 1:], highway, reset, output)))
        addcmul, lerp, start = torch.addcmul, torch.lerp, 0
        for a_r, previous, cells, x, r, h in pieces:
            for t in range(start, start + r.shape[1]):  # the only sequential work
                addcmul(a_t[t], v_forget, c_t[t], out=f_t[t]).sigmoid_()  # f_t = sigmoid(a_f + v_f c_{t-1})
                lerp(u_t[t], c_t[t], f_t[t], out=c_t[t + 1])  # c_t = f c_{t-1} + (1-f) u
            start += r.shape[1]
            addcmul(a_r, v_reset, previous, out=r).sigmoid_()  # r_t reads c_{t-1}: the whole block at once
            lerp(x, cells, r, out=h)  # h_t = r c_t + (1-r) x_t
        ctx.block_steps = block_steps
        ctx.save_for_backward(u, highway, v_forget, v_reset, states, forgets, reset)
        return output, states[:, -1].clone()

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_output: Tensor, grad_last: Tensor):
        u, highway, v_forget, v_reset, states, forgets, reset = ctx.saved_tensors
        batch, steps, hidden = u.shape
        grad_projected = grad_output.new_empty((batch, steps, 3 * hidden))
        grad_u, grad_a_forget, grad_a_reset = grad_projected.chunk(3, dim=2)
        grad_highway = grad_output.new_empty(u.shape) if ctx.needs_input_grad[1] else None
        scratch = u.new_empty((6, batch, min(ctx.block_steps, steps), hidden))  # (B, K, H) each, reused
        scratch[4:].zero_()  # running dL/dv_f and dL/dv_r terms, summed once at the end
        parts = [grad_output, u, highway, states[:, :-1], states[:, 1:], forgets, reset,
                 grad_u, grad_a_forget, grad_a_reset] + ([grad_highway] if grad_highway is not None else [])
        carry = grad_last  # dL/dc_{end-1} from the steps after the block (through c_end and r_end)
        for block in reversed(list(zip(*(part.split(ctx.block_steps, dim=1) for part in parts)))):
            buffers = scratch if block[0].shape[1] == scratch.shape[2] else scratch[:, :, :block[0].shape[1]]
            carry = _sru_backward_block(*block[:10], v_forget, v_reset, carry, buffers.unbind(0),
                                        block[10] if grad_highway is not None else None)
        grad_v_forget, grad_v_reset = scratch[4:].sum(dim=(1, 2))
        return grad_projected, grad_highway, grad_v_forget, grad_v_reset, carry, None


def _sru_backward_block(grad_output: Tensor, u: Tensor, highway: Tensor, previous: Tensor, cells: Tensor,
                        forgets: Tensor, reset: Tensor, grad_u: Tensor, grad_a_forget: Tensor, grad_a_reset: Tensor,
                        v_forget: Tensor, v_reset: Tensor, carry: Tensor, scratch: tuple[Tensor, ...],
                        grad_highway: Tensor | None) -> Tensor:
    """Gradients of one block of K steps, every tensor (B, K, H), written in place; returns dL/dc_{start-1}."""
    total, spread, slope, factor, sum_forget, sum_reset = scratch
    torch.mul(grad_output, reset, out=total)  # g r: what reaches c_t through h_t
    torch.addcmul(total, total, reset, value=-1, out=spread)  # g r (1 - r)
    torch.sub(cells, highway, out=grad_a_reset).mul_(spread)  # dL/da_r = g (c - x) r (1 - r)
    if grad_highway is not None:
        torch.addcmul(grad_output, grad_output, reset, value=-1, out=grad_highway)  # g (1 - r)
    total[:, :-1].addcmul_(grad_a_reset[:, 1:], v_reset)  # r_{t+1} reads c_t
    total[:, -1].add_(carry)
    torch.sub(cells, u, out=slope).addcmul_(slope, forgets, value=-1)  # (c_t - u)(1 - f) = dc_t/da_f
    torch.addcmul(forgets, slope, v_forget, out=factor)  # dc_t/dc_{t-1} = f + (c_{t-1} - u) f (1 - f) v_f
    totals, factors = total.unbind(1), factor.unbind(1)
    for t in range(len(totals) - 2, -1, -1):  # one op a step: dL/dc_t += dc_{t+1}/dc_t dL/dc_{t+1}
        totals[t].addcmul_(factors[t + 1], totals[t + 1])
    torch.mul(total, slope, out=grad_a_forget)
    torch.addcmul(total, total, forgets, value=-1, out=grad_u)  # total (1 - f)
    sum_forget.addcmul_(grad_a_forget, previous)
    sum_reset.addcmul_(grad_a_reset, previous)
    return torch.mul(totals[0], factors[0]).addcmul_(grad_a_reset[:, 0], v_reset)


def sru_direction(cell: SRUCell, x: Tensor, c0: Tensor, reverse: bool) -> tuple[Tensor, Tensor]:
    """One SRU layer and direction: one matmul over all steps, then the light recurrence."""
    x = x.flip(1) if reverse else x  # (B, T, I)
    projected = cell.project_input(x)  # (B, T, 3H): one matmul for every step
    output, c_last = SRUFunction.apply(projected, cell.highway(x), cell.v_forget, cell.v_reset, c0, BLOCK_STEPS)
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
