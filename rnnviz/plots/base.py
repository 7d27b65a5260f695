"""Common figure pieces, styled for a projector: large type, labelled axes, units."""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import torch

FONT_SIZE = 16
TICK_SIZE = 16  # px: Streamlit's chart theme would set 12.75 px grey ticks unless the figure sets its own
TEXT_COLOR = "#1a1a1a"  # near black: Streamlit's theme greys axis text (rgb 128,132,149), too faint on a projector
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")


def as_array(values: object, name: str, dims: int | None = None) -> np.ndarray:
    """A float numpy array from a tensor, array or list; ValueError naming `name` otherwise."""
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be numbers (a tensor, array or list): {error}") from None
    if dims is not None and array.ndim != dims:
        raise ValueError(f"{name} must have {dims} dimension(s), got shape {array.shape}")
    return array


def style(
    figure: go.Figure,
    *,
    title: str | None = None,
    x_title: str | None = None,
    y_title: str | None = None,
    height: int = 420,
    template: str | None = "plotly_white",
) -> go.Figure:
    """Projector style: big fonts, white background, titled axes.

    `template=None` keeps no Plotly template of its own and sets the white background directly; Streamlit's
    chart theme styles the rest. The properties are constants, so they are merged into the figure's own
    dictionaries without Plotly's validation (a validated `update_layout` with a template cost 25-45 ms per
    figure, most of a page's rerun); tests/unit/test_plots_base.py checks that the result equals the validated one.
    """
    layout = _layout_properties(figure)
    if template:
        layout["template"] = json.loads(_template_json(template))  # replaced, never merged (Plotly does the same)
    else:
        _merge(layout, {"paper_bgcolor": "white", "plot_bgcolor": "white"})
    _merge(
        layout,
        {
            "height": height,
            "font": {"size": FONT_SIZE, "color": TEXT_COLOR},
            "margin": {"l": 70, "r": 30, "t": 60 if title else 30, "b": 60},
            "legend": {
                "font": {"size": FONT_SIZE - 2, "color": TEXT_COLOR},
                "title": {"font": {"size": FONT_SIZE, "color": TEXT_COLOR}},
            },
            "hoverlabel": {"font": {"size": FONT_SIZE}},
            "coloraxis": {"colorbar": _colorbar_text()},
        },
    )
    # explicit on every axis, so Streamlit's theme template cannot grey or shrink them
    for prefix, axis_title in (("xaxis", x_title), ("yaxis", y_title)):
        axis = {"tickfont": {"size": TICK_SIZE, "color": TEXT_COLOR}, "title": {"font": {"size": FONT_SIZE, "color": TEXT_COLOR}}}
        if axis_title:
            axis["title"]["text"] = axis_title
        for name in _axis_names(layout, prefix):
            _merge(layout.setdefault(name, {}), axis)
    for trace in figure.data:
        if "colorbar" in trace:  # a trace type with a colour bar: dark, projector-sized text
            _merge(_trace_properties(trace), {"colorbar": _colorbar_text()})
    if title:
        _merge(layout, {"title": {"text": title, "x": 0.01, "xanchor": "left"}})
    return figure


@functools.cache
def _template_json(name: str) -> str:
    """The registered Plotly template `name` as JSON, validated once per process; each figure parses its own copy."""
    return json.dumps(pio.templates[name].to_plotly_json())


def _colorbar_text() -> dict[str, dict]:
    """Dark, projector-sized colour-bar text."""
    return {"tickfont": {"size": TICK_SIZE, "color": TEXT_COLOR}, "title": {"font": {"size": FONT_SIZE, "color": TEXT_COLOR}}}


def _layout_properties(figure: go.Figure) -> dict:
    """The figure's own layout dictionary (what `to_dict()["layout"]` copies), to merge constants into."""
    return figure.layout._props  # Plotly keeps no public unvalidated write


def _trace_properties(trace: go.BaseTraceType) -> dict:
    """One trace's own dictionary in its figure."""
    return trace._props


def _axis_names(layout: dict, prefix: str) -> list[str]:
    """The layout's axes of one direction, as Plotly's `update_xaxes` finds them: 'xaxis' and every 'xaxis<N>' set."""
    return [prefix] + sorted((name for name in layout if re.fullmatch(rf"{prefix}\d+", name)), key=lambda name: int(name[5:]))


def _merge(target: dict, update: dict) -> None:
    """Merge `update` into `target` in place as Plotly's update does: dictionaries merge, anything else replaces."""
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value) if isinstance(value, dict | list) else value


def loss_curve(
    steps: Sequence[float],
    losses: Sequence[float] | dict[str, Sequence[float]],
    *,
    baseline: float | None = None,
    log_y: bool = False,
    y_title: str = "loss",
    title: str | None = None,
) -> go.Figure:
    """Loss per training step; several named runs overlay; an optional dashed baseline."""
    runs = losses if isinstance(losses, dict) else {"loss": losses}
    figure = go.Figure()
    for index, (name, values) in enumerate(runs.items()):
        values = as_array(values, f"losses[{name!r}]", 1)
        x = as_array(steps, "steps", 1) if not isinstance(losses, dict) else np.arange(1, len(values) + 1)
        if len(x) != len(values):
            raise ValueError(f"steps and losses must have the same length, got {len(x)} and {len(values)}")
        figure.add_trace(
            go.Scatter(x=x, y=values, mode="lines", name=name, line={"color": PALETTE[index % len(PALETTE)], "width": 3})
        )
    if baseline is not None:
        figure.add_hline(
            y=baseline,
            line_dash="dash",
            line_color="gray",
            annotation_text="input-blind baseline",
            annotation_position="top right",
        )
    style(figure, title=title, x_title="training step", y_title=y_title)
    if log_y:
        figure.update_yaxes(type="log")
    figure.update_layout(showlegend=len(runs) > 1)
    return figure


def heatmap(
    values: object,
    *,
    x_labels: Sequence[str] | None = None,
    y_labels: Sequence[str] | None = None,
    x_title: str = "",
    y_title: str = "",
    color_title: str = "",
    title: str | None = None,
    colorscale: str = "RdBu",
    symmetric: bool = False,
    hover: str | None = None,
    height: int = 420,
) -> go.Figure:
    """A labelled heatmap of a 2-D array (rows = y, columns = x)."""
    array = as_array(values, "values", 2)
    if array.size == 0:
        raise ValueError("values is empty: there is nothing to draw")
    limits = {}
    if symmetric:
        bound = float(np.nanmax(np.abs(array))) or 1.0
        limits = {"zmin": -bound, "zmax": bound, "zmid": 0.0}
    trace = go.Heatmap(
        z=array,
        x=list(x_labels) if x_labels is not None else None,
        y=list(y_labels) if y_labels is not None else None,
        colorscale=colorscale,
        colorbar={"title": {"text": color_title, "side": "right"}},
        hovertemplate=hover,
        **limits,
    )
    figure = style(go.Figure(trace), title=title, x_title=x_title, y_title=y_title, height=height)
    return figure
