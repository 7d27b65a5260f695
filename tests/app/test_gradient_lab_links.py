"""The gradient lab opened from a link: its knobs, its preset, hostile values, and the files of a finished run.

AppTest opens the page file itself with the link's query (the whole app's first run would be Home); the note
the shell writes about values the page could not use is checked in the browser (tests/e2e/test_gradient_lab_links.py).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from rnnviz.gradlab.presets import PRESETS
from tests.app.helpers import assert_clean
from ui.gradlab import settings as gradlab_settings

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "app_pages/gradient_lab.py")
JOB = "rnnviz_job:gradient-lab"
TINY = {"hidden_size": 8, "batch_size": 8, "steps": 4, "record_every": 2}


@pytest.fixture(autouse=True)
def tiny_presets(monkeypatch):
    """Presets with their claims, a few steps only."""
    shrunk = tuple(
        dataclasses.replace(p, settings=p.settings.replace(**TINY), contrast=p.contrast and p.contrast.replace(**TINY))
        for p in PRESETS
    )
    monkeypatch.setattr(gradlab_settings, "PRESETS", shrunk)
    return shrunk


def opened(query: dict[str, str]) -> AppTest:
    """The page opened from a link with `query`."""
    at = AppTest.from_file(PAGE, default_timeout=90)
    at.query_params.update(query)
    return at.run()


def test_a_link_sets_the_knobs_it_names_and_leaves_the_others_at_their_defaults():
    at = opened(
        {
            "gradlab:length": "20",
            "gradlab:cell": "GRU",
            "gradlab:task": "Copy after a delay",
            "gradlab:tbptt_on": "true",
            "gradlab:tbptt": "7",
            "gradlab:learning_rate": "0.05",
        }
    )
    assert_clean(at)
    assert at.number_input(key="gradlab:length").value == 20
    assert at.selectbox(key="gradlab:cell").value == "gru" and at.selectbox(key="gradlab:task").value == "copy"
    assert at.toggle(key="gradlab:tbptt_on").value and at.number_input(key="gradlab:tbptt").value == 7
    assert at.select_slider(key="gradlab:learning_rate").value == 0.05
    assert at.number_input(key="gradlab:hidden_size").value == PRESETS[0].settings.hidden_size


def test_the_train_button_of_a_link_trains_what_the_link_says():
    at = opened(
        {
            "gradlab:length": "12",
            "gradlab:steps": "4",
            "gradlab:hidden_size": "8",
            "gradlab:batch_size": "8",
            "gradlab:record_every": "2",
        }
    )
    at.button(key="gradlab:train").click().run()
    assert at.session_state[JOB].wait(120)
    at.run()
    settings = at.session_state["gradlab:runs"][-1].recording.settings
    assert (settings.length, settings.train.steps, settings.hidden_size) == (12, 4, 8)


@pytest.mark.parametrize(
    "query",
    [
        {"gradlab:length": "100000"},
        {"gradlab:length": "-3"},
        {"gradlab:cell": "<script>alert(1)</script>"},
        {"gradlab:task": "x" * 100_000},
        {"gradlab:learning_rate": "7"},
        {"gradlab:replay": "99"},
        {"gradlab:replay": "<b>1</b>"},
        {"gradlab:steps": "nan"},
    ],
)
def test_hostile_values_fall_back_to_the_defaults_without_an_error(query):
    at = opened(query)
    assert_clean(at)
    assert at.number_input(key="gradlab:length").value == PRESETS[0].settings.length
    assert at.selectbox(key="gradlab:cell").value == PRESETS[0].settings.cell
    assert not any("replays" in element.value for element in at.markdown)


def test_a_preset_link_offers_that_preset_and_trains_it_with_seed_0(tiny_presets):
    at = opened({"gradlab:replay": "6-contrast", "seed": "5"})
    assert any("replays the contrast of preset 6" in element.value for element in at.markdown)
    at.button(key="gradlab:replay-train").click().run()
    assert at.session_state[JOB].wait(120)
    at.run()
    settings = at.session_state["gradlab:runs"][-1].recording.settings
    assert settings == tiny_presets[5].contrast and settings.train.seed == 0
    assert not any("replays" in element.value for element in at.markdown)  # offered once, before a run


def test_a_preset_button_writes_its_number_into_the_link():
    at = opened({})
    at.button(key="gradlab:preset3").click().run()
    assert at.query_params.get("gradlab:replay") in ("3", ["3"])
    assert at.session_state[JOB].wait(120)
    at.run()
    at.button(key="gradlab:train").click().run()  # the knobs as they are: no preset in the link any more
    assert "gradlab:replay" not in at.query_params


def test_a_finished_run_offers_its_script_and_its_weights():
    at = opened({})
    at.button(key="gradlab:preset1").click().run()
    assert at.session_state[JOB].wait(120)
    at.run()
    run = at.session_state["gradlab:runs"][-1]
    assert run.checkpoint and run.checkpoint[:8] != b"\0" * 8
    keys = [element.proto.id for element in at.get("download_button")]
    assert any("script" in key for key in keys) and any("weights" in key for key in keys)
