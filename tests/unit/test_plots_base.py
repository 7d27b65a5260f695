"""plots.base.style: the unvalidated fast path gives the figure Plotly's validated update would, and keeps the look."""

from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest
from plotly.subplots import make_subplots

from rnnviz.plots import base
from rnnviz.plots.projector import MIN_TEXT_SIZE, enlarge


def validated_style(figure: go.Figure, *, title=None, x_title=None, y_title=None, height=420, template="plotly_white"):
    """The style as Plotly's validated updates write it (the implementation before the fast path)."""
    look = {"template": template} if template else {"paper_bgcolor": "white", "plot_bgcolor": "white"}
    text = {"size": base.FONT_SIZE, "color": base.TEXT_COLOR}
    colorbar = {"tickfont": {"size": base.TICK_SIZE, "color": base.TEXT_COLOR}, "title": {"font": text}}
    figure.update_layout(
        **look,
        height=height,
        font=text,
        margin={"l": 70, "r": 30, "t": 60 if title else 30, "b": 60},
        legend={"font": {"size": base.FONT_SIZE - 2, "color": base.TEXT_COLOR}, "title": {"font": text}},
        hoverlabel={"font": {"size": base.FONT_SIZE}},
        coloraxis={"colorbar": colorbar},
    )
    axis_text = {"tickfont": {"size": base.TICK_SIZE, "color": base.TEXT_COLOR}, "title_font": text}
    figure.update_xaxes(**axis_text)
    figure.update_yaxes(**axis_text)
    figure.for_each_trace(lambda trace: trace.update(colorbar=colorbar) if "colorbar" in trace else None)
    if title:
        figure.update_layout(title={"text": title, "x": 0.01, "xanchor": "left"})
    if x_title:
        figure.update_xaxes(title_text=x_title)
    if y_title:
        figure.update_yaxes(title_text=y_title)
    return figure


def scatter() -> go.Figure:
    """A line chart whose layout already has settings of its own (style must merge into them, not replace them)."""
    figure = go.Figure(go.Scatter(x=np.arange(5), y=np.arange(5) ** 2, mode="lines"))
    figure.update_layout(legend={"orientation": "h"}, xaxis={"range": [0, 4], "title": {"standoff": 5}})
    return figure


def heatmap() -> go.Figure:
    """A trace with a colour bar that already has a title."""
    return go.Figure(go.Heatmap(z=np.eye(3), colorbar={"title": {"text": "weight", "side": "right"}}))


def subplots() -> go.Figure:
    """Two rows of axes (xaxis, xaxis2, yaxis, yaxis2) and a bar chart."""
    figure = make_subplots(rows=2, cols=1)
    figure.add_trace(go.Scatter(y=[1, 2, 3]), row=1, col=1)
    figure.add_trace(go.Bar(y=[3, 1, 2]), row=2, col=1)
    return figure


def legend_below() -> go.Figure:
    """Two named lines with a horizontal legend under the plot (the projector view moves such a legend)."""
    figure = go.Figure([go.Scatter(y=[1, 2], name="first"), go.Bar(y=[2, 1], name="second", marker={"color": "#1f77b4"})])
    figure.update_layout(legend={"orientation": "h", "y": -0.3, "x": 0})
    return figure


BUILDERS = [scatter, heatmap, subplots, legend_below, lambda: go.Figure(go.Pie(values=[1, 2]))]
SETTINGS = [
    {},
    {"title": "Loss", "x_title": "training step", "y_title": "loss (nats)", "height": 300},
    {"title": "No template", "x_title": "step", "template": None},
    {"template": None, "height": 500},
]


@pytest.mark.parametrize("settings", SETTINGS)
@pytest.mark.parametrize("build", BUILDERS)
def test_style_equals_plotly_validated_update(build, settings) -> None:
    """Same JSON as the validated path, for every kind of figure and setting (the browser gets the same chart)."""
    fast = base.style(build(), **settings)
    reference = validated_style(build(), **settings)
    assert json.loads(pio.to_json(fast)) == json.loads(pio.to_json(reference))
    go.Figure(fast.to_dict())  # and it passes Plotly's validation as it stands


def test_the_look_survives_in_the_resolved_layout() -> None:
    """White background, white grid lines, the dark projector text: what the charts' look depends on."""
    layout = base.style(scatter(), title="t", x_title="x (steps)", y_title="y").to_dict()["layout"]
    template = layout["template"]["layout"]
    assert template["plot_bgcolor"] == "white" and template["paper_bgcolor"] == "white"
    assert template["xaxis"]["gridcolor"] == pio.templates["plotly_white"].layout.xaxis.gridcolor
    assert layout["font"] == {"size": base.FONT_SIZE, "color": base.TEXT_COLOR}
    assert layout["xaxis"]["tickfont"] == {"size": base.TICK_SIZE, "color": base.TEXT_COLOR}
    dark = {"size": base.FONT_SIZE, "color": base.TEXT_COLOR}
    assert layout["xaxis"]["title"] == {"text": "x (steps)", "font": dark, "standoff": 5}
    assert layout["xaxis"]["range"] == [0, 4] and layout["legend"]["orientation"] == "h"


def test_each_figure_owns_its_template() -> None:
    """Changing one figure's template (e.g. the projector view) leaves the next figure's alone."""
    first = base.style(go.Figure())
    first.layout.template.layout.font.size = 40
    first.layout.template.layout.xaxis.gridcolor = "red"
    second = base.style(go.Figure()).to_dict()["layout"]["template"]["layout"]
    assert second["xaxis"]["gridcolor"] != "red" and "size" not in second.get("font", {})


def test_projector_view_enlarges_a_styled_figure() -> None:
    """The projector view reads and writes a styled figure through Plotly's objects as before."""
    figure = enlarge(go.Figure(base.heatmap(np.ones((2, 3)), x_title="x", y_title="y", color_title="c", title="T")))
    layout = figure.layout
    assert layout.font.size >= MIN_TEXT_SIZE and layout.xaxis.tickfont.size >= MIN_TEXT_SIZE
    assert figure.data[0].colorbar.tickfont.size >= MIN_TEXT_SIZE and layout.template.layout.plot_bgcolor == "white"


def test_later_updates_still_validate() -> None:
    """A figure styled without validation still refuses a bad property set afterwards."""
    figure = base.style(go.Figure())
    with pytest.raises(ValueError):
        figure.update_layout(height="tall")


def test_streamlit_default_template_is_kept_without_one(monkeypatch) -> None:
    """Under Streamlit every new figure starts with its chart theme's template; template=None keeps it, as before."""
    from streamlit.elements.lib.streamlit_plotly_theme import configure_streamlit_plotly_theme

    configure_streamlit_plotly_theme()
    monkeypatch.setattr(pio.templates, "default", "streamlit")
    fast = base.style(scatter(), title="t", template=None)
    reference = validated_style(scatter(), title="t", template=None)
    assert json.loads(pio.to_json(fast)) == json.loads(pio.to_json(reference))
    assert fast.to_dict()["layout"]["template"] == pio.templates["streamlit"].to_plotly_json()


@pytest.mark.parametrize("build", BUILDERS)
def test_the_projector_copy_equals_a_validated_copy_enlarged(build) -> None:
    """ui.charts' cheap copy gives the projector view the validated copy gives, and leaves the original alone."""
    from rnnviz.plots.export import figure_csv
    from ui.charts import projector_copy

    figure = base.style(build(), title="T", x_title="x", y_title="y")
    before = json.loads(pio.to_json(figure))
    cheap, validated = projector_copy(figure), enlarge(go.Figure(figure))
    assert json.loads(pio.to_json(cheap)) == json.loads(pio.to_json(validated))
    assert figure_csv(cheap) == figure_csv(validated)  # the CSV download of a chart in the projector view
    assert json.loads(pio.to_json(figure)) == before
    assert cheap.layout.font.size >= MIN_TEXT_SIZE
