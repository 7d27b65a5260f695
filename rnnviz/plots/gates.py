"""Figures of a cell at work on text: units x time heatmaps, gate saturation, units against a signal.

Every function takes arrays and characters (from `rnnviz.charlm.model.TextTrace`), never a model.
Typed text reaches a figure only through `display_char`, which escapes it for Plotly's
pseudo-HTML, so `<script>` or `<b>` typed by a user shows as those characters.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from rnnviz.plots.base import FONT_SIZE, PALETTE, as_array, style

WINDOW = 50  # characters visible at first on a time axis (readable from the back row); drag to pan
GATE_COLORS = "Viridis"  # 0 (closed, dark) .. 1 (open, bright)
STATE_COLORS = "RdBu_r"  # negative blue, 0 white, positive red
TEXT_COLOR = "#1a1a1a"  # dark labels: a projector washes out grey
_VISIBLE = {" ": "␣", "\n": "⏎", "\t": "⇥", "\r": "␍"}


def axis_title(text: str) -> dict:
    """An axis title in near-black (Streamlit's chart theme greys them, which a projector washes out)."""
    return {"text": text, "font": {"color": TEXT_COLOR}}


def build(data: list, layout: dict, *, height: int, title: str | None = None) -> go.Figure:
    """One figure from trace and layout dicts, in projector style.

    Built in one go, with dark text and without Plotly's template: each `update_*` call
    and the template cost tens of milliseconds, and the page redraws on every keystroke.
    """
    layout = {"font": {"color": TEXT_COLOR}, **layout}
    if title:
        layout["title"] = {"text": title, "x": 0.01, "xanchor": "left", "font": {"color": TEXT_COLOR}}
    figure = go.Figure(data=data, layout=layout)
    return style(figure, height=height, template=None)


def display_char(char: str) -> str:
    """A character as a label: whitespace made visible, control characters as U+FFFD, escaped for Plotly."""
    if char in _VISIBLE:
        return _VISIBLE[char]
    if not char.isprintable():
        return "\ufffd"
    return html.escape(char, quote=False)


def char_labels(chars: Sequence[str], unknown: Sequence[bool] | None = None) -> list[str]:
    """Tick labels for a time axis; characters the model never saw in red."""
    labels = [display_char(c) for c in chars]
    if unknown is not None:
        labels = [f"<span style='color:#d62728'>{label}</span>" if flag else label
                  for label, flag in zip(labels, unknown)]
    return labels


def color_limits(values: np.ndarray, value_range: tuple[float, float] | None,
                 percentile: float = 100.0) -> dict[str, float]:
    """zmin/zmax for a gate (its fixed range) or an unbounded state (symmetric around 0).

    `percentile` < 100 lets a few extreme cells saturate the colour rather than wash out all others.
    """
    if value_range is not None:
        return {"zmin": value_range[0], "zmax": value_range[1]}
    finite = np.abs(values[np.isfinite(values)])
    bound = float(np.percentile(finite, percentile)) if finite.size else 1.0
    bound = bound if np.isfinite(bound) and bound > 0 else 1.0
    return {"zmin": -bound, "zmax": bound}


def _colorscale(value_range: tuple[float, float] | None) -> str:
    """Sequential for a gate in [0, 1], diverging around 0 otherwise."""
    return GATE_COLORS if value_range is not None and value_range[0] >= 0 else STATE_COLORS


def time_axis(chars: Sequence[str], unknown: Sequence[bool] | None = None, window: int | None = WINDOW,
              title: str | None = "character (time →)", focus: int | None = None) -> dict:
    """An x axis with the characters as tick labels: `window` of them in view, the first ones, or
    centred on position `focus` when it lies beyond them."""
    steps = len(chars)
    shown = window if window is not None and steps > window else steps
    start = 0
    if focus is not None and focus >= shown:
        start = max(0, min(focus - shown // 2, steps - shown))
    axis = {"tickmode": "array", "tickvals": np.arange(steps), "ticktext": char_labels(chars, unknown),
            "tickangle": 0, "tickfont": {"family": "monospace", "size": FONT_SIZE, "color": TEXT_COLOR},
            "showgrid": False, "range": [start - 0.5, start + shown - 0.5]}
    if title:
        axis["title"] = axis_title(title)
    return axis


def state_heatmap(values: object, chars: Sequence[str], *, name: str,
                  value_range: tuple[float, float] | None, units: Sequence[int] | None = None,
                  unknown: Sequence[bool] | None = None, title: str | None = None,
                  window: int | None = WINDOW, clickable: bool = True, height: int | None = None,
                  highlight: tuple[int, int] | None = None) -> go.Figure:
    """Units (rows) x characters (columns) of one gate or state; hover: character, unit, value.

    `highlight=(position, unit)` outlines that cell (when the unit is shown).

    With `clickable`, an invisible marker sits on every cell so that a click selects it
    (Plotly selects points, not heatmap cells): the selection's x is the position, its y
    the row; `selected_cell` turns that into (position, unit).
    """
    array, shown = _checked_units(values, chars, units)  # (T, H), the rows to draw
    z = array[:, shown].T.astype(np.float32)  # (R, T)
    steps, rows = array.shape[0], len(shown)
    labels = [display_char(c) for c in chars]
    unknown_list = list(unknown) if unknown is not None else [False] * steps
    notes = [" (unknown: read as &lt;unk&gt;)" if flag else "" for flag in unknown_list]
    hover = (f"character %{{text}} at position %{{customdata[2]}}<br>unit %{{customdata[0]}}<br>{name} = "
             "%{customdata[1]:.3f}<extra></extra>")
    points_t = np.tile(np.arange(steps), rows)
    points_row = np.repeat(np.arange(rows), steps)
    custom = np.stack([np.asarray(shown, dtype=np.float32)[points_row], z.reshape(-1),
                       points_t.astype(np.float32)], axis=1)  # unit, value, position
    point_text = np.array([labels[t] + notes[t] for t in range(steps)] * rows)  # numpy: no per-item validation
    heat = {"type": "heatmap", "z": z, "x": np.arange(steps), "y": np.arange(rows),
            "colorscale": _colorscale(value_range), "colorbar": {"title": {"text": name, "side": "right"}},
            **color_limits(z, value_range, percentile=95.0)}
    if clickable:
        data = [{**heat, "hoverinfo": "skip"},
                {"type": "scattergl", "x": points_t, "y": points_row, "mode": "markers", "text": point_text,
                 "customdata": custom, "hovertemplate": hover, "showlegend": False,
                 "marker": {"opacity": 0, "size": 10, "symbol": "square"},
                 "selected": {"marker": {"opacity": 0}}, "unselected": {"marker": {"opacity": 0}}}]
    else:
        data = [{**heat, "text": point_text.reshape(rows, steps), "customdata": custom.reshape(rows, steps, 3),
                 "hovertemplate": hover}]
    layout = _heatmap_layout(chars, unknown, window, shown, name, highlight)
    return build(data, layout, height=height or min(700, max(280, 110 + 14 * rows)), title=title)


def _checked_units(values: object, chars: Sequence[str], units: Sequence[int] | None) -> tuple[np.ndarray, list[int]]:
    """The (T, H) array, checked against the characters, and the units to show (all by default)."""
    array = as_array(values, "values", 2)  # (T, H)
    if array.shape[0] != len(chars):
        raise ValueError(f"values has {array.shape[0]} time steps but there are {len(chars)} characters")
    if array.size == 0:
        raise ValueError("values is empty: there is nothing to draw")
    shown = list(range(array.shape[1])) if units is None else [int(u) for u in units]
    if not shown or any(not 0 <= u < array.shape[1] for u in shown):
        raise ValueError(f"units must be a non-empty list of units in [0, {array.shape[1]})")
    return array, shown


def _heatmap_layout(chars: Sequence[str], unknown: Sequence[bool] | None, window: int | None, shown: list[int],
                    name: str, highlight: tuple[int, int] | None) -> dict:
    """Character axis, unit axis (at most 12 labels) and the outline of the highlighted cell."""
    rows, steps = len(shown), len(chars)
    tick_step = max(1, -(-rows // 12))
    focus = highlight[0] if highlight is not None else None
    layout = {"xaxis": time_axis(chars, unknown, window, focus=focus),
              "yaxis": {"title": axis_title("unit"), "tickmode": "array", "tickvals": list(range(0, rows, tick_step)),
                        "ticktext": [str(shown[r]) for r in range(0, rows, tick_step)], "autorange": "reversed",
                        "showgrid": False, "zeroline": False, "tickfont": {"color": TEXT_COLOR}},
              "hovermode": "closest", "dragmode": "pan", "uirevision": name}
    if highlight is not None and highlight[1] in shown and 0 <= highlight[0] < steps:
        t, row = highlight[0], shown.index(highlight[1])
        layout["shapes"] = [{"type": "rect", "x0": t - 0.5, "x1": t + 0.5, "y0": row - 0.5, "y1": row + 0.5,
                             "line": {"color": TEXT_COLOR, "width": 3}}]
    return layout


def selected_cell(event: object, units: Sequence[int]) -> tuple[int, int] | None:
    """(position, unit) from `st.plotly_chart(on_select=...)`'s selection of a `state_heatmap` drawn with `units`.

    Streamlit passes each point's x and y (the position and the row), not its customdata,
    so the row is mapped back to its unit here.
    """
    for point in _points(event):
        if point.get("x") is None or point.get("y") is None:
            continue
        row = round(float(point["y"]))
        if 0 <= row < len(units):
            return round(float(point["x"])), int(units[row])
    return None


def selected_span(event: object) -> tuple[int, int] | None:
    """[start, end) of characters covered by a box (or several points) selected on a `state_heatmap`."""
    selection = _selection(event)
    boxes = selection.get("box") or []
    for box in boxes:
        xs = [float(x) for x in box.get("x", []) if x is not None]
        if len(xs) >= 2:
            start, end = int(np.ceil(min(xs) - 0.5)), int(np.floor(max(xs) + 0.5))
            if end > start:
                return max(start, 0), end
    xs = [round(float(p["x"])) for p in _points(event) if p.get("x") is not None]
    if len(set(xs)) > 1:
        return min(xs), max(xs) + 1
    return None


def _selection(event: object) -> dict:
    """The selection dict of a Plotly chart event (a PlotlyState or a plain dict), or {}."""
    try:
        selection = event["selection"]  # type: ignore[index]
    except (KeyError, TypeError, IndexError):
        return {}
    return selection if isinstance(selection, dict) or hasattr(selection, "get") else {}


def _points(event: object) -> list[dict]:
    """The selected points of a Plotly chart event."""
    points = _selection(event).get("points") or []
    return [dict(point) for point in points if hasattr(point, "get")]


def saturation_scatter(saturations: dict[str, tuple[object, object]], *, title: str | None = None) -> go.Figure:
    """Per unit and gate: fraction of time left-saturated (x) against right-saturated (y), as in Karpathy et al. 2015."""
    if not saturations:
        raise ValueError("no gates to draw: a plain RNN has no sigmoid gates")
    data = []
    for index, (gate, (left, right)) in enumerate(saturations.items()):
        left, right = as_array(left, f"{gate} left", 1), as_array(right, f"{gate} right", 1)
        if left.shape != right.shape:
            raise ValueError(f"{gate}: left and right fractions must have the same length")
        data.append({"type": "scatter", "x": left, "y": right, "mode": "markers", "name": f"{gate} gate",
                     "customdata": np.arange(len(left)),
                     "marker": {"size": 11, "color": PALETTE[index % len(PALETTE)], "opacity": 0.75,
                                "line": {"width": 1, "color": "white"}},
                     "hovertemplate": (f"{gate} gate, unit %{{customdata}}<br>left-saturated (&lt; 0.1) %{{x:.0%}} "
                                       "of the time<br>right-saturated (&gt; 0.9) %{y:.0%} of the time<extra></extra>")})
    data.append({"type": "scatter", "x": [0, 1], "y": [1, 0], "mode": "lines", "hoverinfo": "skip",
                 "showlegend": False, "line": {"dash": "dot", "color": "gray", "width": 1}})
    axis = {"range": [-0.03, 1.03], "tickformat": ".0%", "tickfont": {"color": TEXT_COLOR}}
    layout = {"xaxis": {**axis, "title": axis_title("fraction of time left-saturated (< 0.1)")},
              "yaxis": {**axis, "title": axis_title("fraction of time right-saturated (> 0.9)"),
                        "scaleanchor": "x", "scaleratio": 1}}
    return build(data, layout, height=460, title=title)


def signal_ticks(signal: np.ndarray) -> dict:
    """Axis settings for a signal: whole-number ticks for counts and 0/1 switches (no 0.5 quote)."""
    finite = signal[np.isfinite(signal)]
    if finite.size == 0 or not np.all(finite == np.round(finite)):
        return {}
    top = max(1, int(finite.max()))
    return {"tickmode": "linear", "tick0": 0, "dtick": max(1, int(np.ceil(top / 5))), "tickformat": "d"}


def units_over_text(chars: Sequence[str], signal: object, signal_name: str, values: object,
                    units: Sequence[int], correlations: Sequence[float], *, title: str | None = None,
                    window: int | None = WINDOW) -> go.Figure:
    """A signal (grey steps, right axis) and the units that follow it best (lines, left axis) along the text."""
    signal = as_array(signal, "signal", 1)
    values = as_array(values, "values", 2)  # (T, k)
    if values.shape != (len(chars), len(units)) or len(signal) != len(chars):
        raise ValueError("signal, values (time, units) and chars must agree in length")
    steps = np.arange(len(chars))
    data = [{"type": "scatter", "x": steps, "y": signal, "name": signal_name, "yaxis": "y2", "mode": "lines",
             "line": {"shape": "hv", "color": "#999999", "width": 2}, "fill": "tozeroy",
             "fillcolor": "rgba(150,150,150,0.2)", "hovertemplate": f"{signal_name} %{{y}}<extra></extra>"}]
    for index, (unit, r) in enumerate(zip(units, correlations)):
        data.append({"type": "scatter", "x": steps, "y": values[:, index], "mode": "lines",
                     "name": f"unit {unit} (r = {r:+.2f})", "hovertemplate": f"unit {unit}: %{{y:.3f}}<extra></extra>",
                     "line": {"color": PALETTE[index % len(PALETTE)], "width": 3 if index == 0 else 2}})
    layout = {"xaxis": time_axis(chars, None, window),
              "yaxis": {"title": axis_title("unit activation"), "tickfont": {"color": TEXT_COLOR}},
              "yaxis2": {"overlaying": "y", "side": "right", "title": axis_title(signal_name), "showgrid": False,
                         "rangemode": "tozero", "tickfont": {"color": TEXT_COLOR}, **signal_ticks(signal)},
              "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
              "hovermode": "x unified", "dragmode": "pan"}
    return build(data, layout, height=380, title=title)
