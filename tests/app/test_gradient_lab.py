"""The gradient lab under AppTest: every preset (shrunk), the knobs, Stop, divergence, four kept runs, two sessions."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from rnnviz.gradlab.presets import PRESETS
from tests.app.helpers import assert_clean
from ui.gradlab import settings as gradlab_settings
from ui.training import current_job

ROOT = Path(__file__).resolve().parents[2]
PAGE = "app_pages/gradient_lab.py"
JOB = "rnnviz_job:gradient-lab"
TINY = {"hidden_size": 8, "batch_size": 8, "steps": 6, "record_every": 2}


def tiny(settings):
    """The same run, small enough for a test: a few steps of an 8-unit network."""
    return None if settings is None else settings.replace(**TINY)


@pytest.fixture(autouse=True)
def tiny_presets(monkeypatch):
    """Presets with their claims and settings, but a few steps only (preset 2 diverges by itself in ~20)."""
    shrunk = tuple(dataclasses.replace(p, settings=p.settings if p.number == 2 else tiny(p.settings),
                                       contrast=tiny(p.contrast)) for p in PRESETS)
    monkeypatch.setattr(gradlab_settings, "PRESETS", shrunk)
    return shrunk


def open_lab() -> AppTest:
    """The real app (sidebar, error boundary) switched to the gradient lab."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    return at.switch_page(PAGE).run()


def finish(at: AppTest) -> AppTest:
    """Wait for this session's run to end, then redraw the page."""
    job = at.session_state[JOB]
    assert job.wait(120), "the run did not end"
    return at.run()


def start_long_run(records: int):
    """Open the lab, start a 5,000-step run of a tiny network, wait until it has recorded `records` points."""
    at = open_lab()
    at.number_input(key="gradlab:steps").set_value(5000)
    at.number_input(key="gradlab:hidden_size").set_value(8).run()
    at.button(key="gradlab:train").click().run()
    job = at.session_state[JOB]
    while len(job.history) < records and job.active:
        job.wait(0.05)
    return at, job


def text_of(at: AppTest) -> str:
    """Everything a person reads on the page."""
    kinds = ("markdown", "caption", "info", "warning", "success", "error", "subheader", "title")
    return "\n".join(str(element.value) for kind in kinds for element in at.get(kind))


def test_the_page_opens_with_six_presets_and_no_run():
    at = open_lab()
    assert_clean(at)
    labels = [button.label for button in at.button if button.key and button.key.startswith("gradlab:preset")]
    assert len(labels) == 6 and labels[0].startswith("1 · Vanishing")
    assert "No run yet" in text_of(at)
    assert not at.get("plotly_chart")


@pytest.mark.parametrize("number", range(1, 7))
def test_each_preset_trains_and_draws_every_chart(number):
    at = open_lab()
    at.button(key=f"gradlab:preset{number}").click().run()
    assert_clean(at)
    assert at.session_state[JOB].label == PRESETS[number - 1].settings.label()
    at = finish(at)
    assert_clean(at)
    text = text_of(at)
    assert f"Preset {number}:" in text and "What to look for" in text
    assert f"Does this run show the claim of preset {number}?" in text
    assert len(at.get("plotly_chart")) >= 4  # loss, heatmap, profile, singular values (+ norm)
    assert [metric.label for metric in at.metric][:2] == ["Outcome", "Loss / baseline (last 10%)"]
    assert at.number_input(key="gradlab:length").value == PRESETS[number - 1].settings.length  # knobs follow


def test_the_exploding_preset_says_where_it_diverged_and_keeps_the_last_finite_state():
    at = open_lab()
    at.button(key="gradlab:preset2").click().run()
    at.session_state[JOB].wait(120)
    at.run()
    assert_clean(at)
    recording = at.session_state[JOB].extras["recording"]
    assert recording.result.status == "diverged"
    warning = " ".join(w.value for w in at.warning)
    assert f"diverged at step {recording.diverged_at}" in warning and "last finite state" in warning
    assert at.metric[0].value == "diverged"


def test_the_contrast_button_trains_the_other_side_and_overlays_both():
    at = open_lab()
    at.button(key="gradlab:preset6").click().run()
    at = finish(at)
    at.button(key="gradlab:contrast").click().run()
    at = finish(at)
    assert_clean(at)
    assert "now training its contrast" not in text_of(at)  # the run has ended
    assert len(at.session_state["gradlab:runs"]) == 2
    assert at.session_state["gradlab:runs"][1].recording.settings.tbptt_k == 30


def test_the_knobs_train_what_they_show():
    at = open_lab()
    at.selectbox(key="gradlab:cell").set_value("gru")
    at.selectbox(key="gradlab:task").set_value("copy")
    at.number_input(key="gradlab:length").set_value(12)
    at.number_input(key="gradlab:hidden_size").set_value(8)
    at.number_input(key="gradlab:steps").set_value(4)
    at.number_input(key="gradlab:record_every").set_value(2)
    at.selectbox(key="gradlab:clip").set_value("value")
    at.run()
    at.button(key="gradlab:train").click().run()
    at = finish(at)
    assert_clean(at)
    settings = at.session_state["gradlab:runs"][-1].recording.settings
    shown = (settings.cell, settings.task, settings.length, settings.train.steps, settings.train.clip)
    assert shown == ("gru", "copy", 12, 4, "value")


def test_dependent_limits_clamp_instead_of_failing():
    at = open_lab()
    at.toggle(key="gradlab:tbptt_on").set_value(True)
    at.number_input(key="gradlab:length").set_value(400).run()
    at.number_input(key="gradlab:tbptt").set_value(300).run()
    at.number_input(key="gradlab:length").set_value(20).run()  # k must follow T down
    assert_clean(at)
    assert at.number_input(key="gradlab:tbptt").value == 20
    at.number_input(key="gradlab:steps").set_value(5).run()
    assert at.number_input(key="gradlab:record_every").value <= 5


def test_stop_ends_the_run_and_keeps_what_it_recorded():
    at, job = start_long_run(records=3)
    at.button(key="stop:gradient-lab").click().run()
    at = finish(at)
    assert_clean(at)
    assert job.status == "stopped" and len(job.history) < 5000
    assert "stopped by the user" in " ".join(i.value for i in at.info)


def test_at_most_four_runs_are_kept_and_the_oldest_makes_room():
    at = open_lab()
    at.number_input(key="gradlab:steps").set_value(2)
    at.number_input(key="gradlab:hidden_size").set_value(4)
    at.number_input(key="gradlab:length").set_value(5).run()
    for _ in range(5):
        at.button(key="gradlab:train").click().run()
        at = finish(at)
    assert_clean(at)
    kept = at.session_state["gradlab:runs"]
    assert len(kept) == 4 and len({run.color for run in kept}) == 4
    assert "made room" in text_of(at)


def test_leaving_the_page_mid_run_keeps_the_run():
    at = open_lab()
    at.number_input(key="gradlab:hidden_size").set_value(8)
    at.number_input(key="gradlab:steps").set_value(40).run()
    at.button(key="gradlab:train").click().run()
    at.switch_page("app_pages/home.py").run()
    assert_clean(at)
    at.session_state[JOB].wait(120)
    at.switch_page(PAGE).run()
    assert_clean(at)
    assert len(at.session_state["gradlab:runs"]) == 1
    assert at.number_input(key="gradlab:steps").value == 40  # the knobs survived the page switch


def test_two_sessions_train_independently():
    first, second = open_lab(), open_lab()
    first.button(key="gradlab:preset1").click().run()
    second.button(key="gradlab:preset6").click().run()
    first, second = finish(first), finish(second)
    assert_clean(first)
    assert_clean(second)
    assert first.session_state["gradlab:runs"][0].recording.settings.cell == "rnn"
    assert second.session_state["gradlab:runs"][0].recording.settings.cell == "gru"
    assert current_job  # the shared helper is importable for other pages' tests


def test_runs_can_be_removed_one_by_one_or_all_at_once():
    at = open_lab()
    at.number_input(key="gradlab:steps").set_value(2)
    at.number_input(key="gradlab:hidden_size").set_value(4).run()
    for _ in range(3):
        at.button(key="gradlab:train").click().run()
        at = finish(at)
    first = at.session_state["gradlab:runs"][0].ticket
    at.button(key=f"gradlab:remove:{first}").click().run()
    assert [run.ticket for run in at.session_state["gradlab:runs"]].count(first) == 0
    assert len(at.session_state["gradlab:runs"]) == 2 and at.radio(key="gradlab:selected")
    at.button(key="gradlab:clear").click().run()
    assert_clean(at)
    assert at.session_state["gradlab:runs"] == [] and "No run yet" in text_of(at)


def test_a_new_run_keeps_the_one_it_interrupts():
    at, first = start_long_run(records=2)
    at.button(key="gradlab:preset2").click().run()  # interrupts the long run
    at = finish(at)
    assert_clean(at)
    kept = at.session_state["gradlab:runs"]
    assert [run.ticket for run in kept] == [first.ticket, at.session_state[JOB].ticket]
    assert kept[0].recording.result.status == "stopped"


def test_a_huge_run_is_announced_before_it_starts():
    at = open_lab()
    at.selectbox(key="gradlab:cell").set_value("lstm")
    at.number_input(key="gradlab:length").set_value(500)
    at.number_input(key="gradlab:hidden_size").set_value(256)
    at.number_input(key="gradlab:num_layers").set_value(4)
    at.number_input(key="gradlab:steps").set_value(5000).run()
    assert_clean(at)
    assert any("would take about" in w.value and " h" in w.value for w in at.warning)  # hours, in hours
    assert JOB not in at.session_state  # nothing started by itself


def test_a_run_that_fails_shows_a_sentence_not_a_traceback(monkeypatch):
    def broken(settings):
        def target(job):
            raise RuntimeError("out of memory (simulated)")
        return target

    monkeypatch.setattr("ui.gradlab.runs.job_target", broken)
    at = open_lab()
    at.button(key="gradlab:train").click().run()
    at = finish(at)
    assert not at.exception
    assert "Training failed: RuntimeError: out of memory (simulated)" in " ".join(e.value for e in at.error)
    assert at.session_state["gradlab:runs"] == []


def test_the_adding_tasks_score_is_named_a_tolerance_and_a_classification_tasks_an_accuracy():
    """Issue 17: "Accuracy" was undefined for the adding task, which is regression."""
    at = open_lab()
    at.number_input(key="gradlab:steps").set_value(6)
    at.number_input(key="gradlab:hidden_size").set_value(8).run()
    at.button(key="gradlab:train").click().run()
    at = finish(at)
    assert_clean(at)
    score = at.metric[2]
    assert score.label == "Within ±0.04 (last 10%)" and "within 0.04 of the true sum" in score.proto.help
    titles = [json.loads(chart.proto.spec)["layout"].get("yaxis2", {}).get("title", {}).get("text")
              for chart in at.get("plotly_chart")]
    assert "within ±0.04" in titles and "accuracy" not in titles
    at.selectbox(key="gradlab:task").set_value("copy").run()
    at.button(key="gradlab:train").click().run()
    at = finish(at)
    assert at.metric[2].label == "Accuracy (last 10%)" and "answer symbols" in at.metric[2].proto.help
