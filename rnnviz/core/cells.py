"""Recurrent cells written from the lecture's equations, one time step at a time.

Every cell takes `x_t` of shape (B, I) and the previous state, and returns a `CellStep`
with the new hidden state `h` (B, H), the `state` the next step takes, and its `gates`:
a dict of name -> (B, H) tensors. The weights use PyTorch's layout, so
`from_torch` imports `torch.nn.RNNCell/LSTMCell/GRUCell` weights one to one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from rnnviz.core.kinds import KINDS, TABLE, kind_info  # noqa: F401  (cells.KINDS, as documented)
from rnnviz.core.validation import check_finite, check_positive_int, check_tensor

# What each kind returns in `step.gates`, in display order (from the table of kinds).
GATE_NAMES: dict[str, tuple[str, ...]] = {name: kind.gates for name, kind in TABLE.items()}

State = Tensor | tuple[Tensor, Tensor]


@dataclass(frozen=True)
class CellStep:
    """One step of a cell: new hidden state, the state for the next step, and the gates."""

    h: Tensor  # (B, H)
    state: State  # what the next step takes
    gates: dict[str, Tensor]  # name -> (B, H)


def _uniform_(tensors: list[Tensor], hidden_size: int, generator: torch.Generator | None = None) -> None:
    """PyTorch's default recurrent init: U(-1/sqrt(H), 1/sqrt(H)), drawn from `generator` (the global one if None)."""
    bound = 1.0 / math.sqrt(hidden_size)
    for tensor in tensors:
        nn.init.uniform_(tensor, -bound, bound, generator=generator)


class Cell(nn.Module):
    """Common parts of every cell: sizes, validation, the input projection."""

    kind: str = ""

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.input_size = check_positive_int(input_size, "input_size")
        self.hidden_size = check_positive_int(hidden_size, "hidden_size")

    @property
    def gate_names(self) -> tuple[str, ...]:
        """Names of the gates this cell returns."""
        return kind_info(self.kind).gates

    @property
    def num_chunks(self) -> int:
        """How many (H)-sized blocks the input projection stacks."""
        return kind_info(self.kind).blocks

    def forward(self, x_t: Tensor, state: State | None = None) -> CellStep:
        """One checked step: x_t (B, I), state from the previous step or None at t=0."""
        check_tensor(x_t, "x_t", (None, self.input_size))
        check_finite(x_t, "x_t")
        if state is not None:
            self.check_state(state, x_t.shape[0])
        else:
            state = self.initial_state(x_t.shape[0], x_t)
        return self.step_projected(self.project_input(x_t), x_t, state)

    def initial_state(self, batch_size: int, like: Tensor) -> State:
        """Zeros of the right shape, dtype and device."""
        return like.new_zeros(batch_size, self.hidden_size)

    def check_state(self, state: State, batch_size: int) -> None:
        """Raise ValueError unless `state` has this cell's shape."""
        check_tensor(state, "state", (batch_size, self.hidden_size))

    def project_input(self, x: Tensor) -> Tensor:
        """W_ih x + b_ih for any leading shape: (..., I) -> (..., chunks*H)."""
        return nn.functional.linear(x, self.weight_ih, self.bias_ih)

    def step_projected(self, x_proj: Tensor, x_t: Tensor, state: State) -> CellStep:
        """One unchecked step from the precomputed input projection (the hot path)."""
        raise NotImplementedError

    def recurrent_weight(self) -> Tensor:
        """The matrix that multiplies the previous state (H, H) per chunk, stacked."""
        return self.weight_hh

    def extra_repr(self) -> str:
        """Sizes shown by print(cell)."""
        return f"input_size={self.input_size}, hidden_size={self.hidden_size}"


class _TorchLayoutCell(Cell):
    """A cell with weight_ih (G*H, I), weight_hh (G*H, H), bias_ih and bias_hh (G*H)."""

    torch_class: type[nn.Module] = nn.Module

    def __init__(self, input_size: int, hidden_size: int, *, generator: torch.Generator | None = None) -> None:
        super().__init__(input_size, hidden_size)
        gates_size = self.num_chunks * self.hidden_size
        self.weight_ih = nn.Parameter(torch.empty(gates_size, self.input_size))
        self.weight_hh = nn.Parameter(torch.empty(gates_size, self.hidden_size))
        self.bias_ih = nn.Parameter(torch.empty(gates_size))
        self.bias_hh = nn.Parameter(torch.empty(gates_size))
        _uniform_(list(self.parameters()), self.hidden_size, generator)

    @classmethod
    def from_torch(cls, module: nn.Module, **options: object) -> _TorchLayoutCell:
        """Copy the weights of the matching torch.nn cell (same numbers to 1e-5)."""
        if not isinstance(module, cls.torch_class):
            raise ValueError(f"{cls.__name__}.from_torch expects torch.nn.{cls.torch_class.__name__}, "
                             f"got {type(module).__name__}")
        extra = {"nonlinearity": module.nonlinearity} if isinstance(module, nn.RNNCell) else {}
        cell = cls(module.input_size, module.hidden_size, **extra, **options)
        with torch.no_grad():
            cell.weight_ih.copy_(module.weight_ih)
            cell.weight_hh.copy_(module.weight_hh)
            for name in ("bias_ih", "bias_hh"):
                bias = getattr(module, name)
                getattr(cell, name).copy_(bias if bias is not None else torch.zeros_like(getattr(cell, name)))
        return cell


class RNNCell(_TorchLayoutCell):
    """Vanilla RNN: h_t = tanh(W_hh h_{t-1} + W_xh x_t + b), or ReLU instead of tanh."""

    torch_class = nn.RNNCell

    def __init__(self, input_size: int, hidden_size: int, nonlinearity: str = "tanh", *,
                 generator: torch.Generator | None = None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        self.kind = "rnn" if nonlinearity == "tanh" else "rnn-relu"
        super().__init__(input_size, hidden_size, generator=generator)

    def step_projected(self, x_proj: Tensor, x_t: Tensor, state: State) -> CellStep:
        """a_t = W_xh x_t + b + W_hh h_{t-1};  h_t = phi(a_t)."""
        preactivation = x_proj + nn.functional.linear(state, self.weight_hh, self.bias_hh)  # (B, H)
        h = torch.tanh(preactivation) if self.nonlinearity == "tanh" else torch.relu(preactivation)
        return CellStep(h=h, state=h, gates={"preactivation": preactivation})

    def extra_repr(self) -> str:
        """Sizes and activation."""
        return f"{super().extra_repr()}, nonlinearity={self.nonlinearity}"


class LSTMCell(_TorchLayoutCell):
    """LSTM: i, f, o gates and candidate g; c_t = f*c_{t-1} + i*g, h_t = o*tanh(c_t)."""

    kind = "lstm"
    # PyTorch block order: input, forget, candidate (g), output
    torch_class = nn.LSTMCell

    def initial_state(self, batch_size: int, like: Tensor) -> State:
        """(h_0, c_0) = zeros."""
        zeros = like.new_zeros(batch_size, self.hidden_size)
        return zeros, zeros

    def check_state(self, state: State, batch_size: int) -> None:
        """The LSTM state is the pair (h, c), each (B, H)."""
        if not isinstance(state, (tuple, list)) or len(state) != 2:
            raise ValueError("an LSTM state must be the pair (h, c), each of shape (batch, hidden_size)")
        check_tensor(state[0], "state h", (batch_size, self.hidden_size))
        check_tensor(state[1], "state c", (batch_size, self.hidden_size))

    def step_projected(self, x_proj: Tensor, x_t: Tensor, state: State) -> CellStep:
        """The four gates from [h_{t-1}, x_t], then the cell and hidden updates."""
        h_prev, c_prev = state
        pre = x_proj + nn.functional.linear(h_prev, self.weight_hh, self.bias_hh)  # (B, 4H)
        pre_i, pre_f, pre_g, pre_o = pre.chunk(4, dim=1)
        i, f, o = torch.sigmoid(pre_i), torch.sigmoid(pre_f), torch.sigmoid(pre_o)
        g = torch.tanh(pre_g)
        c = torch.addcmul(f * c_prev, i, g)  # f*c_{t-1} + i*g
        h = o * torch.tanh(c)
        gates = {"input": i, "forget": f, "output": o, "candidate": g, "cell": c}
        return CellStep(h=h, state=(h, c), gates=gates)


class GRUCell(_TorchLayoutCell):
    """GRU: reset r, update z, candidate h~; h_t = z*h_{t-1} + (1-z)*h~_t.

    reset_after=True (default, PyTorch/cuDNN): h~ = tanh(W x + b + r*(U h + b_h)).
    reset_after=False (Cho et al. 2014):       h~ = tanh(W x + b + U(r*h) + b_h).
    """

    kind = "gru"
    # PyTorch block order: reset, update, candidate (n)
    torch_class = nn.GRUCell

    def __init__(self, input_size: int, hidden_size: int, reset_after: bool = True, *,
                 generator: torch.Generator | None = None) -> None:
        super().__init__(input_size, hidden_size, generator=generator)
        self.reset_after = bool(reset_after)

    def step_projected(self, x_proj: Tensor, x_t: Tensor, state: State) -> CellStep:
        """Gates from x_t and h_{t-1}, candidate in the chosen form, then interpolate."""
        hidden = self.hidden_size
        x_r, x_z, x_n = x_proj.chunk(3, dim=1)
        w_rz, w_n = self.weight_hh[: 2 * hidden], self.weight_hh[2 * hidden:]
        b_rz, b_n = self.bias_hh[: 2 * hidden], self.bias_hh[2 * hidden:]
        h_r, h_z = nn.functional.linear(state, w_rz, b_rz).chunk(2, dim=1)
        r, z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
        if self.reset_after:
            candidate = torch.tanh(x_n + r * nn.functional.linear(state, w_n, b_n))
        else:
            candidate = torch.tanh(x_n + nn.functional.linear(r * state, w_n, b_n))
        h = torch.lerp(candidate, state, z)  # z*h_{t-1} + (1-z)*h~_t
        return CellStep(h=h, state=h, gates={"reset": r, "update": z, "candidate": candidate})

    def extra_repr(self) -> str:
        """Sizes and candidate form."""
        return f"{super().extra_repr()}, reset_after={self.reset_after}"


class SRUCell(Cell):
    """SRU (Lei et al. 2018): light recurrence on c through v*c_{t-1}, highway to the output.

    f_t = sigmoid(W_f x_t + v_f*c_{t-1} + b_f);  c_t = f_t*c_{t-1} + (1-f_t)*(W x_t)
    r_t = sigmoid(W_r x_t + v_r*c_{t-1} + b_r);  h_t = r_t*c_t + (1-r_t)*x_t
    When input_size != hidden_size the highway term uses a projection W_s x_t.
    """

    kind = "sru"
    # block order: W x (candidate), W_f x, W_r x

    def __init__(self, input_size: int, hidden_size: int, *, generator: torch.Generator | None = None) -> None:
        super().__init__(input_size, hidden_size)
        self.weight_ih = nn.Parameter(torch.empty(3 * self.hidden_size, self.input_size))
        self.bias = nn.Parameter(torch.zeros(2 * self.hidden_size))  # b_f, b_r
        self.v_forget = nn.Parameter(torch.empty(self.hidden_size))
        self.v_reset = nn.Parameter(torch.empty(self.hidden_size))
        _uniform_([self.weight_ih, self.v_forget, self.v_reset], self.hidden_size, generator)
        if self.input_size != self.hidden_size:
            self.weight_skip = nn.Parameter(torch.empty(self.hidden_size, self.input_size))
            _uniform_([self.weight_skip], self.hidden_size, generator)
        else:
            self.register_parameter("weight_skip", None)

    def project_input(self, x: Tensor) -> Tensor:
        """[W x, W_f x + b_f, W_r x + b_r] for any leading shape: (..., I) -> (..., 3H)."""
        bias = torch.cat([self.bias.new_zeros(self.hidden_size), self.bias])  # W x has no bias
        return nn.functional.linear(x, self.weight_ih, bias)

    def highway(self, x: Tensor) -> Tensor:
        """The x_t of h_t's highway term, projected when the sizes differ: (..., I) -> (..., H)."""
        return x if self.weight_skip is None else nn.functional.linear(x, self.weight_skip)

    def step_projected(self, x_proj: Tensor, x_t: Tensor, state: State) -> CellStep:
        """Light recurrence on c, then the highway output."""
        x_tilde, x_f, x_r = x_proj.chunk(3, dim=1)  # (B, H) each
        f = torch.sigmoid(torch.addcmul(x_f, self.v_forget, state))  # W_f x + v_f*c_{t-1} + b_f
        r = torch.sigmoid(torch.addcmul(x_r, self.v_reset, state))  # W_r x + v_r*c_{t-1} + b_r
        c = torch.lerp(x_tilde, state, f)  # f*c_{t-1} + (1-f)*(W x)
        h = torch.lerp(self.highway(x_t), c, r)  # r*c + (1-r)*x
        return CellStep(h=h, state=c, gates={"forget": f, "reset": r, "cell": c})

    def recurrent_weight(self) -> Tensor:
        """SRU's recurrence is elementwise: diag(v_f), diag(v_r) stacked as (2H, H)."""
        return torch.cat([torch.diag(self.v_forget), torch.diag(self.v_reset)])


def make(kind: str, input_size: int, hidden_size: int, *, generator: torch.Generator | None = None,
         **options: object) -> Cell:
    """Build a cell by name: "rnn", "rnn-relu", "lstm", "gru" (reset_after=...), "sru"; weights from `generator`."""
    if kind in ("rnn", "rnn-relu"):
        return RNNCell(input_size, hidden_size, nonlinearity="tanh" if kind == "rnn" else "relu",
                       generator=generator, **options)
    builders: dict[str, type[Cell]] = {"lstm": LSTMCell, "gru": GRUCell, "sru": SRUCell}
    if kind not in builders:
        kind_info(kind)  # raises, naming the known kinds
    return builders[kind](input_size, hidden_size, generator=generator, **options)
