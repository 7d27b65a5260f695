"""Figures of the unrolled-graph page: the graph itself, its rolled form, BPTT's terms and their decay.

Data in, Plotly figures out. `graph_figure` and `rolled_figure` read any object shaped like
`rnnviz.unrolled.graph.UnrolledGraph` (nodes with row/column/value/norm/gates, edges with
source/target/weight/weight_key): plots never import a feature package. Nodes are white discs
with a coloured rim and dark labels; an edge that skips rows bends around the nodes in between.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np
import plotly.graph_objects as go

from rnnviz.core.kinds import TABLE
from rnnviz.plots.base import FONT_SIZE, as_array, style
from rnnviz.plots.gradients import GRADIENT_SCALE, ZERO_COLOR, legend_square, log_grid, log_ticks

NODE_COLORS = {"x": "#555555", "y": "#E69F00", "E": "#B22222"}  # h and c take the kind's colour
NODE_NAMES = {"x": "input x_t", "c": "cell state c_t", "h": "hidden state h_t", "y": "output ŷ_t", "E": "loss E_t"}
EDGE_NAMES = {"U": "U (W_xh): input → hidden", "W": "W (W_hh): hidden → hidden", "V": "V (W_hy): hidden → output"}
OTHER_EDGES = "cell path, highway, loss (no shared matrix)"
EDGE_COLOR, OTHER_COLOR, FADED_COLOR = "#444444", "#9A9A9A", "#D0D0D0"
HIGHLIGHT_COLOR, STEP_COLOR = "#D81B60", "#E69F00"
TEXT_COLOR = "#111111"
NODE_SIZE = 40
BEND = 0.8  # sideways pull (in columns) of an edge that skips rows, so it passes beside the nodes between


def _check_graph(graph: object) -> None:
    """The graph must look like an UnrolledGraph and have nodes."""
    if not all(hasattr(graph, name) for name in ("nodes", "edges", "rows", "kind", "rolled")):
        raise ValueError("graph must be an UnrolledGraph: build it with rnnviz.unrolled.build_graph(model, x)")
    if not graph.nodes:
        raise ValueError("the graph has no nodes: build it from a sequence of at least one step")


def _kind_color(kind: str) -> str:
    """The colour of a cell kind, from the table of kinds."""
    return TABLE[kind].color if kind in TABLE else "#0072B2"


def _curve(start: tuple[float, float], end: tuple[float, float], bend: float, points: int = 14) -> np.ndarray:
    """Points (n, 2) from start to end, a quadratic Bézier pulled `bend` columns sideways, trimmed at the discs."""
    (x0, y0), (x1, y1) = start, end
    control = np.array([(x0 + x1) / 2 + bend, (y0 + y1) / 2])
    length = float(np.hypot(x1 - x0, y1 - y0)) or 1.0
    trim = min(0.4, 0.26 / length)
    t = np.linspace(trim, 1 - trim, points if bend else 2)[:, None]
    return (1 - t) ** 2 * np.array([x0, y0]) + 2 * (1 - t) * t * control + t ** 2 * np.array([x1, y1])


def _loop(center: tuple[float, float], points: int = 24) -> np.ndarray:
    """A self-loop (n, 2): out of the node's right side, round, and back in (rolled form, narrow x range)."""
    angles = np.linspace(np.pi * 0.75, -np.pi * 0.75, points)
    x, y = center
    return np.stack([x + 0.17 + 0.11 * np.cos(angles), y + 0.36 * np.sin(angles)], axis=1)


def _edge_path(edge: object, positions: dict, bend: float = BEND) -> np.ndarray:
    """The drawn points of one edge."""
    start, end = positions[edge.source], positions[edge.target]
    if edge.source == edge.target:
        return _loop(start)
    rows_apart = abs(end[1] - start[1])
    pull = 0.0 if rows_apart <= 1 or start[0] != end[0] else bend * (1 if "backward" not in edge.target else -1)
    return _curve(start, end, pull)


def _edge_trace(name: str, edges: Sequence, paths: dict[str, np.ndarray], color: str, width: float, *,
                dash: str = "solid", legend: bool = True) -> go.Scatter:
    """One trace of edges: lines with an arrowhead at each end, the edge id on every point (customdata)."""
    paths = [paths[edge.id] for edge in edges]
    gap = np.full((1, 2), np.nan)  # NaN breaks the line between edges (sent to the browser as null)
    points = np.concatenate([part for path in paths for part in (path, gap)]) if paths else np.empty((0, 2))
    ids = np.array([edge.id for edge, path in zip(edges, paths) for _ in range(len(path) + 1)], dtype=object)
    sizes = np.concatenate([[0] * (len(path) - 1) + [11 + width, 0] for path in paths]) if paths else np.empty(0)
    return go.Scatter(x=points[:, 0], y=points[:, 1], mode="lines+markers", name=name, customdata=ids,
                      showlegend=legend and bool(edges), line={"color": color, "width": width, "dash": dash},
                      marker={"symbol": "arrow", "size": sizes, "angleref": "previous", "color": color},
                      hovertemplate="%{customdata}<extra>" + name + "</extra>")


def _label_point(path: np.ndarray) -> tuple[float, float]:
    """Where an edge's U/W/V goes: above a straight edge's middle; on a bent one, between two rows."""
    if len(path) <= 2:  # straight: above a horizontal edge, right of a vertical or slanted one
        middle = path.mean(axis=0)
        flat = abs(path[-1, 1] - path[0, 1]) < 1e-9
        return float(middle[0] + (0.0 if flat else 0.1)), float(middle[1] + (0.2 if flat else 0.0))
    middle = path[len(path) * 3 // 10: len(path) * 8 // 10]
    best = middle[np.argmin(np.abs(middle[:, 1] % 1.0 - 0.5))]
    return float(best[0] + 0.12), float(best[1])


def _label_trace(edges: Sequence, paths: dict[str, np.ndarray], color: str, name: str) -> go.Scatter:
    """The U / W / V written beside each edge that multiplies by a shared matrix."""
    labelled = [edge for edge in edges if edge.weight in ("U", "W", "V")]
    points = np.array([_label_point(paths[edge.id]) for edge in labelled]).reshape(-1, 2)
    symbols = np.array([edge.weight for edge in labelled])
    return go.Scatter(x=points[:, 0], y=points[:, 1], mode="markers+text", text=symbols, name=name,
                      showlegend=False, customdata=np.array([f"weight:{symbol}" for symbol in symbols]),
                      hovertemplate="%{text}: click to highlight every use of this weight<extra></extra>",
                      marker={"size": FONT_SIZE + 10, "color": "rgba(255,255,255,0)"},
                      selected={"marker": {"opacity": 1}, "textfont": {"color": color}},
                      unselected={"marker": {"opacity": 1}, "textfont": {"color": color}},
                      textfont={"size": FONT_SIZE, "color": color})


def _summary(values: np.ndarray) -> str:
    """A strip of numbers for hover text: size, range and the first few values."""
    first = ", ".join(f"{value:.2f}" for value in values[:6]) + (", …" if len(values) > 6 else "")
    return f"{len(values)} numbers, min {values.min():.3g}, max {values.max():.3g}<br>[{first}]"


def node_hover(node: object) -> str:
    """Hover text of a node: what it is, its norm, its values, its gates."""
    lines = [f"<b>{node.label}</b>: {node.description}"]
    if node.value is None:
        lines.append("(no value at this step)")
    else:
        lines += [f"‖{node.label}‖ = {node.norm:.4g}", _summary(np.asarray(node.value))]
    if node.gates:
        means = " · ".join(f"{name} {float(np.mean(values)):.2f}" for name, values in node.gates.items())
        lines.append(f"gates (mean over units): {means}")
    return "<br>".join(lines)


def _node_traces(graph: object, positions: dict) -> list[go.Scatter]:
    """One trace per node kind: white discs, coloured rims, dark labels, hover text with the numbers."""
    traces = []
    for kind in ("x", "c", "h", "y", "E"):
        nodes = [node for node in graph.nodes.values() if node.kind == kind]
        if not nodes:
            continue
        rim = NODE_COLORS.get(kind, _kind_color(graph.kind))
        traces.append(go.Scatter(
            x=np.array([positions[node.id][0] for node in nodes]),
            y=np.array([positions[node.id][1] for node in nodes]),
            mode="markers+text", name=NODE_NAMES[kind], text=np.array([node.label for node in nodes]),
            customdata=np.array([node.id for node in nodes]), hovertext=np.array([node_hover(node) for node in nodes]),
            hoverinfo="text", textfont={"size": FONT_SIZE, "color": TEXT_COLOR},
            marker={"size": NODE_SIZE, "color": "white", "line": {"color": rim, "width": 3},
                    "symbol": "square" if kind == "E" else "circle"},
            selected={"marker": {"opacity": 1}, "textfont": {"color": TEXT_COLOR}},
            unselected={"marker": {"opacity": 1}, "textfont": {"color": TEXT_COLOR}}))  # a click never greys the graph
    return traces


def _split_edges(graph: object, highlight: str | None, faded: set) -> dict[str, list]:
    """Edges by the trace that draws them: faded, highlighted, U, W, V, other."""
    groups: dict[str, list] = {"faded": [], "highlight": [], "U": [], "W": [], "V": [], "other": []}
    for edge in graph.edges:
        if edge.id in faded:
            groups["faded"].append(edge)
        elif highlight is not None and highlight in (edge.weight, edge.weight_key):
            groups["highlight"].append(edge)
        else:
            groups[edge.weight if edge.weight in EDGE_NAMES else "other"].append(edge)
    return groups


def _check_options(graph: object, highlight: str | None, step: int | None, faded: Collection[str]) -> set:
    """Validate highlight, step and faded edges against the graph; the faded ids as a set."""
    keys = {edge.weight_key for edge in graph.edges} | set(getattr(graph, "weights", {}))
    names = keys | {edge.weight for edge in graph.edges} | {key.split("[")[0] for key in keys}
    if highlight is not None and highlight not in names:
        known = ", ".join(sorted(name for name in names if "[" not in name))
        raise ValueError(f"highlight {highlight!r} is no weight of this graph; use one of {known} "
                         "or a key such as 'W[0,forward]'")
    if step is not None and (graph.rolled or step not in graph.drawn_steps):
        raise ValueError(f"step {step!r} is not drawn: use one of {list(graph.drawn_steps)} (unrolled graph only)")
    faded = set(faded)
    unknown = faded - {edge.id for edge in graph.edges}
    if unknown:
        raise ValueError(f"faded_edges names edges the graph does not have, e.g. {sorted(unknown)[0]!r}")
    return faded


def _step_traces(graph: object, step: int, positions: dict, paths: dict) -> list[go.Scatter]:
    """Rings round what step `step` writes and reads, and the edges it uses, drawn on top."""
    written = [node for node in graph.nodes.values() if node.step == step and node.kind != "x"]
    ids = {node.id for node in written}
    edges = [edge for edge in graph.edges if edge.target in ids]
    read = [graph.nodes[source] for source in dict.fromkeys(edge.source for edge in edges) if source not in ids]
    traces = [_edge_trace(f"used at step {step}", edges, paths, STEP_COLOR, 4)]
    for name, nodes, color in ((f"written at step {step}", written, STEP_COLOR), (f"read at step {step}", read,
                                                                                  "#333333")):
        traces.append(go.Scatter(x=[positions[node.id][0] for node in nodes],
                                 y=[positions[node.id][1] for node in nodes], mode="markers", name=name,
                                 customdata=[node.id for node in nodes], hoverinfo="skip",
                                 marker={"size": NODE_SIZE + 14, "symbol": "circle-open", "color": color,
                                         "line": {"width": 4}}))
    return traces


def _ellipsis_trace(graph: object) -> go.Scatter | None:
    """A ⋯ in every row of the hidden steps' column, saying which steps it stands for."""
    if not getattr(graph, "omitted", None):
        return None
    first, last = graph.omitted
    column = max(node.column for node in graph.nodes.values() if node.step is not None and node.step < first) + 1
    text = f"steps {first:,}–{last:,} hidden ({last - first + 1:,} steps)"
    rows = len(graph.rows)
    return go.Scatter(x=np.full(rows, column), y=np.arange(rows), mode="markers+text", text=np.array(["⋯"] * rows),
                      name="hidden steps", showlegend=False, hovertext=np.array([text] * rows), hoverinfo="text",
                      marker={"size": 34, "color": "white", "symbol": "square"},  # breaks the edges through it
                      textfont={"size": FONT_SIZE + 10, "color": TEXT_COLOR})


def _axes(figure: go.Figure, graph: object) -> None:
    """Rows labelled on the left, steps along the bottom, no grid: a diagram, not a chart."""
    columns = {node.column: node.step for node in graph.nodes.values() if node.step is not None}
    figure.update_yaxes(tickmode="array", tickvals=list(range(len(graph.rows))), ticktext=list(graph.rows),
                        showgrid=False, zeroline=False, range=[-0.7, len(graph.rows) - 0.3],
                        tickfont={"size": FONT_SIZE, "color": TEXT_COLOR}, automargin=True)
    longest = max((len(row) for row in graph.rows), default=0)
    figure.update_layout(margin={"l": 20 + int(0.55 * FONT_SIZE * longest)})  # room for the row labels
    if graph.rolled:
        figure.update_xaxes(visible=False, range=[-0.7, 0.7])
        return
    ticks = sorted(columns)
    if getattr(graph, "omitted", None):
        gap = max(column for column, step in columns.items() if step < graph.omitted[0]) + 1
        ticks, labels = sorted([*ticks, gap]), {**{c: str(columns[c]) for c in columns}, gap: "…"}
    else:
        labels = {c: str(columns[c]) for c in columns}
    figure.update_xaxes(tickmode="array", tickvals=ticks, ticktext=[labels[c] for c in ticks], showgrid=False,
                        zeroline=False, range=[min(ticks) - 0.6, max(ticks) + 0.6],
                        tickfont={"size": FONT_SIZE, "color": TEXT_COLOR})


def graph_figure(graph: object, highlight: str | None = "W", step: int | None = None,
                 faded_edges: Collection[str] = (), *, faded_label: str = "cut (no gradient flows back)",
                 title: str | None = None) -> go.Figure:
    """The unrolled (or rolled) graph: nodes with their numbers, edges labelled U/W/V, one weight highlighted.

    highlight: a weight symbol ("U", "W", "V") or one parameter's key ("W[0,forward]"), None for none;
    step: a drawn step whose reads, writes and edges are ringed; faded_edges: edge ids drawn dotted and pale
    (e.g. the edges truncated BPTT cuts, `rnnviz.unrolled.truncation_cuts`).
    """
    _check_graph(graph)
    faded = _check_options(graph, highlight, step, faded_edges)
    positions = {node.id: (node.column, node.row) for node in graph.nodes.values()}
    paths = {edge.id: _edge_path(edge, positions, BEND / 3 if graph.rolled else BEND) for edge in graph.edges}
    groups = _split_edges(graph, highlight, faded)
    traces = [_edge_trace(OTHER_EDGES, groups["other"], paths, OTHER_COLOR, 2),
              *[_edge_trace(EDGE_NAMES[weight], groups[weight], paths, EDGE_COLOR, 2.5) for weight in EDGE_NAMES],
              _edge_trace(faded_label, groups["faded"], paths, FADED_COLOR, 2, dash="dot")]
    if highlight is not None:
        traces.append(_edge_trace(f"uses of {highlight} (highlighted)", groups["highlight"], paths,
                                  HIGHLIGHT_COLOR, 5))
    unmarked = [edge for name in ("U", "W", "V") for edge in groups[name]]
    traces.append(_label_trace(unmarked, paths, TEXT_COLOR, "weight labels"))
    traces.append(_label_trace(groups["highlight"], paths, HIGHLIGHT_COLOR, "highlighted labels"))
    if groups["faded"]:
        marks = np.array([paths[edge.id][len(paths[edge.id]) // 2] if len(paths[edge.id]) > 2
                          else paths[edge.id].mean(axis=0) for edge in groups["faded"]])
        traces.append(go.Scatter(x=marks[:, 0], y=marks[:, 1], mode="markers", name="cut marks", showlegend=False,
                                 hoverinfo="skip", marker={"symbol": "x-thin", "size": 18, "color": "#B22222",
                                                           "line": {"width": 3, "color": "#B22222"}}))
    if step is not None:
        traces += _step_traces(graph, step, positions, paths)
    traces += _node_traces(graph, positions)
    ellipsis = _ellipsis_trace(graph)
    if ellipsis is not None:
        traces.append(ellipsis)
    figure = go.Figure(traces)
    height = 230 + 80 * len(graph.rows)
    x_title = None if graph.rolled else "time step t (position in the sequence, steps)"
    style(figure, title=title, x_title=x_title, height=height, template=None)
    _axes(figure, graph)
    figure.update_layout(legend={"orientation": "h", "y": -0.12 if graph.rolled else -0.3, "x": 0,
                                 "font": {"size": FONT_SIZE - 2}}, hovermode="closest", font={"color": TEXT_COLOR})
    if graph.note:
        figure.add_annotation(text=graph.note, xref="paper", yref="paper", x=0, y=1.0, xanchor="left",
                              yanchor="bottom", showarrow=False, font={"size": FONT_SIZE - 2, "color": TEXT_COLOR})
    return figure


def rolled_figure(graph: object, highlight: str | None = "W", *, title: str | None = None) -> go.Figure:
    """The rolled form (`rnnviz.unrolled.rolled_graph`): the core cell with its loop."""
    _check_graph(graph)
    if not graph.rolled:
        raise ValueError("rolled_figure draws the rolled form: pass rnnviz.unrolled.rolled_graph(graph)")
    return graph_figure(graph, highlight, title=title)


def term_heatmap(norms: object, loss_steps: Sequence[int], *, weight: str = "W", title: str | None = None,
                 height: int = 460) -> go.Figure:
    """‖term (t, k)‖ of ∂E_t/∂W: loss steps t (rows) by the step k where the gradient enters (columns), log colour.

    Exact zeros (k after t, or cut by truncated BPTT) are drawn grey, not left blank.
    """
    grid = as_array(norms, "norms", 2)
    rows = as_array(loss_steps, "loss_steps", 1)
    if grid.size == 0:
        raise ValueError("norms is empty: compute the terms first (rnnviz.unrolled.path_terms)")
    if len(rows) != grid.shape[0]:
        raise ValueError(f"one loss step per row of norms: got {len(rows)} steps and {grid.shape[0]} rows")
    logs, span = log_grid(grid)
    steps, labels = np.arange(grid.shape[1]), [str(int(t)) for t in rows]
    figure = go.Figure()
    if span is not None:
        (low, high), (ticks, text) = span, log_ticks(*span)
        figure.add_trace(go.Heatmap(
            z=logs, x=steps, y=labels, customdata=grid, colorscale=GRADIENT_SCALE, zmin=low, zmax=high,
            name=f"‖∂E_t/∂{weight}_k‖", colorbar={"title": {"text": f"‖∂E_t/∂{weight}_k‖<br>(norm, log scale)",
                                                          "side": "top"}, "tickvals": ticks, "ticktext": text},
            hovertemplate="loss step t = %{y}<br>gradient enters at step k = %{x}<br>"
                          "‖term‖ = %{customdata:.3g}<extra></extra>"))
    zeros = np.isfinite(grid) & (grid == 0)
    if zeros.any():
        figure.add_trace(go.Heatmap(z=np.where(zeros, 1.0, np.nan), x=steps, y=labels, showscale=False,
                                    colorscale=[[0, ZERO_COLOR], [1, ZERO_COLOR]], name="exactly 0",
                                    hovertemplate="loss step t = %{y}<br>step k = %{x}<br>exactly 0<extra></extra>"))
        figure.add_trace(legend_square("exactly 0 (k after t, or truncated)", ZERO_COLOR))
    style(figure, title=title, x_title="step k (where the gradient enters)", y_title="loss step t", height=height)
    figure.update_yaxes(type="category", autorange="reversed")
    figure.update_xaxes(dtick=1 if grid.shape[1] <= 24 else None)
    figure.update_layout(legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0}, showlegend=True)
    return figure


def _positive(values: np.ndarray) -> np.ndarray:
    """Values for a log axis: zeros, negatives and non-finite values become gaps (NaN)."""
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(values) & (values > 0), values, np.nan)


def decay_figure(distance: object, relative: object, bound: object, *, low: object | None = None,
                 high: object | None = None, proven: bool = True, title: str | None = None,
                 height: int = 460) -> go.Figure:
    """How the gradient entering step k shrinks with t − k (`rnnviz.unrolled.term_decay`), its band, the bound.

    relative[d] is the geometric mean over loss steps t of n(t, t − d) / n(t, t), n(t, k) = ‖term (t, k)‖ / ‖s_(k−1)‖.
    """
    x = as_array(distance, "distance", 1)
    measured, limit = as_array(relative, "relative", 1), as_array(bound, "bound", 1)
    if not len(x) == len(measured) == len(limit):
        raise ValueError(f"distance, relative and bound must have the same length: {len(x)}, {len(measured)}, "
                         f"{len(limit)}")
    if len(x) == 0:
        raise ValueError("distance is empty: compute the decay first (rnnviz.unrolled.term_decay)")
    figure = go.Figure()
    if low is not None and high is not None:
        bottom, top = as_array(low, "low", 1), as_array(high, "high", 1)
        figure.add_trace(go.Scatter(x=np.concatenate([x, x[::-1]]), y=np.concatenate([_positive(top),
                                    _positive(bottom)[::-1]]), fill="toself", mode="lines", line={"width": 0},
                                    fillcolor="rgba(0, 114, 178, 0.18)", name="range over loss steps t",
                                    hoverinfo="skip"))
    figure.add_trace(go.Scatter(x=x, y=_positive(measured), mode="lines+markers", name="measured (geometric mean)",
                                line={"color": "#0072B2", "width": 4}, marker={"size": 7}))
    name = "bound (γ·σ_max(W))^(t−k)" if proven else "(γ·σ_max(W))^(t−k), a reference here, not a bound"
    figure.add_trace(go.Scatter(x=x, y=_positive(limit), mode="lines", name=name,
                                line={"color": "#333333", "width": 3, "dash": "dash"}))
    style(figure, title=title, x_title="distance t − k (steps back from the loss)",
          y_title="gradient at step k ÷ at k = t (log)", height=height)
    figure.update_xaxes(tick0=0, dtick=max(1, int(np.ceil(len(distance) / 12))))  # whole steps
    shown = np.concatenate([_positive(measured), _positive(limit)])
    shown = shown[np.isfinite(shown)]
    if shown.size:
        low, high = float(np.log10(shown.min())), float(np.log10(shown.max()))
        ticks, text = log_ticks(low - 0.1, high + 0.1)
        figure.update_yaxes(type="log", tickmode="array", tickvals=[10.0 ** v for v in ticks], ticktext=text)
    else:
        figure.update_yaxes(type="log")
    figure.update_layout(legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0})
    return figure


def node_strip(node: object, *, title: str | None = None) -> go.Figure:
    """One node's vector (and, for gated cells, its gates) as a strip of coloured cells: unit by unit, numbers in."""
    value = getattr(node, "value", None)
    if value is None:
        raise ValueError("this node has no value to draw (pick a node of the unrolled graph)")
    rows = {getattr(node, "label", "value"): as_array(value, "value", 1)}
    rows.update({name: as_array(gate, name, 1) for name, gate in (getattr(node, "gates", None) or {}).items()})
    width = max(len(values) for values in rows.values())
    grid = np.full((len(rows), width), np.nan)
    for index, values in enumerate(rows.values()):
        grid[index, : len(values)] = values
    limit = float(np.nanmax(np.abs(grid))) or 1.0
    figure = go.Figure(go.Heatmap(
        z=grid, x=list(range(width)), y=list(rows), colorscale="RdBu_r", zmid=0, zmin=-limit, zmax=limit,
        showscale=width > 16,  # the numbers are written in the cells when they fit
        text=np.vectorize(lambda v: "" if np.isnan(v) else f"{v:.2f}")(grid) if width <= 16 else None,
        texttemplate="%{text}" if width <= 16 else None, textfont={"size": FONT_SIZE - 2},
        hovertemplate="%{y}, unit %{x}: %{z:.4f}<extra></extra>", colorbar={"title": {"text": "value"}}))
    style(figure, title=title, x_title="unit", height=120 + 46 * len(rows), template=None)
    figure.update_yaxes(autorange="reversed", tickfont={"size": FONT_SIZE, "color": TEXT_COLOR})
    figure.update_xaxes(dtick=1 if width <= 16 else None, tickfont={"size": FONT_SIZE, "color": TEXT_COLOR})
    return figure
