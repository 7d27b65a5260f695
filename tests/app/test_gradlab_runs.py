"""The gradient lab's kept runs under AppTest: nothing stale after a run, comparable overlays, unique labels."""

from __future__ import annotations

import json
import threading

import numpy as np
from streamlit.testing.v1 import AppTest

from rnnviz.gradlab import RunSettings
from rnnviz.training.loop import TrainResult
from tests.app.test_gradient_lab import JOB, assert_clean, finish, open_lab, text_of, tiny_presets  # noqa: F401
from ui.gradlab.runs import run_label
from ui.gradlab.view import MAX_OVERLAY_DECADES, comparable_overlays

SMALL = {"gradlab:steps": 2, "gradlab:hidden_size": 4, "gradlab:length": 5}
EXPLODES_AT_ONCE = {"gradlab:cell": "rnn-relu", "gradlab:init": "identity", "gradlab:init_scale": 3.0,
                    "gradlab:length": 100, "gradlab:hidden_size": 4, "gradlab:batch_size": 4, "gradlab:steps": 3}


def train(at: AppTest, **knobs: object) -> AppTest:
    """Set the knobs (widget key -> value), press Train, wait for the run to end, redraw."""
    for key, value in knobs.items():
        if key in ("gradlab:cell", "gradlab:init", "gradlab:task"):
            at.selectbox(key=key).set_value(value).run()  # so that the knobs they enable are enabled
        else:
            at.number_input(key=key).set_value(value)
    at.run()
    at.button(key="gradlab:train").click().run()
    return finish(at)


def figures(at: AppTest) -> list[dict]:
    """Every Plotly figure on the page, as its JSON."""
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def profile_figure(at: AppTest) -> dict:
    """The gradient-profile chart (the one with a 'training step' annotation)."""
    found = [figure for figure in figures(at)
             if any("training step" in note.get("text", "") for note in figure["layout"].get("annotations", []))]
    assert len(found) == 1
    return found[0]


def trace_names(figure: dict) -> list[str]:
    """Names of a figure's named traces, in drawing order."""
    return [trace["name"] for trace in figure["data"] if trace.get("name")]


def test_a_run_diverging_at_step_1_shows_its_own_step_0_and_nothing_of_the_run_before():
    at = train(open_lab(), **SMALL)
    before = at.session_state["gradlab:runs"][0]
    at = train(at, **EXPLODES_AT_ONCE)
    assert_clean(at)
    job = at.session_state[JOB]
    assert "diverged at step 1" in " ".join(w.value for w in at.warning)
    assert at.session_state["gradlab:runs"][-1].ticket == job.ticket  # kept, and the one shown
    assert at.metric[0].value == "diverged"
    assert "No training step of this run finished" in text_of(at)
    profile = profile_figure(at)
    assert any(note["text"] == "training step 0" for note in profile["layout"]["annotations"])
    assert trace_names(profile)[0].startswith(f"#{job.ticket} ")
    shown = " ".join(name for figure in figures(at) for name in trace_names(figure))
    assert f"#{before.ticket} " not in shown  # T=5 against T=100: not overlaid, and no loss chart of its own
    assert f"#{before.ticket} " in " ".join(c.value for c in at.caption)  # said why


def test_a_run_that_leaves_nothing_shows_no_earlier_runs_charts_until_one_is_picked(monkeypatch):
    at = train(open_lab(), **SMALL)
    kept = at.session_state["gradlab:runs"][0]

    def broken(settings):
        def target(job):
            raise RuntimeError("out of memory (simulated)")
        return target

    monkeypatch.setattr("ui.gradlab.runs.job_target", broken)
    at.button(key="gradlab:train").click().run()
    at = finish(at)
    assert not at.exception
    assert "Training failed" in " ".join(e.value for e in at.error)
    assert not at.get("plotly_chart") and "left nothing to chart" in text_of(at)
    at.radio(key="gradlab:selected").set_value(kept.ticket).run()  # the user asks for the kept run
    assert len(at.get("plotly_chart")) >= 4


def test_overlays_only_comparable_runs_and_draw_the_selected_one_on_top():
    at = train(open_lab(), **SMALL)
    at = train(at, **{"gradlab:length": 12})
    at = train(at, **{"gradlab:hidden_size": 8})
    first, second, third = at.session_state["gradlab:runs"]
    names = trace_names(profile_figure(at))
    mine = next(i for i, name in enumerate(names) if name.startswith(f"#{third.ticket} "))
    overlaid = [i for i, name in enumerate(names) if name.startswith(f"#{second.ticket} ")]
    assert overlaid and max(overlaid) < mine  # the same T: overlaid, drawn under the selected run
    assert not any(name.startswith(f"#{first.ticket} ") for name in names)  # T=5 against T=12: left out
    assert "5 timesteps, not 12" in " ".join(c.value for c in at.caption)


def test_another_scale_is_left_out_and_a_comparable_one_kept():
    profile = np.logspace(-3, 0, 20)  # (T,)
    candidates = {"close": np.logspace(-6, 0, 20), "exploded": np.logspace(0, 30, 20), "longer": np.ones(40),
                  "all zero": np.zeros(20)}
    shown, left_out = comparable_overlays(profile, candidates)
    assert shown == ["close", "all zero"]
    assert left_out[0].startswith("exploded (another scale") and left_out[1].startswith("longer (40 timesteps")
    wide = np.logspace(-20, 0, 20)  # a profile spanning more than the limit by itself still takes overlays inside it
    assert comparable_overlays(wide, {"inside": np.logspace(-15, -1, 20)})[0] == ["inside"]
    assert MAX_OVERLAY_DECADES < 20


def test_labels_name_the_seed_and_what_differs_and_are_unique():
    base = RunSettings(length=5, hidden_size=4).replace(steps=2)
    others = [base.replace(seed=1), base.replace(hidden_size=8), base.replace(learning_rate=0.1)]
    label = run_label(3, base, others)
    assert label.startswith("#3 · tanh RNN · default init · T=5 · seed 0")
    assert "H=4" in label and "lr 0.003" in label and "batch" not in label
    assert run_label(3, base, []) == "#3 · tanh RNN · default init · T=5 · seed 0"


def test_kept_runs_that_differ_only_in_seed_or_size_get_different_labels():
    at = train(open_lab(), **SMALL)
    at.sidebar.number_input(key="seed").set_value(7)
    at = train(at)
    at = train(at, **{"gradlab:hidden_size": 8})
    options = at.radio(key="gradlab:selected").options
    assert len(set(options)) == 3
    stripped = {option.split(" · ", 1)[1] for option in options}  # without the run number
    assert len(stripped) == 3 and any("seed 7" in option for option in options)


def test_the_contrast_note_shows_while_the_contrast_trains_and_goes_when_it_ends(monkeypatch):
    at = open_lab()
    at.button(key="gradlab:preset6").click().run()
    at = finish(at)
    gate = threading.Event()

    def waiting(settings):
        def target(job):
            gate.wait(30)
            return TrainResult("stopped", 0, [], "stopped by the test", 0.0)
        return target

    monkeypatch.setattr("ui.gradlab.runs.job_target", waiting)
    at.button(key="gradlab:contrast").click().run()
    assert "now training its contrast" in text_of(at)
    gate.set()
    at = finish(at)
    assert_clean(at)
    assert "now training its contrast" not in text_of(at)

