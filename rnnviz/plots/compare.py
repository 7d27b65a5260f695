"""Figures of a cell comparison: training curves of every run, and the final scores over seeds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from rnnviz.plots.base import PALETTE, as_array, style


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
