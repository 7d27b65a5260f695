"""Figures of the unrolled graph: traces, highlighted weights, hover numbers, steps, heatmap, decay, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rnnviz.core.kinds import KINDS
from rnnviz.plots.base import FONT_SIZE
from rnnviz.plots.unrolled import decay_figure, graph_figure, node_hover, rolled_figure, term_heatmap
from rnnviz.training.tasks import SequenceModel
from rnnviz.unrolled import build_graph, path_terms, rolled_graph, step_view, term_decay, truncation_cuts


def graph_of(kind: str = "lstm", layers: int = 1, bidirectional: bool = False, steps: int = 6):
    """The graph of a small model on one sequence, with targets."""
    torch.manual_seed(0)
    model = SequenceModel(kind, 3, 4, 5, num_layers=layers, bidirectional=bidirectional)
    return build_graph(model, torch.randn(1, steps, 3), targets=torch.randint(0, 5, (steps,)))


def edge_ids(trace) -> set[str]:
    """The edge ids a line trace draws (every point carries its edge's id)."""
    return {value for value in trace.customdata if value is not None}


def traces_named(figure, start: str) -> list:
    """The traces whose name begins with `start`."""
    return [trace for trace in figure.data if (trace.name or "").startswith(start)]


LABEL_TRACES = ("weight labels", "highlighted labels")


def is_node_trace(trace) -> bool:
    """The traces that draw nodes (their customdata are node ids)."""
    return trace.mode == "markers+text" and trace.name != "hidden steps" and trace.name not in LABEL_TRACES


@pytest.mark.parametrize("kind", KINDS)
def test_graph_figure_draws_every_node_and_edge_once(kind):
    graph = graph_of(kind, 2, True)
    figure = graph_figure(graph)
    nodes = [trace for trace in figure.data if is_node_trace(trace)]
    assert sorted(node_id for trace in nodes for node_id in trace.customdata) == sorted(graph.nodes)
    lines = [trace for trace in figure.data if trace.mode == "lines+markers"]
    drawn = [edge for trace in lines for edge in edge_ids(trace)]
    assert sorted(drawn) == sorted(edge.id for edge in graph.edges)
    labels = [text for trace in figure.data if trace.name in LABEL_TRACES for text in trace.text]
    assert sorted(labels) == sorted(edge.weight for edge in graph.edges if edge.weight in ("U", "W", "V"))


@pytest.mark.parametrize("highlight", ["W", "U", "V", "W[0,forward]", "U[1,backward]"])
def test_highlight_marks_exactly_the_edges_of_that_weight(highlight):
    graph = graph_of("gru", 2, True)
    figure = graph_figure(graph, highlight=highlight)
    (marked,) = traces_named(figure, f"uses of {highlight}")
    assert edge_ids(marked) == {edge.id for edge in graph.edges_using(highlight)}
    others = [trace for trace in figure.data if trace.mode == "lines+markers" and trace is not marked]
    assert not edge_ids(marked) & {edge for trace in others for edge in edge_ids(trace)}
    assert marked.line.width > max(trace.line.width for trace in others)


def test_no_highlight_draws_no_highlight_trace():
    assert not traces_named(graph_figure(graph_of(), highlight=None), "uses of")


def test_hover_text_shows_each_nodes_norm_values_and_gates():
    graph = graph_of("lstm")
    figure = graph_figure(graph)
    for trace in figure.data:
        if is_node_trace(trace):
            for node_id, text in zip(trace.customdata, trace.hovertext):
                node = graph.nodes[node_id]
                assert f"{node.norm:.4g}" in text and f"{node.value.size} numbers" in text
    assert "forget" in node_hover(graph.nodes["h[0,forward][2]"])


def test_faded_edges_are_drawn_apart_from_the_others():
    graph = graph_of("rnn", steps=9)
    cuts = truncation_cuts(graph, 3, 3)
    figure = graph_figure(graph, faded_edges=cuts, faded_label="cut by truncation")
    (faded,) = traces_named(figure, "cut by truncation")
    assert edge_ids(faded) == set(cuts) and faded.line.dash == "dot"
    assert not set(cuts) & edge_ids(traces_named(figure, "uses of W")[0])


def test_a_step_rings_what_it_reads_and_writes():
    graph = graph_of("gru", 1, True)
    view = step_view(graph, 3)
    figure = graph_figure(graph, step=3)
    assert edge_ids(traces_named(figure, "used at step 3")[0]) == set(view.edges)
    assert set(traces_named(figure, "written at step 3")[0].customdata) == set(view.written)
    assert set(traces_named(figure, "read at step 3")[0].customdata) == set(view.read)


def test_a_long_sequence_shows_the_ellipsis_and_the_note():
    graph = graph_of("rnn", steps=40)
    figure = graph_figure(graph)
    (ellipsis,) = [trace for trace in figure.data if trace.name == "hidden steps"]
    assert "steps 6–33 hidden" in ellipsis.hovertext[0]
    assert "…" in figure.layout.xaxis.ticktext
    assert any("28 steps" in annotation.text for annotation in figure.layout.annotations)


def test_rolled_figure_draws_the_loop_of_w():
    rolled = rolled_graph(graph_of("rnn"))
    figure = rolled_figure(rolled)
    (loop,) = traces_named(figure, "uses of W")
    assert edge_ids(loop) == {"h[0,forward]->h[0,forward]"}
    assert len(loop.x) > 10  # a round loop, not a point
    with pytest.raises(ValueError, match="rolled_graph"):
        rolled_figure(graph_of("rnn"))


def test_figures_are_legible_on_a_projector():
    figure = graph_figure(graph_of("lstm"))
    assert figure.layout.font.size >= FONT_SIZE
    assert all(trace.textfont.size >= FONT_SIZE for trace in figure.data if trace.mode in ("text", "markers+text"))
    assert "time step" in figure.layout.xaxis.title.text and "steps" in figure.layout.xaxis.title.text
    assert figure.layout.yaxis.ticktext[0] == "x_t (input)"


@pytest.mark.parametrize("call, message", [
    (lambda g: graph_figure(g, highlight="Q"), "no weight of this graph"),
    (lambda g: graph_figure(g, step=99), "not drawn"),
    (lambda g: graph_figure(g, faded_edges=["x[0]->nowhere"]), "does not have"),
    (lambda g: graph_figure({"nodes": {}}), "build_graph"),
])
def test_graph_figure_rejects_bad_options_with_a_helpful_message(call, message):
    with pytest.raises(ValueError, match=message):
        call(graph_of())


def test_term_heatmap_uses_log_colour_grey_zeros_and_labelled_axes():
    torch.manual_seed(0)
    model = SequenceModel("rnn", 3, 4, 5)
    x, targets = torch.randn(1, 6, 3), torch.randint(0, 5, (6,))
    terms = path_terms(model, x, targets, tbptt=(2, 2))
    norms = terms.terms["W"].norms
    figure = term_heatmap(norms, terms.loss_steps)
    main = figure.data[0]
    positive = norms > 0
    np.testing.assert_allclose(np.array(main.z, dtype=float)[positive], np.log10(norms[positive]))
    assert "log" in main.colorbar.title.text and "‖" in main.colorbar.title.text
    assert figure.layout.xaxis.title.text == "step k (where the gradient enters)"
    assert figure.layout.yaxis.title.text == "loss step t"
    assert any("exactly 0" in (trace.name or "") for trace in figure.data)
    with pytest.raises(ValueError, match="one loss step per row"):
        term_heatmap(norms, [0, 1])
    with pytest.raises(ValueError, match="empty"):
        term_heatmap(np.zeros((0, 0)), [])


def test_decay_figure_has_a_log_axis_the_bound_and_the_band():
    torch.manual_seed(0)
    model = SequenceModel("rnn", 3, 4, 5)
    decay = term_decay(path_terms(model, torch.randn(1, 8, 3), torch.randint(0, 5, (8,))))
    figure = decay_figure(decay.distance, decay.relative, decay.bound, low=decay.low, high=decay.high,
                          proven=decay.proven)
    assert [trace.name for trace in figure.data] == ["range over loss steps t", "measured (geometric mean)",
                                                     "bound (γ·σ_max(W))^(t−k)"]
    assert figure.layout.yaxis.type == "log" and "log" in figure.layout.yaxis.title.text
    assert "steps" in figure.layout.xaxis.title.text
    assert "reference" in decay_figure([0, 1], [1, 0.5], [1, 2], proven=False).data[-1].name
    with pytest.raises(ValueError, match="same length"):
        decay_figure([0, 1, 2], [1, 0.5], [1, 2])


def test_weight_labels_are_clickable_and_name_their_weight():
    """Each U/W/V label carries "weight:<symbol>", so a click on it can highlight every use of that weight."""
    figure = graph_figure(graph_of("rnn"), highlight=None)
    (labels,) = [trace for trace in figure.data if trace.name == "weight labels"]
    assert list(labels.customdata) == [f"weight:{symbol}" for symbol in labels.text]
    assert {"U", "W", "V"} <= set(labels.text)


def test_node_strip_draws_the_value_and_the_gates_unit_by_unit():
    """A clicked LSTM node: one row for h and one per gate, every unit's number written in, centred colours."""
    from rnnviz.plots.unrolled import node_strip

    graph = graph_of("lstm")
    node = graph.nodes["h[0,forward][2]"]
    figure = node_strip(node)
    (heat,) = figure.data
    assert list(heat.y) == [node.label, *node.gates] and heat.zmid == 0 and heat.colorscale[-1][1] == "rgb(103,0,31)"
    np.testing.assert_allclose(heat.z[0][: len(node.value)], node.value)
    assert heat.text[0][0] == f"{node.value[0]:.2f}"
    with pytest.raises(ValueError, match="no value"):
        node_strip(type("Empty", (), {"value": None})())
