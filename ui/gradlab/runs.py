"""The gradient lab's runs: start them as background jobs, keep up to four, pick one to inspect.

A run trains in a `rnnviz.training.jobs.Job` (so Stop, the server-wide queue and page switches work);
when it ends, its `rnnviz.gradlab.recorder.Recording` joins the session's kept runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import streamlit as st

from rnnviz.gradlab.presets import Preset
from rnnviz.gradlab.recorder import Recording, job_target
from rnnviz.gradlab.reproduce import checkpoint_bytes
from rnnviz.gradlab.settings import RunSettings
from rnnviz.plots.base import PALETTE
from rnnviz.training.jobs import Job
from ui.training import current_job, start_job

JOB_KEY = "gradient-lab"
RUNS_KEY = "gradlab:runs"
SELECTED_KEY = "gradlab:selected"
PRESET_KEY = "gradlab:preset"
NOTICE_KEY = "gradlab:notice"
COLLECTED_KEY = "gradlab:collected"
BLANK_KEY = "gradlab:blank"  # the latest run left nothing to chart: show no run's charts until one is picked
MAX_RUNS = 4
# Knobs a label names only when the runs beside it differ in them (cell, init, T, clipping, k and seed always).
DISTINGUISHING_KNOBS: dict[str, Callable[[RunSettings], str]] = {
    "task": lambda settings: settings.task,
    "hidden_size": lambda settings: f"H={settings.hidden_size}",
    "num_layers": lambda settings: f"{settings.num_layers} layer{'s' if settings.num_layers > 1 else ''}",
    "optimizer": lambda settings: settings.train.optimizer,
    "learning_rate": lambda settings: f"lr {settings.train.learning_rate:g}",
    "momentum": lambda settings: f"momentum {settings.train.momentum:g}",
    "batch_size": lambda settings: f"batch {settings.train.batch_size}",
    "steps": lambda settings: f"{settings.train.steps} steps",
}


@dataclass
class Run:
    """One kept run: its recording, a colour of its own, the preset it demonstrates (if any)."""

    ticket: int
    recording: Recording
    color: str
    preset: int | None  # number of the preset whose settings it ran
    role: str  # "preset", "contrast" or "custom"
    checkpoint: bytes | None = None  # its trained weights as a .safetensors file (None if they could not be saved)

    @property
    def label(self) -> str:
        """Legend name among the other kept runs: number, cell, init, T, seed and what else differs."""
        return run_label(self.ticket, self.recording.settings, [run.recording.settings for run in kept_runs()])


def run_label(ticket: int, settings: RunSettings, others: Iterable[RunSettings]) -> str:
    """'#3 · tanh RNN · default init · T=50 · seed 0', plus each knob in which `others` differ from it."""
    parts = [f"#{ticket}", settings.label(), f"seed {settings.train.seed}"]
    others = list(others)
    for describe in DISTINGUISHING_KNOBS.values():
        if any(describe(other) != describe(settings) for other in others):
            parts.append(describe(settings))
    return " · ".join(parts)


def kept_runs() -> list[Run]:
    """The session's kept runs, oldest first."""
    return st.session_state.setdefault(RUNS_KEY, [])


def active_preset() -> tuple[Preset, str] | None:
    """(the preset the latest run belongs to, "preset" or "contrast"), or None."""
    return st.session_state.get(PRESET_KEY)


def start_run(settings: RunSettings, preset: Preset | None = None, role: str = "custom") -> Job:
    """Queue a run (stopping and keeping this session's previous one) and remember which preset it shows."""
    previous = current_job(JOB_KEY)
    if previous is not None and previous.active:
        previous.stop()
        previous.wait(5.0)  # it stops after the current step
        collect_finished()
    st.session_state[PRESET_KEY] = (preset, role) if preset is not None else None
    job = start_job(JOB_KEY, job_target(settings), settings.train.steps, label=settings.label())
    job.extras["preset"] = (preset.number if preset else None, role)
    return job


def live_recording(job: Job | None) -> Recording | None:
    """The recording a job is filling (None before the model is built)."""
    return None if job is None else job.extras.get("recording")


def _free_color(runs: list[Run]) -> str:
    """The first palette colour no kept run uses."""
    used = {run.color for run in runs}
    return next((color for color in PALETTE if color not in used), PALETTE[0])


def next_color() -> str:
    """The colour the run now training will keep."""
    return _free_color(kept_runs()[1:] if len(kept_runs()) >= MAX_RUNS else kept_runs())


def collect_finished() -> None:
    """Move this session's ended job into the kept runs (once), dropping the oldest beyond four."""
    job = current_job(JOB_KEY)
    runs = kept_runs()
    collected = st.session_state.setdefault(COLLECTED_KEY, set())
    if job is None or job.active or job.ticket in collected:
        return
    collected.add(job.ticket)  # once only, even after the run is removed
    recording = live_recording(job)
    if recording is None or not recording.snapshots or recording.result is None:
        st.session_state[BLANK_KEY] = True  # stopped in the queue or failed: no earlier run's charts under it
        st.session_state[SELECTED_KEY] = None
        return
    st.session_state[BLANK_KEY] = False  # kept, even when it diverged at step 1: its step-0 measurement shows
    if len(runs) >= MAX_RUNS:
        dropped = runs.pop(0)
        st.session_state[NOTICE_KEY] = f"Up to {MAX_RUNS} runs are kept: run #{dropped.ticket} made room."
    number, role = job.extras.get("preset", (None, "custom"))
    model = job.extras.get("model")
    weights = None if model is None else checkpoint_bytes(model, recording)
    runs.append(Run(job.ticket, recording, _free_color(runs), number, role, weights))
    st.session_state[SELECTED_KEY] = job.ticket


def remove_run(ticket: int) -> None:
    """Forget one kept run."""
    st.session_state[RUNS_KEY] = [run for run in kept_runs() if run.ticket != ticket]


def clear_runs() -> None:
    """Forget every kept run."""
    st.session_state[RUNS_KEY] = []


def nothing_selected() -> bool:
    """True after a run that left nothing to keep, until the user picks a kept run."""
    return bool(st.session_state.get(BLANK_KEY)) and st.session_state.get(SELECTED_KEY) is None


def selected_run() -> Run | None:
    """The kept run the detailed charts show (the latest by default; none after a run that kept nothing)."""
    runs = kept_runs()
    if not runs or nothing_selected():
        return None
    ticket = st.session_state.get(SELECTED_KEY)
    return next((run for run in runs if run.ticket == ticket), runs[-1])
