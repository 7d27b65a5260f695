"""Figures of the gradient lab: gradient per timestep over training, the bound, clipping, singular values.

Data in (arrays, lists, dicts of named series), Plotly figures out, styled for a projector by
`rnnviz.plots.base.style`. Logarithmic axes throughout: gradients span tens of orders of
magnitude. Exact zeros (truncated BPTT) and overflow (a diverging run) are drawn in their own
colours instead of disappearing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.colors
import plotly.graph_objects as go

from rnnviz.plots.base import FONT_SIZE, PALETTE, as_array, style

ZERO_COLOR = "#bdbdbd"
OVERFLOW_COLOR = "#00bcd4"
BEFORE_COLOR = "#d62728"
AFTER_COLOR = "#1f77b4"
MEASURED_COLOR = "#ff7f0e"  # orange: the factor per step the measured profile shows (no block uses it)
CLIP_PERCENTILES = (1.0, 99.0)  # the heatmap's colour range: one spike must not darken the rest
CLIP_SLACK = 0.25  # decades a tail may reach past its percentile before it is clipped
CLIPPED_NOTE = "<br>colours clipped to<br>the 1st–99th<br>percentile"
ZERO_NAME = "exactly 0: no path (truncated or saturated), not small"
# Inferno (dark = small) as rgb() strings: Streamlit's front end misreads the "#000004" of Plotly's
# named scale and paints the smallest values violet, exactly where vanishing should look black.
GRADIENT_SCALE = [[i / 9, "rgb({}, {}, {})".format(*plotly.colors.hex_to_rgb(color))]
                  for i, color in enumerate(plotly.colors.sequential.Inferno)]
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def power_label(exponent: int) -> str:
    """10⁻⁶ for -6: tick labels readable from the back of a room."""
    return "10" + str(int(exponent)).translate(_SUPERSCRIPT)


def log_ticks(low: float, high: float, most: int = 8) -> tuple[list[float], list[str]]:
    """Tick positions (log10) and labels between low and high: whole decades, or 1-2-5 steps in a narrow range."""
    first, last = int(np.floor(low)), int(np.ceil(high))
    if high - low < 2:
        values = [float(np.log10(m) + e) for e in range(first, last + 1) for m in (1, 2, 5)
                  if low <= np.log10(m) + e <= high]
        if len(values) >= 2:
            return values, [power_label(round(v)) if m == 1 else f"{m}·{power_label(int(np.floor(v)))}"
                            for v, m in ((v, round(10 ** (v - np.floor(v)))) for v in values)]
    stride = max(1, int(np.ceil((last - first + 1) / most)))
    values = list(range(first, last + 1, stride))
    return values, [power_label(v) for v in values]


def log_grid(grid: np.ndarray) -> tuple[np.ndarray, tuple[float, float] | None]:
    """log10 of the positive finite entries (NaN elsewhere) and their colour range, at least one decade wide."""
    positive = np.isfinite(grid) & (grid > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.where(positive, np.log10(np.where(positive, grid, 1.0)), np.nan)
    if not positive.any():
        return logs, None
    low, high = float(np.nanmin(logs)), float(np.nanmax(logs))
    return logs, ((low - 0.5, high + 0.5) if high - low < 1 else (low, high))


def clipped_span(logs: np.ndarray, percentiles: tuple[float, float] = CLIP_PERCENTILES
                 ) -> tuple[tuple[float, float], bool] | None:
    """The colour range of log10 values and whether it clips any: the percentiles where the tails run on.

    A tail is cut at its percentile only when it reaches more than CLIP_SLACK decades beyond it, so
    a few outliers cannot stretch the scale and a plain range keeps its true ends; at least one decade.
    """
    values = logs[np.isfinite(logs)]
    if not values.size:
        return None
    smallest, largest = float(values.min()), float(values.max())
    low, high = (float(v) for v in np.percentile(values, percentiles))
    low = smallest if smallest >= low - CLIP_SLACK else low
    high = largest if largest <= high + CLIP_SLACK else high
    if high - low < 1:
        low, high = low - 0.5, high + 0.5
    return (low, high), bool(low > smallest or high < largest)


def legend_square(name: str, color: str) -> go.Scatter:
    """A legend-only entry (a coloured square) for colours drawn outside the colour scale."""
    return go.Scatter(x=[None], y=[None], mode="markers", name=name, showlegend=True,
                      marker={"symbol": "square", "size": 14, "color": color})


def gradient_heatmap(steps: Sequence[int], profiles: object, *, title: str | None = None,
                     height: int = 460) -> go.Figure:
    """||dL/dh_t|| for each recorded training step (rows) and timestep t (columns), log colour."""
    grid = as_array(profiles, "profiles", 2)
    rows = as_array(steps, "steps", 1)
    if grid.size == 0:
        raise ValueError("profiles is empty: record at least one gradient profile first")
    if len(rows) != grid.shape[0]:
        raise ValueError(f"one training step per profile: got {len(rows)} steps and {grid.shape[0]} profiles")
    finite = np.isfinite(grid)
    logs, _ = log_grid(grid)
    scale = clipped_span(logs)
    figure = go.Figure()
    timesteps = np.arange(grid.shape[1])
    if scale is not None:
        (low, high), clipped = scale
        ticks, labels = log_ticks(low, high)
        bar_title = "‖∂L/∂h_t‖<br>(log scale)" + (CLIPPED_NOTE if clipped else "")
        figure.add_trace(go.Heatmap(
            z=logs, x=timesteps, y=rows, customdata=grid, colorscale=GRADIENT_SCALE, zmin=low, zmax=high,
            colorbar={"title": {"text": bar_title, "side": "top"}, "tickvals": ticks, "ticktext": labels, "len": 0.9},
            hovertemplate="training step %{y}<br>t = %{x}<br>‖∂L/∂h_t‖ = %{customdata:.3g}<extra></extra>",
            name="‖∂L/∂h_t‖", showlegend=False))
    for mask, color, name in ((finite & (grid == 0), ZERO_COLOR, ZERO_NAME),
                              (~finite, OVERFLOW_COLOR, "overflow (inf/NaN)")):
        if mask.any():
            figure.add_trace(go.Heatmap(
                z=np.where(mask, 1.0, np.nan), x=timesteps, y=rows, colorscale=[[0, color], [1, color]],
                showscale=False, hovertemplate=f"training step %{{y}}<br>t = %{{x}}<br>{name}<extra></extra>"))
            figure.add_trace(legend_square(name, color))
    style(figure, title=title, x_title="timestep t (position in the sequence)", y_title="training step",
          height=height)
    figure.update_layout(legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0, "xanchor": "left"})
    if len(rows) <= 6:  # a few measurements: label exactly those steps, no fractional ticks
        figure.update_yaxes(tickmode="array", tickvals=list(rows), ticktext=[f"{int(r)}" for r in rows])
    return figure


def _hline(figure: go.Figure, y: float, text: str, *, color: str = "#555555", dash: str = "dash",
           left: bool = True, below: bool = False) -> None:
    """A horizontal line on the (log) y axis with its label just above (or below) it.

    (Plotly places a log-axis hline's own annotation at 10**y, so the label is added here.)
    """
    figure.add_shape(type="line", xref="paper", x0=0, x1=1, yref="y", y0=y, y1=y,
                     line={"color": color, "width": 2, "dash": dash})
    figure.add_annotation(text=text, x=0.01 if left else 0.99, xref="paper", y=float(np.log10(y)), yref="y",
                          xanchor="left" if left else "right", yanchor="top" if below else "bottom",
                          showarrow=False, font={"size": FONT_SIZE - 2, "color": color})


def _log_axis(figure: go.Figure, values: object, *, axis: str = "yaxis", span: tuple[float, float] | None = None,
              **extra: object) -> None:
    """Log scale on one y axis, ticks labelled 10⁻³ or 2·10⁻³ (about 8 at most), over the data or `span`."""
    data = np.asarray(values, dtype=np.float64).ravel()
    data = data[np.isfinite(data) & (data > 0)]
    if span is None and data.size:
        span = (float(np.log10(data.min())), float(np.log10(data.max())))
    if span is not None:
        ticks, labels = log_ticks(span[0] - 0.05, span[1] + 0.05)
        extra = {**extra, "tickmode": "array", "tickvals": [10.0 ** v for v in ticks], "ticktext": labels}
    figure.layout[axis].update(type="log", **extra)


def _running_mean(values: np.ndarray, window: int) -> np.ndarray:
    """Mean of the last `window` values at each step (fewer at the start), NaN-free input assumed."""
    if not len(values):
        return values
    sums = np.cumsum(np.insert(values, 0, 0.0))
    counts = np.minimum(np.arange(1, len(values) + 1), window)
    return (sums[1:] - sums[np.arange(1, len(values) + 1) - counts]) / counts


def _positive_or_none(values: np.ndarray) -> np.ndarray:
    """Values for a log axis: zeros and non-finite values become NaN, which Plotly draws as gaps."""
    values = np.asarray(values, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(values) & (values > 0), values, np.nan)


def profile_chart(profile: object, *, step: int, bound: object | None = None, truncated_k: int | None = None,
                  overlays: Mapping[str, object] | None = None, colors: Sequence[str] | None = None,
                  label: str = "this run", title: str | None = None, height: int = 440) -> go.Figure:
    """The gradient reaching each timestep at one training step, the bound, and other runs' profiles."""
    values = as_array(profile, "profile", 1)
    if values.size == 0:
        raise ValueError("profile is empty: there is nothing to draw")
    timesteps = np.arange(len(values))
    figure = go.Figure()
    shown = [values]
    for index, (name, other) in enumerate((overlays or {}).items()):
        other = as_array(other, f"overlay {name!r}", 1)
        shown.append(other)
        color = (colors or PALETTE)[(index + 1) % len(colors or PALETTE)]
        figure.add_trace(go.Scatter(x=np.arange(len(other)), y=_positive_or_none(other), mode="lines", name=name,
                                    line={"color": color, "width": 2}, opacity=0.8))
    main_color = (colors or PALETTE)[0]
    figure.add_trace(go.Scatter(x=timesteps, y=_positive_or_none(values), mode="lines+markers", name=label,
                                line={"color": main_color, "width": 4}, marker={"size": 5}))
    if bound is not None:
        limit = as_array(bound, "bound", 1)
        if len(limit) != len(values):
            raise ValueError(f"bound and profile must have the same length, got {len(limit)} and {len(values)}")
        figure.add_trace(go.Scatter(x=timesteps, y=_positive_or_none(limit), mode="lines",
                                    name="bound from (γ·σ_max(W_hh))^(T−t)",
                                    line={"color": "#555555", "width": 3, "dash": "dash"}))
    everything = np.concatenate([v[np.isfinite(v) & (v > 0)] for v in shown])
    span = None
    if everything.size:
        low, high = float(np.log10(everything.min())), float(np.log10(everything.max()))
        if bound is not None:  # show where the bound goes, up to 3 decades above the curves
            limit = as_array(bound, "bound", 1)
            limit = limit[np.isfinite(limit) & (limit > 0)]
            high = min(float(np.log10(limit.max())), high + 3.0) if limit.size else high
        span = (low - 0.3, max(high + 0.3, low + 1.0))
        figure.update_yaxes(range=list(span))
    if truncated_k is not None and truncated_k < len(values):
        figure.add_vrect(x0=-0.5, x1=len(values) - truncated_k - 0.5, fillcolor=ZERO_COLOR, opacity=0.35,
                         line_width=0, annotation_text=f"gradient exactly 0 (truncated, k = {truncated_k})",
                         annotation_position="top left", annotation_font_size=FONT_SIZE - 2)
    style(figure, title=title, x_title="timestep t (position in the sequence)",
          y_title="‖∂L/∂h_t‖ (log scale)", height=height)
    _log_axis(figure, everything, span=span)
    figure.update_layout(legend={"orientation": "h", "y": -0.25, "x": 0})
    figure.add_annotation(text=f"training step {step}", xref="paper", yref="paper", x=1, y=1.0,
                          xanchor="right", yanchor="bottom", showarrow=False, font={"size": FONT_SIZE})
    return figure


def grad_norm_chart(steps: Sequence[int], before: Sequence[float], after: Sequence[float], *,
                    threshold: float | None = None, title: str | None = None, height: int = 400) -> go.Figure:
    """Total gradient norm per training step, before and after clipping (log scale)."""
    x = as_array(steps, "steps", 1)
    raw, clipped = as_array(before, "before", 1), as_array(after, "after", 1)
    if not len(x) == len(raw) == len(clipped):
        raise ValueError(f"steps, before and after must have the same length: {len(x)}, {len(raw)}, {len(clipped)}")
    figure = go.Figure()
    figure.add_trace(go.Scatter(x=x, y=_positive_or_none(raw), mode="lines", name="before clipping",
                                line={"color": BEFORE_COLOR, "width": 3}))
    if threshold is not None:
        figure.add_trace(go.Scatter(x=x, y=_positive_or_none(clipped), mode="lines", name="after clipping",
                                    line={"color": AFTER_COLOR, "width": 3}))
        _hline(figure, threshold, f"clipping threshold {threshold:g}", color="#333333", dash="dot", left=False)
    else:
        figure.add_annotation(text="no clipping by norm in this run: before = after", xref="paper", yref="paper",
                              x=0.99, y=0.98, xanchor="right", yanchor="top", showarrow=False,
                              font={"size": FONT_SIZE - 2, "color": "#555555"})
    style(figure, title=title, x_title="training step", y_title="‖gradient‖ of all weights (log)", height=height)
    _log_axis(figure, np.concatenate([raw, clipped, [threshold or np.nan]]))
    figure.update_traces(showlegend=True)
    figure.update_layout(legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0})
    return figure


def _sigma_line(name: str, index: int) -> dict:
    """Black for the mean Jacobian, thick green for the measured factor, dotted palette colours for the rest."""
    if name.startswith("measured"):
        return {"color": MEASURED_COLOR, "width": 5, "dash": "solid"}
    if "Jacobian" in name:
        return {"color": "#000000", "width": 4, "dash": "solid"}
    return {"color": PALETTE[index % len(PALETTE)], "width": 2, "dash": "dot"}


def singular_value_chart(steps: Sequence[int], series: Mapping[str, Sequence[float]], *,
                         title: str | None = None, height: int = 400) -> go.Figure:
    """Named singular values over training; a line at 1, the edge between shrinking and growing."""
    x = as_array(steps, "steps", 1)
    if not series:
        raise ValueError("series is empty: give at least one named list of singular values")
    figure = go.Figure()
    for index, (name, values) in enumerate(series.items()):
        values = as_array(values, f"series[{name!r}]", 1)
        if len(values) != len(x):
            raise ValueError(f"series[{name!r}] has {len(values)} values for {len(x)} steps")
        figure.add_trace(go.Scatter(x=x, y=_positive_or_none(values), mode="lines+markers", name=name,
                                    line=_sigma_line(name, index)))
    _hline(figure, 1.0, "1: a step neither shrinks nor stretches", left=False, below=True)
    style(figure, title=title, x_title="training step", y_title="singular value or factor per step (log)",
          height=height)
    _log_axis(figure, np.concatenate([np.asarray(v, dtype=np.float64) for v in series.values()] + [[1.0]]))
    figure.update_layout(legend={"orientation": "h", "y": -0.25, "x": 0})
    return figure


def loss_accuracy_chart(runs: Mapping[str, tuple[Sequence[float], Sequence[float]]], *, baseline: float,
                        colors: Sequence[str] | None = None, smooth: int = 10, height: int = 520,
                        score_title: str = "accuracy") -> go.Figure:
    """Loss (top, log scale, running mean over `smooth` steps) and accuracy (bottom, titled `score_title`) of runs."""
    if not runs:
        raise ValueError("runs is empty: train a run first")
    palette = colors or PALETTE
    traces, every_loss = [], [np.array([baseline])]
    for index, (name, (losses, accuracy)) in enumerate(runs.items()):
        loss, hits = as_array(losses, f"losses of {name!r}", 1), as_array(accuracy, f"accuracy of {name!r}", 1)
        color = palette[index % len(palette)]
        x = np.arange(1, len(loss) + 1)
        every_loss.append(loss)
        traces += [
            go.Scatter(x=x, y=_positive_or_none(loss), mode="lines", line={"color": color, "width": 1}, opacity=0.25,
                       showlegend=False, hoverinfo="skip"),
            go.Scatter(x=x, y=_positive_or_none(_running_mean(loss, smooth)), mode="lines", name=name,
                       line={"color": color, "width": 3}),
            go.Scatter(x=x, y=_running_mean(hits, smooth), mode="lines", showlegend=False, yaxis="y2",
                       line={"color": color, "width": 3}),
        ]
    # One x axis under two stacked y axes: the layout make_subplots would build, at a fraction of its cost.
    figure = go.Figure(traces, layout={"xaxis": {"anchor": "y2", "title": {"text": "training step"}},
                                       "yaxis": {"domain": [0.36, 1.0]},
                                       "yaxis2": {"domain": [0.0, 0.28], "anchor": "x", "range": [0, 1.02],
                                                  "tickformat": ".0%", "title": {"text": score_title}}})
    _hline(figure, baseline, "input-blind baseline", left=False, below=True)
    style(figure, height=height)
    _log_axis(figure, np.concatenate(every_loss), title={"text": "loss (log)"})
    figure.update_layout(legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0})
    return figure
