"""The projector view: legend titles enlarged too, tick labels never cut off, a legend below the plot never on the axis title."""

from __future__ import annotations

import plotly.graph_objects as go

from rnnviz.plots.projector import MIN_TEXT_SIZE, enlarge


def test_a_legend_title_set_small_is_enlarged_and_a_large_one_is_kept() -> None:
    small = go.Figure(go.Scatter(x=[1, 2], y=[3, 4], name="top 100"))
    small.update_layout(legend={"title": {"text": "frequency band", "font": {"size": 13}}})
    assert enlarge(small).layout.legend.title.font.size >= MIN_TEXT_SIZE
    large = go.Figure(go.Scatter(x=[1], y=[1]))
    large.update_layout(legend={"title": {"text": "kind", "font": {"size": MIN_TEXT_SIZE + 8}}})
    assert enlarge(large).layout.legend.title.font.size == MIN_TEXT_SIZE + 8


def test_axes_push_the_margins_and_a_legend_below_the_plot_moves_under_the_axis_title() -> None:
    figure = go.Figure([go.Bar(y=["subject pronoun", "tense (simple rule)"], x=[1, 2], orientation="h", name="a")])
    figure.update_layout(legend={"orientation": "h", "y": -0.2}, margin={"l": 70, "b": 60})
    enlarged = enlarge(figure)
    assert enlarged.layout.xaxis.automargin is True and enlarged.layout.yaxis.automargin is True
    assert (enlarged.layout.legend.yref, enlarged.layout.legend.y, enlarged.layout.legend.yanchor) == ("container", 0, "bottom")
    above = go.Figure(go.Scatter(x=[1], y=[1]))
    above.update_layout(legend={"orientation": "h", "y": 1.02, "yanchor": "bottom"})
    assert enlarge(above).layout.legend.yref is None  # a legend above the plot stays where it was put
