"""The gradient lab's time estimate: timed from real steps of the settings (a clock injected here)."""

from __future__ import annotations

import itertools
import time

import pytest

from rnnviz.gradlab import RunSettings
from ui.gradlab import estimate

SMALL = RunSettings(task="adding", length=30, hidden_size=8, record_every=5).replace(batch_size=16, steps=40)


def ticking(tick: float):
    """A fake clock that advances by `tick` seconds at every reading: every timed step lasts `tick`."""
    readings = itertools.count()
    return lambda: next(readings) * tick


@pytest.mark.parametrize("tick", [0.001, 0.004])
def test_the_estimate_is_the_runs_steps_and_measurements_times_the_measured_step(tick):
    costs = estimate.measure_costs(SMALL, timer=ticking(tick))
    assert estimate.measurements(SMALL) == 1 + 40 // 5
    assert estimate.run_seconds(SMALL, costs) == pytest.approx((40 + 9) * tick)


def test_the_estimate_scales_with_the_measured_step_and_the_number_of_steps():
    slow, fast = (estimate.measure_costs(SMALL, timer=ticking(tick)) for tick in (0.01, 0.001))
    assert estimate.run_seconds(SMALL, slow) == pytest.approx(10 * estimate.run_seconds(SMALL, fast))
    longer = SMALL.replace(steps=400, record_every=5)
    assert estimate.run_seconds(longer, fast) == pytest.approx(10 * estimate.run_seconds(SMALL, fast), rel=0.02)


def test_a_measurement_for_each_recorded_step_and_the_last():
    assert estimate.measurements(SMALL.replace(steps=41)) == 1 + 8 + 1  # step 0, every 5th, and step 41
    assert estimate.measurements(SMALL.replace(steps=1, record_every=1)) == 2


def test_timing_stays_short_and_reaches_the_runs_own_length_when_it_is_cheap():
    started = time.perf_counter()
    costs = estimate.measure_costs(SMALL)
    assert costs.timed_at[-1] == SMALL.num_steps  # short enough to time at its own T
    assert list(costs.timed_at) == sorted(set(costs.timed_at)) and costs.timed_at[0] < SMALL.num_steps
    assert costs.timed_seconds <= 3 * estimate.BUDGET_SECONDS and time.perf_counter() - started < 30


def test_the_timed_lengths_keep_truncation_within_the_sequence_and_the_copy_tasks_symbols():
    truncated = SMALL.replace(tbptt=25)
    assert estimate.at_length(truncated, 3).tbptt_k == 3
    assert estimate.at_length(truncated, 28).tbptt_k == 25
    copy = SMALL.replace(task="copy")
    assert estimate.shortest_length(copy) >= 2 and estimate.at_length(copy, 2).num_steps > 2


def test_costs_are_cached_per_network_and_length_not_per_number_of_steps():
    first = estimate.cached_costs(SMALL)
    assert estimate.cached_costs(SMALL.replace(steps=300, seed=4)) is first
    assert estimate.known_costs(SMALL.replace(length=31)) is None


def test_a_long_run_is_timed_at_its_own_length_when_the_cost_grows_faster_than_linearly(monkeypatch):
    """Torch's LSTM backward grows faster than T: a line from short T would call an 18-minute run cheap."""

    def step_cost(timesteps: int) -> float:  # linear up to T = 128 (all a short timing sees), then much steeper
        return 0.004 * timesteps + (max(0, timesteps - 128) / 100) ** 3

    def superlinear(model, settings, timer, warmup, probe):
        return step_cost(settings.num_steps), (0.0 if probe else None)

    monkeypatch.setattr(estimate, "_time_point", superlinear)
    long_run = RunSettings(task="adding", length=500, hidden_size=32, num_layers=4).replace(steps=1000)
    costs = estimate.measure_costs(long_run)
    assert costs.timed_at[-1] == long_run.num_steps  # its own T was timed, although one step costs 53 s here
    true_seconds = 1000 * step_cost(long_run.num_steps)
    assert estimate.run_seconds(long_run, costs) == pytest.approx(true_seconds, rel=0.1)
    short_run = RunSettings(task="adding", length=40, hidden_size=8).replace(steps=50)
    short_costs = estimate.measure_costs(short_run)  # a cheap run: no extra step, and the line is right there
    assert short_costs.timed_at[-1] < short_run.num_steps
    assert estimate.run_seconds(short_run, short_costs) == pytest.approx(50 * step_cost(short_run.num_steps), rel=0.1)
