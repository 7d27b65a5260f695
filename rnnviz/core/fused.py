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


BLOCK_ROWS = 512  # batch x steps per block: B=32 takes 16 steps a block, whose buffers stay in a core's L2 cache


def block_steps_for(batch: int) -> int:
    """Time steps per block for this batch size: BLOCK_ROWS rows make an efficient matmul that still fits in cache."""
    return max(1, BLOCK_ROWS // batch)


USE_NUMBA = True  # False: always the torch loop below (tests compare the two)
_NUMBA: list = []  # the rnnviz.core.sru_kernels module once imported, or None without numba


def numba_kernels(*tensors: Tensor):
    """SRU's compiled kernels when they can run these tensors (CPU, float32 or float64, numba installed), else None."""
    first = tensors[0]
    if not USE_NUMBA or first.device.type != "cpu" or first.dtype not in (torch.float32, torch.float64):
        return None
    if any(tensor.dtype != first.dtype or tensor.device != first.device for tensor in tensors):
        return None
    if not _NUMBA:
        _NUMBA.append(_load_kernels())
    return _NUMBA[0]


def _load_kernels():
    """Import rnnviz.core.sru_kernels (numba: ~0.3 s) and run it once on a tiny float32 input; None if either fails."""
    try:
        from rnnviz.core import sru_kernels

        sru_kernels.check()  # compiles on a machine's first run (seconds), else loads from the disk cache
    except Exception:  # numba missing, or not working on this machine: the torch loop runs instead
        return None
    return sru_kernels


class SRUFunction(torch.autograd.Function):
    """A whole SRU layer-direction, input projection included, forward and backward by hand.

    Batch-first (B, T, ...) like the caller. Time runs in blocks of `block_steps` steps: a block's
    projection W x + b is one matrix product whose result is still in cache when the light
    recurrence c_t = f_t*c_{t-1} + (1-f_t)*u_t (three small ops a step forward, one backward)
    and the block-wide reset gate and highway read it; the backward likewise. On a CPU an
    elementwise pass over (B, T, H) costs memory traffic, not arithmetic, so nothing of size
    (B, T, 3H) is ever written. On the CPU in float32/float64 with numba installed, the elementwise part
    of a block is one compiled pass (rnnviz.core.sru_kernels: _forward_compiled, _backward_compiled);
    otherwise the torch loop below runs it.
    """

    @staticmethod
    def forward(ctx, x: Tensor, weight: Tensor, bias: Tensor, highway: Tensor, v_forget: Tensor, v_reset: Tensor,
                c0: Tensor, block_steps: int = 16):
        ctx.block_steps = block_steps
        ctx.kernels = numba_kernels(x, weight, bias, highway, v_forget, v_reset, c0)
        if ctx.kernels is not None:
            return _forward_compiled(ctx, x, weight, bias, highway, v_forget, v_reset, c0, block_steps)
        batch, steps, hidden = x.shape[0], x.shape[1], v_forget.shape[0]
        full_bias = torch.cat([bias.new_zeros(hidden), bias])  # W x has no bias; W_f x + b_f, W_r x + b_r
        states = x.new_empty((batch, steps + 1, hidden))  # c_{-1} = c0, then c_0 .. c_{T-1}
        moved, forgets, reset, output = (x.new_empty((batch, steps, hidden)) for _ in range(4))
        states[:, 0] = c0
        projected = x.new_empty((batch * min(block_steps, steps), 3 * hidden))  # one block of W x + b, reused
        c_t, f_t = states.unbind(1), forgets.unbind(1)  # views, once
        addcmul, lerp, t = torch.addcmul, torch.lerp, 0
        parts = (x, moved, states[:, :-1], states[:, 1:], highway, reset, output)
        for x_block, moved_block, previous, cells, x_high, r, h in zip(*(p.split(block_steps, dim=1) for p in parts)):
            rows = batch * x_block.shape[1]
            torch.addmm(full_bias, x_block.reshape(rows, -1), weight.t(), out=projected[:rows])
            u_now, a_forget, a_reset = projected[:rows].view(batch, -1, 3 * hidden).chunk(3, dim=2)  # (B, K, H)
            for a_f, u_step in zip(a_forget.unbind(1), u_now.unbind(1)):  # the only sequential work
                addcmul(a_f, v_forget, c_t[t], out=f_t[t]).sigmoid_()  # f_t = sigmoid(a_f + v_f c_{t-1})
                lerp(u_step, c_t[t], f_t[t], out=c_t[t + 1])  # c_t = f c_{t-1} + (1-f) u
                t += 1
            torch.sub(cells, u_now, out=moved_block)  # c_t - u_t = f_t (c_{t-1} - u_t): what the backward needs of u
            addcmul(a_reset, v_reset, previous, out=r).sigmoid_()  # r_t reads c_{t-1}: the whole block at once
            lerp(x_high, cells, r, out=h)  # h_t = r c_t + (1-r) x_t
        ctx.save_for_backward(x, weight, highway, v_forget, v_reset, moved, states, forgets, reset)
        return output, states[:, -1].clone()

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_output: Tensor, grad_last: Tensor):
        if ctx.kernels is not None:
            return _backward_compiled(ctx, grad_output, grad_last)
        x, weight, highway, v_forget, v_reset, moved, states, forgets, reset = ctx.saved_tensors
        (batch, steps, inputs), hidden, block_steps = x.shape, moved.shape[2], ctx.block_steps
        width = min(block_steps, steps)
        grad_x = x.new_empty(x.shape) if ctx.needs_input_grad[0] else None
        grad_highway = x.new_empty(moved.shape) if ctx.needs_input_grad[3] else None
        grad_weight, grad_bias = weight.new_zeros(weight.shape), weight.new_zeros(2 * hidden)
        grad_projected = x.new_empty((batch * width, 3 * hidden))  # one block of dL/d(W x + b), reused
        grad_x_rows = x.new_empty((batch * width, inputs)) if grad_x is not None else None
        scratch = x.new_empty((6, batch, width, hidden))  # (B, K, H) each, reused
        scratch[4:].zero_()  # running dL/dv_f and dL/dv_r terms, summed once at the end
        optional = [part for part in (grad_x, grad_highway) if part is not None]
        parts = [grad_output, moved, highway, states[:, :-1], states[:, 1:], forgets, reset, x, *optional]
        carry = grad_last  # dL/dc_{end-1} from the steps after the block (through c_end and r_end)
        for block in reversed(list(zip(*(part.split(block_steps, dim=1) for part in parts)))):
            steps_here = block[0].shape[1]
            rows = batch * steps_here
            buffers = scratch if steps_here == width else scratch[:, :, :steps_here]
            grads = grad_projected[:rows].view(batch, steps_here, 3 * hidden).chunk(3, dim=2)
            carry = _sru_backward_block(*block[:7], *grads, v_forget, v_reset, carry, buffers.unbind(0),
                                        block[-1] if grad_highway is not None else None)
            flat = grad_projected[:rows]  # (B*K, 3H)
            x_rows = block[7].reshape(rows, inputs)
            grad_weight.addmm_(flat.t(), x_rows)
            grad_bias.add_(flat[:, hidden:].sum(dim=0))
            if grad_x is not None:
                torch.mm(flat, weight, out=grad_x_rows[:rows])
                block[8].copy_(grad_x_rows[:rows].view(batch, steps_here, inputs))
        grad_v_forget, grad_v_reset = scratch[4:].sum(dim=(1, 2))
        return grad_x, grad_weight, grad_bias, grad_highway, grad_v_forget, grad_v_reset, carry, None


def _sru_backward_block(grad_output: Tensor, moved: Tensor, highway: Tensor, previous: Tensor, cells: Tensor,
                        forgets: Tensor, reset: Tensor, grad_u: Tensor, grad_a_forget: Tensor, grad_a_reset: Tensor,
                        v_forget: Tensor, v_reset: Tensor, carry: Tensor, scratch: tuple[Tensor, ...],
                        grad_highway: Tensor | None) -> Tensor:
    """Gradients of one block of K steps, every tensor (B, K, H) (moved: c_t - u_t), written in place; returns dL/dc_{start-1}."""
    total, spread, slope, factor, sum_forget, sum_reset = scratch
    torch.mul(grad_output, reset, out=total)  # g r: what reaches c_t through h_t
    torch.addcmul(total, total, reset, value=-1, out=spread)  # g r (1 - r)
    torch.sub(cells, highway, out=grad_a_reset).mul_(spread)  # dL/da_r = g (c - x) r (1 - r)
    if grad_highway is not None:
        torch.addcmul(grad_output, grad_output, reset, value=-1, out=grad_highway)  # g (1 - r)
    total[:, :-1].addcmul_(grad_a_reset[:, 1:], v_reset)  # r_{t+1} reads c_t
    total[:, -1].add_(carry)
    torch.addcmul(moved, moved, forgets, value=-1, out=slope)  # (c_t - u)(1 - f) = dc_t/da_f
    torch.addcmul(forgets, slope, v_forget, out=factor)  # dc_t/dc_{t-1} = f + (c_{t-1} - u) f (1 - f) v_f
    totals, factors = total.unbind(1), factor.unbind(1)
    for t in range(len(totals) - 2, -1, -1):  # one op a step: dL/dc_t += dc_{t+1}/dc_t dL/dc_{t+1}
        totals[t].addcmul_(factors[t + 1], totals[t + 1])
    torch.mul(total, slope, out=grad_a_forget)
    torch.addcmul(total, total, forgets, value=-1, out=grad_u)  # total (1 - f)
    sum_forget.addcmul_(grad_a_forget, previous)
    sum_reset.addcmul_(grad_a_reset, previous)
    return torch.mul(totals[0], factors[0]).addcmul_(grad_a_reset[:, 0], v_reset)


def _forward_compiled(ctx, x: Tensor, weight: Tensor, bias: Tensor, highway: Tensor, v_forget: Tensor,
                      v_reset: Tensor, c0: Tensor, block_steps: int) -> tuple[Tensor, Tensor]:
    """SRUFunction.forward with numba's kernel for each block's elementwise part (sru_kernels.forward_block)."""
    batch, steps, hidden = x.shape[0], x.shape[1], v_forget.shape[0]
    full_bias = torch.cat([bias.new_zeros(hidden), bias])  # W x has no bias; W_f x + b_f, W_r x + b_r
    highway = highway.detach().contiguous()
    saved = x.new_empty((4, batch, steps + 1, hidden))  # c_{-1}, c_0 .. c_{T-1}; f, r and slope in the first T
    states, output = saved[0], x.new_empty((batch, steps, hidden))
    states[:, 0] = c0
    projected = x.new_empty((batch * min(block_steps, steps), 3 * hidden))  # one block of W x + b, reused
    arrays = [part.numpy() for part in (highway, v_forget.detach(), v_reset.detach(), *saved, output)]
    x_rows = x.detach().reshape(batch * steps, -1) if block_steps >= steps else x.new_empty((batch * steps, x.shape[2]))
    for start in range(0, steps, block_steps):
        stop = min(start + block_steps, steps)
        rows = x_rows[batch * start : batch * stop]  # block-major: the block's (B, K, I) rows, what addmm takes
        if block_steps < steps:
            rows.view(batch, -1, x.shape[2]).copy_(x[:, start:stop])
        block = projected[: batch * (stop - start)]
        torch.addmm(full_bias, rows, weight.detach().t(), out=block)
        ctx.kernels.forward_block(block.numpy().reshape(batch, -1, 3 * hidden), *arrays, start)
    ctx.x_shape = x.shape
    ctx.save_for_backward(x_rows, weight, highway, v_forget, v_reset, saved)  # x_rows: the backward's blocks, copied once
    return output, states[:, -1].clone()


def _backward_compiled(ctx, grad_output: Tensor, grad_last: Tensor) -> tuple:
    """SRUFunction.backward with numba's kernel for each block's elementwise part (sru_kernels.backward_block)."""
    x_rows, weight, highway, v_forget, v_reset, saved = ctx.saved_tensors
    (batch, steps, inputs), hidden, block_steps = ctx.x_shape, v_forget.shape[0], ctx.block_steps
    grad_x = x_rows.new_empty(ctx.x_shape) if ctx.needs_input_grad[0] else None
    grad_weight, sums = weight.new_zeros(weight.shape), weight.new_zeros((4, hidden))  # sums: v_f, v_r, b_f, b_r
    grad_projected = x_rows.new_empty((batch * min(block_steps, steps), 3 * hidden))  # one block of dL/d(W x + b)
    carry = grad_last.contiguous().clone()  # dL/dc_{T-1}; then of the step before each block
    arrays = [grad_output.contiguous().numpy(), highway.numpy(), saved[0].numpy(),
              *(part.numpy() for part in saved[1:]), v_forget.detach().numpy(), v_reset.detach().numpy()]
    for start in reversed(range(0, steps, block_steps)):
        rows = batch * (min(start + block_steps, steps) - start)
        flat = grad_projected[:rows]  # (B*K, 3H)
        ctx.kernels.backward_block(*arrays, start, carry.numpy(), flat.numpy().reshape(batch, -1, 3 * hidden),
                                   sums.numpy())
        grad_weight.addmm_(flat.t(), x_rows[batch * start : batch * start + rows])
        if grad_x is not None:
            grad_x[:, start:start + block_steps] = torch.mm(flat, weight.detach()).view(batch, -1, inputs)
    grad_highway = None
    if ctx.needs_input_grad[3]:  # g (1 - r): one pass, and only when the highway input needs it
        grad_highway = torch.addcmul(grad_output, grad_output, saved[2, :, :steps], value=-1)
    return grad_x, grad_weight, sums[2:].reshape(-1), grad_highway, sums[0], sums[1], carry, None


def sru_direction(cell: SRUCell, x: Tensor, c0: Tensor, reverse: bool) -> tuple[Tensor, Tensor]:
    """One SRU layer and direction: a matmul per block of steps, then its light recurrence."""
    x = x.flip(1) if reverse else x  # (B, T, I)
    output, c_last = SRUFunction.apply(x, cell.weight_ih, cell.bias, cell.highway(x), cell.v_forget, cell.v_reset,
                                       c0, block_steps_for(x.shape[0]))
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
