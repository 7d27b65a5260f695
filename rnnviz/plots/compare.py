"""Figures of a cell comparison: training curves of every run, and the final scores over seeds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go

from rnnviz.plots.base import PALETTE, as_array, style

if TYPE_CHECKING:
    import altair as alt


@dataclass(frozen=True)
class Curve:
    """One run's curve: its configuration's label, its seed, x (steps or seconds) and y (loss or metric)."""

    label: str
    seed: int
    x: Sequence[float]
    y: Sequence[float]


def colors_for(labels: Sequence[str]) -> dict[str, str]:
    """One colour per configuration label, in order of first appearance."""
    unique = list(dict.fromkeys(labels))
    return {label: PALETTE[index % len(PALETTE)] for index, label in enumerate(unique)}


def training_curves(
    curves: Sequence[Curve], *, x_title: str, y_title: str, log_y: bool = False, title: str | None = None, height: int = 400
) -> go.Figure:
    """Every run as a line, one colour per configuration (its seeds share it), one legend entry each."""
    if not curves:
        raise ValueError("there are no runs to draw yet: press Train")
    colors = colors_for([curve.label for curve in curves])
    figure, shown = go.Figure(), set()
    for curve in curves:
        x, y = as_array(curve.x, f"x of {curve.label}", 1), as_array(curve.y, f"y of {curve.label}", 1)
        if len(x) != len(y):
            raise ValueError(f"x and y of {curve.label} (seed {curve.seed}) differ in length: {len(x)} and {len(y)}")
        figure.add_trace(
            go.Scatter(
                x=x,
                y=y,
                mode="lines",
                name=curve.label,
                legendgroup=curve.label,
                showlegend=curve.label not in shown,
                line={"color": colors[curve.label], "width": 2.5},
                hovertemplate=f"{curve.label} · seed {curve.seed}<br>%{{x:.4g}}: %{{y:.4g}}<extra></extra>",
            )
        )
        shown.add(curve.label)
    style(figure, title=title, x_title=x_title, y_title=y_title, height=height)
    if log_y:
        figure.update_yaxes(type="log")
    figure.update_layout(legend={"orientation": "h", "y": -0.22, "x": 0})
    return figure


def final_scores(
    labels: Sequence[str], values: Sequence[Sequence[float]], *, y_title: str, title: str | None = None, height: int = 380
) -> go.Figure:
    """Each configuration's seeds as dots, and their mean ± standard deviation as a bar with whiskers."""
    if len(labels) != len(values) or not labels:
        raise ValueError(f"give one list of values per configuration, got {len(labels)} labels and {len(values)} lists")
    colors = colors_for(labels)
    figure = go.Figure()
    for label, scores in zip(labels, values):
        finite = as_array([v for v in scores if v is not None and np.isfinite(v)], f"scores of {label}", 1)
        if finite.size == 0:
            continue
        spread = float(finite.std(ddof=1)) if finite.size > 1 else 0.0
        figure.add_trace(
            go.Bar(
                x=[label],
                y=[float(finite.mean())],
                marker_color=colors[label],
                opacity=0.45,
                error_y={"type": "data", "array": [spread], "thickness": 3, "width": 12},
                name=label,
                showlegend=False,
                hovertemplate=f"{label}: mean %{{y:.4g}} ± {spread:.2g}<extra></extra>",
            )
        )
        figure.add_trace(
            go.Scatter(
                x=[label] * finite.size,
                y=finite,
                mode="markers",
                showlegend=False,
                marker={"color": colors[label], "size": 12, "line": {"width": 1.5, "color": "#1a1a1a"}},
                hovertemplate=f"{label}: one seed %{{y:.4g}}<extra></extra>",
            )
        )
    return style(figure, title=title, x_title="configuration", y_title=y_title, height=height)


# ---------------------------------------------------------------- PNG export (Altair + vl-convert: no browser)

PNG_WIDTH, PNG_HEIGHT = 640, 340


def _color_scale(labels: Sequence[str]) -> alt.Scale:
    """The configurations' colours as an Altair scale (the same colours as the page's charts)."""
    import altair as alt

    colors = colors_for(labels)
    return alt.Scale(domain=list(colors), range=list(colors.values()))


def _axis_config(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """Big, dark text: the report is read on a projector too."""
    return (
        chart.configure_axis(labelFontSize=14, titleFontSize=16, labelColor="#1a1a1a", titleColor="#1a1a1a")
        .configure_legend(labelFontSize=14, titleFontSize=14, orient="bottom")
        .configure_title(fontSize=18)
        .configure_view(stroke=None)
    )


def final_scores_chart(
    labels: Sequence[str], values: Sequence[Sequence[float]], *, y_title: str, title: str
) -> alt.TopLevelMixin:
    """The final scores as an Altair chart: each seed a dot, the mean a bar, one standard deviation a whisker."""
    import altair as alt
    import pandas as pd

    if len(labels) != len(values) or not labels:
        raise ValueError(f"give one list of values per configuration, got {len(labels)} labels and {len(values)} lists")
    dots = pd.DataFrame(
        [{"configuration": label, "score": float(v)} for label, scores in zip(labels, values) for v in scores if np.isfinite(v)]
    )
    if dots.empty:
        raise ValueError("no run has a finite score to draw")
    color = alt.Color("configuration:N", scale=_color_scale(labels), legend=None)
    x = alt.X("configuration:N", sort=list(dict.fromkeys(labels)), title="configuration", axis=alt.Axis(labelAngle=0))
    base = alt.Chart(dots).encode(x=x, color=color)
    bars = base.mark_bar(opacity=0.45, size=48).encode(y=alt.Y("mean(score):Q", title=y_title))
    whiskers = base.mark_errorbar(extent="stdev", thickness=3, ticks={"size": 18}).encode(y=alt.Y("score:Q", title=y_title))
    points = base.mark_circle(size=140, opacity=1, stroke="#1a1a1a", strokeWidth=1.5).encode(y="score:Q")
    chart = (bars + whiskers + points).properties(title=title, width=PNG_WIDTH, height=PNG_HEIGHT)
    return _axis_config(chart)


def training_curves_chart(curves: Sequence[Curve], *, x_title: str, y_title: str, title: str) -> alt.TopLevelMixin:
    """Every run as a line (a configuration's seeds share its colour), as an Altair chart."""
    import altair as alt
    import pandas as pd

    if not curves:
        raise ValueError("there are no runs to draw")
    rows = [
        {"configuration": curve.label, "run": f"{curve.label} · seed {curve.seed}", "x": float(x), "y": float(y)}
        for curve in curves
        for x, y in zip(curve.x, curve.y)
    ]
    labels = [curve.label for curve in curves]
    chart = (
        alt.Chart(pd.DataFrame(rows))
        .mark_line(strokeWidth=2.5)
        .encode(
            x=alt.X("x:Q", title=x_title),
            y=alt.Y("y:Q", title=y_title, scale=alt.Scale(zero=False)),
            color=alt.Color("configuration:N", scale=_color_scale(labels), title="configuration"),
            detail="run:N",
        )
        .properties(title=title, width=PNG_WIDTH, height=PNG_HEIGHT)
    )
    return _axis_config(chart)


def to_png(chart: alt.TopLevelMixin, scale: float = 2.0) -> bytes:
    """An Altair chart as PNG bytes, rendered by vl-convert (in-process: no browser, no network)."""
    import vl_convert

    return vl_convert.vegalite_to_png(chart.to_json(), scale=scale)
