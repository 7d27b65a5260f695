"""Projector legibility (issue 17 item 8): dark text, ticks of at least 16 px, weights that fit their cells."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from rnnviz.plots.attention import annotation_format, attention_heatmap
from rnnviz.plots.base import TEXT_COLOR, heatmap, loss_curve
from rnnviz.plots.gates import units_over_text
from rnnviz.probes.units import text_signals

GREY = {"rgb(128,132,149)", "#808495", "gray", "grey"}


def axes(figure: go.Figure) -> list:
    """Every x and y axis of a figure."""
    return [*figure.select_xaxes(), *figure.select_yaxes()]


def assert_legible(figure: go.Figure) -> None:
    """Every axis sets its own dark ticks and titles of at least 16 px (Streamlit's theme cannot override them)."""
    assert figure.layout.font.color == TEXT_COLOR
    for axis in axes(figure):
        assert axis.tickfont.size >= 16, axis
        assert axis.tickfont.color == TEXT_COLOR, axis
        assert axis.title.font.color == TEXT_COLOR and axis.title.font.size >= 16
        assert str(axis.tickfont.color).replace(" ", "").lower() not in GREY


def attention_figure(columns: int, **options) -> go.Figure:
    """An attention map of three output words over `columns` input words, each row spread evenly."""
    weights = np.full((3, columns), 1.0 / columns)
    weights[:, 0] += 0.3
    weights /= weights.sum(axis=1, keepdims=True)
    return attention_heatmap(weights, [f"w{i}" for i in range(columns)], ["a", "b", "</s>"], **options)


@pytest.mark.parametrize("build", [
    lambda: loss_curve([1, 2, 3], [3.0, 2.0, 1.0]),
    lambda: loss_curve([1, 2], {"lstm": [2.0, 1.0], "gru": [2.5, 1.5]}),
    lambda: heatmap(np.eye(3), x_title="time step", y_title="unit"),
    lambda: attention_figure(4),
    lambda: units_over_text(list("(a)"), [0, 1, 0], "nesting depth", np.zeros((3, 1)), [0], [0.5]),
])
def test_every_figure_has_dark_ticks_of_at_least_16_px(build) -> None:
    assert_legible(build())


def test_colour_bars_are_dark_and_large() -> None:
    bar = attention_figure(4).data[0].colorbar
    assert bar.tickfont.size >= 16 and bar.tickfont.color == TEXT_COLOR


def test_weights_get_fewer_decimals_then_none_as_cells_narrow() -> None:
    assert annotation_format(60) == (2, 14)
    decimals, size = annotation_format(30)
    assert decimals == 1 and size >= 11
    assert annotation_format(15) is None


def annotation_texts(figure: go.Figure) -> list[str]:
    """The numbers written in the cells."""
    return [annotation.text for annotation in figure.layout.annotations]


def test_a_few_wide_cells_show_two_decimals() -> None:
    texts = annotation_texts(attention_figure(3))
    assert texts and all(len(text) == 4 and text.startswith("0.") for text in texts)


def test_narrow_cells_never_hold_text_wider_than_the_cell() -> None:
    for columns in (3, 8, 12, 16, 20):
        figure = attention_figure(columns, expected_width=700)
        cell = (700 - figure.layout.margin.l - 90) / columns
        for annotation in figure.layout.annotations:
            width = 0.6 * annotation.font.size * len(annotation.text)
            assert width <= cell, (columns, annotation.text, cell)


def test_a_narrow_chart_drops_the_digits_a_wide_one_keeps() -> None:
    assert annotation_texts(attention_figure(12, expected_width=1400))
    assert not annotation_texts(attention_figure(12, expected_width=400))


def test_integer_and_switch_signals_get_whole_number_ticks() -> None:
    text = 'a "b" (c (d))'
    signals = text_signals(text)
    values = np.zeros((len(text), 1))
    for name in ("nesting depth", "inside a quote"):
        axis = units_over_text(list(text), signals[name], name, values, [0], [0.9]).layout.yaxis2
        assert axis.dtick >= 1 and axis.tickformat == "d" and axis.tick0 == 0, name
