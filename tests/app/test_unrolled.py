"""The Unrolled graph page under AppTest: every control changes the figure, clicks open equations, bad input is named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.helpers import assert_clean

ROOT = Path(__file__).resolve().parents[2]
PAGE = "app_pages/unrolled.py"


def open_page() -> AppTest:
    """The real app (sidebar, error boundary) switched to the Unrolled graph."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    return at.switch_page(PAGE).run()


def graph_spec(at: AppTest) -> dict:
    """The first chart's figure (the graph) as plain data."""
    return json.loads(at.get("plotly_chart")[0].proto.spec)


def node_ids(at: AppTest) -> set[str]:
    """Every node id drawn in the graph."""
    return {item for trace in graph_spec(at)["data"] if trace.get("mode") == "markers+text"
            for item in trace.get("customdata", []) if not str(item).startswith("weight:")}


@pytest.fixture(scope="module")
def page() -> AppTest:
    """One open page for the tests that only read it."""
    return open_page()


def test_the_page_opens_with_the_graph_the_terms_and_the_truncation(page: AppTest) -> None:
    """Three tabs, a chart in each, the check against autograd stated, no error."""
    assert_clean(page)
    assert [tab.label for tab in page.tabs][:3] == ["The graph", "BPTT in numbers", "Truncated BPTT"]
    assert len(page.get("plotly_chart")) == 6  # and the I/O tab's shape picture (tests/app/test_unrolled_io.py)
    captions = " ".join(c.value for c in page.caption)
    assert "add up to autograd" in captions and "largest difference" in captions
    assert "h[0,forward][4]" in node_ids(page) and "c[0,forward][0]" not in node_ids(page)  # RNN by default


@pytest.mark.parametrize("key,value,check", [
    ("unrolled:kind", "lstm", lambda ids: "c[0,forward][0]" in ids),
    ("unrolled:layers", 2, lambda ids: "h[1,forward][0]" in ids),
    ("unrolled:bidirectional", True, lambda ids: "h[0,backward][0]" in ids),
    ("unrolled:text", "hi", lambda ids: "x[1]" in ids and "x[2]" not in ids),
])
def test_each_knob_changes_the_graph(key: str, value: object, check) -> None:
    """Cell, layers, direction and the typed input each change the nodes drawn."""
    at = open_page()
    element = {"unrolled:kind": at.selectbox, "unrolled:layers": at.number_input,
               "unrolled:bidirectional": at.toggle, "unrolled:text": at.text_input}[key](key=key)
    element.set_value(value).run()
    assert_clean(at)
    assert check(node_ids(at))


def test_highlight_rolled_form_and_step_change_the_figure() -> None:
    """Highlighting U, the rolled form and a ringed step each change what the chart draws."""
    at = open_page()
    names = lambda: {trace.get("name") for trace in graph_spec(at)["data"]}  # noqa: E731
    assert "uses of W (highlighted)" in names()
    at.selectbox(key="unrolled:highlight").set_value("U").run()
    assert "uses of U (highlighted)" in names()
    at.button(key="unrolled:next").click().run()
    assert at.select_slider(key="unrolled:step").value == 0 and len(graph_spec(at)["data"]) > 10
    at.toggle(key="unrolled:rolled").set_value(True).run()
    assert_clean(at)
    rolled = {item for trace in graph_spec(at)["data"] for item in trace.get("customdata", []) or []}
    assert "h[0,forward]" in rolled


def test_a_clicked_node_shows_its_equations_and_a_clicked_label_highlights() -> None:
    """What the chart's click callback stores: a node opens its equations (LaTeX), a weight label highlights it."""
    at = open_page()
    at.session_state["unrolled:node"] = "h[0,forward][2]"
    at.run()
    assert_clean(at)
    assert len(at.get("latex")) == 2  # RNN: pre-activation, hidden state
    at.selectbox(key="unrolled:kind").set_value("gru").run()
    assert len(at.get("latex")) == 4  # r, z, h~, h


@pytest.mark.parametrize("mode,key,typed,expected", [
    ("numbers", "unrolled:numbers", "1, nan, 3", "number 2"),
    ("numbers", "unrolled:numbers", "", "at least one number"),
    ("numbers", "unrolled:numbers", "1, <script>alert(1)</script>", "not a number"),
    ("text", "unrolled:text", "", "at least one character"),
])
def test_hostile_input_gives_a_message_never_a_traceback(mode: str, key: str, typed: str, expected: str) -> None:
    """NaN, empty, markup: an error box naming the problem, no exception."""
    at = open_page()
    at.selectbox(key="unrolled:mode").set_value(mode).run()
    at.text_input(key=key).set_value(typed).run()
    assert not at.exception
    assert any(expected in e.value.replace("\\", "") for e in at.error), [e.value for e in at.error]


def test_ten_thousand_steps_draw_twelve_and_say_so() -> None:
    """T = 10,000: the graph keeps the first and last steps, the BPTT tabs ask for a shorter sequence."""
    at = open_page()
    at.selectbox(key="unrolled:mode").set_value("random").run()
    at.number_input(key="unrolled:steps").set_value(10_000).run()
    assert not at.exception
    assert any("10,000 steps" in c.value.replace("\\", "") for c in at.caption)
    assert sum("at most 200 steps" in i.value for i in at.info) == 2
    assert "x[9999]" in node_ids(at) and "x[100]" not in node_ids(at)


def test_truncation_settings_are_checked_and_bidirectional_explained() -> None:
    """k2 < k1 is refused with the rule; a bidirectional network gets a sentence, not a crash."""
    at = open_page()
    at.number_input(key="unrolled:k1").set_value(3).run()
    at.number_input(key="unrolled:k2").set_value(2).run()
    assert not at.exception and any("k2 >= k1" in w.value.replace("\\", "") for w in at.warning)
    at.toggle(key="unrolled:bidirectional").set_value(True).run()
    assert any("reads the future" in i.value for i in at.info)
