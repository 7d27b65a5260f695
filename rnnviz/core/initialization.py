"""Initializations of the recurrent weights W_hh: the lecture's "weight initialization" remedy.

`initialize_recurrent(layer, scheme, scale, spectral_radius)` rewrites the matrices that
multiply h_{t-1} in every cell of a `Recurrent`, in place, and leaves the input weights alone.

Schemes, each applied to one (H, H) matrix:

- "default":    PyTorch's U(-1/sqrt(H), 1/sqrt(H)), untouched.
- "normal":     entries N(0, scale^2 / H), so the spectral radius is close to `scale`
                (circular law): scale < 1 makes gradients vanish, scale > 1 explode.
- "orthogonal": scale * Q with Q a random orthogonal matrix: every singular value is `scale`.
- "identity":   scale * I (IRNN, Le, Jaitly & Hinton 2015). For the vanilla RNN the biases
                start at zero as in the paper, so h_t = relu(h_{t-1} + W_xh x_t) at first.
- "xavier":     Glorot uniform U(-a, a) with a = scale * sqrt(6 / (H + H)).

`spectral_radius=rho` then rescales each matrix so that its largest |eigenvalue| is rho.

Gated cells stack one (H, H) block per gate in W_hh (LSTM: input, forget, candidate, output;
GRU: reset, update, candidate). Each block gets the scheme on its own, so that every gate
and the candidate see h_{t-1} through a matrix of the chosen kind (with "identity" each unit
reads its own previous value in every gate). SRU's recurrence is elementwise: v_f and v_r
are the diagonals of diag(v) matrices, and each scheme is applied to that diagonal matrix
(normal: N(0, scale^2/H) entries; orthogonal: random signs times scale; identity: scale;
xavier: U(-a, a) with a = scale * sqrt(3/H); spectral radius: max |v| = rho).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from rnnviz.core.cells import RNNCell, SRUCell
from rnnviz.core.recurrent import Recurrent
from rnnviz.core.validation import require_choice

SCHEMES = ("default", "normal", "orthogonal", "identity", "xavier")
MAX_SCALE = 10.0
MAX_SPECTRAL_RADIUS = 10.0


def check_scale(value: object, name: str, maximum: float) -> float:
    """Return `value` as a float in (0, maximum], or raise ValueError saying so."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name} must be a number in (0, {maximum:g}], got {value!r}")
    if not 0 < value <= maximum:
        raise ValueError(f"{name} must be a number in (0, {maximum:g}], got {value!r}")
    return float(value)


def check_init(scheme: str, scale: float = 1.0, spectral_radius: float | None = None) -> None:
    """Raise ValueError unless the initialization settings are in range."""
    require_choice("initialization", scheme, SCHEMES)
    check_scale(scale, "initialization scale", MAX_SCALE)
    if spectral_radius is not None:
        check_scale(spectral_radius, "spectral radius", MAX_SPECTRAL_RADIUS)


def fill_matrix(matrix: Tensor, scheme: str, scale: float, generator: torch.Generator | None = None) -> None:
    """Overwrite one square (H, H) matrix in place with `scheme` at `scale`."""
    size = matrix.shape[0]
    if scheme == "normal":
        matrix.copy_(torch.randn(matrix.shape, generator=generator) * (scale / math.sqrt(size)))
    elif scheme == "orthogonal":
        q, r = torch.linalg.qr(torch.randn(matrix.shape, generator=generator, dtype=torch.float64))
        q = q * torch.sign(torch.diagonal(r)).unsqueeze(0)  # uniform (Haar) orthogonal matrix
        matrix.copy_(scale * q)
    elif scheme == "identity":
        matrix.copy_(scale * torch.eye(size))
    elif scheme == "xavier":
        bound = scale * math.sqrt(6.0 / (2 * size))
        matrix.copy_((torch.rand(matrix.shape, generator=generator) * 2 - 1) * bound)


def fill_diagonal(vector: Tensor, scheme: str, scale: float, generator: torch.Generator | None = None) -> None:
    """Overwrite the diagonal v of diag(v) in place with the diagonal analogue of `scheme`."""
    size = vector.shape[0]
    if scheme == "normal":
        vector.copy_(torch.randn(size, generator=generator) * (scale / math.sqrt(size)))
    elif scheme == "orthogonal":
        signs = torch.randint(0, 2, (size,), generator=generator).float() * 2 - 1
        vector.copy_(scale * signs)
    elif scheme == "identity":
        vector.fill_(scale)
    elif scheme == "xavier":
        bound = scale * math.sqrt(3.0 / size)
        vector.copy_((torch.rand(size, generator=generator) * 2 - 1) * bound)


def spectral_radius_of(matrix: Tensor) -> float:
    """Largest |eigenvalue| of a square matrix."""
    return float(torch.linalg.eigvals(matrix.detach().double()).abs().max())


def set_spectral_radius(matrix: Tensor, radius: float) -> None:
    """Rescale a square matrix in place so that its largest |eigenvalue| is `radius` (no-op on 0)."""
    current = spectral_radius_of(matrix)
    if current > 0:
        matrix.mul_(radius / current)


@torch.no_grad()
def initialize_recurrent(layer: Recurrent, scheme: str = "default", scale: float = 1.0,
                         spectral_radius: float | None = None, generator: torch.Generator | None = None) -> None:
    """Rewrite the recurrent weights of every cell of `layer` in place (see the module docstring)."""
    if not isinstance(layer, Recurrent):
        raise ValueError(f"layer must be an rnnviz.core.recurrent.Recurrent, got {type(layer).__name__}")
    check_init(scheme, scale, spectral_radius)
    for cell in layer.cells:
        if isinstance(cell, SRUCell):
            for vector in (cell.v_forget, cell.v_reset):
                if scheme != "default":
                    fill_diagonal(vector.data, scheme, scale, generator)
                if spectral_radius is not None and float(vector.abs().max()) > 0:
                    vector.mul_(spectral_radius / float(vector.abs().max()))
            continue
        for block in cell.weight_hh.data.split(cell.hidden_size, dim=0):
            if scheme != "default":
                fill_matrix(block, scheme, scale, generator)
            if spectral_radius is not None:
                set_spectral_radius(block, spectral_radius)
        if scheme == "identity" and isinstance(cell, RNNCell):
            nn.init.zeros_(cell.bias_ih)
            nn.init.zeros_(cell.bias_hh)
