"""Figures of the five input/output types: the slide's shapes, one run step by step, teacher forcing's curves and times.

Data in, Plotly figures out; every figure is drawn for a projector (fonts of at least
`FONT_SIZE`, dark text, titled axes with units). Plots never import a feature package: the
shape of each type is a small table here, keyed by the type's name.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from rnnviz.plots.base import FONT_SIZE, PALETTE, as_array, style

TEXT_COLOR = "#111111"
INPUT_COLOR, HIDDEN_COLOR, OUTPUT_COLOR = "#555555", "#1f77b4", "#E69F00"
RIGHT_COLOR, WRONG_COLOR = "#1B7F3B", "#C62828"
MAX_DRAWN_STEPS = 16  # more columns than this are unreadable from the back row: the table has them all
BOX = 0.36  # half the width of a drawn node, in steps


def io_pattern(io_type: str) -> dict[str, object]:
    """Which steps of the lecture's "Types" slide read an input and write an output, for `io_shape_figure`."""
    patterns: dict[str, dict[str, object]] = {
        "one-to-one": {"inputs": [True], "outputs": [True], "initial": False, "encoder_steps": 0},
        "one-to-many": {"inputs": [False] * 4, "outputs": [True] * 4, "initial": True, "encoder_steps": 0},
        "many-to-one": {"inputs": [True] * 4, "outputs": [False] * 3 + [True], "initial": False, "encoder_steps": 0},
        "many-to-many-aligned": {"inputs": [True] * 4, "outputs": [True] * 4, "initial": False, "encoder_steps": 0},
        "encoder-decoder": {"inputs": [True] * 3 + [False] * 3, "outputs": [False] * 3 + [True] * 3,
                            "initial": False, "encoder_steps": 3},
    }
    if io_type not in patterns:
        raise ValueError(f"io_type must be one of {', '.join(patterns)}; got {io_type!r}")
    return patterns[io_type]


def _arrow(figure: go.Figure, start: tuple[float, float], end: tuple[float, float], color: str,
           dash: bool = False) -> None:
    """An arrow from `start` to `end` in data coordinates (thinner: a fed-back output)."""
    figure.add_annotation(x=end[0], y=end[1], ax=start[0], ay=start[1], xref="x", yref="y", axref="x", ayref="y",
                          showarrow=True, arrowhead=3, arrowsize=1.2, arrowwidth=2.5 if not dash else 1.8,
                          arrowcolor=color, text="", standoff=22, startstandoff=22)


def _node_trace(x: list[float], y: list[float], labels: list[str], color: str, name: str,
                hover: list[str] | None = None, text_colors: list[str] | None = None, size: int = 46) -> go.Scatter:
    """Square nodes with a coloured rim and a dark label inside."""
    return go.Scatter(x=x, y=y, mode="markers+text", name=name, text=labels, textposition="middle center",
                      textfont={"size": FONT_SIZE, "color": text_colors or TEXT_COLOR},
                      marker={"symbol": "square", "size": size, "color": "white", "line": {"color": color, "width": 3}},
                      hovertext=hover or labels, hoverinfo="text")


def _bare_axes(figure: go.Figure, steps: int, x_title: str) -> go.Figure:
    """Steps along x (labelled), the three rows input / hidden / output along y."""
    figure.update_xaxes(range=[0.4, steps + 0.6], tickmode="array", tickvals=list(range(1, steps + 1)),
                        showgrid=False, zeroline=False, title_text=x_title)
    figure.update_yaxes(range=[-0.6, 2.6], tickmode="array", tickvals=[0, 1, 2],
                        ticktext=["input x_t", "hidden h_t", "output ŷ_t"], showgrid=False, zeroline=False,
                        title_text="")
    figure.update_layout(showlegend=False, font={"color": TEXT_COLOR}, margin={"l": 120})
    return figure


def io_shape_figure(inputs: Sequence[bool], outputs: Sequence[bool], *, initial: bool = False,
                    encoder_steps: int = 0, title: str | None = None) -> go.Figure:
    """The slide's picture of one type: which unrolled steps read an input and which write an output."""
    inputs, outputs = [bool(flag) for flag in inputs], [bool(flag) for flag in outputs]
    if not inputs or len(inputs) != len(outputs):
        raise ValueError(f"inputs and outputs need one flag per step and the same length; got {len(inputs)} "
                         f"and {len(outputs)}")
    if not any(inputs) and not initial:
        raise ValueError("nothing goes in: mark a step with an input, or set initial=True (the input sets h_0)")
    steps = len(inputs)
    figure = go.Figure()
    columns = list(range(1, steps + 1))
    decoder = [t > encoder_steps for t in columns]
    hidden_labels = [("enc" if encoder_steps and not dec else "dec" if encoder_steps else "h") for dec in decoder]
    figure.add_trace(_node_trace(columns, [1] * steps, hidden_labels, HIDDEN_COLOR, "hidden state"))
    shown_inputs = [t for t, flag in zip(columns, inputs) if flag]
    figure.add_trace(_node_trace(shown_inputs, [0] * len(shown_inputs), ["x"] * len(shown_inputs), INPUT_COLOR,
                                 "input"))
    shown_outputs = [t for t, flag in zip(columns, outputs) if flag]
    figure.add_trace(_node_trace(shown_outputs, [2] * len(shown_outputs), ["y"] * len(shown_outputs),
                                 OUTPUT_COLOR, "output"))
    for t in shown_inputs:
        _arrow(figure, (t, 0), (t, 1), INPUT_COLOR)
    for t in shown_outputs:
        _arrow(figure, (t, 1), (t, 2), OUTPUT_COLOR)
    for t in columns[:-1]:
        _arrow(figure, (t, 1), (t + 1, 1), HIDDEN_COLOR)
        if outputs[t - 1] and not inputs[t] and (t + 1) in shown_outputs:
            _arrow(figure, (t, 2), (t + 1, 1), OUTPUT_COLOR, dash=True)  # the output written is read next
    if initial:
        figure.add_trace(_node_trace([0.9], [-0.1], ["x"], INPUT_COLOR, "input sets h_0"))
        _arrow(figure, (0.9, -0.1), (1, 1), INPUT_COLOR)
    style(figure, title=title, height=330, template=None)
    return _bare_axes(figure, steps, "step t (one application of the same cell)")


def _shown(symbol: str | None) -> str:
    """A step's input or output as drawn: visible spaces, long words shortened."""
    if symbol is None:
        return ""
    text = "␣" if symbol == " " else symbol
    text = text if len(text) <= 8 else text[:7] + "…"
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")  # Plotly reads tags in text


def _matches(output: str | None, truth: str, tolerance: float | None) -> bool:
    """Whether an output is right: equal, or for numbers within `tolerance` of the truth."""
    if tolerance is not None:
        try:
            return abs(float(output) - float(truth)) < tolerance
        except (TypeError, ValueError):
            pass
    return output == truth


def step_outputs_figure(inputs: Sequence[str], outputs: Sequence[str | None], truth: Sequence[str | None], *,
                        max_steps: int = MAX_DRAWN_STEPS, tolerance: float | None = None,
                        title: str | None = None) -> go.Figure:
    """One run unrolled: each step's input below, its output above (green: right, red: wrong, dark: unknown)."""
    if not inputs:
        raise ValueError("there are no steps to draw: run the model on an input first")
    if not len(inputs) == len(outputs) == len(truth):
        raise ValueError(f"inputs, outputs and truth need one entry per step; got {len(inputs)}, {len(outputs)} "
                         f"and {len(truth)}")
    if max_steps < 1:
        raise ValueError(f"max_steps must be at least 1, got {max_steps}")
    first = max(0, len(inputs) - max_steps)  # a long run shows its last steps: where the outputs are
    inputs, outputs, truth = list(inputs)[first:], list(outputs)[first:], list(truth)[first:]
    steps, size = len(inputs), min(46, int(760 / max(len(inputs), 1)))
    columns = list(range(1, steps + 1))
    figure = go.Figure()
    figure.add_trace(_node_trace(columns, [0] * steps, [_shown(s) for s in inputs], INPUT_COLOR, "input",
                                 hover=[f"step {first + t}: input {inputs[t - 1]!r}" for t in columns], size=size))
    figure.add_trace(_node_trace(columns, [1] * steps, ["h"] * steps, HIDDEN_COLOR, "hidden state", size=size))
    written = [t for t in columns if outputs[t - 1] is not None]
    colors = [TEXT_COLOR if truth[t - 1] is None else RIGHT_COLOR if _matches(outputs[t - 1], truth[t - 1], tolerance)
              else WRONG_COLOR for t in written]
    hover = [f"step {first + t}: output {outputs[t - 1]!r}"
             + ("" if truth[t - 1] is None else f", truth {truth[t - 1]!r}") for t in written]
    figure.add_trace(_node_trace(written, [2] * len(written), [_shown(outputs[t - 1]) for t in written],
                                 OUTPUT_COLOR, "output", hover=hover, text_colors=colors, size=size))
    for t in columns[:-1]:
        _arrow(figure, (t, 1), (t + 1, 1), HIDDEN_COLOR)
    for t in written:
        _arrow(figure, (t, 1), (t, 2), OUTPUT_COLOR)
    cut = f"last {steps} of {first + steps:,} steps (the table has them all)" if first else ""
    style(figure, title=" — ".join(part for part in (title, cut) if part) or None, height=340, template=None)
    _bare_axes(figure, steps, "step t")
    figure.update_xaxes(ticktext=[str(first + t) for t in columns])
    return figure


def _check_curve(ratio: float, losses: object) -> np.ndarray:
    """One ratio's losses as an array; ValueError with what to do otherwise."""
    if not isinstance(ratio, (int, float)) or not 0 <= ratio <= 1:
        raise ValueError(f"teacher-forcing ratios are numbers from 0 to 1; got {ratio!r}")
    values = as_array(losses, f"losses for ratio {ratio}", 1)
    if values.size == 0:
        raise ValueError(f"the run with ratio {ratio} has no losses yet: train it for at least one step")
    return values


def forcing_curves_figure(losses: Mapping[float, Sequence[float]], *,
                          y_title: str = "training loss (nats per character)", title: str | None = None) -> go.Figure:
    """Training loss per step for each teacher-forcing ratio, on one chart (same seed, same batches)."""
    if not losses:
        raise ValueError("there are no runs to draw: train with at least one teacher-forcing ratio")
    figure = go.Figure()
    for index, (ratio, values) in enumerate(losses.items()):
        array = _check_curve(ratio, values)
        figure.add_trace(go.Scatter(x=np.arange(1, array.size + 1), y=array, mode="lines",
                                    name=f"teacher forcing {ratio:g}",
                                    line={"color": PALETTE[index % len(PALETTE)], "width": 3}))
    style(figure, title=title, x_title="training step", y_title=y_title, height=420)
    figure.update_layout(showlegend=True, font={"color": TEXT_COLOR},
                         legend={"font": {"size": FONT_SIZE}, "orientation": "h", "y": -0.25,
                                 "title": {"text": "share of true previous outputs fed:"}})
    figure.update_layout(height=480, margin={"b": 110})
    return figure


def decoding_times_figure(teacher_forced: Sequence[float], free_running: Sequence[float], *,
                          batch_size: int = 64, title: str | None = None) -> go.Figure:
    """Grouped bars: milliseconds per batch, teacher-forced against free-running, forward and forward + backward."""
    pairs = {"teacher forced (all steps in one call)": teacher_forced, "free running (one call per step)": free_running}
    figure = go.Figure()
    for index, (name, seconds) in enumerate(pairs.items()):
        values = as_array(seconds, name, 1)
        if values.size != 2 or not all(math.isfinite(v) and v > 0 for v in values):
            raise ValueError(f"{name}: give two positive times in seconds (forward, forward + backward); "
                             f"got {list(values)}")
        milliseconds = values * 1000
        figure.add_trace(go.Bar(x=["forward only (decoding)", "forward + backward (training)"], y=milliseconds,
                                name=name, marker_color=PALETTE[index], text=[f"{v:.1f} ms" for v in milliseconds],
                                textposition="outside", textfont={"size": FONT_SIZE, "color": TEXT_COLOR}))
    style(figure, title=title, x_title=f"what is timed (one batch of {batch_size})", y_title="time (ms)", height=440)
    figure.update_layout(barmode="group", showlegend=True, font={"color": TEXT_COLOR},
                         legend={"font": {"size": FONT_SIZE}, "orientation": "h", "y": 1.12, "x": 0})
    figure.update_xaxes(tickangle=0)
    figure.update_yaxes(rangemode="tozero")
    return figure
