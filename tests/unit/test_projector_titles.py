"""The projector view enlarges legend titles too (the Embeddings map's "frequency band" stayed at 16 px)."""

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
