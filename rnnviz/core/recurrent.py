"""Unroll cells over time: layers, directions, traces of every step, truncated BPTT.

`Recurrent(kind, input_size, hidden_size, num_layers, bidirectional)` owns one cell per
layer and direction. `forward(x)` runs the fused fast path when it can; with
`trace=True` it runs the explicit unroll of the cells and returns every hidden state
(as the graph nodes autograd sees) and every gate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor, nn

from rnnviz.core import fused
from rnnviz.core.cells import Cell, State, make
from rnnviz.core.kinds import kind_info
from rnnviz.core.validation import check_finite, check_positive_int, check_tensor

DIRECTIONS = ("forward", "backward")


@dataclass
class DirectionTrace:
    """Everything one layer and direction computed, in input time order."""

    hidden_steps: list[Tensor]  # T graph nodes h_t, each (B, H)
    gates: dict[str, Tensor]  # name -> (B, T, H)
    state_nodes: list[tuple[int, Tensor]] = field(default_factory=list)  # (t, node) carrying the recurrence

    @property
    def hidden(self) -> Tensor:
        """All hidden states stacked: (B, T, H)."""
        return torch.stack(self.hidden_steps, dim=1)


@dataclass
class RecurrentOutput:
    """What `Recurrent.forward` returns."""

    output: Tensor  # (B, T, H * directions): last layer, directions concatenated
    state: list[State]  # final state per layer and direction, index layer * directions + direction
    trace: list[dict[str, DirectionTrace]] | None = None  # [layer]["forward" | "backward"]


def check_tbptt(tbptt: tuple[int, int] | None) -> tuple[int, int] | None:
    """Validate truncated-BPTT settings (k1, k2): every k1 steps, backpropagate k2 steps."""
    if tbptt is None:
        return None
    if not isinstance(tbptt, (tuple, list)) or len(tbptt) != 2:
        raise ValueError(f"tbptt must be a pair (k1, k2) of integers, got {tbptt!r}")
    k1, k2 = (check_positive_int(k, name) for k, name in zip(tbptt, ("tbptt k1", "tbptt k2")))
    if k2 < k1:
        raise ValueError(f"tbptt needs k2 >= k1 (each window of k1 outputs backpropagates k2 steps), got {tbptt}")
    return k1, k2


class Recurrent(nn.Module):
    """A stack of recurrent layers of one cell kind, optionally bidirectional, batch-first."""

    def __init__(self, kind: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bidirectional: bool = False, *, generator: torch.Generator | None = None,
                 **cell_options: Any) -> None:
        super().__init__()
        kind_info(kind)  # a ValueError naming the known kinds
        self.kind = kind
        self.input_size = check_positive_int(input_size, "input_size")
        self.hidden_size = check_positive_int(hidden_size, "hidden_size")
        self.num_layers = check_positive_int(num_layers, "num_layers")
        self.bidirectional = bool(bidirectional)
        self.cell_options = dict(cell_options)  # the generator is not an option: configs stay plain data
        self.directions = DIRECTIONS[: 2 if self.bidirectional else 1]
        layer_inputs = [self.input_size] + [self.output_size] * (self.num_layers - 1)
        self.cells = nn.ModuleList(
            make(kind, layer_inputs[layer], hidden_size, generator=generator, **cell_options)
            for layer in range(self.num_layers) for _ in self.directions)

    @property
    def output_size(self) -> int:
        """Size of each output vector: hidden_size times the number of directions."""
        return self.hidden_size * (2 if self.bidirectional else 1)

    def cell(self, layer: int, direction: str = "forward") -> Cell:
        """The cell of one layer and direction."""
        return self.cells[layer * len(self.directions) + self.directions.index(direction)]

    @property
    def config(self) -> dict[str, Any]:
        """Plain data that rebuilds this module with `from_config`."""
        return {"model": "recurrent", "kind": self.kind, "input_size": self.input_size,
                "hidden_size": self.hidden_size, "num_layers": self.num_layers,
                "bidirectional": self.bidirectional, "cell_options": self.cell_options}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Recurrent:
        """Rebuild from `config`."""
        return cls(config["kind"], config["input_size"], config["hidden_size"], config["num_layers"],
                   config["bidirectional"], **config.get("cell_options", {}))

    @classmethod
    def from_torch(cls, module: nn.RNNBase) -> Recurrent:
        """Copy a torch.nn.RNN/LSTM/GRU (any layers and directions): same numbers to 1e-5."""
        if not isinstance(module, (nn.RNN, nn.LSTM, nn.GRU)):
            raise ValueError(f"from_torch expects torch.nn.RNN, LSTM or GRU, got {type(module).__name__}")
        if getattr(module, "proj_size", 0) or module.dropout:
            raise ValueError("LSTM projections (proj_size) and dropout between layers are not supported")
        kind = {"RNN_TANH": "rnn", "RNN_RELU": "rnn-relu", "LSTM": "lstm", "GRU": "gru"}[module.mode]
        layer = cls(kind, module.input_size, module.hidden_size, module.num_layers, module.bidirectional)
        with torch.no_grad():
            for index, cell in enumerate(layer.cells):
                suffix = f"_l{index // len(layer.directions)}" + ("_reverse" if index % 2 and module.bidirectional else "")
                for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                    source = getattr(module, name + suffix, None)
                    target = getattr(cell, name)
                    target.copy_(source if source is not None else torch.zeros_like(target))
        return layer

    def initial_state(self, x: Tensor) -> list[State]:
        """Zero state for every layer and direction."""
        return [cell.initial_state(x.shape[0], x) for cell in self.cells]

    def check_input(self, x: Tensor, state: list[State] | None) -> None:
        """Raise ValueError unless x is (B, T, input_size), finite, with a matching state."""
        check_tensor(x, "x", (None, None, self.input_size))
        if x.shape[1] == 0 or x.shape[0] == 0:
            raise ValueError(f"x needs at least one sequence and one time step, got shape {tuple(x.shape)}")
        check_finite(x, "x")
        if state is not None:
            if not isinstance(state, (list, tuple)) or len(state) != len(self.cells):
                raise ValueError(f"state must be a list of {len(self.cells)} cell states (layers x directions)")
            for cell, cell_state in zip(self.cells, state):
                cell.check_state(cell_state, x.shape[0])

    def forward(self, x: Tensor, state: list[State] | None = None, *, trace: bool = False,
                fast: bool | None = None, tbptt: tuple[int, int] | None = None) -> RecurrentOutput:
        """Run x (B, T, I) through every layer; trace=True records every step and gate."""
        self.check_input(x, state)
        tbptt = check_tbptt(tbptt)
        if state is None:
            state = self.initial_state(x)
        if tbptt is not None:
            return self._forward_truncated(x, state, tbptt, trace, fast)
        return self._forward_full(x, state, trace, fast)

    def can_use_fast_path(self) -> bool:
        """Whether a fused kernel can run these cells."""
        return fused.supports(self.kind, self.cells[0])

    def _forward_full(self, x: Tensor, state: list[State], trace: bool, fast: bool | None) -> RecurrentOutput:
        """Whole sequence, fused unless tracing or asked otherwise."""
        use_fast = (not trace) and self.can_use_fast_path() if fast is None else bool(fast)
        if use_fast and trace:
            raise ValueError("the fast path records no trace: use trace=True with fast=None or False")
        if use_fast and not self.can_use_fast_path():
            raise ValueError(f"no fast path for {self.kind} with options {self.cell_options}")
        if use_fast and self.kind == "sru":
            output, final = fused.sru_stack(self.cells, x, state, self.num_layers, self.bidirectional)
            return RecurrentOutput(output, final)
        if use_fast:
            output, final = fused.torch_kernel(self.kind, self.cells, x, state, self.num_layers,
                                               self.bidirectional, self.training)
            return RecurrentOutput(output, final)
        return self._explicit(x, state, trace)

    def _explicit(self, x: Tensor, state: list[State], trace: bool) -> RecurrentOutput:
        """The unroll of the lecture's diagrams: h_t^l from h_t^{l-1} and h_{t-1}^l."""
        final_states: list[State] = []
        traces: list[dict[str, DirectionTrace]] = []
        layer_input = x
        for layer in range(self.num_layers):
            outputs, layer_trace = [], {}
            for direction in self.directions:
                index = layer * len(self.directions) + self.directions.index(direction)
                steps, last = unroll(self.cells[index], layer_input, state[index], direction == "backward")
                outputs.append(torch.stack([step.h for step in steps], dim=1))  # (B, T, H)
                final_states.append(last)
                if trace:
                    layer_trace[direction] = trace_of(self.cells[index], steps)
            layer_input = torch.cat(outputs, dim=2) if len(outputs) == 2 else outputs[0]
            traces.append(layer_trace)
        return RecurrentOutput(layer_input, final_states, traces if trace else None)

    def _forward_truncated(self, x: Tensor, state: list[State], tbptt: tuple[int, int], trace: bool,
                           fast: bool | None) -> RecurrentOutput:
        """Truncated BPTT: windows of k1 outputs, aligned at the end, each seeing k2 steps back."""
        if self.bidirectional:
            raise ValueError("truncated BPTT needs a unidirectional network (the backward direction reads the future)")
        k1, k2 = tbptt
        steps = x.shape[1]
        ends = list(range(steps, 0, -k1))[::-1]
        starts = sorted({max(0, end - k2) for end in ends})
        states_at = self._states_at(x, state, starts)
        outputs, windows = [], []
        for end in ends:
            begin_graph, begin_output = max(0, end - k2), max(0, end - k1)
            start_state = [_detach(s) for s in states_at[begin_graph]]
            result = self._forward_full(x[:, begin_graph:end], start_state, trace, fast)
            outputs.append(result.output[:, begin_output - begin_graph:])
            windows.append((begin_graph, begin_output, result))
        merged = merge_window_traces(windows, self.num_layers) if trace else None
        return RecurrentOutput(torch.cat(outputs, dim=1), windows[-1][2].state, merged)

    def _states_at(self, x: Tensor, state: list[State], times: list[int]) -> dict[int, list[State]]:
        """The state before step t for each t in `times`, computed without a graph."""
        found, current, position = {}, state, 0
        with torch.no_grad():
            for time in times:
                if time > position:
                    current = self._forward_full(x[:, position:time], current, False, None).state
                    position = time
                found[time] = current
        return found


def _detach(state: State) -> State:
    """Cut the graph behind a state."""
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


def unroll(cell: Cell, x: Tensor, state: State, reverse: bool = False) -> tuple[list, State]:
    """Step a cell over x (B, T, I); returns the steps in input time order and the last state."""
    # unbind, not projected[:, t]: the backward of one unbind stacks T gradients once, while each
    # select's backward writes its gradient into a zero tensor of the whole (B, T, chunks*H): O(T^2)
    projected = cell.project_input(x).unbind(1)  # T x (B, chunks*H), one matmul for all steps
    inputs = x.unbind(1)  # T x (B, I)
    order = range(x.shape[1] - 1, -1, -1) if reverse else range(x.shape[1])
    steps = [None] * x.shape[1]
    for t in order:
        step = cell.step_projected(projected[t], inputs[t], state)
        steps[t], state = step, step.state
    return steps, state


def recurrence_node(cell: Cell, step) -> Tensor:
    """The tensor that carries the recurrence: h_t, except SRU's c_t (its h_t feeds no later step)."""
    return step.state if cell.kind == "sru" else step.h


def trace_of(cell: Cell, steps: list) -> DirectionTrace:
    """Collect hidden states (graph nodes) and stacked gates from a list of steps."""
    gates = {name: torch.stack([step.gates[name] for step in steps], dim=1) for name in cell.gate_names}
    nodes = [(t, recurrence_node(cell, step)) for t, step in enumerate(steps)]
    return DirectionTrace([step.h for step in steps], gates, nodes)


def merge_window_traces(windows: list, num_layers: int) -> list[dict[str, DirectionTrace]]:
    """Join truncated-BPTT windows: outputs from each window's tail, every recomputed node kept."""
    merged = []
    for layer in range(num_layers):
        hidden, gates, nodes = [], {}, []
        for begin_graph, begin_output, result in windows:
            part = result.trace[layer]["forward"]
            skip = begin_output - begin_graph
            hidden.extend(part.hidden_steps[skip:])
            for name, values in part.gates.items():
                gates.setdefault(name, []).append(values[:, skip:])
            nodes.extend((begin_graph + t, node) for t, node in part.state_nodes)
        stacked = {name: torch.cat(parts, dim=1) for name, parts in gates.items()}
        merged.append({"forward": DirectionTrace(hidden, stacked, nodes)})
    return merged
