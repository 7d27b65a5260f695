"""Signature figures: a pen trajectory, the 23 time functions, DET curves on probit axes, score histograms."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
import torch
from plotly.subplots import make_subplots

from rnnviz.plots.base import PALETTE, as_array, style

DET_LIMITS = (0.001, 0.6)  # 0.1 % .. 60 %
DET_TICKS = (0.001, 0.005, 0.02, 0.05, 0.1, 0.2, 0.4)  # spaced so 20 px labels do not collide
LABEL_COLOURS = {"genuine": "#2ca02c", "skilled": "#d62728", "random": "#1f77b4"}


def _probit(values: np.ndarray) -> np.ndarray:
    """Standard normal quantiles of fractions clipped to the DET axes."""
    clipped = np.clip(np.asarray(values, dtype=np.float64), *DET_LIMITS)
    return torch.special.ndtri(torch.from_numpy(clipped)).numpy()


def _percent(value: float) -> str:
    """0.005 -> '0.5', 0.2 -> '20'."""
    return f"{100 * value:g}"


def trajectory_figure(
    points: object, *, title: str | None = None, height: int = 420, overlay: Mapping[str, object] | None = None
) -> go.Figure:
    """The pen path of a signature (N, ≥7 SVC2004 columns), one line per pen-down stroke, coloured by pressure.

    `overlay`: other signatures (name -> points) drawn as thin grey lines beneath, e.g. the references.
    """
    figure = go.Figure()
    for index, (name, other) in enumerate((overlay or {}).items()):
        array = as_array(other, f"overlay[{name!r}]", 2)
        figure.add_trace(
            go.Scatter(
                x=array[:, 0],
                y=array[:, 1],
                mode="lines",
                name=name,
                opacity=0.5,
                line={"width": 1.5, "color": PALETTE[(index + 2) % len(PALETTE)]},
            )
        )
    array = as_array(points, "points", 2)
    if array.shape[0] < 1 or array.shape[1] < 7:
        raise ValueError(f"points must be (N, 7) in SVC2004 column order (X Y T BUTTON ...), got {array.shape}")
    starts = np.flatnonzero(array[:, 3] == 0)
    starts = np.unique(np.r_[0, starts, len(array)])
    for number, (start, end) in enumerate(itertools.pairwise(starts)):
        stroke = array[start:end]
        figure.add_trace(
            go.Scatter(
                x=stroke[:, 0],
                y=stroke[:, 1],
                mode="lines+markers",
                name=f"stroke {number + 1}",
                showlegend=False,
                line={"width": 2, "color": "#444"},
                marker={
                    "size": 5,
                    "color": stroke[:, 6],
                    "colorscale": "Viridis",
                    "cmin": 0,
                    "cmax": max(float(array[:, 6].max()), 1.0),
                    "showscale": number == 0,
                    "colorbar": {"title": {"text": "pressure", "side": "right"}},
                },
                hovertemplate="x %{x:.0f}, y %{y:.0f}<br>pressure %{marker.color:.0f}<extra></extra>",
            )
        )
    style(figure, title=title, x_title="x (tablet units)", y_title="y (tablet units)", height=height)
    figure.update_yaxes(scaleanchor="x", scaleratio=1)
    figure.update_layout(showlegend=bool(overlay), legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0.3})
    return figure


def time_functions_figure(values: object, names: Sequence[str], *, columns: int = 4, height_per_row: int = 170) -> go.Figure:
    """Small multiples: each normalised time function (N, F) against the sample number n."""
    array = as_array(values, "values", 2)
    if array.shape[1] != len(names):
        raise ValueError(f"values have {array.shape[1]} functions but {len(names)} names were given")
    if array.shape[0] == 0:
        raise ValueError("values are empty: choose a signature with at least two points")
    rows = -(-len(names) // columns)
    figure = make_subplots(
        rows=rows,
        cols=columns,
        subplot_titles=list(names),
        shared_xaxes=True,
        vertical_spacing=0.35 / rows,
        horizontal_spacing=0.06,
    )
    samples = np.arange(array.shape[0])
    for index, name in enumerate(names):
        figure.add_trace(
            go.Scatter(
                x=samples,
                y=array[:, index],
                mode="lines",
                name=name,
                showlegend=False,
                line={"width": 1.5, "color": PALETTE[index % len(PALETTE)]},
                hovertemplate=f"{name}: %{{y:.2f}} at n = %{{x}}<extra></extra>",
            ),
            row=index // columns + 1,
            col=index % columns + 1,
        )
    style(figure, height=rows * height_per_row + 80)
    figure.update_annotations(font_size=15)
    figure.update_xaxes(title_text="sample n", row=rows)
    figure.update_yaxes(title_text="z-score", col=1)
    figure.update_layout(margin={"t": 40})
    return figure


def det_figure(
    curves: Mapping[str, tuple[Sequence[float], Sequence[float]]],
    eers: Mapping[str, float] | None = None,
    *,
    title: str | None = None,
    height: int = 640,
) -> go.Figure:
    """DET curves (name -> (FAR, FRR) as fractions) on probit axes, each with its EER point marked; legend below.

    The legend sits under the square plot: beside it, long system names left the plot a narrow strip.
    """
    if not curves:
        raise ValueError("no DET curve to draw: evaluate at least one system first")
    figure = go.Figure()
    for index, (name, (far, frr)) in enumerate(curves.items()):
        far, frr = as_array(far, f"FAR of {name}", 1), as_array(frr, f"FRR of {name}", 1)
        if len(far) != len(frr) or len(far) == 0:
            raise ValueError(f"{name}: FAR and FRR must be non-empty and of equal length, got {len(far)}, {len(frr)}")
        colour = PALETTE[index % len(PALETTE)]
        figure.add_trace(
            go.Scatter(
                x=_probit(far),
                y=_probit(frr),
                mode="lines",
                name=name,
                line={"width": 3, "color": colour},
                customdata=np.c_[100 * far, 100 * frr],
                hovertemplate=f"FAR %{{customdata[0]:.2f}} %, FRR %{{customdata[1]:.2f}} %<extra>{name}</extra>",
            )
        )
        if eers and name in eers:
            point = _probit(np.array([eers[name]]))
            figure.add_trace(
                go.Scatter(
                    x=point,
                    y=point,
                    mode="markers",
                    showlegend=False,
                    marker={"size": 11, "color": colour, "line": {"width": 1, "color": "black"}},
                    hovertemplate=f"EER {100 * eers[name]:.2f} %<extra>{name}</extra>",
                )
            )
    ticks = _probit(np.array(DET_TICKS))
    limits = _probit(np.array(DET_LIMITS))
    axis = {"tickvals": ticks, "ticktext": [_percent(t) for t in DET_TICKS], "range": [limits[0], limits[1]]}
    figure.add_trace(
        go.Scatter(
            x=limits,
            y=limits,
            mode="lines",
            name="FAR = FRR",
            hoverinfo="skip",
            line={"dash": "dot", "color": "gray", "width": 1},
        )
    )
    style(
        figure,
        title=title,
        x_title="false acceptance rate (%, probit scale)",
        y_title="false rejection rate (%, probit scale)",
        height=height,
    )
    figure.update_xaxes(**axis)
    figure.update_yaxes(**axis, scaleanchor="x", scaleratio=1)
    figure.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -0.2, "xanchor": "left", "x": 0})
    return figure


def score_histogram_figure(
    edges: Sequence[float],
    counts: Mapping[str, Sequence[int]],
    *,
    threshold: float | None = None,
    x_title: str = "score",
    title: str | None = None,
    height: int = 380,
) -> go.Figure:
    """Histograms of genuine and impostor scores (shares of each kind per bin), with the EER threshold."""
    edges = as_array(edges, "edges", 1)
    if len(edges) < 2:
        raise ValueError("edges must hold at least two bin edges")
    figure = go.Figure()
    centres, widths = (edges[:-1] + edges[1:]) / 2, np.diff(edges)
    for name, values in counts.items():
        values = as_array(values, f"counts[{name!r}]", 1)
        if len(values) != len(centres):
            raise ValueError(f"counts[{name!r}] has {len(values)} bins, edges make {len(centres)}")
        total = values.sum()
        share = 100 * values / total if total else values
        figure.add_trace(
            go.Bar(
                x=centres,
                y=share,
                width=widths,
                name=f"{name} ({int(total):,})",
                opacity=0.6,
                marker_color=LABEL_COLOURS.get(name, PALETTE[len(figure.data) % len(PALETTE)]),
                hovertemplate="score %{x:.3f}: %{y:.1f} %<extra>" + name + "</extra>",
            )
        )
    if threshold is not None:
        figure.add_vline(
            x=threshold, line_dash="dash", line_color="black", annotation_text="EER threshold", annotation_position="top left"
        )
    style(figure, title=title, x_title=x_title, y_title="share of the trials of each kind (%)", height=height)
    figure.update_layout(barmode="overlay", bargap=0)
    return figure


def training_curves_figure(
    curves: Mapping[str, Mapping[str, object]], *, title: str | None = None, height: int = 620
) -> go.Figure:
    """Training loss (left axis) and validation EER (right axis, %) per run, the best-validation step in green.

    `curves`: name -> {"steps": [...], "loss": [...], "validation": [{"step", "skilled", "random"}], "best_step"}.
    """
    if not curves:
        raise ValueError("no training curve to draw: train a model first")
    figure = make_subplots(specs=[[{"secondary_y": True}]])
    for index, (name, run) in enumerate(curves.items()):
        colour = PALETTE[index % len(PALETTE)]
        steps, loss = as_array(run.get("steps", []), f"steps of {name}", 1), as_array(run.get("loss", []), f"loss of {name}", 1)
        if len(steps) != len(loss):
            raise ValueError(f"{name}: {len(steps)} steps but {len(loss)} loss values")
        figure.add_trace(go.Scatter(x=steps, y=loss, mode="lines", name=f"{name}: training loss",
                                    line={"width": 2, "color": colour}), secondary_y=False)  # fmt: skip
        validation = list(run.get("validation", []))
        if validation:
            figure.add_trace(go.Scatter(
                x=[v["step"] for v in validation], y=[100 * (v["skilled"] + v["random"]) / 2 for v in validation],
                mode="lines+markers", name=f"{name}: validation EER (mean of skilled, random)",
                line={"width": 2, "dash": "dot", "color": colour}, marker={"size": 7},
                customdata=[[100 * v["skilled"], 100 * v["random"]] for v in validation],
                hovertemplate="step %{x}: skilled %{customdata[0]:.1f} %, random %{customdata[1]:.1f} %<extra></extra>",
            ), secondary_y=True)  # fmt: skip
        best = run.get("best_step")
        if best:
            figure.add_vline(x=best, line_color="#2ca02c", line_width=2)
            at_best = [v for v in validation if v["step"] == best]
            if at_best:
                figure.add_trace(go.Scatter(
                    x=[best], y=[100 * (at_best[0]["skilled"] + at_best[0]["random"]) / 2], mode="markers",
                    name=f"{name}: best on validation (step {best})",
                    marker={"size": 16, "symbol": "star", "color": "#2ca02c", "line": {"width": 1.5, "color": colour}},
                    hovertemplate=f"{name}: best on validation at step {best}<extra></extra>",
                ), secondary_y=True)  # fmt: skip
    style(figure, title=title, x_title="training step (one batch of signature pairs)", height=height)
    figure.update_yaxes(title_text="binary cross-entropy loss", secondary_y=False, rangemode="tozero")
    figure.update_yaxes(title_text="validation EER (%)", secondary_y=True, range=[0, 60], dtick=10, showgrid=False)
    figure.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -0.3, "x": 0}, margin={"b": 40})
    return figure
