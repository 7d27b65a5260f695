"""The Unrolled graph opened from a link: the scene and each tab's knobs it names, and hostile values.

The shell's note about values the page could not use is checked in the browser (tests/e2e/test_gradient_lab_links.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.helpers import assert_clean

ROOT = Path(__file__).resolve().parents[2]
PAGE = "app_pages/unrolled.py"


def opened(query: dict[str, str]) -> AppTest:
    """The page opened from a link with `query`: the app's Home first, then the page with the link's query.

    The page's widgets are new in that run, so the query seeds them as on a first page load.
    """
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.query_params.update(query)
    return at.switch_page(PAGE).run()


def test_a_link_sets_the_scene_and_the_tabs_knobs():
    at = opened(
        {
            "unrolled:kind": "GRU",
            "unrolled:hidden": "4",
            "unrolled:mode": "numbers you type (one x_t per number; target: is x_t > 0?)",
            "unrolled:numbers": "1, -2, 3",
            "unrolled:k1": "2",
            "unrolled-io:type": "Encoder–decoder — translation",
            "unrolled-parallel:per": "per step (one coin per sequence and step)",
        }
    )
    assert_clean(at)
    assert at.selectbox(key="unrolled:kind").value == "gru" and at.number_input(key="unrolled:hidden").value == 4
    assert at.selectbox(key="unrolled:mode").value == "numbers"
    assert at.text_input(key="unrolled:numbers").value == "1, -2, 3"
    assert at.selectbox(key="unrolled-io:type").value == "encoder-decoder"
    assert at.radio(key="unrolled-parallel:per").value == "step"


@pytest.mark.parametrize(
    "query",
    [
        {"unrolled:hidden": "100000"},
        {"unrolled:kind": "<script>alert(1)</script>"},
        {"unrolled:layers": "-1"},
        {"unrolled-io:type": "x" * 100_000},
        {"unrolled:tab": "no such tab"},
        {"unrolled:bidirectional": "maybe"},
    ],
)
def test_hostile_values_fall_back_to_the_defaults(query):
    at = opened(query)
    assert_clean(at)
    assert at.selectbox(key="unrolled:kind").value == "rnn" and at.number_input(key="unrolled:hidden").value == 3


def test_a_100_kb_text_is_cut_with_a_note_not_an_error():
    at = opened({"unrolled:text": "<script>alert(1)</script>" * 4000})
    assert_clean(at)
    assert len(at.text_input(key="unrolled:text").value) == 100_000
    assert any("cut" in element.value or "first" in element.value for element in at.info)


def test_a_finished_io_run_offers_the_script_that_redoes_it_and_its_weights():
    at = opened(
        {
            "unrolled-io:type": "Many to many, aligned — video frames",
            "unrolled-io:steps:many-to-many-aligned": "4",
            "unrolled-io:hidden:many-to-many-aligned": "8",
        }
    )
    at.number_input(key="seed").set_value(7).run()  # the sidebar's seed already exists: Home drew it
    at.button(key="unrolled-io:train").click().run()
    job = at.session_state["rnnviz_job:unrolled-io:many-to-many-aligned"]
    assert job.wait(120)
    at.run()
    assert_clean(at)
    text, weights = job.extras["files"]
    assert "hidden_size=8" in text and "steps=4" in text and "seed = 7" in text and "'many-to-many-aligned'" in text
    assert weights and len(weights) > 100
    keys = [element.proto.id for element in at.get("download_button")]
    assert any("script" in key for key in keys) and any("weights" in key for key in keys)
