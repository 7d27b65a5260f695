"""The Unrolled graph page's I/O tabs under AppTest: the five types, live training, the run box, teacher forcing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from rnnviz.training.loop import TrainResult
from rnnviz.unrolled.tasks import Trained
from tests.app.helpers import assert_clean

ROOT = Path(__file__).resolve().parents[2]
PAGE = "app_pages/unrolled.py"
KEY = "unrolled-io:"
HOSTILE = ["", "(" * 5000, "😀 🎉 ((x))", "<script>alert(1)</script>", "\x00ÿ漢字\u202e"]


def open_page(io_type: str | None = None) -> AppTest:
    """The real app switched to the Unrolled graph, optionally with an I/O type picked."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page(PAGE).run()
    if io_type is not None:
        at.selectbox(key=KEY + "type").set_value(io_type).run()
    return at


def text_of(at: AppTest) -> str:
    """Everything a person reads on the page."""
    kinds = ("markdown", "caption", "info", "warning", "success", "error", "subheader")
    return "\n".join(str(element.value) for kind in kinds for element in at.get(kind))


def figure(at: AppTest, key: str) -> dict:
    """The figure of the chart with `key` as plain data."""
    chart = next(chart for chart in at.get("plotly_chart") if key in chart.proto.id)
    return json.loads(chart.proto.spec)


def train_tiny(at: AppTest, task_key: str, steps: int = 5, hidden: int = 8) -> AppTest:
    """Train the picked type for a few steps of a small model, wait for it, redraw."""
    at.number_input(key=f"{KEY}steps:{task_key}").set_value(steps)
    at.number_input(key=f"{KEY}hidden:{task_key}").set_value(hidden).run()
    at.button(key=KEY + "train").click().run()
    job = at.session_state[f"rnnviz_job:{KEY}{task_key}"]
    assert job.wait(120), "the run did not end"
    return at.run()


def test_the_two_new_tabs_render_after_the_three_others():
    at = open_page()
    assert_clean(at)
    assert [tab.label for tab in at.tabs] == ["The graph", "BPTT in numbers", "Truncated BPTT", "Five I/O types",
                                              "Is it parallelizable?"]
    shown = text_of(at)
    assert "Image classification" in shown and "Press **Train** first" in shown
    assert "we first need h_(t-1)" in shown and "Press Measure" in shown


@pytest.mark.parametrize("io_type,application,inputs,outputs", [
    ("one-to-many", "Image captioning", 0, 4), ("many-to-one", "Sentiment", 4, 1),
    ("many-to-many-aligned", "Video classification", 4, 4), ("encoder-decoder", "Machine translation", 3, 3)])
def test_each_type_shows_its_application_shape_and_defaults(io_type, application, inputs, outputs, monkeypatch):
    monkeypatch.setenv("RNNVIZ_REVIEWS", str(ROOT / "no-such-reviews.csv"))  # the adding problem: quick
    at = open_page(io_type)
    assert_clean(at)
    assert application in text_of(at)
    traces = {trace["name"]: trace for trace in figure(at, f"shape:{io_type}")["data"]}
    assert len(traces["input"].get("x", [])) == inputs and len(traces["output"]["x"]) == outputs
    assert at.number_input(key=f"{KEY}hidden:{io_type}").value in (32, 64)  # the task's default


def test_many_to_one_falls_back_to_the_adding_problem_without_a_reviews_file(monkeypatch):
    monkeypatch.setenv("RNNVIZ_REVIEWS", str(ROOT / "no-such-reviews.csv"))
    at = open_page("many-to-one")
    assert_clean(at)
    shown = text_of(at)
    assert "No reviews file here" in shown and "downloads nothing" in shown and "adding problem" in shown


def test_a_typed_reviews_path_is_off_without_a_data_folder_and_confined_with_one(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNVIZ_REVIEWS", str(ROOT / "no-such-reviews.csv"))
    monkeypatch.delenv("RNNVIZ_DATA", raising=False)
    at = open_page("many-to-one")
    assert at.text_input(key=f"{KEY}reviews_path").disabled  # typed server paths are off by default
    monkeypatch.setenv("RNNVIZ_DATA", str(tmp_path))
    at.run()
    for typed in ("/etc/passwd", "../../../etc/hostname"):
        at.text_input(key=f"{KEY}reviews_path").input(typed).run()
        assert_clean(at)
        shown = text_of(at)
        assert "Only files inside the server" in shown and "could not be read" not in shown


def test_many_to_one_reads_real_reviews_when_the_file_is_there(tmp_path, monkeypatch):
    rows = ["text,label"] + [f'"{"a great film i loved it" if i % 2 else "an awful film i hated it"} {i}",'
                             f'{"Positive" if i % 2 else "Negative"}' for i in range(60)]
    (tmp_path / "reviews.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    monkeypatch.setenv("RNNVIZ_REVIEWS", str(tmp_path / "reviews.csv"))
    at = open_page("many-to-one")
    assert_clean(at)
    assert "review sentiment" in text_of(at)
    at = train_tiny(at, "many-to-one:reviews")
    assert_clean(at)
    at.text_area(key=f"{KEY}input:many-to-one:reviews").input("a great film").run()
    assert_clean(at)
    assert "**Answer:** positive" in text_of(at) or "**Answer:** negative" in text_of(at)


def test_train_finishes_and_the_run_box_shows_the_outputs_per_step():
    at = train_tiny(open_page("many-to-many-aligned"), "many-to-many-aligned", steps=5)
    assert_clean(at)
    shown = text_of(at)
    assert "Held-out" in shown and "after 5 steps" in shown and "8 units" in shown
    box = at.text_input(key=f"{KEY}input:many-to-many-aligned")
    assert box.value == 'f(a [b c] "say {x}") d'
    table = at.dataframe[0].value
    assert len(table) == len(box.value) and list(table.columns[:4]) == ["step", "input", "output", "truth"]
    assert "**Answer:**" in shown
    run = figure(at, "run_figure")
    assert len(next(t for t in run["data"] if t["name"] == "input")["x"]) == 16  # the last 16 characters
    box.input("(())").run()
    assert len(at.dataframe[0].value) == 4  # a new input, new steps


@pytest.mark.parametrize("io_type", ["one-to-one", "one-to-many", "many-to-many-aligned", "encoder-decoder"])
def test_hostile_input_gives_a_message_never_an_exception(io_type):
    at = train_tiny(open_page(io_type), io_type, steps=2)
    for text in HOSTILE:
        at.text_input(key=f"{KEY}input:{io_type}").input(text).run()
        assert not at.exception, (io_type, text, [e.value for e in at.exception])
        assert not at.error, (io_type, text)
        assert at.warning or "**Answer:**" in text_of(at), (io_type, text)
        assert all("<script>" not in str(element.value) for element in at.markdown)  # shown as text, escaped
    at.text_input(key=f"{KEY}input:{io_type}").input("").run()
    assert "empty" in " ".join(str(w.value) for w in at.warning)


def test_a_diverging_run_says_where_it_diverged(monkeypatch):
    def diverging(task, *, seed=0, model=None, config=None, callbacks=(), stop=None, **options):
        result = TrainResult("diverged", 7, [], "diverged at step 7 (loss nan)", 0.1)
        return Trained(model, result, 0.0)
    monkeypatch.setattr("ui.unrolled.io_view.train", diverging)
    at = open_page("one-to-one")
    at.button(key=KEY + "train").click().run()
    at.session_state[f"rnnviz_job:{KEY}one-to-one"].wait(60)
    at.run()
    assert_clean(at)
    assert any("diverged at step 7" in str(w.value) for w in at.warning)
    assert "Press **Train** first" in text_of(at)  # a diverged model is not kept


def test_the_kind_knob_reaches_the_trained_model():
    at = open_page("one-to-one")
    at.selectbox(key=f"{KEY}kind:one-to-one").set_value("lstm").run()
    at = train_tiny(at, "one-to-one", steps=3)
    assert_clean(at)
    assert "The model: LSTM" in text_of(at)


def test_the_parallel_tab_times_a_fresh_model_then_the_one_trained_here():
    at = open_page()
    at.button(key="unrolled-parallel:measure").click().run()
    assert_clean(at)
    shown = text_of(at)
    assert "fresh, untrained" in shown and "per-call overhead" in shown
    assert at.metric[2].value.endswith("× as long") and float(at.metric[2].value.split("×")[0]) > 0
    at.selectbox(key=KEY + "type").set_value("encoder-decoder").run()
    at = train_tiny(at, "encoder-decoder", steps=3)
    at.button(key="unrolled-parallel:measure").click().run()
    assert_clean(at)
    assert "the encoder–decoder you trained" in text_of(at)


def test_the_teacher_forcing_runs_draw_one_curve_per_ratio():
    at = open_page()
    at.radio(key="unrolled-parallel:plan").set_value("one ratio against 1.0").run()
    at.slider(key="unrolled-parallel:ratio").set_value(0.0)
    at.select_slider(key="unrolled-parallel:steps").set_value(20).run()
    at.button(key="unrolled-parallel:train").click().run()
    job = at.session_state["rnnviz_job:unrolled-parallel:forcing"]
    assert job.wait(120) and job.status == "finished"
    at.run()
    assert_clean(at)
    curves = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    names = [trace["name"] for spec in curves for trace in spec["data"] if trace["name"].startswith("teacher")]
    assert names == ["teacher forcing 1", "teacher forcing 0"]
    assert "ratio 1: **" in text_of(at) and "ratio 0: **" in text_of(at)
