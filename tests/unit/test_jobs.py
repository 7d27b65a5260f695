"""Background jobs: progress, stop, the server-wide queue, failures."""

from __future__ import annotations

import threading

import pytest
import torch

from rnnviz.gradlab import RunSettings, job_target
from rnnviz.training.jobs import Job, JobSlots
from rnnviz.training.loop import TrainConfig, TrainResult, fit

SEEDED = RunSettings(task="adding", length=12, hidden_size=8, record_every=5).replace(batch_size=16, steps=15, seed=3)


def training_target(steps: int, gate: threading.Event | None = None):
    """A job target fitting one parameter; waits on `gate` before each step if given."""
    def target(job: Job) -> TrainResult:
        weight = torch.nn.Parameter(torch.tensor(3.0))

        def loss_fn(batch, tbptt):
            if gate is not None:
                gate.wait(timeout=5)
            return (weight - 1.0) ** 2

        return fit([weight], loss_fn, lambda generator: None, TrainConfig(steps=steps, learning_rate=0.1),
                   callbacks=[job], stop=job.stop_event)
    return target


def test_job_records_progress_and_finishes():
    job = Job(training_target(20), JobSlots(1), steps=20).start()
    assert job.wait(timeout=30)
    assert job.status == "finished" and len(job.history) == 20
    assert job.progress()[0] == 1.0
    assert job.history[-1].loss < job.history[0].loss


def test_stop_ends_a_running_job():
    gate = threading.Event()
    job = Job(training_target(1000, gate), JobSlots(1), steps=1000).start()
    gate.set()
    while len(job.history) < 3:
        job.wait(timeout=0.01)
    job.stop()
    assert job.wait(timeout=30)
    assert job.status == "stopped" and 3 <= len(job.history) < 1000


def test_capacity_queues_the_second_job_with_its_position():
    slots, gate = JobSlots(1), threading.Event()
    first = Job(training_target(5, gate), slots, steps=5).start()
    second = Job(training_target(5, gate), slots, steps=5).start()
    third = Job(training_target(5, gate), slots, steps=5).start()
    for _ in range(500):
        if first.status == "running" and second.queue_position() == 1 and third.queue_position() == 2:
            break
        first.wait(timeout=0.01)
    assert (first.status, second.status, third.status) == ("running", "queued", "queued")
    assert (second.queue_position(), third.queue_position()) == (1, 2)
    assert "position 1" in second.message()
    third.stop()  # leaving the queue must not block the others
    gate.set()
    assert first.wait(30) and second.wait(30) and third.wait(30)
    assert (first.status, second.status, third.status) == ("finished", "finished", "stopped")
    assert slots.running_count() == 0


def test_a_failing_target_reports_instead_of_crashing():
    def broken(job: Job) -> TrainResult:
        raise ValueError("hidden_size must be an integer >= 1, got 0")

    slots = JobSlots(1)
    job = Job(broken, slots, steps=1).start()
    assert job.wait(timeout=10)
    assert job.status == "failed" and "hidden_size" in job.message()
    assert slots.running_count() == 0  # the slot was given back


def threads_seen_by_a_job(threads: int | None, process_threads: int) -> int:
    """torch's thread count inside a job's target while the process was set to `process_threads`."""
    seen: list[int] = []

    def target(job: Job) -> TrainResult:
        seen.append(torch.get_num_threads())
        return TrainResult("finished", 0, [], "done", 0.0)

    before = torch.get_num_threads()
    try:
        torch.set_num_threads(process_threads)
        assert Job(target, JobSlots(1), steps=1, threads=threads).start().wait(10)
    finally:
        torch.set_num_threads(before)
    return seen[0]


def test_a_job_trains_with_its_own_thread_count_whatever_the_process_was_set_to():
    assert threads_seen_by_a_job(threads=1, process_threads=2) == 1
    assert threads_seen_by_a_job(threads=2, process_threads=1) == 2


def seeded_run_at(process_threads: int) -> tuple[list[float], list[list[float]]]:
    """Loss history and every gradient profile of SEEDED, trained as the app trains (threads=1)."""
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(process_threads)  # what a stray set_num_threads elsewhere in the server did
        job = Job(job_target(SEEDED), JobSlots(1), SEEDED.train.steps, threads=1).start()
        assert job.wait(60) and job.status == "finished"
    finally:
        torch.set_num_threads(before)
    recording = job.extras["recording"]
    return [info.loss for info in job.history], [snapshot.profile.tolist() for snapshot in recording.snapshots]


def test_a_seeded_run_repeats_bit_for_bit_whatever_the_process_threads_were():
    losses, profiles = seeded_run_at(process_threads=2)
    assert (losses, profiles) == seeded_run_at(process_threads=1)
    assert len(losses) == SEEDED.train.steps and len(profiles) == 4  # steps 0, 5, 10, 15


@pytest.mark.parametrize("threads", [0, -1, 1.5, True, "2"])
def test_a_job_refuses_a_thread_count_that_is_not_a_whole_number_above_zero(threads):
    with pytest.raises(ValueError, match="threads"):
        Job(training_target(1), JobSlots(1), steps=1, threads=threads)


class FakeClock:
    """Seconds that move only when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def watched_job(slots: JobSlots, clock: FakeClock, connected: dict, gate: threading.Event | None = None) -> Job:
    """A long job that is stopped if unwatched for 30 (fake) seconds while `connected["open"]` is False."""
    return Job(training_target(10_000, gate), slots, steps=10_000, abandon_after=30.0,
               connected=lambda: connected["open"], clock=clock)


def wait_for(condition, timeout: float = 10.0) -> None:
    """Poll until `condition()` holds (the job runs in its own thread)."""
    deadline = threading.Event()
    timer = threading.Timer(timeout, deadline.set)
    timer.start()
    try:
        while not condition():
            assert not deadline.wait(0.01), "condition not reached in time"
    finally:
        timer.cancel()


def test_a_run_without_a_watcher_whose_page_is_gone_is_stopped_and_says_why():
    clock, connected = FakeClock(), {"open": False}
    job = watched_job(JobSlots(1), clock, connected).start()
    wait_for(lambda: job.status == "running" and len(job.history) > 2)
    clock.now += 29.0
    assert not job.stop_event.is_set() and job.active  # not yet: 29 s
    clock.now += 2.0
    assert job.wait(timeout=10)
    assert job.status == "stopped" and job.abandoned_after is not None and job.abandoned_after >= 30
    assert "no open page showed this run for 31 s" in job.message()
    assert "slot went to the next run" in job.message()


def test_a_watched_run_is_not_stopped_and_a_connected_background_tab_is_not_either():
    clock, connected = FakeClock(), {"open": False}
    job = watched_job(JobSlots(1), clock, connected).start()
    wait_for(lambda: len(job.history) > 2)
    for _ in range(5):  # a live panel ticking: 100 s in all, never 30 s apart
        clock.now += 20.0
        job.watched()
        assert not job.stop_event.is_set()
    connected["open"] = True  # a hidden tab: timers throttled (no ticks), websocket still open
    clock.now += 300.0
    assert not job.stop_event.is_set() and job.active
    job.stop()
    assert job.wait(timeout=10) and job.abandoned_after is None
    assert "no open page" not in job.message()


def test_an_abandoned_run_frees_its_slot_for_the_next_in_the_queue():
    clock, connected, gate = FakeClock(), {"open": False}, threading.Event()
    slots = JobSlots(1)
    first = watched_job(slots, clock, connected, gate).start()
    wait_for(lambda: first.status == "running")
    waiting = Job(training_target(3), slots, steps=3).start()
    wait_for(lambda: waiting.queue_position() == 1)
    clock.now += 31.0
    gate.set()
    assert first.wait(timeout=10) and first.status == "stopped" and first.abandoned_after is not None
    assert waiting.wait(timeout=30) and waiting.status == "finished"


def test_an_abandoned_job_still_in_the_queue_leaves_it():
    clock, connected, gate = FakeClock(), {"open": False}, threading.Event()
    slots = JobSlots(1)
    running = Job(training_target(10_000, gate), slots, steps=10_000).start()  # no abandonment rule: holds the slot
    wait_for(lambda: running.status == "running")
    queued = watched_job(slots, clock, connected).start()
    wait_for(lambda: queued.queue_position() == 1)
    clock.now += 31.0
    assert queued.wait(timeout=10) and queued.status == "stopped"
    assert "no open page" in queued.message() and slots.position(queued.ticket) == 0
    running.stop()
    gate.set()
    assert running.wait(timeout=10)
