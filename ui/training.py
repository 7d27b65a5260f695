"""Live training on a page: start, progress with ETA, Stop, live charts, a server-wide queue.

The run itself happens in a background `rnnviz.training.jobs.Job`; a fragment polls it every half
second, so the page stays responsive, Stop works at once, and leaving the page does not
kill the run. At most `training_slots().capacity` runs train at once on the server.

A run nobody watches is freed: each tick of the live panel marks the job watched; a job unwatched for
`ABANDON_SECONDS` whose session has no open connection (its tab was closed, not merely hidden: a hidden
tab's timers are throttled but its websocket stays open) stops and gives its slot to the next in the queue.
Whoever comes back to that session reads why it stopped.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

import streamlit as st

from rnnviz.training.jobs import ABANDON_SECONDS, Job, JobSlots, JobTarget
from ui.shell import error_boundary
from ui.sidebar import apply_server_threads

REFRESH_SECONDS = 0.5


@st.cache_resource
def training_slots() -> JobSlots:
    """The server's training slots (RNNVIZ_TRAINING_SLOTS, default: half the CPU cores, at least 1)."""
    default = max(1, (os.cpu_count() or 2) // 2)
    return JobSlots(int(os.environ.get("RNNVIZ_TRAINING_SLOTS", default)))


def _import_optimizer_machinery() -> None:
    """Import what torch.optim pulls in at its first step (torch._dynamo: 1.5-8 s on a laptop)."""
    import torch._dynamo  # noqa: F401


@st.cache_resource
def warm_up() -> threading.Thread:
    """Once per server, in the background: so the first Train click starts at once."""
    thread = threading.Thread(target=_import_optimizer_machinery, name="rnnviz-warm-up", daemon=True)
    thread.start()
    return thread


def _session_key(key: str) -> str:
    """Where a page's job lives in session state."""
    return f"rnnviz_job:{key}"


def current_job(key: str) -> Job | None:
    """The latest job a page started in this session, running or ended."""
    return st.session_state.get(_session_key(key))


def session_connected() -> Callable[[], bool] | None:
    """A check, safe from any thread, that this session still has an open connection (None: no server)."""
    from streamlit.runtime import Runtime, exists
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    context = get_script_run_ctx()
    if context is None or not exists():
        return None
    runtime, session_id = Runtime.instance(), context.session_id
    return lambda: bool(runtime.is_active_session(session_id))


def start_job(key: str, target: JobTarget, steps: int, label: str = "") -> Job:
    """Stop this page's previous run, if any, and queue a new one (stopped if its session goes away)."""
    previous = current_job(key)
    if previous is not None and previous.active:
        previous.stop()
    job = Job(target, training_slots(), steps, label, threads=apply_server_threads(), abandon_after=ABANDON_SECONDS,
              connected=session_connected()).start()
    st.session_state[_session_key(key)] = job
    return job


def duration_text(seconds: float) -> str:
    """A duration as a person says it: '40 s', '3 min', '1 h 20 min'."""
    if seconds < 90:
        return f"{max(0, round(seconds))} s"
    minutes = round(seconds / 60)
    if minutes < 90:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def _progress_text(job: Job) -> str:
    """'Step 40 of 200 · about 3 min left', or the queue position."""
    if job.status == "queued":
        return job.message()
    _fraction, seconds_left = job.progress()
    eta = f" · about {duration_text(seconds_left)} left" if seconds_left is not None else ""
    return f"Step {len(job.history)} of {job.steps}{eta}"


def show_outcome(job: Job) -> None:
    """One line saying how a finished run ended."""
    if job.status == "finished":
        st.success(job.message(), icon=":material/check_circle:")
    elif job.status == "diverged":
        st.warning(f"{job.message()} — the gradients exploded; the charts show the last finite state.",
                   icon=":material/warning:")
    elif job.status == "stopped":
        st.info(job.message(), icon=":material/stop_circle:")
    else:
        st.error(f"{job.message()} Try smaller settings or another seed.", icon=":material/error:")


@st.fragment(run_every=REFRESH_SECONDS)
def _live_panel(key: str, render_live: Callable[[Job], None]) -> None:
    """Progress, Stop and the page's live charts, redrawn every REFRESH_SECONDS while active."""
    job = current_job(key)
    if job is None:
        return
    job.watched()
    if not job.active:
        st.rerun()  # the whole page redraws with the final results
    progress_column, stop_column = st.columns([5, 1], vertical_alignment="center")
    fraction, _ = job.progress()
    progress_column.progress(fraction, text=_progress_text(job))
    if stop_column.button("Stop", key=f"stop:{key}", icon=":material/stop:", width="stretch"):
        job.stop()
    with error_boundary("the live charts"):  # fragment reruns bypass the page's boundary
        render_live(job)


def live_training(key: str, render_live: Callable[[Job], None]) -> Job | None:
    """Draw the page's current run: live while it trains, its outcome once it ended."""
    job = current_job(key)
    if job is None:
        return None
    job.watched()
    if job.active:
        _live_panel(key, render_live)
    else:
        show_outcome(job)
    return job
