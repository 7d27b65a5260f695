"""Text as a figure: characters coloured by a unit (Karpathy et al. 2015), next-character guesses, surprise.

The text is laid out on a grid of cells, one character per cell, drawn by Plotly from data
(no HTML is ever built from typed text: characters pass through `display_char`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from rnnviz.plots.base import FONT_SIZE, PALETTE, as_array
from rnnviz.plots.gates import TEXT_COLOR, WINDOW, axis_title, build, color_limits, display_char, time_axis

LINE_WIDTH = 80  # characters per line of a coloured text
ROW_HEIGHT = 30  # pixels per line


def layout_text(chars: Sequence[str], width: int = LINE_WIDTH) -> tuple[np.ndarray, np.ndarray]:
    """Row and column of each character: a new row after '\\n' or every `width` characters."""
    if width < 1:
        raise ValueError(f"width must be >= 1, got {width}")
    rows, cols = np.zeros(len(chars), dtype=np.int64), np.zeros(len(chars), dtype=np.int64)
    row = col = 0
    for index, char in enumerate(chars):
        if col >= width:
            row, col = row + 1, 0
        rows[index], cols[index] = row, col
        col += 1
        if char == "\n":
            row, col = row + 1, 0
    return rows, cols


def colored_text(chars: Sequence[str], values: object, *, name: str = "activation",
                 value_range: tuple[float, float] | None = None, unknown: Sequence[bool] | None = None,
                 title: str | None = None, width: int = LINE_WIDTH, colorscale: str | None = None) -> go.Figure:
    """The text with each character's cell coloured by `values` (T,); hover: character, position, value."""
    values = as_array(values, "values", 1)
    if len(values) != len(chars):
        raise ValueError(f"values has {len(values)} entries but there are {len(chars)} characters")
    if not len(chars):
        raise ValueError("there is no text to colour")
    rows, cols = layout_text(chars, width)
    shape = (int(rows.max()) + 1, int(min(width, cols.max() + 1)))
    z = np.full(shape, np.nan)
    text = np.full(shape, "", dtype="<U16")  # numpy strings: Plotly does not validate them one by one
    position = np.full(shape, -1, dtype=np.int64)
    z[rows, cols] = values
    unknown = list(unknown) if unknown is not None else [False] * len(chars)
    text[rows, cols] = [display_char(c) if c != " " else " " for c in chars]
    position[rows, cols] = np.arange(len(chars))
    note = np.full(shape, "", dtype="<U64")
    note[rows, cols] = ["<br>unknown to the model (read as &lt;unk&gt;)" if flag else "" for flag in unknown]
    limits = color_limits(values, value_range)
    scale = colorscale or ("Viridis" if value_range is not None and value_range[0] >= 0 else "RdBu_r")
    data = [{"type": "heatmap", "z": z, "text": text, "customdata": np.stack([position, note], axis=-1),
             "texttemplate": "%{text}", "textfont": {"family": "monospace", "size": FONT_SIZE + 2},
             "colorscale": scale, "xgap": 1, "ygap": 2, "colorbar": {"title": {"text": name, "side": "right"}},
             **limits, "hovertemplate": (f"%{{text}} at position %{{customdata[0]}}<br>{name} = %{{z:.3f}}"
                                         "%{customdata[1]}<extra></extra>")}]
    layout = {"xaxis": {"visible": False, "range": [-0.5, shape[1] - 0.5], "fixedrange": True},
              "yaxis": {"visible": False, "autorange": "reversed", "fixedrange": True},
              "margin": {"l": 10, "r": 10, "t": 60 if title else 10, "b": 10}}
    figure = build(data, layout, height=min(900, 60 + (60 if title else 0) + ROW_HEIGHT * shape[0]), title=title)
    figure.update_layout(margin=layout["margin"])  # style() sets its own margins; these fit text better
    return figure


def predictions_figure(chars: Sequence[str], surprise_bits: object, top_chars: Sequence[Sequence[str]],
                       top_probs: object, *, unknown: Sequence[bool] | None = None, title: str | None = None,
                       window: int | None = WINDOW) -> go.Figure:
    """Top: surprise (bits) of each character. Bottom: the 5 likeliest next characters after it, shaded by probability."""
    surprise = as_array(surprise_bits, "surprise_bits", 1)
    probs = as_array(top_probs, "top_probs", 2)  # (T, k)
    if len(surprise) != len(chars) or probs.shape[0] != len(chars) or len(top_chars) != len(chars):
        raise ValueError("chars, surprise_bits, top_chars and top_probs must have one entry per character")
    steps, k = probs.shape
    positions = np.arange(steps)
    expected = ["" if t == 0 else ", ".join(f"{display_char(c)} {p:.0%}" for c, p in zip(top_chars[t - 1][:3], probs[t - 1][:3]))
                for t in range(steps)]
    labels = [display_char(c) for c in chars]
    said = np.where(np.isnan(surprise), "no prediction", np.char.mod("%.2f bits", np.nan_to_num(surprise)))
    bars = {"type": "bar", "x": positions, "y": np.nan_to_num(surprise, nan=0.0), "marker": {"color": PALETTE[1]},
            "name": "surprise", "customdata": np.stack([np.array(labels), np.array(expected), said], axis=-1),
            "hovertemplate": "%{customdata[0]} at position %{x}: %{customdata[2]}<br>expected: %{customdata[1]}"
                             "<extra></extra>"}
    grid_text = np.array([[display_char(top_chars[t][j]) for t in range(steps)] for j in range(k)])
    guesses = {"type": "heatmap", "z": probs.T, "x": positions, "y": [f"guess {j + 1}" for j in range(k)],
               "yaxis": "y2", "text": grid_text, "texttemplate": "%{text}",
               "textfont": {"family": "monospace", "size": FONT_SIZE - 1}, "colorscale": "Blues", "zmin": 0,
               "zmax": 1, "showscale": False, "xgap": 1, "ygap": 1,
               "hovertemplate": "after position %{x}, %{y}: %{text} with probability %{z:.1%}<extra></extra>"}
    layout = {"xaxis": {**time_axis(chars, unknown, window), "anchor": "y2"},
              "yaxis": {"domain": [0.56, 1.0], "title": axis_title("surprise (bits)"), "rangemode": "tozero",
                        "tickfont": {"color": TEXT_COLOR}},
              "yaxis2": {"domain": [0.0, 0.5], "title": axis_title("next char"), "autorange": "reversed",
                         "tickfont": {"color": TEXT_COLOR}},
              "showlegend": False, "dragmode": "pan", "bargap": 0.15}
    return build([bars, guesses], layout, height=460, title=title)


def compare_surprise(chars: Sequence[str], surprises: dict[str, object], *, title: str | None = None,
                     window: int | None = WINDOW) -> go.Figure:
    """Surprise per character of several models on the same text, one line each."""
    if not surprises:
        raise ValueError("give at least one model's surprise")
    positions = np.arange(len(chars))
    labels = np.array([display_char(c) for c in chars])
    data = []
    for index, (name, bits) in enumerate(surprises.items()):
        bits = as_array(bits, f"surprise of {name}", 1)
        if len(bits) != len(chars):
            raise ValueError(f"the surprise of {name} has {len(bits)} values for {len(chars)} characters")
        known = bits[~np.isnan(bits)]
        mean = f" · mean {known.mean():.2f} bits" if known.size else ""
        data.append({"type": "scatter", "x": positions, "y": bits, "mode": "lines+markers", "name": f"{name}{mean}",
                     "text": labels, "line": {"color": PALETTE[index % len(PALETTE)], "width": 2},
                     "marker": {"size": 5}, "hovertemplate": f"{name}: %{{text}} %{{y:.2f}} bits<extra></extra>"})
    layout = {"xaxis": time_axis(chars, None, window),
              "yaxis": {"title": axis_title("surprise (bits)"), "rangemode": "tozero", "tickfont": {"color": TEXT_COLOR}},
              "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
              "hovermode": "x unified", "dragmode": "pan"}
    return build(data, layout, height=380, title=title)
