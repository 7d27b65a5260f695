"""How long a gradient-lab run will take: timed from real steps of its settings on this server, not a formula.

`cached_costs(settings)` times single training steps and gradient measurements of the settings'
network at a short T, about twice that, and the longest T up to the run's own that the budget allows
(about 0.3 s in all; a 256-unit LSTM's measurement alone takes 2-3 s), once per network and T: the
number of steps needs no new timing. Each cost is a least-squares line in the sequence length; a run
that line predicts longer than CONFIRM_SECONDS gets one more step timed at its own T (costs grow faster than
linearly in T), so a long run is never called short.
`run_seconds(settings, costs)` adds up the run's steps and measurements. No Streamlit here.
"""

from __future__ import annotations

import functools
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from rnnviz.gradlab import MAX_LENGTH, GradientRecorder, RunSettings, build_model
from rnnviz.gradlab.settings import JACOBIAN_POSITIONS, PROBE_BATCH
from rnnviz.training.tasks import task_loss, task_sampler
from rnnviz.training.timing import LinearCost, Timer, call_seconds, linear_cost, step_seconds

BUDGET_SECONDS = 0.4  # what timing one network may cost (a network too big for it gets a coarser timing)
CONFIRM_SECONDS = 60.0  # a run predicted longer than this gets one step timed at its own T (costs grow
# faster than linearly in T: torch's LSTM backward at T=500 costs 25x its T=128 step, so a line from short T misleads)
CACHE_SIZE = 64


@dataclass(frozen=True)
class RunCosts:
    """Seconds of one training step and of one gradient measurement, against timesteps per sequence."""

    train: LinearCost
    probe: LinearCost
    timed_seconds: float  # what the timing itself measured
    timed_at: tuple[int, ...]  # the sequence lengths (timesteps) it timed


def measurements(settings: RunSettings) -> int:
    """How many gradient measurements a finished run makes: step 0, every `record_every` steps, the last."""
    steps, every = settings.train.steps, settings.record_every
    return 1 + steps // every + (1 if steps % every else 0)


def run_seconds(settings: RunSettings, costs: RunCosts) -> float:
    """The run's wall time: its training steps and its gradient measurements at its sequence length."""
    timesteps = settings.num_steps
    return settings.train.steps * costs.train.seconds(timesteps) + measurements(settings) * costs.probe.seconds(timesteps)


def at_length(settings: RunSettings, length: int) -> RunSettings:
    """The same network and training at another dependency length T (truncation k kept within the sequence)."""
    shorter = settings.replace(length=length, tbptt=None)  # k is checked against the new length below
    if settings.tbptt_k is not None:
        shorter = shorter.replace(tbptt=min(settings.tbptt_k, shorter.num_steps))
    return shorter


def shortest_length(settings: RunSettings) -> int:
    """The first T timed: the shortest whose measurement already averages its Jacobian over all its positions."""
    probe_batch = min(PROBE_BATCH, settings.train.batch_size)
    offset = settings.num_steps - settings.length  # the copy task's symbols around the delay
    return min(MAX_LENGTH, max(2, -(-JACOBIAN_POSITIONS // probe_batch) + 1 - offset))


def _time_point(model, settings: RunSettings, timer: Timer, warmup: int, probe: bool) -> tuple[float, float | None]:
    """(seconds of one training step, of one gradient measurement or None) of `model` at `settings`' length."""
    task = settings.make_task()
    train = step_seconds(model.parameters(), task_loss(model, task), task_sampler(task, settings.train.batch_size),
                         settings.train, steps=1, warmup=warmup, timer=timer)
    if not probe:
        return train, None
    recorder = GradientRecorder(model, task, settings)
    return train, call_seconds(lambda: recorder.measure(0), timer)


def _affordable_length(settings: RunSettings, train: LinearCost, probe: LinearCost, left: float) -> int:
    """The longest T up to the run's own whose step and measurement, as predicted, fit in `left` seconds (x 2)."""
    offset = settings.num_steps - settings.length  # the copy task's symbols around the delay
    per_timestep = train.slope + probe.slope
    fixed = train.intercept + probe.intercept
    timesteps = (left / 2 - fixed) / per_timestep if per_timestep > 0 else float("inf")
    return int(min(settings.length, max(2, timesteps - offset)))


def _fit(points: list[tuple[int, float, float | None]]) -> tuple[LinearCost, LinearCost]:
    """Lines through the (timesteps, training step, measurement) points (a measurement not timed: left out)."""
    train = linear_cost([(size, seconds) for size, seconds, _ in points])
    probes = [(size, seconds) for size, _, seconds in points if seconds is not None]
    probe = linear_cost(probes) if len(probes) > 1 else LinearCost(probes[0][1], 0.0)  # mostly a fixed cost
    return train, probe


def measure_costs(settings: RunSettings, timer: Timer = time.perf_counter) -> RunCosts:
    """Time real steps of `settings`' network at a short T, twice that, and the longest T the budget allows.

    Each cost is then the least-squares line through its points; at the run's own T when that was affordable.
    """
    _warm_up()
    short = at_length(settings, shortest_length(settings))
    model, _task = build_model(short)
    train, probe = _time_point(model, short, timer, warmup=1, probe=True)
    points, spent = [(short.num_steps, train, probe)], 2 * train + probe
    probe_too = probe < BUDGET_SECONDS / 4  # a huge network: its measurement is mostly a fixed cost, timed once
    for attempt in range(2):
        length = (min(settings.length, 2 * short.length + 1) if attempt == 0
                  else _affordable_length(settings, *_fit(points), BUDGET_SECONDS - spent))
        if length <= at_length(settings, 2).length or at_length(settings, length).num_steps <= points[-1][0]:
            break
        longer = at_length(settings, length)
        train, probe = _time_point(model, longer, timer, warmup=0, probe=probe_too)
        points.append((longer.num_steps, train, probe))
        spent += train + (probe or 0.0)
    if points[-1][0] < settings.num_steps and run_seconds(settings, RunCosts(*_fit(points), spent, ())) > CONFIRM_SECONDS:
        train, _ = _time_point(model, settings, timer, warmup=0, probe=False)  # a long run: time its own T once
        points.append((settings.num_steps, train, None))
        spent += train
    train_cost, probe_cost = _fit(points)
    return RunCosts(train_cost, probe_cost, spent, tuple(size for size, _, _ in points))


@functools.cache
def _warm_up() -> None:
    """Once per process, untimed: what the first step and measurement import (torch.fx, optimizers: seconds)."""
    tiny = RunSettings(length=2, hidden_size=2, record_every=1).replace(steps=1, batch_size=2)
    model, _task = build_model(tiny)
    _time_point(model, tiny, time.perf_counter, warmup=0, probe=True)


def network_key(settings: RunSettings) -> tuple:
    """What the cost of a step depends on: T, the network, the batch, the optimizer, clipping, k (not the steps)."""
    train = settings.train
    return (settings.task, settings.length, settings.cell, settings.hidden_size, settings.num_layers,
            train.batch_size, train.optimizer, train.clip, settings.tbptt_k)


_CACHE: OrderedDict[tuple, RunCosts] = OrderedDict()
_LOCK = threading.Lock()


def known_costs(settings: RunSettings) -> RunCosts | None:
    """The costs already timed for this network and T, or None."""
    with _LOCK:
        return _CACHE.get(network_key(settings))


def cached_costs(settings: RunSettings) -> RunCosts:
    """`measure_costs` once per network on this server (the latest CACHE_SIZE networks are kept)."""
    key = network_key(settings)
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    costs = measure_costs(settings)
    with _LOCK:
        _CACHE[key] = costs
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    return costs
