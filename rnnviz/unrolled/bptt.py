"""Backpropagation through time in numbers, for one sequence, in float64.

    terms = path_terms(model, x, y)            # ∂E_t/∂W split by the step k the gradient enters
    terms.terms["W"].norms                     # (N loss steps, T): ‖term (t, k)‖, zero for k > t
    readout_gradient(model, x, y)              # ∂E_t/∂V = (ŷ_t − y_t) ⊗ s_t, against autograd
    term_decay(terms)                          # the terms' decay with t − k against (γ·σ_max)^(t−k)
    truncated_bptt(model, x, y, k1=4, k2=4)    # what truncation zeroes, cuts and costs

E_t = −log ŷ_t[y_t] with ŷ_t = softmax(V s_t + b) (targets IGNORE_INDEX = −100 have no loss),
E = Σ_t E_t. The term (t, k) of ∂E_t/∂W is computed exactly by giving step k its own copy W_k of
the shared weights (on a private float64 copy of the model: the model itself is never touched):
∂E_t/∂W = Σ_k ∂E_t/∂W_k and ∂E_t/∂W_k is the slide's ∂E_t/∂ŷ_t · ∂ŷ_t/∂s_t · ∂s_t/∂s_k · ∂s_k/∂W.
One forward pass and one batched backward pass (`is_grads_batched`) give every (t, k).

Which parameters are "W" (the recurrent weights, the ones the loop multiplies by) and "U" (the input
weights W_xh), per kind: RNN, LSTM, GRU: W = weight_hh, U = weight_ih; SRU: W = v_forget, v_reset
(its elementwise recurrence, `Cell.recurrent_weight()` = diag(v_f), diag(v_r)), U = weight_ih.
Biases and SRU's highway projection count in neither.
"""

from __future__ import annotations

import copy
import statistics
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn import functional

from rnnviz.core.cells import Cell
from rnnviz.core.kinds import kind_info
from rnnviz.core.recurrent import check_tbptt, recurrence_node, unroll
from rnnviz.core.validation import require_choice, require_int
from rnnviz.data.tasks import IGNORE_INDEX
from rnnviz.probes.gradients import gradient_bound, singular_values
from rnnviz.unrolled.graph import UnrolledGraph, check_sequence, check_targets, split_model

MAX_BPTT_STEPS = 200  # T x T terms: longer sequences take too long to be a live demo
CHUNK_BYTES = 64 * 2**20  # memory for one batched backward pass; more loss steps run in several
WEIGHTS = ("W", "U")
Window = tuple[int, int, int]  # (first step in the graph, first output, end), as Recurrent(tbptt=...) runs it


def parameter_names(kind: str, weight: str) -> tuple[str, ...]:
    """The cell parameters that make up the weight "W" (recurrent) or "U" (input) of a kind."""
    kind_info(kind)
    require_choice("weight", weight, WEIGHTS)
    if weight == "U":
        return ("weight_ih",)
    return ("v_forget", "v_reset") if kind == "sru" else ("weight_hh",)


@dataclass(frozen=True)
class PathTerms:
    """The terms of ∂E_t/∂(one weight) by the step k where the gradient enters."""

    weight: str  # "W" | "U"
    parameters: tuple[str, ...]  # the cell's parameter names it stands for
    norms: np.ndarray  # (N, T): ‖∂E_t/∂W_k‖ (Frobenius, all its parameters together); row i is loss step t_i
    row_sums: dict[str, Tensor]  # parameter -> (N, *shape): ∂E_t/∂W = Σ_k term (t, k)
    total: dict[str, Tensor]  # parameter -> shape: ∂E/∂W = Σ_t ∂E_t/∂W


@dataclass(frozen=True)
class BPTTTerms:
    """Every per-path term of one layer and direction on one sequence."""

    kind: str
    num_layers: int
    layer: int
    direction: str
    steps: int  # T
    loss_steps: np.ndarray  # (N,) the steps t with a loss, ascending
    losses: np.ndarray  # (N,) E_t
    terms: dict[str, PathTerms]  # "W", "U"
    windows: tuple[Window, ...]  # ((0, 0, T),) for full BPTT
    previous_state_norms: np.ndarray  # (T,) ‖s_{k−1}‖ (backward direction ‖s_{k+1}‖): what W_k multiplies
    sigma_max: float  # largest singular value of the cell's recurrent_weight()
    gamma: float  # max |φ'| of the vanilla RNN's activation (1 for tanh and ReLU)


@dataclass(frozen=True)
class ReadoutGradient:
    """∂E_t/∂V from the slide's formula and from autograd, per loss step."""

    loss_steps: np.ndarray  # (N,)
    formula: Tensor  # (N, C, S): (ŷ_t − y_t) ⊗ s_t
    autograd: Tensor  # (N, C, S)
    max_difference: float


@dataclass(frozen=True)
class TermDecay:
    """How the terms shrink (or grow) with the distance t − k, against the bound (γ·σ_max)^(t−k)."""

    distance: np.ndarray  # (T,) 0, 1, ..., T−1 steps back
    relative: np.ndarray  # (T,) geometric mean over loss steps of n(t, t−d) / n(t, t); NaN where none
    low: np.ndarray  # (T,) smallest ratio at each distance
    high: np.ndarray  # (T,) largest ratio
    bound: np.ndarray  # (T,) (γ·σ_max)^d
    sigma_max: float
    gamma: float
    proven: bool  # the ratios provably stay under the bound (one-layer vanilla RNN)
    note: str


def tbptt_windows(steps: int, tbptt: tuple[int, int] | None) -> tuple[Window, ...]:
    """The windows Recurrent(tbptt=(k1, k2)) runs: k1 outputs each, aligned at the end, k2 steps of graph."""
    steps = require_int("T", steps, minimum=1)
    tbptt = check_tbptt(tbptt)
    if tbptt is None:
        return ((0, 0, steps),)
    k1, k2 = tbptt
    return tuple((max(0, end - k2), max(0, end - k1), end) for end in list(range(steps, 0, -k1))[::-1])


def _private(module: nn.Module) -> nn.Module:
    """A shallow float64 copy of a module without submodules: its own parameter dict, nothing shared is written."""
    clone = copy.copy(module)
    clone.__dict__["_parameters"] = {name: None if value is None else value.detach().to(torch.float64)
                                     for name, value in module._parameters.items()}
    return clone


@dataclass
class _Network:
    """Private float64 cells and readout of a model, and the layout they run in."""

    kind: str
    num_layers: int
    directions: tuple[str, ...]
    cells: list[Cell]
    readout: nn.Linear


def _inputs(model: nn.Module, x: Tensor, targets: Tensor, readout: nn.Linear | None) -> tuple:
    """(private float64 network, x (1, T, I) float64, targets (T,)), checked."""
    layer, readout = split_model(model, readout)
    if readout is None:
        raise ValueError("BPTT needs a readout ŷ_t = softmax(V s_t): pass readout=Linear(...) or a SequenceModel")
    x = check_sequence(x, layer.input_size)
    if x.shape[1] > MAX_BPTT_STEPS:
        raise ValueError(f"BPTT terms make a T × T table: use at most {MAX_BPTT_STEPS} steps, got {x.shape[1]:,}")
    targets = check_targets(targets, x.shape[1], readout.out_features)
    network = _Network(layer.kind, layer.num_layers, tuple(layer.directions),
                       [_private(cell) for cell in layer.cells], _private(readout))
    return network, x.detach().to(torch.float64), targets


def _copied_unroll(cell: Cell, x: Tensor, state: object, reverse: bool, copies: dict[str, Sequence[Tensor]],
                   offset: int) -> list:
    """`unroll`, with step t using the copies [offset + t] of the copied parameters."""
    steps = [None] * x.shape[1]
    for t in range(x.shape[1] - 1, -1, -1) if reverse else range(x.shape[1]):
        for name, tensors in copies.items():
            cell.__dict__[name] = tensors[offset + t]  # shadows the private copy's parameter
        step = cell.step_projected(cell.project_input(x[:, t]), x[:, t], state)
        steps[t], state = step, step.state
    return steps


def _run_window(network: _Network, x: Tensor, states: list, chosen: int, copies: dict[str, Sequence[Tensor]],
                window: Window) -> tuple[Tensor, list[list]]:
    """(the readout's logits (steps of the window, C), every cell's steps), each cell run from `states`."""
    begin, _, end = window
    layer_input, every = x[:, begin:end], []
    for number in range(network.num_layers):
        outputs = []
        for position, direction in enumerate(network.directions):
            index = number * len(network.directions) + position
            cell, reverse = network.cells[index], direction == "backward"
            if index == chosen:
                steps = _copied_unroll(cell, layer_input, states[index], reverse, copies, begin)
            else:
                steps, _ = unroll(cell, layer_input, states[index], reverse)
            every.append(steps)
            outputs.append(torch.stack([step.h for step in steps], dim=1))  # (1, Tw, H)
        layer_input = torch.cat(outputs, dim=2)
    return network.readout(layer_input)[0], every  # (Tw, C)


def _losses(network: _Network, x: Tensor, targets: Tensor, full: list[list] | None, chosen: int,
            copies: dict[str, Sequence[Tensor]], windows: Sequence[Window]) -> tuple[Tensor, list[int], list[list]]:
    """(E_t (N,) of every step with a target, each from its window; those steps; every cell's steps, last window).

    `full` (every cell's steps of a no-grad full pass) gives the detached state each later window starts from.
    """
    losses, loss_steps, every = [], [], []
    for window in windows:
        begin, first, end = window
        states = [cell.initial_state(1, x) if begin == 0 else _detached(full[index][begin - 1].state)
                  for index, cell in enumerate(network.cells)]
        logits, every = _run_window(network, x, states, chosen, copies, window)
        steps = [t for t in range(first, end) if int(targets[t]) != IGNORE_INDEX]
        if steps:
            rows = torch.tensor(steps) - begin
            losses.append(functional.cross_entropy(logits[rows], targets[steps], reduction="none"))
            loss_steps += steps
    return torch.cat(losses), loss_steps, every


def _detached(state: object) -> object:
    """A state cut from the graph (a window's start under truncated BPTT)."""
    return tuple(part.detach() for part in state) if isinstance(state, tuple) else state.detach()


def _batched_terms(losses: Tensor, stacked: dict[str, dict[str, Tensor]]) -> dict[str, PathTerms]:
    """Every ∂E_t/∂W_k from batched backward passes (one per chunk of loss steps), summed and normed."""
    names = [(weight, name) for weight, named in stacked.items() for name in named]
    leaves = [stacked[weight][name] for weight, name in names]  # each (T, *shape)
    count = losses.shape[0]
    chunk = max(1, min(count, CHUNK_BYTES // (8 * sum(leaf.numel() for leaf in leaves))))
    squares = {weight: [] for weight in stacked}
    sums = {weight: {name: [] for name in named} for weight, named in stacked.items()}
    for start in range(0, count, chunk):
        rows = torch.arange(start, min(start + chunk, count))
        selectors = torch.zeros(len(rows), count, dtype=losses.dtype)
        selectors[torch.arange(len(rows)), rows] = 1.0
        grads = torch.autograd.grad(losses, leaves, selectors, retain_graph=start + chunk < count,
                                    is_grads_batched=True, allow_unused=True, materialize_grads=True)
        chunk_squares = {weight: 0.0 for weight in stacked}
        for (weight, name), grad in zip(names, grads):  # grad: (rows, T, *shape)
            chunk_squares[weight] = chunk_squares[weight] + torch.linalg.vector_norm(grad.flatten(2), dim=2).square()
            sums[weight][name].append(grad.sum(dim=1))
        for weight in stacked:
            squares[weight].append(chunk_squares[weight])
    result = {}
    for weight, named in stacked.items():
        row_sums = {name: torch.cat(sums[weight][name]).detach() for name in named}
        result[weight] = PathTerms(weight, tuple(named), torch.cat(squares[weight]).sqrt().detach().numpy(),
                                   row_sums, {name: value.sum(dim=0) for name, value in row_sums.items()})
    return result


def _chosen(network: _Network, number: object, direction: object) -> int:
    """The index in the cell list of one layer and direction, checked."""
    number = require_int("layer", number, minimum=0, maximum=network.num_layers - 1,
                         why=f"the model has {network.num_layers} layer(s), counted from 0")
    direction = require_choice("direction", direction, network.directions)
    return number * len(network.directions) + network.directions.index(direction)


def _previous_norms(cell: Cell, steps: list, direction: str) -> np.ndarray:
    """‖s_{k−1}‖ (backward direction ‖s_{k+1}‖) for each step k: what W_k multiplies; 0 at the sequence's edge."""
    norms = torch.stack([recurrence_node(cell, step).detach()[0] for step in steps]).norm(dim=1).numpy()  # (T,)
    return np.concatenate([[0.0], norms[:-1]]) if direction == "forward" else np.concatenate([norms[1:], [0.0]])


def _stacked_copies(cell: Cell, kind: str, weights: Sequence[str], steps: int) -> dict[str, dict[str, Tensor]]:
    """weight -> parameter -> its T per-step copies stacked (T, *shape), leaves of the graph."""
    chosen = dict.fromkeys(require_choice("weight", name, WEIGHTS) for name in weights)
    return {weight: {name: getattr(cell, name).detach().expand(steps, *getattr(cell, name).shape).clone()
                     .requires_grad_(True) for name in parameter_names(kind, weight)} for weight in chosen}


def path_terms(model: nn.Module, x: Tensor, targets: Tensor, *, readout: nn.Linear | None = None, layer: int = 0,
               direction: str = "forward", weights: Sequence[str] = WEIGHTS,
               tbptt: tuple[int, int] | None = None) -> BPTTTerms:
    """The term (t, k) of ∂E_t/∂W (and U) of one layer and direction for every loss step t and step k."""
    network, x, targets = _inputs(model, x, targets, readout)
    chosen, steps = _chosen(network, layer, direction), x.shape[1]
    windows = tbptt_windows(steps, tbptt)
    if tbptt is not None and len(network.directions) == 2:
        raise ValueError("truncated BPTT needs a unidirectional network (the backward direction reads the future)")
    cell = network.cells[chosen]
    stacked = _stacked_copies(cell, network.kind, weights, steps)
    copies = {name: tensor.unbind(0) for named in stacked.values() for name, tensor in named.items()}
    full = None
    if tbptt is not None:  # the states each window starts from, without a graph
        with torch.no_grad():
            start = [each.initial_state(1, x) for each in network.cells]
            full = _run_window(network, x, start, chosen, copies, (0, 0, steps))[1]
    with torch.enable_grad():
        losses, loss_steps, every = _losses(network, x, targets, full, chosen, copies, windows)
        terms = _batched_terms(losses, stacked)
    return BPTTTerms(network.kind, network.num_layers, chosen // len(network.directions), direction, steps,
                     np.array(loss_steps), losses.detach().numpy(), terms, windows,
                     _previous_norms(cell, (full or every)[chosen], direction),
                     float(singular_values(cell.recurrent_weight())[0]), 1.0)


def readout_gradient(model: nn.Module, x: Tensor, targets: Tensor, *,
                     readout: nn.Linear | None = None) -> ReadoutGradient:
    """∂E_t/∂V = (ŷ_t − y_t) ⊗ s_t from the slide's formula and from autograd, for every loss step."""
    network, x, targets = _inputs(model, x, targets, readout)
    states = [cell.initial_state(1, x) for cell in network.cells]
    with torch.no_grad():
        _, every = _run_window(network, x, states, -1, {}, (0, 0, x.shape[1]))
    last = every[-len(network.directions):]
    s = torch.cat([torch.stack([step.h[0] for step in steps]) for steps in last], dim=1)  # (T, S)
    loss_steps = torch.nonzero(targets != IGNORE_INDEX).flatten()
    weight = network.readout.weight.detach().clone().requires_grad_(True)  # V (C, S)
    with torch.enable_grad():
        logits = functional.linear(s[loss_steps], weight, network.readout.bias)  # (N, C)
        losses = functional.cross_entropy(logits, targets[loss_steps], reduction="none")
        (automatic,) = torch.autograd.grad(losses, weight, torch.eye(len(loss_steps), dtype=torch.float64),
                                           is_grads_batched=True)
    error = torch.softmax(logits.detach(), dim=1) - functional.one_hot(targets[loss_steps], weight.shape[0])
    formula = error[:, :, None] * s[loss_steps][:, None, :]  # (N, C, S): (ŷ_t − y_t) ⊗ s_t
    return ReadoutGradient(loss_steps.numpy(), formula, automatic.detach(),
                           float((formula - automatic).abs().max()))


def term_decay(terms: BPTTTerms, weight: str = "W") -> TermDecay:
    """The ratio n(t, t−d) / n(t, t) by distance d, n = ‖term‖ / ‖s_{k−1}‖, against (γ·σ_max)^d.

    n(t, k) = ‖∂E_t/∂W_k‖ / ‖s_{k−1}‖ is the gradient reaching step k's pre-activation (exactly, since
    ∂E_t/∂W_k is an outer product with s_{k−1} for weight_hh). It shrinks by at most γ·σ_max(W) per step in a
    one-layer vanilla RNN (`proven`); for gated cells and deeper stacks the line is a reference.
    """
    if weight not in terms.terms:
        raise ValueError(f"no terms for {weight!r}: computed {', '.join(terms.terms)}")
    previous = terms.previous_state_norms
    with np.errstate(divide="ignore", invalid="ignore"):
        normalized = np.where(previous > 0, terms.terms[weight].norms / previous, np.nan)  # (N, T)
    sign = 1 if terms.direction == "forward" else -1
    ratios = np.full((len(terms.loss_steps), terms.steps), np.nan)
    for row, t in enumerate(terms.loss_steps):
        for distance in range(terms.steps):
            k = t - sign * distance
            if 0 <= k < terms.steps and normalized[row, t] > 0:
                ratios[row, distance] = normalized[row, k] / normalized[row, t]
    usable = np.where(ratios > 0, ratios, np.nan)
    with warnings.catch_warnings():  # distances no loss step reaches give NaN, as meant
        warnings.simplefilter("ignore", RuntimeWarning)
        relative = np.exp(np.nanmean(np.log(usable), axis=0))
        low, high = np.nanmin(usable, axis=0), np.nanmax(usable, axis=0)
    proven = terms.kind in ("rnn", "rnn-relu") and terms.num_layers == 1 and weight == "W"
    note = ("a one-layer vanilla RNN: every ratio stays under the bound" if proven else
            "the bound is the vanilla RNN's; gates, the cell path c_t and other layers change the Jacobian, "
            "so here the line is a reference, not a bound")
    bound = gradient_bound(terms.sigma_max, terms.gamma, terms.steps)[::-1].copy()
    return TermDecay(np.arange(terms.steps), relative, low, high, bound, terms.sigma_max, terms.gamma, proven, note)


@dataclass(frozen=True)
class Truncation:
    """Truncated against full BPTT on one sequence: zeroed terms, cut edges, error and cost."""

    k1: int
    k2: int
    windows: tuple[Window, ...]
    full: BPTTTerms
    truncated: BPTTTerms  # the same terms, exactly 0 for k < the window start of loss step t
    relative_error: dict[str, float]  # weight -> ‖g_trunc − g_full‖ / ‖g_full‖ of ∂E/∂(weight)
    seconds_full: float  # one ordinary backward pass of the whole sequence (median)
    seconds_truncated: float  # the same with Recurrent(..., tbptt=(k1, k2))
    cut_edges: tuple[str, ...]  # edges of the graph given where some loss's gradient stops


def truncation_cuts(graph: UnrolledGraph, k1: int, k2: int) -> tuple[str, ...]:
    """The recurrent edges into the first step of each truncation window (after step 0): where gradients stop."""
    if graph.rolled:
        raise ValueError("truncation_cuts needs the unrolled graph (build_graph), not the rolled form")
    if len(graph.directions) == 2:
        raise ValueError("truncated BPTT needs a unidirectional network (the backward direction reads the future)")
    starts = {begin for begin, _, _ in tbptt_windows(graph.steps, (k1, k2)) if begin > 0}
    cuts = []
    for edge in graph.edges:
        if edge.kind in ("recurrent", "cell"):
            before, after = graph.nodes[edge.source].step, graph.nodes[edge.target].step
            if any(before < start <= after for start in starts):
                cuts.append(edge.id)
    return tuple(cuts)


def _backward_seconds(model: nn.Module, x: Tensor, targets: Tensor, readout: nn.Linear | None,
                      tbptt: tuple[int, int] | None, repeats: int) -> float:
    """Median seconds of one ordinary backward pass of Σ_t E_t (the layer's own forward, float64 copy)."""
    layer, head = split_model(model, readout)
    with torch.no_grad():
        layer, head = copy.deepcopy(layer).double(), copy.deepcopy(head).double()
    parameters = [*layer.parameters(), *head.parameters()]
    samples = []
    for _ in range(repeats):
        with torch.enable_grad():
            logits = head(layer(x, tbptt=tbptt).output)[0]
            loss = functional.cross_entropy(logits, targets, ignore_index=IGNORE_INDEX, reduction="sum")
            start = time.perf_counter()
            torch.autograd.grad(loss, parameters, allow_unused=True)
            samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def truncated_bptt(model: nn.Module, x: Tensor, targets: Tensor, k1: int, k2: int, *,
                   readout: nn.Linear | None = None, layer: int = 0, weights: Sequence[str] = WEIGHTS,
                   graph: UnrolledGraph | None = None, repeats: int = 5) -> Truncation:
    """Truncated BPTT with `Recurrent(..., tbptt=(k1, k2))`'s windows against full BPTT, term by term."""
    k1, k2 = check_tbptt((k1, k2))
    repeats = require_int("repeats", repeats, minimum=1, maximum=100)
    full = path_terms(model, x, targets, readout=readout, layer=layer, weights=weights)
    truncated = path_terms(model, x, targets, readout=readout, layer=layer, weights=weights, tbptt=(k1, k2))
    errors = {}
    for weight, terms in full.terms.items():
        difference = sum(float((truncated.terms[weight].total[name] - total).pow(2).sum())
                         for name, total in terms.total.items())
        size = sum(float(total.pow(2).sum()) for total in terms.total.values())
        errors[weight] = float(np.sqrt(difference / size)) if size > 0 else 0.0
    x64, flat = x.detach().to(torch.float64), targets.reshape(-1).long()  # checked by path_terms
    seconds = [_backward_seconds(model, x64, flat, readout, tbptt, repeats) for tbptt in (None, (k1, k2))]
    cuts = truncation_cuts(graph, k1, k2) if graph is not None else ()
    return Truncation(k1, k2, truncated.windows, full, truncated, errors, seconds[0], seconds[1], cuts)
