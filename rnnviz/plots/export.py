"""A figure's data as a table: every trace's points (or heatmap cells) as CSV rows, the chart's own axis titles."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence

import numpy as np
import plotly.graph_objects as go


def figure_rows(figure: go.Figure) -> Iterator[tuple[object, ...]]:
    """(trace name, x, y, value, hover text) for every point of every trace; heatmaps give one row per cell."""
    for index, trace in enumerate(figure.data):
        name = trace.name if getattr(trace, "name", None) else f"trace {index + 1}"
        if "z" in trace and trace.z is not None and np.ndim(trace.z) == 2:
            yield from _grid_rows(name, trace)
        elif "x" in trace or "y" in trace:
            yield from _point_rows(name, trace)


def _point_rows(name: str, trace: go.BaseTraceType) -> Iterator[tuple[object, ...]]:
    """One row per point of a scatter or bar trace (x or y may be missing: then the point's index)."""
    xs, ys = _values(trace.x), _values(trace.y)
    count = max(len(xs), len(ys))
    texts = _values(getattr(trace, "text", None))
    for point in range(count):
        x = xs[point] if point < len(xs) else point
        y = ys[point] if point < len(ys) else point
        yield (name, x, y, "", _at(texts, point))


def _grid_rows(name: str, trace: go.BaseTraceType) -> Iterator[tuple[object, ...]]:
    """One row per heatmap cell: its column label, row label and value."""
    grid = np.asarray(trace.z, dtype=object)  # (rows, columns)
    xs = _values(trace.x) or list(range(grid.shape[1]))
    ys = _values(trace.y) or list(range(grid.shape[0]))
    texts = getattr(trace, "text", None)
    text_grid = np.asarray(texts, dtype=object) if texts is not None and np.ndim(texts) == 2 else None
    for row in range(grid.shape[0]):
        for column in range(grid.shape[1]):
            text = text_grid[row, column] if text_grid is not None else ""
            yield (name, _at(xs, column), _at(ys, row), grid[row, column], text)


def _values(values: object) -> list[object]:
    """A plotly data array as a plain list (None: empty)."""
    if values is None:
        return []
    if isinstance(values, np.ndarray):
        return values.tolist()
    return list(values) if isinstance(values, Sequence) and not isinstance(values, str) else [values]


def _at(values: Sequence[object], index: int) -> object:
    """values[index], or '' past its end."""
    return values[index] if 0 <= index < len(values) else ""


def figure_csv(figure: go.Figure) -> str:
    """The figure's data as CSV text with a header naming the axes (x = its x-axis title, y = its y-axis title)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    x_title = figure.layout.xaxis.title.text or "x"
    y_title = figure.layout.yaxis.title.text or "y"
    writer.writerow(("trace", f"x: {x_title}", f"y: {y_title}", "value", "text"))
    for row in figure_rows(figure):
        writer.writerow(["" if value is None else _plain(value) for value in row])
    return buffer.getvalue()


def _plain(value: object) -> object:
    """A CSV cell: numbers as numbers (NaN left empty), everything else as its text."""
    if isinstance(value, float) and value != value:
        return ""
    return value if isinstance(value, (int, float, str)) else str(value)
