"""Inside the cell opened from a link: the query's model, text, cell and view show; hostile values fall back."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.helpers import assert_clean

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 120
needs_checkpoints = pytest.mark.skipif(not sorted((ROOT / "checkpoints").glob("charlm-*.safetensors")),
                                       reason="no charlm checkpoints in checkpoints/ yet")


def opened(query: dict[str, str | list[str]]) -> AppTest:
    """The page in a fresh session with this query string (run as its own script: its url path "inside-cell" is
    not its file name, and AppTest honours bind only on a session's first run)."""
    at = AppTest.from_file(str(ROOT / "app_pages" / "inside_cell.py"), default_timeout=TIMEOUT)
    at.query_params.update(query)
    return at.run()


@needs_checkpoints
def test_a_link_shows_its_text_cell_state_and_view() -> None:
    text = '(a [b "c d"] e) f'
    at = opened({"ic_text": text, "ic_t": "5", "ic_unit": "3", "ic_state": "Hidden", "ic_view": "Select a span",
                 "ic_span": ["1", "7"]})
    assert_clean(at)
    assert at.text_area(key="ic_text").value == text
    assert at.number_input(key="ic_t").value == 5 and at.number_input(key="ic_unit").value == 3
    assert at.radio(key="ic_state").value == "hidden"
    assert at.session_state["ic_view"] == "Select a span" and at.session_state["ic_span"] == (1, 7)
    assert "Unit 3 at position 5" in " ".join(str(m.value) for m in at.markdown)
    assert "Span: " + text[1:7] in [str(t.value) for t in at.text]


@needs_checkpoints
def test_out_of_range_and_unknown_values_fall_back_without_an_exception() -> None:
    at = opened({"ic_t": "99999", "ic_unit": "-4", "ic_state": "nonsense", "ic_model": "file:../../etc/passwd",
                 "ic_view": "<script>", "ic_threshold": "7", "ic_text": "<script>alert(1)</script>" * 4000})
    assert_clean(at)
    last = at.number_input(key="ic_t").max
    assert at.number_input(key="ic_t").value == last and at.number_input(key="ic_unit").value == 0
    assert at.selectbox(key="ic_model").value == "file:charlm-brackets-lstm.safetensors"
    assert at.radio(key="ic_state").value == "cell"
    assert any("the model reads the first 2,000" in str(w.value) for w in at.warning)


@needs_checkpoints
def test_every_chart_offers_its_data_as_csv() -> None:
    at = opened({"ic_view": "Gate saturation"})
    assert_clean(at)
    labels = [button.proto.label for button in at.get("download_button")]
    assert labels.count("Data (CSV)") == len(at.get("plotly_chart")) >= 3


@needs_checkpoints
@pytest.mark.parametrize("view", ["Find the unit", "Select a span", "Gate saturation", "Next-character guesses",
                                  "Compare models", "How this model was made"])
def test_every_view_draws_in_the_projector_view(view: str) -> None:
    """Each tab's charts through the projector's enlarge (a bar chart has no marker size: it must not fail)."""
    at = AppTest.from_file(str(ROOT / "app_pages" / "inside_cell.py"), default_timeout=TIMEOUT)
    at.session_state["projector"] = True
    at.query_params["ic_view"] = view
    at.run()
    assert_clean(at)
    assert at.session_state["ic_view"] == view and len(at.get("plotly_chart")) >= 2
