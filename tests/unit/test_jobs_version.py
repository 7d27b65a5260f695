"""Job.version: the cheap counter a live panel compares to know whether anything it shows has changed."""

from __future__ import annotations

import threading

from rnnviz.training.jobs import Job, JobSlots
from rnnviz.training.loop import StepInfo
from tests.unit.test_jobs import training_target


def test_the_version_moves_at_every_step_and_every_change_of_status():
    job = Job(training_target(5), JobSlots(1), steps=5)
    before = job.version
    assert job.start().wait(timeout=30) and job.status == "finished"
    assert job.version >= before + 5 + 2  # five steps, then running and finished


def test_a_queued_job_keeps_its_version_until_its_turn():
    slots, gate = JobSlots(1), threading.Event()
    first = Job(training_target(3, gate), slots, steps=3).start()
    second = Job(training_target(3, gate), slots, steps=3).start()
    while first.status != "running" or second.queue_position() != 1:
        first.wait(timeout=0.01)
    waiting = second.version
    first.wait(timeout=0.05)  # the queue's wait ticks several times meanwhile
    assert second.version == waiting and second.status == "queued"
    gate.set()
    assert first.wait(30) and second.wait(30)
    assert second.version > waiting


def test_a_callback_that_writes_extras_can_say_so():
    job = Job(training_target(1), JobSlots(1), steps=1)
    before = job.version
    job.extras["attention"] = [0.5, 0.5]
    job.changed()
    assert job.version == before + 1
    job.on_step_end(StepInfo(1, 1, 0.5, 1.0, 1.0))
    assert job.version == before + 2
