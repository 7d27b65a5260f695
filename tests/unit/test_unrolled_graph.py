"""The unrolled graph: counts by formula, values of the explicit unroll, shared weights, steps, bad input."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from rnnviz.core.kinds import KINDS, kind_info
from rnnviz.core.recurrent import Recurrent
from rnnviz.data.tasks import IGNORE_INDEX
from rnnviz.training.tasks import SequenceModel
from rnnviz.unrolled import build_graph, rolled_graph, step_view

SHAPES = list(itertools.product(KINDS, (1, 2), (False, True)))


def model_and_data(kind: str, layers: int, bidirectional: bool, steps: int = 5, seed: int = 0):
    """A small SequenceModel, one sequence, and targets with one step left without a loss."""
    torch.manual_seed(seed)
    model = SequenceModel(kind, 3, 4, 5, num_layers=layers, bidirectional=bidirectional)
    x = torch.randn(1, steps, 3)
    targets = torch.randint(0, 5, (steps,))
    targets[1] = IGNORE_INDEX
    return model, x, targets


def expected_counts(kind: str, layers: int, directions: int, drawn: int, losses: int) -> tuple[int, int]:
    """The docstring's formulas for nodes and edges, with a readout."""
    cell = int(kind_info(kind).has_cell_state)
    highway = int(kind == "sru")
    chains = 2 if kind == "lstm" else 1
    nodes = drawn * (1 + layers * directions * (1 + cell) + 1) + losses
    edges = ((1 + highway) * drawn * directions * (1 + (layers - 1) * directions)
             + layers * directions * ((drawn - 1) * chains + drawn * cell) + drawn * directions + losses)
    return nodes, edges


@pytest.mark.parametrize("steps", [5, 20])
@pytest.mark.parametrize("kind, layers, bidirectional", SHAPES)
def test_node_and_edge_counts_follow_the_formula(kind, layers, bidirectional, steps):
    model, x, targets = model_and_data(kind, layers, bidirectional, steps)
    graph = build_graph(model, x, targets=targets)
    drawn = min(steps, 12)
    losses = sum(1 for t in graph.drawn_steps if int(targets[t]) != IGNORE_INDEX)
    assert (len(graph.nodes), len(graph.edges)) == expected_counts(kind, layers, 1 + bidirectional, drawn, losses)
    assert len({edge.id for edge in graph.edges}) == len(graph.edges)
    assert all(edge.source in graph.nodes and edge.target in graph.nodes for edge in graph.edges)
    rolled = rolled_graph(graph)
    rolled_nodes, rolled_edges = expected_counts(kind, layers, 1 + bidirectional, 1, 1)
    chains = (2 if kind == "lstm" else 1) * layers * (1 + bidirectional)
    assert (len(rolled.nodes), len(rolled.edges)) == (rolled_nodes, rolled_edges + chains)  # + one self-loop each
    assert sum(edge.source == edge.target for edge in rolled.edges) == chains


@pytest.mark.parametrize("kind, layers, bidirectional", SHAPES)
def test_every_node_holds_the_value_of_the_explicit_unroll(kind, layers, bidirectional):
    model, x, targets = model_and_data(kind, layers, bidirectional)
    graph = build_graph(model, x, targets=targets)
    with torch.no_grad():
        result = model.recurrent(x, trace=True)
        probabilities = torch.softmax(model.head(result.output), dim=-1)[0]
    for node in graph.nodes.values():
        t = node.step
        if node.kind == "x":
            expected = x[0, t]
        elif node.kind == "h":
            expected = result.trace[node.layer][node.direction].hidden_steps[t][0]
        elif node.kind == "c":
            expected = result.trace[node.layer][node.direction].gates["cell"][0, t]
        elif node.kind == "y":
            expected = probabilities[t]
        else:
            expected = -torch.log(probabilities[t, targets[t]]).reshape(1)
        np.testing.assert_allclose(node.value, expected.double().numpy(), rtol=0, atol=1e-7)
        assert node.norm == pytest.approx(float(np.linalg.norm(node.value)))
    gated = kind_info(kind).gated
    assert all(bool(node.gates) == gated for node in graph.nodes_of("h"))


@pytest.mark.parametrize("kind", KINDS)
def test_edges_name_the_shared_weight_they_use(kind):
    model, x, targets = model_and_data(kind, 2, True)
    graph = build_graph(model, x, targets=targets)
    recurrent = graph.edges_using("W")
    state = "c" if kind == "sru" else "h"
    assert len(recurrent) == 2 * 2 * (len(graph.drawn_steps) - 1)
    for edge in recurrent:
        source, target = graph.nodes[edge.source], graph.nodes[edge.target]
        assert source.kind == target.kind == state and (source.layer, source.direction) == (target.layer,
                                                                                             target.direction)
        assert source.step - target.step == (-1 if target.direction == "forward" else 1)
        assert edge.weight_key == f"W[{target.layer},{target.direction}]"
    one = graph.edges_using("W[1,backward]")
    assert one and set(one) < set(recurrent)
    assert {edge.kind for edge in graph.edges_using("U")} == {"input", "layer"}
    assert {edge.kind for edge in graph.edges_using("V")} == {"output"}
    assert all(graph.nodes[edge.target].layer == 1 for edge in graph.edges_using("U") if edge.kind == "layer")
    assert set(graph.weights) == {edge.weight_key for edge in graph.edges}


def test_works_with_a_recurrent_layer_alone_or_with_a_readout():
    torch.manual_seed(1)
    layer = Recurrent("gru", 3, 4)
    x = torch.randn(1, 6, 3)
    bare = build_graph(layer, x)
    assert {node.kind for node in bare.nodes.values()} == {"x", "h"}
    assert not bare.edges_using("V")
    with_readout = build_graph(layer, x, readout=torch.nn.Linear(4, 2))
    assert len(with_readout.nodes_of("y")) == 6 and not with_readout.nodes_of("E")


def test_a_long_sequence_keeps_the_first_and_last_steps_and_says_which_are_hidden():
    torch.manual_seed(2)
    model = SequenceModel("rnn", 2, 2, 2)
    graph = build_graph(model, torch.randn(1, 10_000, 2), targets=torch.zeros(10_000, dtype=torch.long))
    assert graph.drawn_steps == (0, 1, 2, 3, 4, 5, 9994, 9995, 9996, 9997, 9998, 9999)
    assert graph.omitted == (6, 9993)
    assert "9,988 steps" in graph.note and "6–9,993" in graph.note
    through = [edge for edge in graph.edges if edge.through_ellipsis]
    assert [(graph.nodes[edge.source].step, graph.nodes[edge.target].step) for edge in through] == [(5, 9994)]
    assert graph.nodes["h[0,forward][9994]"].column == 7.0  # one column left free for the ellipsis
    with pytest.raises(ValueError, match="hidden behind the ellipsis"):
        step_view(graph, 100)


def test_step_view_lists_what_a_step_reads_and_writes():
    model, x, targets = model_and_data("lstm", 1, True)
    graph = build_graph(model, x, targets=targets)
    view = step_view(graph, 2)
    assert set(view.written) == {"h[0,forward][2]", "c[0,forward][2]", "h[0,backward][2]", "c[0,backward][2]",
                                 "y[2]", "E[2]"}
    assert set(view.read) == {"x[2]", "h[0,forward][1]", "c[0,forward][1]", "h[0,backward][3]", "c[0,backward][3]"}
    assert all(graph.nodes[edge.split("->")[1]].step == 2 for edge in view.edges)
    assert "E[1]" not in step_view(graph, 1).written  # step 1 has no target


def test_rolled_form_carries_the_values_of_the_chosen_step():
    model, x, targets = model_and_data("rnn", 1, False)
    graph = build_graph(model, x, targets=targets)
    rolled = rolled_graph(graph, step=3)
    assert rolled.rolled and set(rolled.nodes) == {"x", "h[0,forward]", "y", "E"}
    np.testing.assert_array_equal(rolled.nodes["h[0,forward]"].value, graph.nodes["h[0,forward][3]"].value)
    assert rolled_graph(graph, step=1).nodes["E"].value is None  # no loss at step 1
    assert [edge.id for edge in rolled.edges_using("W")] == ["h[0,forward]->h[0,forward]"]
    with pytest.raises(ValueError, match="unrolled graph"):
        step_view(rolled, 0)


def test_building_the_graph_leaves_the_model_untouched():
    model, x, targets = model_and_data("lstm", 2, False)
    before = {name: value.clone() for name, value in model.state_dict().items()}
    build_graph(model, x, targets=targets)
    assert all(torch.equal(before[name], value) for name, value in model.state_dict().items())
    assert all(parameter.grad is None for parameter in model.parameters())


@pytest.mark.parametrize("call, message", [
    (lambda m: build_graph(m, torch.zeros(1, 0, 3)), "no time steps"),
    (lambda m: build_graph(m, torch.zeros(1, 10_001, 3)), "at most 10,000"),
    (lambda m: build_graph(m, torch.tensor([[[0.0, 1.0, 2.0], [float("nan"), 0.0, 0.0]]])), r"NaN .* step\(s\) 1"),
    (lambda m: build_graph(m, torch.zeros(2, 4, 3)), r"one sequence: pass x\[:1\]"),
    (lambda m: build_graph(m, torch.zeros(1, 4, 7)), r"shape \(any, any, 3\)"),
    (lambda m: build_graph(m, torch.zeros(1, 4, 3), targets=torch.tensor([0, 1, 9, 0])), "class indices in 0..4"),
    (lambda m: build_graph(m, torch.zeros(1, 4, 3), targets=torch.zeros(3, dtype=torch.long)), "one class index"),
    (lambda m: build_graph(m, torch.zeros(1, 4, 3), targets=torch.full((4,), -100)), "at least one step"),
    (lambda m: build_graph(m.recurrent, torch.zeros(1, 4, 3), targets=torch.zeros(4, dtype=torch.long)),
     "targets need a readout"),
    (lambda m: build_graph(m.recurrent, torch.zeros(1, 4, 3), readout=torch.nn.Linear(5, 2)), "Linear"),
    (lambda m: build_graph(m, torch.zeros(1, 4, 3), max_steps=1), "max_steps"),
    (lambda m: build_graph(torch.nn.LSTM(3, 4), torch.zeros(1, 4, 3)), "Recurrent or SequenceModel"),
])
def test_bad_input_raises_a_value_error_that_says_what_to_do(call, message):
    model = SequenceModel("gru", 3, 4, 5)
    with pytest.raises(ValueError, match=message):
        call(model)


def test_hidden_size_zero_is_refused_when_the_model_is_built():
    with pytest.raises(ValueError, match="hidden_size must be an integer >= 1"):
        SequenceModel("lstm", 3, 0, 5)
