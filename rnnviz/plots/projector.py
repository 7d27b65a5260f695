"""The projector view of any figure: larger type, thicker lines, a colour-blind-safe palette.

Applied by the app to every chart when the sidebar's "Projector view" is on; it takes a finished figure
and changes only its look, never its data, so every view draws as usual and this runs last.
"""

from __future__ import annotations

from collections.abc import Iterator

import plotly.graph_objects as go

from rnnviz.plots.base import PALETTE

MIN_TEXT_SIZE = 20  # px: 18 px at 1280x720 is the smallest text readable from a lecture hall's back row
TITLE_SIZE = 24
LINE_SCALE = 1.8
MIN_LINE_WIDTH = 3.5
MARKER_SCALE = 1.4
HEIGHT_SCALE = 1.15
# Okabe & Ito (2008): distinguishable with every common colour-vision deficiency, and dark enough to
# survive a washed-out projector on white (their yellow is left out: it vanishes on a bright screen).
COLOURBLIND_PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#8C564B")
_SWAP = {colour.lower(): safe for colour, safe in zip(PALETTE, COLOURBLIND_PALETTE, strict=True)}


def enlarge(figure: go.Figure) -> go.Figure:
    """The same figure for a projector: every text at least MIN_TEXT_SIZE px, lines thicker, safe colours."""
    layout = figure.layout
    layout.font.size = max(layout.font.size or 0, MIN_TEXT_SIZE)
    layout.hoverlabel.font.size = max(layout.hoverlabel.font.size or 0, MIN_TEXT_SIZE)
    layout.legend.font.size = max(layout.legend.font.size or 0, MIN_TEXT_SIZE)
    layout.legend.title.font.size = max(layout.legend.title.font.size or 0, MIN_TEXT_SIZE)
    if layout.title.text:
        layout.title.font.size = max(layout.title.font.size or 0, TITLE_SIZE)
    for axis in _axes(figure):
        axis.tickfont.size = max(axis.tickfont.size or 0, MIN_TEXT_SIZE)
        axis.title.font.size = max(axis.title.font.size or 0, MIN_TEXT_SIZE)
        axis.automargin = True  # the larger tick labels push the margins instead of being cut off
    _legend_below_to_the_bottom(layout)
    for colorbar in [layout.coloraxis.colorbar] + [t.colorbar for t in figure.data if "colorbar" in t]:
        colorbar.tickfont.size = max(colorbar.tickfont.size or 0, MIN_TEXT_SIZE)
        colorbar.title.font.size = max(colorbar.title.font.size or 0, MIN_TEXT_SIZE)
    for annotation in layout.annotations:
        annotation.font.size = max(annotation.font.size or 0, MIN_TEXT_SIZE)
    for trace in figure.data:
        _enlarge_trace(trace)
    if layout.height:
        layout.height = int(layout.height * HEIGHT_SCALE)
    return figure


def _legend_below_to_the_bottom(layout: go.Layout) -> None:
    """A horizontal legend below the plot moves to the figure's bottom edge, under the enlarged x-axis title.

    Placed in plot fractions (y < 0), it kept its distance while the axis text grew and covered the title;
    placed on the container, Plotly adds its height to the bottom margin, below the axis.
    """
    legend = layout.legend
    if legend.orientation == "h" and legend.y is not None and legend.y < 0 and legend.yref in (None, "paper"):
        legend.update(yref="container", y=0, yanchor="bottom")


def _axes(figure: go.Figure) -> Iterator[object]:
    """Every x, y and polar/scene axis object of the layout (xaxis, xaxis2, ..., yaxis, ...)."""
    for name in figure.layout:
        if name.startswith(("xaxis", "yaxis")):
            yield figure.layout[name]


def _enlarge_trace(trace: go.BaseTraceType) -> None:
    """Thicker lines, larger markers and text, and palette colours swapped for colour-blind-safe ones.

    Only what the trace type has: a bar's or a histogram's marker has no size, a bar's line is its outline.
    """
    has_width = "line" in trace and "width" in trace.line
    if has_width and (trace.line.width is not None or (trace.type == "scatter" and "lines" in (trace.mode or "lines"))):
        trace.line.width = max((trace.line.width or 2) * LINE_SCALE, MIN_LINE_WIDTH)
    if "textfont" in trace:
        trace.textfont.size = max(trace.textfont.size or 0, MIN_TEXT_SIZE)
    if "marker" in trace and "size" in trace.marker and isinstance(trace.marker.size, (int, float)):
        trace.marker.size = trace.marker.size * MARKER_SCALE
    for part in ("line", "marker"):
        if part in trace and "color" in trace[part] and isinstance(trace[part].color, str):
            trace[part].color = _SWAP.get(trace[part].color.lower(), trace[part].color)
