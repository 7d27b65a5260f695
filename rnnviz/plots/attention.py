"""Attention figures and tables: data in (weights, tokens), Plotly figures or plain rows out."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from rnnviz.plots.base import TEXT_COLOR, TICK_SIZE, as_array, style

UNKNOWN_MARK = " ⚠"
EXPECTED_WIDTH = 700  # px: about the width Streamlit gives a chart in the centred layout
ANNOTATION_FONT = 14  # px at most; smaller in narrow cells, none below MIN_ANNOTATION_FONT
MIN_ANNOTATION_FONT = 11
CHARACTER_WIDTH = 0.6  # a digit is about 0.6 of the font size wide
SPACE_MARK = "␣"


def plain(text: str) -> str:
    """Text that Plotly shows as typed: its labels understand a few HTML tags (</s> would vanish)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _label(token: str, unknown: bool = False) -> str:
    """A token as an axis label: spaces made visible, unknown words marked, markup escaped."""
    shown = SPACE_MARK if token == " " else token
    return plain(shown + (UNKNOWN_MARK if unknown else ""))


def annotation_format(cell_width: float) -> tuple[int, int] | None:
    """(decimals, font size in px) that fit a weight inside a cell `cell_width` px wide; None: write nothing."""
    for decimals in (2, 1):
        characters = 2 + decimals  # "0.11", "0.1"
        size = min(ANNOTATION_FONT, int(0.85 * cell_width / (CHARACTER_WIDTH * characters)))
        if size >= MIN_ANNOTATION_FONT:
            return decimals, size
    return None


def _annotate(figure: go.Figure, array: np.ndarray, cell_width: float) -> None:
    """Write each weight of at least 0.1 in its cell, as many decimals as the cell's width allows."""
    rows, columns = array.shape
    found = annotation_format(cell_width)
    if found is None or rows * columns > 200:
        return  # narrow cells: hovering gives the weight; digits would run into their neighbours
    decimals, size = found
    for r in range(rows):
        for c in range(columns):
            if array[r, c] >= 0.1:
                figure.add_annotation(x=c, y=r, text=f"{array[r, c]:.{decimals}f}", showarrow=False,
                                      font={"size": size, "color": "white" if array[r, c] > 0.55 else TEXT_COLOR})


def attention_heatmap(weights: object, source_tokens: Sequence[str], output_tokens: Sequence[str], *,
                      unknown: Sequence[bool] | None = None, title: str | None = None, height: int | None = None,
                      source_title: str = "input (read by the encoder)",
                      output_title: str = "output (written)", expected_width: int = EXPECTED_WIDTH) -> go.Figure:
    """Rows = output steps (top to bottom), columns = source positions; hover gives the weight.

    `source_tokens` may be shorter than the columns (the tutorial's fixed slots): the rest are
    labelled "(empty)". `unknown` marks source words read as <unk>. `expected_width` (px, about
    what the page gives the chart) decides how many decimals fit in a cell, if any.
    """
    array = as_array(weights, "weights", 2)
    if array.size == 0:
        raise ValueError("weights is empty: translate a sentence first")
    rows, columns = array.shape
    if len(output_tokens) != rows:
        raise ValueError(f"output_tokens has {len(output_tokens)} labels for {rows} rows of weights")
    if len(source_tokens) > columns:
        raise ValueError(f"source_tokens has {len(source_tokens)} labels for {columns} columns of weights")
    flags = list(unknown or []) + [False] * columns
    x_labels = [_label(t, flags[i]) for i, t in enumerate(source_tokens)] + ["(empty)"] * (columns - len(source_tokens))
    y_labels = [_label(t) for t in output_tokens]
    hover = [[f"writing “{y_labels[r]}” (step {r + 1})<br>looks at “{x_labels[c]}”: {array[r, c]:.3f}"
              for c in range(columns)] for r in range(rows)]
    trace = go.Heatmap(z=array, x=list(range(columns)), y=list(range(rows)), zmin=0.0, zmax=1.0,
                       colorscale="Blues", text=hover, hovertemplate="%{text}<extra></extra>",
                       colorbar={"title": {"text": "weight", "side": "right"}, "thickness": 16})
    figure = go.Figure(trace)
    rotate = columns > 8 or max(len(t) for t in source_tokens or ["x"]) > 6
    figure.update_xaxes(tickmode="array", tickvals=list(range(columns)), ticktext=x_labels, side="top",
                        tickangle=-45 if rotate else 0, showgrid=False, automargin=False)
    figure.update_yaxes(tickmode="array", tickvals=list(range(rows)), ticktext=y_labels, autorange="reversed",
                        showgrid=False, automargin=False)
    cell = 44 if max(rows, columns) <= 14 else 28
    longest_x = max((len(t) for t in x_labels), default=1)
    longest_y = max((len(t) for t in y_labels), default=1)
    top = (45 + int(7.5 * min(longest_x, 16)) if rotate else 70) + (40 if title else 0)
    left = 95 + 11 * min(longest_y, 16)
    style(figure, title=plain(title) if title else None, x_title=source_title, y_title=output_title,
          height=height or int(min(900, max(320, top + 30 + cell * rows))))
    figure.update_layout(margin={"t": top, "l": left, "b": 20, "r": 90})
    figure.update_xaxes(title_standoff=8, tickfont={"size": TICK_SIZE + 1})
    figure.update_yaxes(title_standoff=8, tickfont={"size": TICK_SIZE + 1})
    _annotate(figure, array, max(0, expected_width - left - 90) / columns)
    return figure


def top_words_rows(top: Sequence[Sequence[tuple[str, float]]], chosen: Sequence[str]) -> list[dict[str, str]]:
    """Rows for a table: per output step, the word written and the k likeliest next words with probabilities."""
    rows = []
    for step, candidates in enumerate(top):
        row = {"step": str(step + 1), "wrote": chosen[step] if step < len(chosen) else "</s>"}
        for rank, (word, probability) in enumerate(candidates, start=1):
            row[f"#{rank}"] = f"{word}  {100 * probability:.1f} %"
        rows.append(row)
    return rows


def snapshot_heatmap(snapshots: Sequence[dict], index: int, **options) -> go.Figure:
    """The attention map recorded after epoch `index` (see rnnviz.seq2seq.training.AttentionSnapshots)."""
    if not snapshots:
        raise ValueError("no attention snapshots yet: they are recorded after each epoch")
    index = int(np.clip(index, 0, len(snapshots) - 1))
    shot = snapshots[index]
    said = shot["output"] if len(shot["output"]) <= 40 else shot["output"][:40] + "…"
    title = options.pop("title", None) or f"after epoch {shot['epoch']}: “{said or '(nothing yet)'}”"
    return attention_heatmap(shot["attention"], shot["source_tokens"], shot["output_tokens"], title=title, **options)
