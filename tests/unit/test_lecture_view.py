"""Issue 15's shared pieces: the projector view of a figure, a figure's data as CSV, link checks."""

from __future__ import annotations

import csv
import io

import numpy as np
import plotly.graph_objects as go
import pytest

from rnnviz.plots.attention import attention_heatmap
from rnnviz.plots.base import PALETTE, heatmap, loss_curve
from rnnviz.plots.export import figure_csv, figure_rows
from rnnviz.plots.projector import COLOURBLIND_PALETTE, MIN_TEXT_SIZE, enlarge
from rnnviz.plots.signatures import score_histogram_figure
from ui.charts import chart_config, file_stem
from ui.links import link_to_view, note_text, rejected_parameters


def text_sizes(figure: go.Figure) -> list[float]:
    """Every font size a reader sees: layout, axes, legend, hover, colour bars, annotations, trace text."""
    layout = figure.layout
    sizes = [layout.font.size, layout.legend.font.size, layout.hoverlabel.font.size]
    for axis in [*figure.select_xaxes(), *figure.select_yaxes()]:
        sizes += [axis.tickfont.size, axis.title.font.size]
    sizes += [trace.colorbar.tickfont.size for trace in figure.data if "colorbar" in trace]
    sizes += [annotation.font.size for annotation in layout.annotations]
    sizes += [trace.textfont.size for trace in figure.data if "textfont" in trace and trace.textfont.size]
    inherited = layout.font.size or 12  # an unset size is the layout's (Plotly's default: 12 px)
    return [inherited if size is None else size for size in sizes]


FIGURES = {
    "loss curve": lambda: loss_curve([1, 2, 3], {"lstm": [3.0, 2.0, 1.0], "gru": [2.5, 1.5, 1.0]}),
    "heatmap": lambda: heatmap(np.arange(6.0).reshape(2, 3), x_title="time step", y_title="unit"),
    "histogram": lambda: score_histogram_figure([0.0, 1.0, 2.0], {"genuine": [3, 1], "skilled": [1, 2]}, threshold=1.0),
    "attention": lambda: attention_heatmap(np.full((2, 3), 1 / 3), ["a", "b", "c"], ["x", "</s>"]),
}


@pytest.mark.parametrize("name", FIGURES)
def test_the_projector_view_makes_every_text_at_least_the_minimum(name: str) -> None:
    figure = FIGURES[name]()
    assert min(text_sizes(figure)) < MIN_TEXT_SIZE  # the normal view is smaller, so this test can fail
    assert min(text_sizes(enlarge(figure))) >= MIN_TEXT_SIZE


def test_the_projector_view_thickens_lines_and_swaps_to_colour_blind_safe_colours() -> None:
    figure = loss_curve([1, 2, 3], {"lstm": [3.0, 2.0, 1.0], "gru": [2.5, 1.5, 1.0]})
    before = [(trace.line.width or 2, trace.line.color) for trace in figure.data]
    enlarge(figure)
    for (width, colour), trace in zip(before, figure.data, strict=True):
        assert trace.line.width > width
        if colour in PALETTE:
            assert trace.line.color == COLOURBLIND_PALETTE[PALETTE.index(colour)]


def test_the_projector_view_leaves_the_data_alone() -> None:
    figure = FIGURES["heatmap"]()
    before = figure_csv(figure)
    assert figure_csv(enlarge(figure)) == before


def test_a_figures_csv_reads_back_with_every_point_and_cell() -> None:
    figure = go.Figure([go.Scatter(x=[1, 2, 3], y=[0.5, float("nan"), 2.0], name="loss")])
    figure.add_trace(go.Heatmap(z=[[1, 2], [3, 4]], x=["a", "b"], y=["r0", "r1"], name="grid"))
    figure.update_xaxes(title_text="step")
    rows = list(csv.reader(io.StringIO(figure_csv(figure))))
    assert rows[0][:3] == ["trace", "x: step", "y: y"]
    assert [row[0] for row in rows[1:]] == ["loss"] * 3 + ["grid"] * 4
    assert rows[2][2] == ""  # NaN is an empty cell, not the text "nan"
    assert rows[-1][1:4] == ["b", "r1", "4"]
    assert len(list(figure_rows(figure))) == 7


def test_chart_files_are_named_safely_and_saved_at_projector_size() -> None:
    assert file_stem("Gradient norms / time step <script>") == "gradient-norms-time-step-script"
    assert file_stem("!!!") == "chart"
    config = chart_config("loss", {"displayModeBar": True})
    assert config["toImageButtonOptions"]["width"] >= 1920 and config["displayModeBar"] is True


def test_a_link_keeps_every_setting_including_repeated_ones() -> None:
    link = link_to_view("http://host:8501/translate", {"sentence": ["je suis <b>"], "kinds": ["dot", "general"]})
    assert link == "http://host:8501/translate?sentence=je+suis+%3Cb%3E&kinds=dot&kinds=general"
    assert link_to_view("http://host:8501", {}) == "http://host:8501/"  # as the address bar shows it
    assert link_to_view("http://host:8501/?old=1#top", {"seed": 7}) == "http://host:8501/?seed=7"


def test_rejected_link_values_are_named_and_accepted_ones_are_not() -> None:
    state = {"seed": 7, "projector": True, "rate": 0.5, "text": "hi", "kinds": ["a", "b"]}
    asked = {
        "seed": ["7"],
        "projector": ["true"],
        "rate": ["0.50"],
        "text": ["hi"],
        "kinds": ["a", "b"],
        "units": ["64"],
        "seed2": ["x" * 100_000],
    }
    assert [r.name for r in rejected_parameters(asked, state)] == ["units", "seed2"]
    assert [r.name for r in rejected_parameters({"seed": ["abc"]}, {"seed": 0})] == ["seed"]


def test_a_value_streamlit_kept_in_the_url_counts_as_taken_and_one_it_dropped_does_not() -> None:
    asked = {"signatures:sample": ["S25 · skilled forgery"], "signatures:user": ["99"], "seed": ["0"]}
    state = {"signatures:sample": 25, "signatures:user": 1, "seed": 0}
    kept = {"signatures:sample": ["S25 · skilled forgery"]}  # user 99 dropped; seed 0 is the default, left out
    assert [r.name for r in rejected_parameters(asked, state, kept)] == ["signatures:user"]
    assert [r.name for r in rejected_parameters(asked, state)] == ["signatures:sample", "signatures:user"]


def test_the_note_shows_names_as_typed_and_values_as_text() -> None:
    note = note_text(rejected_parameters({"signatures:det": ["<b>x</b>"], "a`b": ["1"]}, {"signatures:det": []}))
    assert "`signatures:det`" in note and "`a'b`" in note and "<b>" not in note
    label_kept = rejected_parameters({"cell": ["GRU"]}, {"cell": "gru"}, kept={"cell": ["GRU"]})
    assert label_kept == [] and rejected_parameters({"cell": ["GRU"]}, {"cell": "gru"}, kept={}) != []
    assert "`gradlab:cell`" in note_text(rejected_parameters({"gradlab:cell": ["x"]}, {}))  # no backslashes
    note = note_text(rejected_parameters({"t": ["<script>" * 20]}, {}))
    assert "<script>" not in note and "160 characters" in note


def test_a_reproduction_script_writes_settings_as_literals_and_compiles() -> None:
    from rnnviz.io.scripts import keyword_arguments, literal, reproduction_script

    assert literal([1, 0.5, "a'b", None, (True,)]) == '[1, 0.5, "a\'b", None, (True,)]'
    with pytest.raises(ValueError):
        literal(float("nan"))
    body = f"settings = dict(\n{keyword_arguments({'hidden_size': 32, 'kind': 'lstm'})}\n)\nprint(settings)"
    text = reproduction_script(
        summary='A """quoted""" run', page="Gradient lab", file_name="run.py", imports=["import math"], body=body
    )
    namespace: dict = {}
    exec(compile(text, "run.py", "exec"), namespace)
    assert namespace["settings"] == {"hidden_size": 32, "kind": "lstm"}
    with pytest.raises(SyntaxError):
        reproduction_script(summary="s", page="p", file_name="x.py", imports=[], body="def (")


@pytest.mark.parametrize("text", ["inf", "-Infinity", "1e999", "9" * 400])
def test_an_infinite_number_in_a_link_gives_a_whole_number_input_its_default(text: str) -> None:
    from streamlit.elements.widgets.number_input import NumberInputSerde
    from streamlit.proto.NumberInput_pb2 import NumberInput

    from ui.links import guard_number_inputs

    guard_number_inputs()
    serde = NumberInputSerde(value=3, data_type=NumberInput.INT, min_value=0, max_value=10)
    assert serde.deserialize(float(text)) == 3  # unguarded: OverflowError, a traceback on the page
    assert serde.deserialize(7.0) == 7 and serde.deserialize(None) == 3
