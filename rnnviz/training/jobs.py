"""Background training jobs with a server-wide cap and a visible queue.

A page starts a `Job` that runs a training function in a thread, reads its progress while
it runs (from any thread), and can stop it. `JobSlots` lets at most `capacity` jobs train
at once; the others wait in order and can report their position. No Streamlit here.

A job may set torch's intra-op threads in its own thread (`threads=`). That setting is not private to
the thread: `torch.set_num_threads` also writes a process-wide value that every later thread starts
from and that decides whether any thread parallelizes at all, so a server passes every job the same
count (its owner's setting), never a per-user one.

An abandoned run is freed: a job given `abandon_after=` seconds and a `connected()` check stops itself (or
leaves the queue) once nobody has called `watched()` for that long *and* `connected()` says its page is gone.
The two together tell a closed tab from a background one: a browser throttles a hidden tab's timers (its
heartbeats may come a minute apart) but keeps its connection open, so only a closed or lost page is stopped.
The check runs wherever the stop flag is read: each training step and each tick of the queue's wait.

`Job.version` counts what a watcher could see change: it moves at every recorded step, at every change of
status, and whenever a page's callback calls `changed()` (after writing `extras` between steps). A live panel
that drew version v has nothing new to draw while the version is still v (its queue position aside).
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import torch

from rnnviz.training.loop import StepInfo, TrainResult

LOGGER = logging.getLogger(__name__)
ACTIVE = ("queued", "running")
ABANDON_SECONDS = 30.0  # a run nobody has asked about for this long, whose page is gone, is stopped


class _StopFlag(threading.Event):
    """A job's stop event that also reads as set once the job is abandoned (checked on every read)."""

    def __init__(self, job: Job) -> None:
        super().__init__()
        self._job = job

    def is_set(self) -> bool:
        """Set by Stop, or now because nobody watches the job and its page is gone."""
        return super().is_set() or self._job.check_abandoned()


class JobSlots:
    """At most `capacity` running jobs; the rest wait first-in first-out."""

    def __init__(self, capacity: int = 1) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be >= 1, got {capacity}")
        self.capacity = capacity
        self._condition = threading.Condition()
        self._waiting: list[int] = []
        self._running: set[int] = set()

    def acquire(self, ticket: int, cancelled: threading.Event) -> bool:
        """Wait for a slot; False if `cancelled` is set while waiting."""
        with self._condition:
            self._waiting.append(ticket)
            while not cancelled.is_set():
                if len(self._running) < self.capacity and self._waiting[0] == ticket:
                    self._waiting.pop(0)
                    self._running.add(ticket)
                    self._condition.notify_all()
                    return True
                self._condition.wait(timeout=0.1)
            self._waiting.remove(ticket)
            self._condition.notify_all()
            return False

    def release(self, ticket: int) -> None:
        """Give a slot back."""
        with self._condition:
            self._running.discard(ticket)
            self._condition.notify_all()

    def position(self, ticket: int) -> int:
        """0 when running or done, else 1 for the first in the queue, 2 for the next, ..."""
        with self._condition:
            return self._waiting.index(ticket) + 1 if ticket in self._waiting else 0

    def running_count(self) -> int:
        """How many jobs train right now."""
        with self._condition:
            return len(self._running)


# The training function gets the job (for `on_step_end`, `stop` and `extras`) and returns a TrainResult.
JobTarget = Callable[["Job"], TrainResult]


class Job:
    """One training run in a background thread; safe to read from the page's thread."""

    _tickets = itertools.count(1)

    def __init__(
        self,
        target: JobTarget,
        slots: JobSlots,
        steps: int,
        label: str = "",
        threads: int | None = None,
        *,
        abandon_after: float | None = None,
        connected: Callable[[], bool] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int) or threads < 1):
            raise ValueError(f"threads must be a whole number >= 1 or None, got {threads!r}")
        self.ticket = next(self._tickets)
        self.label = label
        self.steps = steps
        self.threads = threads  # torch intra-op threads this job trains with (None: whatever is set)
        self.abandon_after, self._connected, self._clock = abandon_after, connected, clock
        self.last_watched = clock()
        self.abandoned_after: float | None = None  # seconds without a watcher when it was stopped, if it was
        self.stop_event = _StopFlag(self)
        self.history: list[StepInfo] = []
        self.extras: dict[str, Any] = {}  # what page-specific callbacks record (profiles, attention, ...)
        self.result: TrainResult | None = None
        self.error: str | None = None
        self._version = 0  # written by the job's own thread only (steps, status), read from any
        self._status = "queued"
        self.started_at: float | None = None
        self._target, self._slots = target, slots
        self._thread = threading.Thread(target=self._run, name=f"rnnviz-job-{self.ticket}", daemon=True)

    def start(self) -> Job:
        """Queue the job; it trains as soon as a slot is free."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Ask the job to stop after the current step (or leave the queue)."""
        self.stop_event.set()

    def watched(self) -> None:
        """A page showed this job just now (its live panel's tick): it is not abandoned."""
        self.last_watched = self._clock()

    def check_abandoned(self) -> bool:
        """Stop the job, and say so, when nobody watched it for `abandon_after` s and its page is gone."""
        if self.abandoned_after is not None:
            return True
        if self.abandon_after is None or self._connected is None or self.status not in ACTIVE:
            return False
        unwatched = self._clock() - self.last_watched
        if unwatched < self.abandon_after or self._connected():
            return False
        self.abandoned_after = unwatched
        LOGGER.info("training job %s abandoned after %.0f s without a watcher: stopped", self.ticket, unwatched)
        threading.Event.set(self.stop_event)
        return True

    @property
    def status(self) -> str:
        """queued, running, then finished, stopped, diverged or failed."""
        return self._status

    @status.setter
    def status(self, value: str) -> None:
        self._status = value
        self.changed()

    @property
    def version(self) -> int:
        """A counter that moves whenever something a watcher sees has changed (steps, status, `changed()`)."""
        return self._version

    def changed(self) -> None:
        """Say that the job's state moved (called by `on_step_end`, status changes, and callbacks writing extras)."""
        self._version += 1

    def on_step_end(self, info: StepInfo) -> None:
        """Training callback: record progress."""
        self.history.append(info)
        self.changed()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job ends; True if it did."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def active(self) -> bool:
        """Queued or running."""
        return self.status in ACTIVE

    def queue_position(self) -> int:
        """Position in the server's queue (0 once running)."""
        return self._slots.position(self.ticket) if self.status == "queued" else 0

    def progress(self) -> tuple[float, float | None]:
        """(fraction done, seconds left or None) from the steps recorded so far."""
        done = len(self.history)
        fraction = min(1.0, done / self.steps) if self.steps else 0.0
        if not done or self.started_at is None:
            return fraction, None
        elapsed = time.perf_counter() - self.started_at
        return fraction, elapsed / done * (self.steps - done)

    def message(self) -> str:
        """One sentence on the job's state, for the page."""
        if self.abandoned_after is not None and not self.active:
            return (
                f"Stopped after {len(self.history)} of {self.steps} steps: no open page showed this run for "
                f"{self.abandoned_after:.0f} s (the tab was closed or lost its connection), so its training "
                "slot went to the next run in the queue. Train again to start over."
            )
        if self.status == "queued":
            return f"Waiting for a free training slot: position {self.queue_position()} in the queue."
        if self.status == "running":
            return f"Training: step {len(self.history)} of {self.steps}."
        if self.status == "failed":
            return f"Training failed: {self.error}"
        return self.result.message if self.result else self.status

    def _run(self) -> None:
        """Thread body: wait for a slot, train, record the outcome."""
        if not self._slots.acquire(self.ticket, self.stop_event):
            self.result = TrainResult("stopped", 0, [], "stopped before it started", 0.0)
            self.status = "stopped"
            return
        try:
            if self.threads is not None:
                torch.set_num_threads(self.threads)  # this thread's OpenMP pool (and the process default)
            self.status, self.started_at = "running", time.perf_counter()
            self.result = self._target(self)
            self.status = self.result.status
        except Exception as error:
            LOGGER.exception("training job %s failed", self.ticket)
            self.error = f"{type(error).__name__}: {error}"
            self.status = "failed"
        finally:
            self._slots.release(self.ticket)
