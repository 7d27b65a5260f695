"""SRU's elementwise recurrence compiled by numba: one pass over a block of steps forward, one backward.

The matrix products stay in torch (fused.SRUFunction). What is left of a step, the gates, the light
recurrence and the highway, is a few flops per number: as separate torch operations it costs a pass
over memory each and a Python call per step; here every number is read once and written once.
Importing this module imports numba (~0.3 s): rnnviz.core.fused imports it only when SRU first runs
fast, and keeps its torch loop when numba is missing. Compiled code is cached on disk (`cache=True`):
only the first run on a machine compiles (a few seconds).
"""

from __future__ import annotations

import math

import llvmlite.binding
import numba
import numpy as np
from numba.extending import overload

# The vectoriser proves at run time that the arrays do not overlap; a step reads and writes ~12 of them,
# more comparisons than LLVM's default limit (8), which would leave the backward loop scalar.
llvmlite.binding.set_option("rnnviz", "-runtime-memory-check-threshold=256")
OPTIONS = dict(nogil=True, cache=True, fastmath=True, error_model="numpy", boundscheck=False)


def sigmoid(a: float) -> float:
    """1 / (1 + exp(-a)); inside compiled code the typed versions of `_sigmoid` replace it."""
    return 1.0 / (1.0 + math.exp(-a))


@overload(sigmoid, inline="always")
def _sigmoid(a):
    """float64: libm's exp. float32: exp by 7 squarings of a degree-10 Taylor series in float64 (vectorises)."""
    if a.bitwidth == 64:
        return lambda a: 1.0 / (1.0 + math.exp(-a))

    def fast(a):
        z = min(max(-np.float64(a), -87.0), 87.0) * (1.0 / 128.0)  # |z| <= 0.68: relative error ~5e-8 after squaring
        p = z * (1 / 3628800) + 1 / 362880  # Horner: the sum of z^n / n! for n = 10 .. 0, written out
        p = p * z + 1 / 40320  # (a loop here would keep LLVM from vectorising)
        p = p * z + 1 / 5040
        p = p * z + 1 / 720
        p = p * z + 1 / 120
        p = p * z + 1 / 24
        p = p * z + 1 / 6
        p = p * z + 1 / 2
        p = p * z + 1.0
        p = p * z + 1.0
        p = p * p
        p = p * p
        p = p * p
        p = p * p
        p = p * p
        p = p * p
        p = p * p  # e^(128 z)
        return np.float32(1.0 / (1.0 + p))

    return fast


@numba.njit(**OPTIONS)
def forward_block(projected, highway, v_forget, v_reset, states, forgets, reset, slope, output, start):
    """Steps start .. start+K-1 of every sequence; projected (B, K, 3H) = [W x, W_f x + b_f, W_r x + b_r].

    Every other array covers the whole sequence, (B, T, H) or longer, C-contiguous (states (B, T+1, H): states[:, t]
    is c_{t-1}). Writes c_t, f_t, r_t, slope_t = (c_t - u_t)(1 - f_t) (what the backward needs of u) and
    h_t = r c + (1 - r) x, x the highway input.
    """
    batch, steps, hidden = highway.shape[0], projected.shape[1], v_forget.shape[0]
    for b in range(batch):
        for k in range(steps):
            t = start + k  # rows of one step, (H,) each: the vectoriser checks once that they do not overlap
            u_row, forget_row, reset_row = (
                projected[b, k, :hidden],
                projected[b, k, hidden : 2 * hidden],
                projected[b, k, 2 * hidden :],
            )
            previous, cell, x = states[b, t], states[b, t + 1], highway[b, t]
            f_out, r_out, slope_out, h_out = forgets[b, t], reset[b, t], slope[b, t], output[b, t]
            for j in range(hidden):
                u = u_row[j]
                f = sigmoid(forget_row[j] + v_forget[j] * previous[j])
                r = sigmoid(reset_row[j] + v_reset[j] * previous[j])
                c = u + f * (previous[j] - u)
                cell[j], f_out[j], r_out[j], slope_out[j] = c, f, r, (c - u) * (1 - f)
                h_out[j] = x[j] + r * (c - x[j])


@numba.njit(**OPTIONS)
def backward_block(grad_output, highway, states, forgets, reset, slope, v_forget, v_reset, start, carry, grad_projected, sums):
    """Steps start+K-1 down to start; carry (B, H) holds dL/dc of the block's last step from the steps after it.

    Writes [dL/du, dL/da_f, dL/da_r] into grad_projected (B, K, 3H), adds dL/dv_f, dL/dv_r, dL/db_f, dL/db_r
    into sums (4, H), and leaves dL/dc_{start-1} in carry.
    """
    batch, steps, hidden = carry.shape[0], grad_projected.shape[1], carry.shape[1]
    sum_vf, sum_vr, sum_bf, sum_br = sums[0], sums[1], sums[2], sums[3]
    for b in range(batch):
        grad_cell = carry[b]  # dL/dc_t from the steps after t, updated in place step by step
        for k in range(steps - 1, -1, -1):
            t = start + k
            g_row, r_row, f_row, s_row = grad_output[b, t], reset[b, t], forgets[b, t], slope[b, t]
            previous, cell, x = states[b, t], states[b, t + 1], highway[b, t]
            grad_u, grad_f, grad_r = (
                grad_projected[b, k, :hidden],
                grad_projected[b, k, hidden : 2 * hidden],
                grad_projected[b, k, 2 * hidden :],
            )
            for j in range(hidden):
                g, r, f, s = g_row[j], r_row[j], f_row[j], s_row[j]
                grad_reset = g * (cell[j] - x[j]) * r * (1 - r)
                total = grad_cell[j] + g * r  # dL/dc_t
                grad_forget = total * s
                grad_u[j], grad_f[j], grad_r[j] = total * (1 - f), grad_forget, grad_reset
                sum_vf[j] += grad_forget * previous[j]
                sum_vr[j] += grad_reset * previous[j]
                sum_bf[j] += grad_forget
                sum_br[j] += grad_reset
                grad_cell[j] = total * (f + s * v_forget[j]) + grad_reset * v_reset[j]  # dL/dc_{t-1}


def check() -> None:
    """Run both kernels on one step of a tiny float32 batch (compiling them if the disk cache has not) and check c_0."""
    batch, hidden = 1, 2
    projected = np.ones((batch, 1, 3 * hidden), np.float32)  # u = 1, a_f = a_r = 1
    zeros = np.zeros((batch, 1, hidden), np.float32)
    weights = np.zeros(hidden, np.float32)
    saved, output = np.zeros((4, batch, 2, hidden), np.float32), np.zeros((batch, 1, hidden), np.float32)
    forward_block(projected, zeros, weights, weights, *saved, output, 0)
    expected = np.float32(1 - 1 / (1 + math.exp(-1)))  # c_0 = (1 - f) u with c_{-1} = 0
    if not np.allclose(saved[0, :, 1], expected, rtol=1e-6):
        raise RuntimeError(f"SRU kernel gave c_0 = {saved[0, 0, 1]}, expected {expected}")
    carry, sums = np.zeros((batch, hidden), np.float32), np.zeros((4, hidden), np.float32)
    backward_block(zeros, zeros, saved[0], saved[1], saved[2], saved[3], weights, weights, 0, carry, projected, sums)
