"""Every fact the lecture states about one cell kind, in one table that packages and pages read.

    from rnnviz.core.kinds import KINDS, kind_info
    kind_info("lstm").gates           # ("input", "forget", "output", "candidate", "cell"), as step.gates
    kind_info("gru").parameter_count(8, 16)   # what sum(p.numel()) of a GRUCell(8, 16) gives

Names are the cell's own (`step.gates`, traces, checkpoints); labels are for people.
"""

from __future__ import annotations

from dataclasses import dataclass

SIGMOID = (0.0, 1.0)
TANH = (-1.0, 1.0)


@dataclass(frozen=True)
class CellKind:
    """One cell kind: its names, state, weights, fused kernel and how pages show it."""

    name: str  # "lstm": what `make`, configs and checkpoints say
    label: str  # "LSTM": a short name for legends and menus
    long_label: str  # "tanh RNN": a name that says what sets it apart
    gates: tuple[str, ...]  # the names in `step.gates`, in display order
    state_names: tuple[str, ...]  # what `state` holds: ("hidden",), ("hidden", "cell") or ("cell",)
    blocks: int  # G: how many (H)-sized blocks the input projection W_ih stacks
    recurrent_blocks: tuple[str, ...]  # the (H, H) blocks that multiply the past, by gate
    fused: str  # the fused kernel that trains it
    sigmoid_gates: tuple[str, ...]  # gates squashed by a sigmoid: the ones that can saturate at 0 or 1
    keep_gate: str | None  # the gate whose bias keeps the state open (forget / update), None for vanilla RNNs
    hidden_range: tuple[float, float] | None  # the range h_t lies in, None when unbounded
    color: str  # one colour per kind, the same on every page (Okabe-Ito, colour-blind safe)

    @property
    def traced(self) -> tuple[str, ...]:
        """What a trace shows per step, in display order: the gates, then the hidden state."""
        return (*self.gates, "hidden")

    @property
    def gated(self) -> bool:
        """Whether a gate controls what the state keeps (LSTM, GRU, SRU)."""
        return self.keep_gate is not None

    @property
    def has_cell_state(self) -> bool:
        """Whether the state carries a memory c_t besides (or instead of) h_t."""
        return "cell" in self.state_names

    def parameter_count(self, input_size: int, hidden_size: int, *, bias: bool = True) -> int:
        """Parameters of one cell of this kind: sum(p.numel()) of `make(name, input_size, hidden_size)`."""
        if self.name == "sru":  # W (3H x I), v_f, v_r, b_f, b_r; a highway projection when the sizes differ
            skip = hidden_size * input_size if input_size != hidden_size else 0
            return 3 * hidden_size * input_size + 4 * hidden_size + skip
        weights = self.blocks * hidden_size * (input_size + hidden_size)
        return weights + (2 * self.blocks * hidden_size if bias else 0)

    def value_range(self, name: str) -> tuple[float, float] | None:
        """The range a gate or state of this kind lies in, or None when it is unbounded."""
        if name in self.sigmoid_gates:
            return SIGMOID
        if name == "candidate":
            return TANH
        if name == "hidden":
            return self.hidden_range
        return None  # LSTM/SRU cell state, RNN pre-activation


_TABLE = (
    CellKind("rnn", "RNN", "tanh RNN", ("preactivation",), ("hidden",), 1, ("W_hh",), "torch.rnn_tanh",
             (), None, TANH, "#0072B2"),
    CellKind("rnn-relu", "RNN (ReLU)", "ReLU RNN", ("preactivation",), ("hidden",), 1, ("W_hh",),
             "torch.rnn_relu", (), None, None, "#56B4E9"),
    CellKind("lstm", "LSTM", "LSTM", ("input", "forget", "output", "candidate", "cell"), ("hidden", "cell"), 4,
             ("input", "forget", "candidate", "output"), "torch.lstm", ("input", "forget", "output"), "forget",
             TANH, "#D55E00"),
    CellKind("gru", "GRU", "GRU", ("reset", "update", "candidate"), ("hidden",), 3, ("reset", "update", "candidate"),
             "torch.gru", ("reset", "update"), "update", TANH, "#009E73"),
    CellKind("sru", "SRU", "SRU", ("forget", "reset", "cell"), ("cell",), 3, ("forget (diag v_f)", "reset (diag v_r)"),
             "SRU's parallel form (elementwise recurrence)", ("forget", "reset"), "forget", None, "#CC79A7"),
)
TABLE: dict[str, CellKind] = {kind.name: kind for kind in _TABLE}
KINDS: tuple[str, ...] = tuple(TABLE)  # ("rnn", "rnn-relu", "lstm", "gru", "sru")
MENU_ORDER: tuple[str, ...] = ("lstm", "gru", "sru", "rnn", "rnn-relu")  # gated cells first, as the pages list them


def kind_info(kind: str) -> CellKind:
    """The table's row for `kind`; a ValueError naming the known kinds otherwise."""
    if kind not in TABLE:
        raise ValueError(f"unknown cell kind {kind!r}; expected one of {', '.join(KINDS)}")
    return TABLE[kind]


def label(kind: str) -> str:
    """The short name of a kind for people ("LSTM"), the kind itself if unknown."""
    return TABLE[kind].label if kind in TABLE else str(kind)
