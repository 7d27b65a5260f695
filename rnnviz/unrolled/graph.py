"""The lecture's unrolled computational graph, built from a real model and one input sequence.

    graph = build_graph(model, x, targets=y)          # model: Recurrent (+ readout=Linear) or SequenceModel
    graph.edges_using("W")                            # every use of the shared recurrent weights
    rolled = rolled_graph(graph)                      # the core cell with its loop
    view = step_view(graph, 3)                        # what step 3 reads and writes

Nodes carry the numbers of the explicit unroll (`trace=True`); edges carry the symbol of the
shared weight they use (U = W_xh, W = W_hh, V = W_hy) and a key naming the one parameter
(`"W[0,forward]"`), so every use of a weight is one lookup.

Counts (D drawn steps = min(T, max_steps), L layers, R directions, c = 1 when the kind has a
cell state c_t (LSTM, SRU), r = 1 with a readout, e = drawn steps with a target, s = 1 for SRU
(its highway edge x_t -> h_t), n = 2 recurrent chains for LSTM (h and c), else 1):

    nodes = D * (1 + L*R*(1 + c) + r) + e
    edges = (1 + s) * D * R * (1 + (L - 1) * R) + L*R * ((D - 1) * n + D * c) + r * D * R + e

The first term counts x_t -> layer 1 and layer l -> layer l + 1 (each direction of layer l feeds
both of layer l + 1); the chains of D nodes have D - 1 links (one of them through the ellipsis
when steps are hidden). The rolled form has the same formulas with D = 1 and a self-loop per chain.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from itertools import pairwise

import numpy as np
import torch
from torch import Tensor, nn

from rnnviz.core.kinds import kind_info
from rnnviz.core.recurrent import Recurrent
from rnnviz.core.validation import check_tensor, require_int
from rnnviz.data.tasks import IGNORE_INDEX
from rnnviz.training.tasks import SequenceModel

MAX_STEPS = 10_000  # longest sequence accepted; longer ones make a live CPU demo crawl
DRAWN_STEPS = 12  # steps drawn by default; longer sequences keep the first and last ones
ARROWS = {"forward": "→", "backward": "←"}
_SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


@dataclass(frozen=True)
class Node:
    """One value of the graph: x_t, h_t, c_t (per layer and direction), ŷ_t or E_t."""

    id: str  # "h[0,forward][3]"; rolled form: "h[0,forward]"
    kind: str  # "x" | "h" | "c" | "y" | "E"
    step: int | None  # input position t; None in the rolled form
    layer: int | None  # 0-based, None for x, ŷ, E
    direction: str | None  # "forward" | "backward" | None
    label: str  # "h₃": what the drawing writes inside the node
    description: str  # "hidden state h₃, layer 1, forward"
    value: np.ndarray | None  # (size,) float64; ŷ: probabilities, E: the loss (1,)
    norm: float | None  # ‖value‖₂
    gates: dict[str, np.ndarray] = field(default_factory=dict)  # gated cells: name -> (H,) at this step
    row: int = 0  # drawing row (0 = inputs, at the bottom)
    column: float = 0.0  # drawing column (drawn step index, the ellipsis takes one)


@dataclass(frozen=True)
class Edge:
    """One dependency source -> target and the weight it multiplies by."""

    id: str  # "source->target"
    source: str
    target: str
    weight: str  # "U" | "W" | "V" | "cell" | "state" | "highway" | "loss"
    weight_key: str  # one shared parameter: "W[0,forward]", "U[1,backward]", "V", ...
    kind: str  # "input" | "layer" | "recurrent" | "cell" | "state" | "highway" | "output" | "loss"
    step: int | None  # the target's step
    through_ellipsis: bool = False  # links the last step before hidden ones to the first after


@dataclass(frozen=True)
class UnrolledGraph:
    """Nodes, edges and the shared weights of one model on one sequence (plain data)."""

    kind: str
    num_layers: int
    directions: tuple[str, ...]
    steps: int  # T of the sequence
    drawn_steps: tuple[int, ...]  # the steps that have nodes
    omitted: tuple[int, int] | None  # (first, last) hidden step, inclusive, or None
    nodes: dict[str, Node]  # id -> node, in drawing order
    edges: tuple[Edge, ...]
    weights: dict[str, str]  # weight_key -> what it is, in words
    rows: tuple[str, ...]  # row index -> label ("x_t (input)", "h layer 1 →", ...)
    rolled: bool = False
    note: str = ""  # a sentence to show with the drawing ("" when nothing is hidden)

    def edges_using(self, weight: str) -> list[Edge]:
        """Every edge that multiplies by `weight`: a symbol ("W") or one parameter's key ("W[0,forward]")."""
        return [edge for edge in self.edges if weight in (edge.weight, edge.weight_key)]

    def nodes_of(self, kind: str) -> list[Node]:
        """Every node of one kind ("x", "h", "c", "y", "E") in drawing order."""
        return [node for node in self.nodes.values() if node.kind == kind]


@dataclass(frozen=True)
class StepView:
    """What one step of the unroll reads and writes, for a 'next step' control."""

    step: int
    written: tuple[str, ...]  # node ids computed at this step
    read: tuple[str, ...]  # node ids they read from earlier (or, backward direction, later) steps and x_t
    edges: tuple[str, ...]  # edge ids used


def split_model(model: nn.Module, readout: nn.Linear | None = None) -> tuple[Recurrent, nn.Linear | None]:
    """(the recurrent layers, the readout) of a Recurrent (+ readout) or a SequenceModel."""
    if isinstance(model, SequenceModel):
        return model.recurrent, readout if readout is not None else model.head
    if not isinstance(model, Recurrent):
        raise ValueError(f"model must be an rnnviz Recurrent or SequenceModel, got {type(model).__name__}")
    if readout is not None and not isinstance(readout, nn.Linear):
        raise ValueError(f"readout must be a torch.nn.Linear, got {type(readout).__name__}")
    if readout is not None and readout.in_features != model.output_size:
        raise ValueError(f"the readout reads {readout.in_features} numbers per step but the network gives "
                         f"{model.output_size} (hidden_size × directions): build it as Linear({model.output_size}, C)")
    return model, readout


def check_sequence(x: object, input_size: int) -> Tensor:
    """x must be one finite sequence (1, T, input_size) with 1 <= T <= MAX_STEPS."""
    check_tensor(x, "x", (None, None, input_size))
    if x.shape[0] != 1:
        raise ValueError(f"the graph shows one sequence: pass x[:1] (shape (1, T, {input_size})), "
                         f"got a batch of {x.shape[0]}")
    if x.shape[1] == 0:
        raise ValueError("x has no time steps: give a sequence of at least one step")
    if x.shape[1] > MAX_STEPS:
        raise ValueError(f"x has {x.shape[1]:,} steps; at most {MAX_STEPS:,} are accepted (shorten the sequence)")
    finite = torch.isfinite(x.detach()).all(dim=2)[0]  # (T,)
    if not bool(finite.all()):
        bad = torch.nonzero(~finite).flatten().tolist()
        shown = ", ".join(str(t) for t in bad[:5]) + (", …" if len(bad) > 5 else "")
        raise ValueError(f"x contains NaN or infinite values at step(s) {shown}: replace them with numbers first")
    return x


def check_targets(targets: object, steps: int, classes: int | None) -> Tensor | None:
    """Class indices (T,) or (1, T) in [0, classes), IGNORE_INDEX (-100) for steps without a loss."""
    if targets is None:
        return None
    if classes is None:
        raise ValueError("targets need a readout: pass readout=Linear(...) or a SequenceModel")
    if not isinstance(targets, Tensor) or targets.is_floating_point() or targets.dim() not in (1, 2):
        raise ValueError(f"targets must be an integer tensor of class indices, shape ({steps},) or (1, {steps})")
    flat = targets.reshape(-1)
    if flat.numel() != steps or (targets.dim() == 2 and targets.shape[0] != 1):
        raise ValueError(f"targets must have one class index per step: shape ({steps},), got {tuple(targets.shape)}")
    valid = (flat == IGNORE_INDEX) | ((flat >= 0) & (flat < classes))
    if not bool(valid.all()):
        raise ValueError(f"targets must be class indices in 0..{classes - 1} (or {IGNORE_INDEX} for no loss at "
                         f"a step), got {flat[~valid][:3].tolist()}")
    if not bool((flat != IGNORE_INDEX).any()):
        raise ValueError(f"every target is {IGNORE_INDEX}: give at least one step a class index")
    return flat.long()


def drawn_steps(steps: int, max_steps: int = DRAWN_STEPS) -> tuple[tuple[int, ...], tuple[int, int] | None]:
    """(the steps to draw, the (first, last) hidden ones or None): the first and last steps when T > max_steps."""
    steps = require_int("T", steps, minimum=1)
    max_steps = require_int("max_steps", max_steps, minimum=2, maximum=60, why="a wider drawing is unreadable")
    if steps <= max_steps:
        return tuple(range(steps)), None
    head, tail = (max_steps + 1) // 2, max_steps // 2
    return (*range(head), *range(steps - tail, steps)), (head, steps - tail - 1)


def _run(layer: Recurrent, readout: nn.Linear | None, x: Tensor) -> tuple[list, Tensor | None]:
    """The explicit unroll's trace and the readout's probabilities (1, T, C) or None, without a graph."""
    dtype = next(layer.parameters()).dtype
    with torch.no_grad():
        result = layer(x.to(dtype), trace=True)
        probabilities = torch.softmax(readout(result.output), dim=-1) if readout is not None else None
    return result.trace, probabilities


def _vector(value: Tensor) -> np.ndarray:
    """A float64 numpy vector from a (size,) tensor."""
    return value.detach().to(torch.float64).cpu().numpy()


def _node(id: str, kind: str, step: int | None, label: str, description: str, value: Tensor, *,
          layer: int | None = None, direction: str | None = None, gates: dict | None = None, row: int = 0,
          column: float = 0.0) -> Node:
    """A node with its value as numpy and its norm."""
    vector = _vector(value)
    return Node(id, kind, step, layer, direction, label, description, vector, float(np.linalg.norm(vector)),
                gates or {}, row, column)


def _rows(kind: str, num_layers: int, directions: tuple[str, ...], readout: bool, targets: bool) -> dict:
    """(kind, layer, direction) -> row index, and the row labels, from the bottom up."""
    names = ("c", "h") if kind_info(kind).has_cell_state else ("h",)
    keys = [("x", None, None), *((name, layer, direction) for layer in range(num_layers) for direction in directions
                                 for name in names)]
    keys += [key for key, present in ((("y", None, None), readout), (("E", None, None), targets)) if present]
    fixed = {"x": "x_t (input)", "y": "ŷ_t (output)", "E": "E_t (loss)"}
    labels = [fixed.get(name) or f"{name} layer {layer + 1} {ARROWS[direction]}" for name, layer, direction in keys]
    return {"index": {key: row for row, key in enumerate(keys)}, "labels": tuple(labels)}


def node_id(kind: str, step: int | None, layer: int | None = None, direction: str | None = None) -> str:
    """The id of a node: "x[3]", "h[0,forward][3]", "y[3]"; without a step, the rolled form's "h[0,forward]"."""
    where = f"[{layer},{direction}]" if layer is not None else ""
    return f"{kind}{where}" + (f"[{step}]" if step is not None else "")


def _subscript(kind: str, step: int | None) -> str:
    """h₃, ŷ₃, E₃; the rolled form's h, ŷ, E."""
    symbol = {"y": "ŷ"}.get(kind, kind)
    return symbol + ("" if step is None else str(step).translate(_SUBSCRIPT))


def _weight_words(layer: Recurrent, readout: nn.Linear | None) -> dict[str, str]:
    """weight_key -> the parameter it stands for, in words with its shape."""
    words = {}
    for index, cell in enumerate(layer.cells):
        number, direction = index // len(layer.directions), layer.directions[index % len(layer.directions)]
        where, key = f"layer {number + 1}, {direction}", f"[{number},{direction}]"
        words[f"U{key}"] = f"U (W_xh) of {where}: weight_ih {tuple(cell.weight_ih.shape)}"
        if layer.kind == "sru":
            skip = "identity" if cell.weight_skip is None else f"weight_skip {tuple(cell.weight_skip.shape)}"
            words[f"W{key}"] = f"W of {where}: v_f, v_r ({cell.hidden_size} each), elementwise on c_(t−1)"
            words[f"highway{key}"] = f"highway x_t -> h_t of {where}: {skip}"
        else:
            words[f"W{key}"] = f"W (W_hh) of {where}: weight_hh {tuple(cell.weight_hh.shape)}"
        if kind_info(layer.kind).has_cell_state:
            words[f"state{key}"] = f"c_t -> h_t of {where} (no weight matrix)"
        if layer.kind == "lstm":
            words[f"cell{key}"] = f"c_(t−1) -> c_t of {where}: f_t ⊙ c_(t−1), no weight matrix"
    if readout is not None:
        words["V"] = f"V (W_hy), the readout: weight {tuple(readout.weight.shape)}"
        words["loss"] = "E_t = −log ŷ_t[y_t] (softmax cross-entropy), no weight"
    return words


def _state_nodes(kind: str, trace: list, layer: int, direction: str, t: int, column: float,
                 rows: dict) -> list[Node]:
    """h_t (and c_t) of one layer and direction at step t, with the gates of a gated cell."""
    part = trace[layer][direction]
    info = kind_info(kind)
    where = f"layer {layer + 1}, {direction}"
    gates = {name: _vector(values[0, t]) for name, values in part.gates.items() if name != "cell"} \
        if info.gated else {}
    nodes = [_node(node_id("h", t, layer, direction), "h", t, _subscript("h", t), f"hidden state h{_subscript('', t)}, "
                   f"{where}", part.hidden_steps[t][0], layer=layer, direction=direction, gates=gates,
                   row=rows[("h", layer, direction)], column=column)]
    if info.has_cell_state:
        nodes.append(_node(node_id("c", t, layer, direction), "c", t, _subscript("c", t),
                           f"cell state c{_subscript('', t)}, {where}", part.gates["cell"][0, t], layer=layer,
                           direction=direction, gates=gates, row=rows[("c", layer, direction)], column=column))
    return nodes


def _nodes(layer: Recurrent, x: Tensor, trace: list, probabilities: Tensor | None, targets: Tensor | None,
           steps: tuple[int, ...], columns: list[float], rows: dict) -> dict[str, Node]:
    """Every node of the drawn steps, with the explicit unroll's values."""
    nodes: list[Node] = []
    for t, column in zip(steps, columns):
        nodes.append(_node(node_id("x", t), "x", t, _subscript("x", t), f"input x{_subscript('', t)}", x[0, t],
                           row=0, column=column))
        for number in range(layer.num_layers):
            for direction in layer.directions:
                nodes += _state_nodes(layer.kind, trace, number, direction, t, column, rows)
        if probabilities is not None:
            nodes.append(_node(node_id("y", t), "y", t, _subscript("y", t), f"output ŷ{_subscript('', t)} "
                               "(softmax probabilities)", probabilities[0, t], row=rows[("y", None, None)],
                               column=column))
        if targets is not None and int(targets[t]) != IGNORE_INDEX:
            loss = -torch.log(probabilities[0, t, int(targets[t])]).reshape(1)
            nodes.append(_node(node_id("E", t), "E", t, _subscript("E", t), f"loss E{_subscript('', t)} = "
                               f"−log ŷ{_subscript('', t)}[{int(targets[t])}]", loss, row=rows[("E", None, None)],
                               column=column))
    return {node.id: node for node in nodes}


def _edge(source: str, target: str, weight: str, key: str, kind: str, step: int | None,
          through: bool = False) -> Edge:
    """One edge, its id from its ends."""
    return Edge(f"{source}->{target}", source, target, weight, key, kind, step, through)


def _step_edges(kind: str, num_layers: int, directions: tuple[str, ...], t: int | None, readout: bool,
                loss: bool) -> list[Edge]:
    """The edges into step t's nodes that do not come from another step."""
    sru, cell_state = kind == "sru", kind_info(kind).has_cell_state
    edges = []
    for layer in range(num_layers):
        sources = [node_id("x", t)] if layer == 0 else [node_id("h", t, layer - 1, d) for d in directions]
        for direction in directions:
            where = f"[{layer},{direction}]"
            h, c = node_id("h", t, layer, direction), node_id("c", t, layer, direction)
            edge_kind = "input" if layer == 0 else "layer"
            for source in sources:
                edges.append(_edge(source, c if sru else h, "U", f"U{where}", edge_kind, t))
                if sru:
                    edges.append(_edge(source, h, "highway", f"highway{where}", "highway", t))
            if cell_state:
                edges.append(_edge(c, h, "state", f"state{where}", "state", t))
    if readout:
        edges += [_edge(node_id("h", t, num_layers - 1, d), node_id("y", t), "V", "V", "output", t)
                  for d in directions]
    if loss:
        edges.append(_edge(node_id("y", t), node_id("E", t), "loss", "loss", "loss", t))
    return edges


def _chains(kind: str) -> list[tuple[str, str, str]]:
    """(node kind, weight, edge kind) of each recurrence chain: h through W; LSTM's c; SRU's c through W."""
    if kind == "sru":
        return [("c", "W", "recurrent")]
    chains = [("h", "W", "recurrent")]
    return chains + [("c", "cell", "cell")] if kind == "lstm" else chains


def _chain_edges(kind: str, num_layers: int, directions: tuple[str, ...], steps: tuple) -> list[Edge]:
    """h_{t-1} -> h_t (backward direction: h_{t+1} -> h_t) between consecutive drawn steps; self-loops if rolled."""
    edges = []
    pairs = list(pairwise(steps)) if steps != (None,) else [(None, None)]
    for layer in range(num_layers):
        for direction in directions:
            for name, weight, edge_kind in _chains(kind):
                key = f"{weight}[{layer},{direction}]"
                for before, after in pairs:
                    source, target = (before, after) if direction == "forward" else (after, before)
                    through = before is not None and after - before > 1
                    edges.append(_edge(node_id(name, source, layer, direction), node_id(name, target, layer, direction),
                                       weight, key, edge_kind, target, through))
    return edges


def build_graph(model: nn.Module, x: Tensor, *, readout: nn.Linear | None = None, targets: Tensor | None = None,
                max_steps: int = DRAWN_STEPS) -> UnrolledGraph:
    """The unrolled graph of `model` on one sequence x (1, T, I): at most `max_steps` steps drawn."""
    layer, readout = split_model(model, readout)
    x = check_sequence(x, layer.input_size)
    steps = x.shape[1]
    targets = check_targets(targets, steps, readout.out_features if readout is not None else None)
    shown, omitted = drawn_steps(steps, max_steps)
    columns = [float(index + (1 if omitted and t > omitted[1] else 0)) for index, t in enumerate(shown)]
    layout = _rows(layer.kind, layer.num_layers, layer.directions, readout is not None, targets is not None)
    trace, probabilities = _run(layer, readout, x)
    nodes = _nodes(layer, x, trace, probabilities, targets, shown, columns, layout["index"])
    edges = _chain_edges(layer.kind, layer.num_layers, layer.directions, shown)
    for t in shown:
        loss = node_id("E", t) in nodes
        edges += _step_edges(layer.kind, layer.num_layers, layer.directions, t, readout is not None, loss)
    note = ""
    if omitted:
        note = (f"showing {len(shown)} of {steps:,} steps: steps {omitted[0]:,}–{omitted[1]:,} "
                f"({omitted[1] - omitted[0] + 1:,} steps) are hidden behind the ellipsis")
    return UnrolledGraph(layer.kind, layer.num_layers, tuple(layer.directions), steps, shown, omitted, nodes,
                         tuple(edges), _weight_words(layer, readout), layout["labels"], note=note)


def rolled_graph(graph: UnrolledGraph, step: int | None = None) -> UnrolledGraph:
    """The rolled form: one x, h (c), ŷ, E per layer and direction, loops for the recurrence; values at `step`."""
    at = graph.drawn_steps[-1] if step is None else _check_step(graph, step)
    nodes = {}
    for node in graph.nodes.values():
        if node.step == at or (node.kind == "E" and node_id("E", at) not in graph.nodes):
            same = node.step == at  # a step without a loss still shows E, without numbers
            rolled = replace(node, id=node_id(node.kind, None, node.layer, node.direction), step=None,
                             label=_subscript(node.kind, None), column=0.0, value=node.value if same else None,
                             description=node.description.replace(_subscript("", node.step), "_t"),
                             norm=node.norm if same else None, gates=node.gates if same else {})
            nodes.setdefault(rolled.id, rolled)
    ordered = {key: nodes[key] for key in sorted(nodes, key=lambda key: nodes[key].row)}
    has_readout = any(node.kind == "y" for node in ordered.values())
    has_loss = any(node.kind == "E" for node in ordered.values())
    edges = _chain_edges(graph.kind, graph.num_layers, graph.directions, (None,))
    edges += _step_edges(graph.kind, graph.num_layers, graph.directions, None, has_readout, has_loss)
    return UnrolledGraph(graph.kind, graph.num_layers, graph.directions, graph.steps, (at,), None, ordered,
                         tuple(edges), graph.weights, graph.rows, rolled=True,
                         note=f"the same cell at every step; the numbers are those of step {at}")


def _check_step(graph: UnrolledGraph, step: object) -> int:
    """`step` as an int if the graph draws it; a ValueError saying which steps it draws otherwise."""
    step = require_int("step", step, minimum=0, maximum=graph.steps - 1, why=f"the sequence has {graph.steps} steps")
    if step not in graph.drawn_steps:
        raise ValueError(f"step {step} is hidden behind the ellipsis; the drawing shows steps "
                         f"{graph.drawn_steps[0]}–{graph.omitted[0] - 1} and {graph.omitted[1] + 1}–{graph.steps - 1}")
    return step


def step_view(graph: UnrolledGraph, step: int) -> StepView:
    """The nodes step `step` writes, the nodes it reads, and the edges it uses."""
    if graph.rolled:
        raise ValueError("step_view needs the unrolled graph (build_graph), not the rolled form")
    step = _check_step(graph, step)
    written = [node.id for node in graph.nodes.values() if node.step == step and node.kind != "x"]
    targets = set(written)
    edges = [edge for edge in graph.edges if edge.target in targets]
    read = list(dict.fromkeys(edge.source for edge in edges if edge.source not in targets))
    return StepView(step, tuple(written), tuple(read), tuple(edge.id for edge in edges))
