"""Live training on a page: start, progress with ETA, Stop, live charts, a server-wide queue.

The run itself happens in a background `rnnviz.training.jobs.Job`; a fragment polls it, so the page stays
responsive, Stop works at once, and leaving the page does not kill the run. At most
`training_slots().capacity` runs train at once on the server.

Watching is nearly free (a class of tabs watches its runs on one server):
- the panel's pace adapts (`refresh_seconds`): every RUNNING_SECONDS while the run trains, every
  QUEUED_SECONDS while it waits, and no timer at all once it ended (the page redraws once with its results).
  A fragment's `run_every` is fixed when a full run declares it, so there is one fragment per pace; when the
  job's state asks for another pace the panel reruns the page once (queued -> running, and the end);
- a page's live charts go through `live_figure`: a figure is rebuilt only when its data version changed
  (cached per session on (job, chart, version); `Job.version` moves with every step and change of status),
  and while a run trains the charts of a tab spend at most CHART_CPU_SHARE of a core: after building figures
  in c seconds of CPU, the next rebuild waits c / share. A tick with nothing new builds nothing; it still sends
  the panel's elements again: Streamlit 1.67's browser drops a fragment's elements that its rerun does not send,
  and a fragment's writes to a container outside it are wrapped and dropped the same way
  (streamlit/runtime/fragment.py `_reset_outside_wrappers`), so a tick cannot send nothing. What is sent again
  is cheap: each figure's dictionary is computed once (`_serialized_once`), and a chart of 10 kB or more that
  the browser already holds goes as its hash only (Streamlit's message cache).

A run nobody watches is freed: each tick of the live panel marks the job watched; a job unwatched for
`ABANDON_SECONDS` whose session has no open connection (its tab was closed, not merely hidden: a hidden
tab's timers are throttled but its websocket stays open) stops and gives its slot to the next in the queue.
Whoever comes back to that session reads why it stopped.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import streamlit as st

from rnnviz.training.jobs import ABANDON_SECONDS, Job, JobSlots, JobTarget
from ui.shell import error_boundary
from ui.sidebar import apply_server_threads

RUNNING_SECONDS = 1.0  # the live panel's pace while its run trains
QUEUED_SECONDS = 4.0  # while it waits for a free slot (only the queue position can change)
STOP_WAIT_SECONDS = 1.0  # after Stop, how long the panel waits for the run to end before its next tick
CHART_CPU_SHARE = 0.03  # at most this share of a core on rebuilding one tab's live charts
_FIGURES = "rnnviz_live_figures"  # session state: job ticket -> _FigureCache
_CACHED_JOBS = 4  # a page may show more than one live panel; older jobs' figures are dropped
Figure = TypeVar("Figure")


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
    job = Job(
        target,
        training_slots(),
        steps,
        label,
        threads=apply_server_threads(),
        abandon_after=ABANDON_SECONDS,
        connected=session_connected(),
    ).start()
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
        st.warning(f"{job.message()} — the gradients exploded; the charts show the last finite state.", icon=":material/warning:")
    elif job.status == "stopped":
        st.info(job.message(), icon=":material/stop_circle:")
    else:
        st.error(f"{job.message()} Try smaller settings or another seed.", icon=":material/error:")


def _wall_clock() -> float:
    """Seconds on a clock that only moves forward (tests replace it)."""
    return time.monotonic()


def _cpu_clock() -> float:
    """CPU seconds of this script thread only, so a training thread's work never counts (tests replace it)."""
    return time.thread_time()


def refresh_seconds(job: Job) -> float | None:
    """How often a tab redraws the live panel: each second while training, every few seconds while queued, never after."""
    if job.status == "running":
        return RUNNING_SECONDS
    return QUEUED_SECONDS if job.status == "queued" else None


@dataclass
class _FigureCache:
    """One session's live figures of one job: (version, figure) per chart, and the CPU budget of rebuilding them."""

    ticket: int
    figures: dict[str, tuple[Hashable, Any]] = field(default_factory=dict)
    spent: float = 0.0  # CPU seconds spent building figures in this panel run
    due: float = 0.0  # _wall_clock() time before which a changed chart keeps its previous figure


def _figure_cache(job: Job) -> _FigureCache:
    """This session's cache for `job` (a new job starts an empty one; the few latest jobs keep theirs)."""
    caches: dict[int, _FigureCache] = st.session_state.setdefault(_FIGURES, {})
    if job.ticket not in caches:
        caches[job.ticket] = _FigureCache(job.ticket)
        for ticket in list(caches)[:-_CACHED_JOBS]:
            del caches[ticket]  # the oldest jobs' figures
    return caches[job.ticket]


def live_figure(job: Job, name: str, build: Callable[[], Figure], version: Hashable | None = None) -> Figure:
    """The live chart `name` of `job`: `build()` again only when its data `version` (default `job.version`) moved.

    While the job trains and the chart budget is spent (CHART_CPU_SHARE of a core since the last rebuild), a
    changed chart keeps its previous figure for a tick or two; a chart drawn for the first time, or once the
    job ended, is always up to date.
    """
    cache, version = _figure_cache(job), job.version if version is None else version
    cached = cache.figures.get(name)
    if cached is not None and (cached[0] == version or (job.status == "running" and _wall_clock() < cache.due)):
        return cached[1]
    started = _cpu_clock()
    figure = _serialized_once(build())
    cache.spent += _cpu_clock() - started
    cache.figures[name] = (version, figure)
    return figure


def _serialized_once(figure: Figure) -> Figure:
    """A Plotly figure whose `to_dict()` is computed at its first call and then handed out again.

    Every tick sends the panel's charts again (a fragment's rerun must, or the browser drops them), and
    `st.plotly_chart` starts with `figure.to_dict()`: a deep copy with each array turned into base64, about
    40 % of a tick. A live figure is never changed once drawn (a new version builds a new figure), so the
    dictionary of its first drawing serves every later tick.
    """
    to_dict = getattr(figure, "to_dict", None)
    if to_dict is None or not callable(to_dict):
        return figure  # not a Plotly figure (a test's text, a table)
    computed: list[dict] = []

    def once() -> dict:
        if not computed:
            computed.append(to_dict())
        return computed[0]

    object.__setattr__(figure, "to_dict", once)
    return figure


def _settle_chart_budget(job: Job) -> None:
    """After a panel run: the figures it built push the next rebuild back by their CPU time / CHART_CPU_SHARE."""
    cache = st.session_state.get(_FIGURES, {}).get(job.ticket)
    if cache is not None and cache.spent:
        cache.due, cache.spent = _wall_clock() + cache.spent / CHART_CPU_SHARE, 0.0


def _live_panel(key: str, render_live: Callable[[Job], None], pace: float | None) -> None:
    """Progress, Stop and the page's live charts, redrawn every `pace` seconds while the job keeps that pace."""
    job = current_job(key)
    if job is None:
        return
    job.watched()
    if refresh_seconds(job) != pace:
        st.rerun()  # ended: the page redraws once with its results; queued -> running: the panel's new pace
    progress_column, stop_column = st.columns([5, 1], vertical_alignment="center")
    fraction, _ = job.progress()
    progress_column.progress(fraction, text=_progress_text(job))
    if stop_column.button("Stop", key=f"stop:{key}", icon=":material/stop:", width="stretch"):
        job.stop()
        if job.wait(timeout=STOP_WAIT_SECONDS):  # it left the queue or ended its step: show why at once
            st.rerun()
    with error_boundary("the live charts"):  # fragment reruns bypass the page's boundary
        render_live(job)
    _settle_chart_budget(job)


# One fragment per pace (a fragment's run_every is fixed when a full run declares it); same body, same id.
_PANELS = {pace: st.fragment(run_every=pace)(_live_panel) for pace in (RUNNING_SECONDS, QUEUED_SECONDS)}


def live_training(key: str, render_live: Callable[[Job], None]) -> Job | None:
    """Draw the page's current run: live while it trains, its outcome once it ended."""
    job = current_job(key)
    if job is None:
        return None
    job.watched()
    pace = refresh_seconds(job)
    if pace is not None:
        _PANELS[pace](key, render_live, pace)
    else:
        show_outcome(job)
    return job
