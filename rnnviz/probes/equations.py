"""One cell, one step, one unit: the lecture's equations with the live numbers put in.

`explain_step(cell, x_t, h_prev, c_prev, unit)` recomputes every gate of unit `unit` of one step
from the cell's weights, the step's input and the previous state, and returns each equation twice:
as the lecture writes it and with the numbers substituted (LaTeX built from numbers only,
never from typed text). Each pre-activation is split into what comes from the input x_t,
what comes from the past (h_{t-1} or c_{t-1}) and the bias, so a student can see which one
opened the gate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rnnviz.core.cells import Cell
from rnnviz.core.kinds import kind_info
from rnnviz.core.validation import require_int

FROM_INPUT = r"\text{from }x_t"


@dataclass(frozen=True)
class Equation:
    """One line of a cell's update: the lecture's form, the same with numbers, and the result."""

    name: str  # "forget gate"
    meaning: str  # the lecture's words, e.g. "what to forget"
    symbolic: str  # LaTeX, as in the lecture
    substituted: str  # LaTeX with this step's numbers, "<symbol> = ..."
    value: float

    def line(self) -> str:
        """The lecture's form, then the numbers on a second line: `f_t &= \\sigma(...) \\\\ &= \\sigma(0.2 + ...) = 0.55`."""
        symbol, form = self.symbolic.split(" = ", 1)
        numbers = self.substituted.split(" = ", 1)[1]
        return rf"\begin{{aligned}} {symbol} &= {form} \\ &= {numbers} \end{{aligned}}"


def _v(value: float) -> str:
    """A number standing alone (a function's argument, a result): 3 decimals, never "-0.000"."""
    return f"{0.0 if abs(value) < 0.0005 else value:.3f}"


def _n(value: float) -> str:
    """A number for a formula: 3 decimals, negative ones in parentheses."""
    text = _v(value)
    return f"({text})" if text.startswith("-") else text


def _parts(parts: list[tuple[float, str]]) -> str:
    """`0.520 + (-1.310) + 0.200` with a label (LaTeX) under each term."""
    return " + ".join(rf"\underbrace{{{_n(value)}}}_{{{label}}}" for value, label in parts)


def _sigmoid(value: float) -> float:
    """The logistic function."""
    return 1.0 / (1.0 + math.exp(-value))


def _gate(name: str, meaning: str, symbol: str, formula: str, parts: list[tuple[float, str]],
          squash: str = "sigma") -> Equation:
    """A gate = squash(sum of parts), shown term by term."""
    total = sum(value for value, _ in parts)
    value = _sigmoid(total) if squash == "sigma" else math.tanh(total)
    function = r"\sigma" if squash == "sigma" else r"\tanh"
    substituted = rf"{symbol} = {function}\left({_parts(parts)}\right) = {function}({_v(total)}) = {_v(value)}"
    return Equation(name, meaning, formula, substituted, value)


def _rows(matrix: np.ndarray, chunk: int, hidden: int, unit: int) -> np.ndarray:
    """Row `unit` of block `chunk` of a stacked (G*H, ...) weight."""
    return matrix[chunk * hidden + unit]


def explain_step(cell: Cell, x: np.ndarray, h_prev: np.ndarray, c_prev: np.ndarray | None,
                 unit: int) -> list[Equation]:
    """The equations of `unit` for one step of `cell`, in the lecture's order.

    x (I,) is the step's input, h_prev (H,) the previous hidden state, c_prev (H,) the previous
    cell state of an LSTM or SRU (None for the others); zeros at t = 0.
    """
    unit = require_int("unit", unit, minimum=0, maximum=cell.hidden_size - 1)
    x, h_prev = _vector("x", x, cell.input_size), _vector("h_prev", h_prev, cell.hidden_size)
    if kind_info(cell.kind).has_cell_state:
        if c_prev is None:
            raise ValueError(f"a {cell.kind} step needs the previous cell state c_prev")
        c_prev = _vector("c_prev", c_prev, cell.hidden_size)
    weights = {name: p.detach().double().cpu().numpy() for name, p in cell.named_parameters()}
    explain = {"lstm": _lstm, "gru": _gru, "sru": _sru, "rnn": _rnn, "rnn-relu": _rnn}[cell.kind]
    return explain(cell, weights, x, h_prev, c_prev, unit)


def explain_traced(cell: Cell, inputs: np.ndarray, hidden: np.ndarray, cells: np.ndarray | None, t: int, unit: int,
                   *, reverse: bool = False) -> list[Equation]:
    """`explain_step` at step t of a traced sequence: inputs (T, I), hidden (T, H), cell states (T, H) or None.

    The previous state is that of step t - 1 (t + 1 when the direction reads backwards); zeros at the start.
    """
    previous = t + 1 if reverse else t - 1
    first = not 0 <= previous < len(hidden)

    def before(values: np.ndarray) -> np.ndarray:
        return np.zeros(cell.hidden_size) if first else np.asarray(values[previous], dtype=np.float64)  # (H,)

    memory = before(cells) if kind_info(cell.kind).has_cell_state and cells is not None else None
    return explain_step(cell, np.asarray(inputs[t], dtype=np.float64), before(hidden), memory, unit)


def _vector(name: str, value: np.ndarray, size: int) -> np.ndarray:
    """A finite float64 vector of `size` entries, or a ValueError saying what was expected."""
    array = np.asarray(value, dtype=np.float64)
    if array.shape != (size,):
        raise ValueError(f"{name} must have shape ({size},), got {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} has NaN or infinite entries")
    return array


def _torch_layout_parts(weights: dict, chunk: int, hidden: int, unit: int, x: np.ndarray,
                        h_prev: np.ndarray, bias_name: str) -> list[tuple[float, str]]:
    """(W x_t, U h_{t-1}, b) of one gate of one unit, for cells with PyTorch's weight layout."""
    from_input = float(_rows(weights["weight_ih"], chunk, hidden, unit) @ x)
    from_past = float(_rows(weights["weight_hh"], chunk, hidden, unit) @ h_prev)
    bias = float(_rows(weights["bias_ih"], chunk, hidden, unit) + _rows(weights["bias_hh"], chunk, hidden, unit))
    return [(from_input, FROM_INPUT), (from_past, r"\text{from }h_{t-1}"), (bias, bias_name)]


def _lstm(cell, weights, x, h_prev, c_prev, unit) -> list[Equation]:
    """f, i, C~, o, then c_t and h_t (PyTorch's block order: input, forget, candidate, output)."""
    hidden = cell.hidden_size
    c_prev = float(c_prev[unit])

    def parts(chunk: int, bias: str) -> list[tuple[float, str]]:
        return _torch_layout_parts(weights, chunk, hidden, unit, x, h_prev, bias)

    f = _gate("forget gate", "what to forget of the cell state", "f_t",
              r"f_t = \sigma(W_f[h_{t-1}, x_t] + b_f)", parts(1, "b_f"))
    i = _gate("input gate", "what to write into the cell state", "i_t",
              r"i_t = \sigma(W_i[h_{t-1}, x_t] + b_i)", parts(0, "b_i"))
    g = _gate("candidate", "the new content that may be written", r"\tilde{C}_t",
              r"\tilde{C}_t = \tanh(W_c[h_{t-1}, x_t] + b_c)", parts(2, "b_c"), squash="tanh")
    o = _gate("output gate", "what to show of the cell state", "o_t",
              r"o_t = \sigma(W_o[h_{t-1}, x_t] + b_o)", parts(3, "b_o"))
    c = f.value * c_prev + i.value * g.value
    h = o.value * math.tanh(c)
    return [f, i, g, o,
            Equation("cell state", "keep part of the old memory, add part of the new",
                     r"c_t = f_t \odot c_{t-1} + i_t \odot \tilde{C}_t",
                     rf"c_t = {_n(f.value)} \cdot {_n(c_prev)} + {_n(i.value)} \cdot {_n(g.value)} = {_v(c)}", c),
            Equation("hidden state", "what the cell shows to the next step and the next layer", r"h_t = o_t \odot \tanh(c_t)",
                     rf"h_t = {_n(o.value)} \cdot \tanh({_v(c)}) = {_v(h)}", h)]


def _gru(cell, weights, x, h_prev, c_prev, unit) -> list[Equation]:
    """r, z, the current memory content h~ (in the cell's form), then h_t."""
    hidden = cell.hidden_size
    r = _gate("reset gate", "how much of the past to use for the new content", "r_t",
              r"r_t = \sigma(W_{xr}x_t + W_{hr}h_{t-1} + b_r)",
              _torch_layout_parts(weights, 0, hidden, unit, x, h_prev, "b_r"))
    z = _gate("update gate", "how much of the past passes to the next step", "z_t",
              r"z_t = \sigma(W_{xz}x_t + W_{hz}h_{t-1} + b_z)",
              _torch_layout_parts(weights, 1, hidden, unit, x, h_prev, "b_z"))
    from_input = float(_rows(weights["weight_ih"], 2, hidden, unit) @ x + _rows(weights["bias_ih"], 2, hidden, unit))
    w_n, b_n = _rows(weights["weight_hh"], 2, hidden, unit), float(_rows(weights["bias_hh"], 2, hidden, unit))
    if cell.reset_after:  # PyTorch's form, the lecture's h~ = tanh(W x_t + r_t * U h_{t-1})
        past = float(w_n @ h_prev) + b_n
        total = from_input + r.value * past
        formula = r"\tilde{h}_t = \tanh(W x_t + r_t \odot U h_{t-1})"
        terms = rf"{_n(from_input)} + {_n(r.value)} \cdot {_n(past)}"
    else:  # Cho et al. 2014: tanh(W x_t + U (r_t * h_{t-1}))
        r_all = _reset_all(weights, hidden, x, h_prev)
        past = float(w_n @ (r_all * h_prev)) + b_n
        total = from_input + past
        formula = r"\tilde{h}_t = \tanh(W_{xh}x_t + W_{hh}(r_t \odot h_{t-1}) + b_h)"
        terms = rf"{_n(from_input)} + {_n(past)}"
    candidate_value = math.tanh(total)
    candidate = Equation("current memory content", "new content, using the reset gate to pick the relevant past",
                         formula, rf"\tilde{{h}}_t = \tanh({terms}) = \tanh({_v(total)}) = {_v(candidate_value)}",
                         candidate_value)
    previous = float(h_prev[unit])
    h = z.value * previous + (1 - z.value) * candidate_value
    final = Equation("final memory", "blend of the old state and the new content",
                     r"h_t = z_t \odot h_{t-1} + (1 - z_t) \odot \tilde{h}_t",
                     rf"h_t = {_n(z.value)} \cdot {_n(previous)} + {_n(1 - z.value)} \cdot {_n(candidate_value)} = {_v(h)}", h)
    return [r, z, candidate, final]


def _reset_all(weights: dict, hidden: int, x: np.ndarray, h_prev: np.ndarray) -> np.ndarray:
    """Every unit's reset gate (H,), needed by Cho's form where all of r_t * h_{t-1} enters one unit."""
    pre = weights["weight_ih"][:hidden] @ x + weights["bias_ih"][:hidden]
    pre = pre + weights["weight_hh"][:hidden] @ h_prev + weights["bias_hh"][:hidden]
    return 1.0 / (1.0 + np.exp(-pre))


def _sru(cell, weights, x, h_prev, c_prev, unit) -> list[Equation]:
    """Light recurrence (f, c) and highway (r, h), with SRU's elementwise v_f, v_r."""
    hidden = cell.hidden_size
    c_prev = float(c_prev[unit])
    w_x = float(_rows(weights["weight_ih"], 0, hidden, unit) @ x)

    def parts(chunk: int, v_name: str, bias: str) -> list[tuple[float, str]]:
        from_input = float(_rows(weights["weight_ih"], chunk, hidden, unit) @ x)
        return [(from_input, FROM_INPUT), (float(weights[v_name][unit]) * c_prev, r"\text{from }c_{t-1}"),
                (float(weights["bias"][(chunk - 1) * hidden + unit]), bias)]

    f = _gate("forget gate", "how much of the past passes", "f_t",
              r"f_t = \sigma(W_f x_t + v_f \odot c_{t-1} + b_f)", parts(1, "v_forget", "b_f"))
    c = f.value * c_prev + (1 - f.value) * w_x
    state = Equation("state vector", "weighted average of the old state and the current input, by the forget gate",
                     r"c_t = f_t \odot c_{t-1} + (1 - f_t) \odot (W x_t)",
                     rf"c_t = {_n(f.value)} \cdot {_n(c_prev)} + {_n(1 - f.value)} \cdot {_n(w_x)} = {_v(c)}", c)
    r = _gate("reset gate", "how much of the state (rather than the input) to pass on", "r_t",
              r"r_t = \sigma(W_r x_t + v_r \odot c_{t-1} + b_r)", parts(2, "v_reset", "b_r"))
    skip = weights.get("weight_skip")
    highway = float(skip[unit] @ x) if skip is not None else float(x[unit])
    h = r.value * c + (1 - r.value) * highway
    symbol = "x_t" if skip is None else "(W_s x_t)"
    output = Equation("output vector", "highway: mix the state with the input itself",
                      rf"h_t = r_t \odot c_t + (1 - r_t) \odot {symbol}",
                      rf"h_t = {_n(r.value)} \cdot {_n(c)} + {_n(1 - r.value)} \cdot {_n(highway)} = {_v(h)}", h)
    return [f, state, r, output]


def _rnn(cell, weights, x, h_prev, c_prev, unit) -> list[Equation]:
    """a_t = W_hh h_{t-1} + W_xh x_t + b, h_t = tanh(a_t) (or ReLU)."""
    parts = _torch_layout_parts(weights, 0, cell.hidden_size, unit, x, h_prev, "b")
    total = sum(value for value, _ in parts)
    pre = Equation("pre-activation", "the input and the past, weighted and summed",
                   r"a_t = W_{xh} x_t + W_{hh} h_{t-1} + b", rf"a_t = {_parts(parts)} = {_v(total)}", total)
    if cell.nonlinearity == "tanh":
        value, formula, shown = math.tanh(total), r"h_t = \tanh(a_t)", rf"h_t = \tanh({_v(total)}) = "
    else:
        value, formula, shown = max(total, 0.0), r"h_t = \max(0, a_t)", rf"h_t = \max(0, {_v(total)}) = "
    return [pre, Equation("hidden state", "squash the sum", formula, shown + _v(value), value)]
