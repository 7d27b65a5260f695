"""Common figure pieces, styled for a projector: large type, labelled axes, units."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
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


def style(figure: go.Figure, *, title: str | None = None, x_title: str | None = None,
          y_title: str | None = None, height: int = 420, template: str | None = "plotly_white") -> go.Figure:
    """Projector style: big fonts, white background, titled axes.

    `template=None` skips Plotly's template (about 50 ms per figure on a busy laptop) and
    sets the white background directly; Streamlit's chart theme styles the rest anyway.
    """
    look = {"template": template} if template else {"paper_bgcolor": "white", "plot_bgcolor": "white"}
    figure.update_layout(
        **look, height=height, font={"size": FONT_SIZE, "color": TEXT_COLOR},
        margin={"l": 70, "r": 30, "t": 60 if title else 30, "b": 60},
        legend={"font": {"size": FONT_SIZE - 2, "color": TEXT_COLOR},
                "title": {"font": {"size": FONT_SIZE, "color": TEXT_COLOR}}},
        hoverlabel={"font": {"size": FONT_SIZE}},
        coloraxis={"colorbar": {"tickfont": {"size": TICK_SIZE, "color": TEXT_COLOR},
                                "title": {"font": {"size": FONT_SIZE, "color": TEXT_COLOR}}}},
    )
    axis_text = {"tickfont": {"size": TICK_SIZE, "color": TEXT_COLOR},
                 "title_font": {"size": FONT_SIZE, "color": TEXT_COLOR}}
    figure.update_xaxes(**axis_text)  # explicit, so Streamlit's theme template cannot grey or shrink them
    figure.update_yaxes(**axis_text)
    figure.for_each_trace(_dark_colorbar)
    if title:
        figure.update_layout(title={"text": title, "x": 0.01, "xanchor": "left"})
    if x_title:
        figure.update_xaxes(title_text=x_title)
    if y_title:
        figure.update_yaxes(title_text=y_title)
    return figure


def _dark_colorbar(trace: go.BaseTraceType) -> None:
    """Dark, projector-sized colour-bar text on a trace that has a colour bar."""
    if "colorbar" in trace:
        trace.update(colorbar={"tickfont": {"size": TICK_SIZE, "color": TEXT_COLOR},
                               "title": {"font": {"size": FONT_SIZE, "color": TEXT_COLOR}}})


def loss_curve(steps: Sequence[float], losses: Sequence[float] | dict[str, Sequence[float]], *,
               baseline: float | None = None, log_y: bool = False, y_title: str = "loss",
               title: str | None = None) -> go.Figure:
    """Loss per training step; several named runs overlay; an optional dashed baseline."""
    runs = losses if isinstance(losses, dict) else {"loss": losses}
    figure = go.Figure()
    for index, (name, values) in enumerate(runs.items()):
        values = as_array(values, f"losses[{name!r}]", 1)
        x = as_array(steps, "steps", 1) if not isinstance(losses, dict) else np.arange(1, len(values) + 1)
        if len(x) != len(values):
            raise ValueError(f"steps and losses must have the same length, got {len(x)} and {len(values)}")
        figure.add_trace(go.Scatter(x=x, y=values, mode="lines", name=name,
                                    line={"color": PALETTE[index % len(PALETTE)], "width": 3}))
    if baseline is not None:
        figure.add_hline(y=baseline, line_dash="dash", line_color="gray",
                         annotation_text="input-blind baseline", annotation_position="top right")
    style(figure, title=title, x_title="training step", y_title=y_title)
    if log_y:
        figure.update_yaxes(type="log")
    figure.update_layout(showlegend=len(runs) > 1)
    return figure


def heatmap(values: object, *, x_labels: Sequence[str] | None = None, y_labels: Sequence[str] | None = None,
            x_title: str = "", y_title: str = "", color_title: str = "", title: str | None = None,
            colorscale: str = "RdBu", symmetric: bool = False, hover: str | None = None,
            height: int = 420) -> go.Figure:
    """A labelled heatmap of a 2-D array (rows = y, columns = x)."""
    array = as_array(values, "values", 2)
    if array.size == 0:
        raise ValueError("values is empty: there is nothing to draw")
    limits = {}
    if symmetric:
        bound = float(np.nanmax(np.abs(array))) or 1.0
        limits = {"zmin": -bound, "zmax": bound, "zmid": 0.0}
    trace = go.Heatmap(z=array, x=list(x_labels) if x_labels is not None else None,
                       y=list(y_labels) if y_labels is not None else None, colorscale=colorscale,
                       colorbar={"title": {"text": color_title, "side": "right"}},
                       hovertemplate=hover, **limits)
    figure = style(go.Figure(trace), title=title, x_title=x_title, y_title=y_title, height=height)
    return figure
