"""The live training panel under AppTest: its pace follows the job, and a chart is rebuilt only when its data moved.

The job is a real `Job` that is never started: the test moves its status and steps by hand. The fragment
reruns a browser's timer would ask for are sent as tests/app/test_fragments.py sends them.
"""

from __future__ import annotations

import threading

import pytest
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.runtime.forward_msg_queue import ForwardMsgQueue
from streamlit.testing.v1 import AppTest

from rnnviz.training.jobs import Job, JobSlots
from rnnviz.training.loop import StepInfo, TrainResult
from tests.app.test_fragments import fragment_id, run_fragment
from tests.unit.test_jobs import training_target
from ui import training

KEY = "rnnviz_job:demo"


def _script() -> None:
    """A page with one live panel whose chart counts how often it is built."""
    import streamlit as st

    from ui import training

    def render_live(job) -> None:
        def build() -> str:
            st.session_state["builds"] = st.session_state.get("builds", 0) + 1
            return f"chart of version {job.version}"

        st.write(training.live_figure(job, "chart", build))

    job = training.live_training("demo", render_live)
    if job is not None and not job.active:
        render_live(job)  # the final chart, as a page draws it after the run


def idle_job() -> Job:
    """A job nobody trains: its status and steps move only when the test moves them."""
    return Job(lambda job: TrainResult("finished", 0, [], "done", 0.0), JobSlots(1), steps=10)


def step(job: Job) -> None:
    """One more recorded step (bumps the version)."""
    job.on_step_end(StepInfo(len(job.history) + 1, job.steps, 1.0, 1.0, 1.0))


def page(job: Job) -> AppTest:
    """The page, run once with `job` as this session's run."""
    at = AppTest.from_function(_script, default_timeout=30)
    at.session_state[KEY] = job
    return at.run()


@pytest.fixture()
def paces(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The intervals of every auto-rerun timer the app declares (what the browser's timer is set to)."""
    declared: list[float] = []
    enqueue = ForwardMsgQueue.enqueue

    def recording(queue: ForwardMsgQueue, message: ForwardMsg) -> None:
        if message.WhichOneof("type") == "auto_rerun":
            declared.append(round(message.auto_rerun.interval, 3))
        enqueue(queue, message)

    monkeypatch.setattr(ForwardMsgQueue, "enqueue", recording)
    return declared


def text(at: AppTest) -> str:
    """Everything the page wrote with st.write / st.markdown."""
    return " ".join(element.value for element in at.markdown)


def test_the_pace_is_slow_while_queued_fast_while_training_and_off_once_ended(paces, monkeypatch):
    job = idle_job()
    at = page(job)
    assert paces == [training.QUEUED_SECONDS]
    panel = fragment_id(at, "_live_panel")
    job.status = "running"
    run_fragment(at, panel, monkeypatch)  # the queued pace's tick sees the run started: the page reruns once
    assert paces[-1] == training.RUNNING_SECONDS and training.RUNNING_SECONDS < training.QUEUED_SECONDS
    job.result, job.status = TrainResult("finished", 10, [], "Finished 10 steps.", 1.0), "finished"
    declared = len(paces)
    run_fragment(at, fragment_id(at, "_live_panel"), monkeypatch)
    assert len(paces) == declared  # the final page declares no timer
    assert not at.exception and "Finished 10 steps." in [box.value for box in at.success]
    assert training.refresh_seconds(job) is None


def test_an_unchanged_job_builds_no_new_chart_and_a_new_version_does(monkeypatch):
    monkeypatch.setattr(training, "_cpu_clock", lambda: 0.0)  # builds cost nothing: no wait for the budget
    job = idle_job()
    job.status = "running"
    step(job)
    at = page(job)
    assert at.session_state["builds"] == 1
    panel = fragment_id(at, "_live_panel")
    run_fragment(at, panel, monkeypatch)  # a tick with nothing new
    at.run()  # and a full rerun of the page
    assert at.session_state["builds"] == 1
    assert f"chart of version {job.version}" in text(at)  # still drawn, from the cache
    step(job)
    run_fragment(at, panel, monkeypatch)
    assert at.session_state["builds"] == 2 and f"chart of version {job.version}" in text(at)


def test_a_changed_chart_waits_while_its_cpu_budget_is_spent(monkeypatch):
    now, cpu = [100.0], [0.0]
    monkeypatch.setattr(training, "_wall_clock", lambda: now[0])

    def cpu_clock() -> float:  # read before and after each build: a build costs 0.15 s of CPU
        cpu[0] += 0.15
        return cpu[0]

    monkeypatch.setattr(training, "_cpu_clock", cpu_clock)
    job = idle_job()
    job.status = "running"
    at = page(job)
    panel = fragment_id(at, "_live_panel")
    wait = 0.15 / training.CHART_CPU_SHARE  # how long the next rebuild must wait
    step(job)
    now[0] += wait / 2
    run_fragment(at, panel, monkeypatch)
    assert at.session_state["builds"] == 1 and "chart of version 1" in text(at)  # the budget is spent
    now[0] += wait
    run_fragment(at, panel, monkeypatch)
    assert at.session_state["builds"] == 2 and f"chart of version {job.version}" in text(at)


def test_the_chart_after_the_run_is_up_to_date_even_with_the_budget_spent(monkeypatch):
    cpu = [0.0]

    def cpu_clock() -> float:  # a build costs 10 s of CPU: the budget stays spent for minutes
        cpu[0] += 5.0
        return cpu[0]

    monkeypatch.setattr(training, "_cpu_clock", cpu_clock)
    job = idle_job()
    job.status = "running"
    at = page(job)
    step(job)
    job.result, job.status = TrainResult("finished", 1, [], "Finished.", 1.0), "finished"
    at.run()
    assert at.session_state["builds"] == 2 and f"chart of version {job.version}" in text(at)


def test_a_new_run_starts_with_no_cached_chart():
    first = idle_job()
    first.status = "running"
    at = page(first)
    second = idle_job()
    second.status = "running"
    at.session_state[KEY] = second
    at.run()
    assert at.session_state["builds"] == 2


def test_stop_on_a_queued_run_shows_at_once_that_it_stopped(monkeypatch):
    monkeypatch.setattr(training, "STOP_WAIT_SECONDS", 60.0)  # the wait ends when the run does: room for a busy machine
    slots, gate = JobSlots(1), threading.Event()
    ahead = Job(training_target(3, gate), slots, steps=3).start()
    queued = Job(training_target(3, gate), slots, steps=3).start()
    while ahead.status != "running" or queued.queue_position() != 1:
        ahead.wait(timeout=0.01)
    at = page(queued)
    at.button(key="stop:demo").click().run()  # no waiting for the queued pace's next tick
    assert queued.status == "stopped" and [box.value for box in at.info] == [queued.message()]
    gate.set()
    assert ahead.wait(30)


def _plotly_script() -> None:
    """A page whose live chart is a Plotly figure, counting how often its dictionary is computed."""
    import plotly.graph_objects as go
    import streamlit as st

    from ui import training

    def render_live(job) -> None:
        def build() -> go.Figure:
            figure = go.Figure(go.Scatter(y=[float(len(job.history)), 2.0, 3.0]))
            to_dict = figure.to_dict

            def counted() -> dict:
                st.session_state["serialized"] = st.session_state.get("serialized", 0) + 1
                return to_dict()

            object.__setattr__(figure, "to_dict", counted)
            return figure

        st.plotly_chart(training.live_figure(job, "chart", build))

    training.live_training("demo", render_live)


def test_an_unchanged_live_chart_is_serialized_once(monkeypatch):
    monkeypatch.setattr(training, "_cpu_clock", lambda: 0.0)
    job = idle_job()
    job.status = "running"
    step(job)
    at = AppTest.from_function(_plotly_script, default_timeout=30)
    at.session_state[KEY] = job
    at.run()
    panel = fragment_id(at, "_live_panel")
    first = at.get("plotly_chart")[0].proto.spec
    run_fragment(at, panel, monkeypatch)  # two ticks with nothing new: the chart is sent again, not serialized again
    run_fragment(at, panel, monkeypatch)
    assert at.session_state["serialized"] == 1 and at.get("plotly_chart")[0].proto.spec == first
    step(job)
    run_fragment(at, panel, monkeypatch)  # new data: a new figure, serialized once
    assert at.session_state["serialized"] == 2 and at.get("plotly_chart")[0].proto.spec != first
