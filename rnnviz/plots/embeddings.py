"""Maps of embeddings: one point per word, phrase or character, coloured by a property, hover shows the text.

`embedding_map` takes the 2-D coordinates (from `rnnviz.embeddings.projection`), the text of each
point and a category per point; optional: points to label on the map, a searched point and its
neighbours to ring, and placed points (a typed phrase) to mark with a star.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from rnnviz.plots.base import PALETTE, as_array, style

MORE_COLOURS = ("#bcbd22", "#7f7f7f", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94")
OTHER_COLOUR = "#c7c7c7"
MAX_HOVER_CHARS = 80
AXIS_TITLES = {
    "pca": ("principal component 1 ({share:.0f} % of the variance)", "principal component 2 ({share:.0f} % of the variance)"),
    "tsne": ("t-SNE x (arbitrary units: only neighbourhoods matter)", "t-SNE y (arbitrary units)"),
}


def _safe(text: object, limit: int = MAX_HOVER_CHARS) -> str:
    """Text for a Plotly label: cut, and < > & escaped (Plotly reads them as markup)."""
    value = str(text)
    value = value if len(value) <= limit else value[: limit - 1] + "…"
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def category_colours(categories: Sequence[str], order: Sequence[str] = ()) -> dict[str, str]:
    """A colour per category, in `order` (bands) or the largest first; "other" is light grey."""
    palette = (*PALETTE, *MORE_COLOURS)
    present = set(categories)
    ordered = [name for name in order if name in present and name != "other"]
    ordered += [name for name, _ in Counter(categories).most_common() if name != "other" and name not in ordered]
    colours = {name: palette[i % len(palette)] for i, name in enumerate(ordered)}
    if "other" in categories:
        colours["other"] = OTHER_COLOUR
    return colours


def _check(coordinates: np.ndarray, texts: Sequence[str], categories: Sequence[str]) -> None:
    """Shapes agree; a message saying what to pass otherwise."""
    if coordinates.ndim != 2 or coordinates.shape[1] != 2:
        raise ValueError(f"coordinates must be (points × 2), got shape {coordinates.shape}")
    if len(coordinates) == 0:
        raise ValueError("the map has no points: choose a model with a vocabulary or more phrases")
    if len(texts) != len(coordinates) or len(categories) != len(coordinates):
        raise ValueError(
            f"give one text and one category per point: {len(coordinates)} points, "
            f"{len(texts)} texts, {len(categories)} categories"
        )


def axis_titles(method: str, explained: tuple[float, float] = (0.0, 0.0)) -> tuple[str, str]:
    """Axis titles for a PCA or t-SNE map."""
    x_title, y_title = AXIS_TITLES.get(method, ("x", "y"))
    return x_title.format(share=100 * explained[0]), y_title.format(share=100 * explained[1])


def embedding_map(
    coordinates: object,
    texts: Sequence[str],
    categories: Sequence[str],
    *,
    method: str = "tsne",
    explained: tuple[float, float] = (0.0, 0.0),
    labelled: Sequence[int] = (),
    highlight: int | None = None,
    neighbours: Sequence[int] = (),
    placed: np.ndarray | None = None,
    placed_texts: Sequence[str] = (),
    colour_title: str = "",
    height: int = 640,
    ranges: tuple[tuple[float, float], tuple[float, float]] | None = None,
    order: Sequence[str] = (),
    neighbour_texts: bool = True,
) -> go.Figure:
    """Scatter of the map, one trace per category; text labels, a ringed search and starred placed points.

    `neighbour_texts=False` rings the neighbours without writing them (long phrases would pile up on the star)."""
    array = as_array(coordinates, "coordinates")
    _check(array, texts, categories)
    figure = go.Figure()
    colours = category_colours(categories, order)
    labels = np.asarray(categories)
    hover = np.asarray([_safe(t) for t in texts])
    for name, colour in colours.items():
        rows = np.flatnonzero(labels == name)
        figure.add_trace(
            go.Scattergl(
                x=array[rows, 0],
                y=array[rows, 1],
                mode="markers",
                name=_safe(name, 40),
                marker={"size": 7, "color": colour, "opacity": 0.75},
                text=hover[rows],
                hovertemplate="%{text}<extra>" + _safe(name, 40) + "</extra>",
            )
        )
    if len(labelled):
        rows = np.asarray(list(labelled), dtype=np.int64)
        figure.add_trace(
            go.Scatter(
                x=array[rows, 0],
                y=array[rows, 1],
                mode="text",
                text=hover[rows],
                textposition="top center",
                textfont={"size": 13, "color": "#333"},
                hoverinfo="skip",
                showlegend=False,
            )
        )
    _add_search(figure, array, hover, highlight, neighbours, neighbour_texts)
    _add_placed(figure, placed, placed_texts)
    x_title, y_title = axis_titles(method, explained)
    style(figure, x_title=x_title, y_title=y_title, height=height, template=None)
    figure.update_layout(legend={"title": {"text": _safe(colour_title, 40)}, "itemsizing": "constant"}, dragmode="zoom")
    if ranges is not None:
        figure.update_xaxes(range=list(ranges[0]))
        figure.update_yaxes(range=list(ranges[1]))
    figure.update_xaxes(showgrid=False, zeroline=False)
    figure.update_yaxes(showgrid=False, zeroline=False)
    return figure


def _add_search(
    figure: go.Figure,
    array: np.ndarray,
    hover: np.ndarray,
    highlight: int | None,
    neighbours: Sequence[int],
    texts: bool = True,
) -> None:
    """Ring the searched point (black) and its nearest neighbours (orange)."""
    if len(neighbours):
        rows = np.asarray(list(neighbours), dtype=np.int64)
        figure.add_trace(
            go.Scatter(
                x=array[rows, 0],
                y=array[rows, 1],
                mode="markers+text" if texts else "markers",
                name="nearest",
                text=hover[rows],
                textposition="bottom center",
                marker={"size": 14, "color": "rgba(0,0,0,0)", "line": {"width": 2.5, "color": "#ff7f0e"}},
                hovertemplate="%{text}<extra>nearest in the full space</extra>",
            )
        )
    if highlight is not None:
        figure.add_trace(
            go.Scatter(
                x=[array[highlight, 0]],
                y=[array[highlight, 1]],
                mode="markers+text",
                name="searched",
                text=[hover[highlight]],
                textposition="top center",
                textfont={"size": 16, "color": "black"},
                marker={"size": 18, "color": "rgba(0,0,0,0)", "line": {"width": 3, "color": "black"}},
                hovertemplate="%{text}<extra>searched</extra>",
            )
        )


def _add_placed(figure: go.Figure, placed: np.ndarray | None, texts: Sequence[str]) -> None:
    """A red star per placed point, with its text."""
    if placed is None:
        return
    points = as_array(placed, "placed", 2)
    if points.shape[1] != 2:
        raise ValueError(f"placed points must be (points × 2), got shape {points.shape}")
    names = [_safe(t) for t in texts] if len(texts) == len(points) else ["typed"] * len(points)
    figure.add_trace(
        go.Scatter(
            x=points[:, 0],
            y=points[:, 1],
            mode="markers",
            name="typed phrase",
            text=names,
            marker={"size": 22, "symbol": "star", "color": "#d62728", "line": {"width": 1.5, "color": "black"}},
            hovertemplate="%{text}<extra>typed, placed in the map</extra>",
        )
    )
    for (x, y), name in zip(points, names):  # a boxed label stays legible over dense points
        figure.add_annotation(x=x, y=y, text=f"<b>{name}</b>", showarrow=True, arrowhead=0, ax=0, ay=-34,
                              font={"size": 16, "color": "#d62728"}, bgcolor="rgba(255,255,255,0.9)",
                              bordercolor="#d62728", borderwidth=1.5)  # fmt: skip


def padded_ranges(*arrays: np.ndarray, margin: float = 0.05) -> tuple[tuple[float, float], tuple[float, float]]:
    """x and y ranges holding every point of every array, with a margin (for snapshots that share axes)."""
    points = np.concatenate([as_array(a, "coordinates", 2) for a in arrays])
    low, high = points.min(axis=0), points.max(axis=0)
    pad = (high - low) * margin + 1e-9
    return (float(low[0] - pad[0]), float(high[0] + pad[0])), (float(low[1] - pad[1]), float(high[1] + pad[1]))


def agreement_bars(names: Sequence[str], agreements: Sequence[float], chances: Sequence[float]) -> go.Figure:
    """Per property: k-NN agreement in the full space beside its chance level, in %."""
    if not (len(names) == len(agreements) == len(chances)) or not len(names):
        raise ValueError("give one agreement and one chance level per property")
    figure = go.Figure(
        [
            go.Bar(
                y=list(names),
                x=[100 * a for a in agreements],
                orientation="h",
                name="neighbours sharing the label",
                marker_color=PALETTE[0],
                text=[f"{100 * a:.0f} %" for a in agreements],
                textposition="outside",
            ),
            go.Bar(
                y=list(names),
                x=[100 * c for c in chances],
                orientation="h",
                name="chance (labels shuffled)",
                marker_color=OTHER_COLOUR,
                text=[f"{100 * c:.0f} %" for c in chances],
                textposition="outside",
            ),
        ]
    )
    style(
        figure, x_title="share of the 10 nearest neighbours with the same label (%)", height=120 + 70 * len(names), template=None
    )
    figure.update_layout(barmode="group", legend={"orientation": "h", "y": -0.35 if len(names) < 3 else -0.2})
    figure.update_xaxes(range=[0, 110])
    return figure
