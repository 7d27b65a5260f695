"""Measured costs: straight lines through timed points, and real steps of `fit` timed with any clock."""

from __future__ import annotations

import itertools

import pytest
import torch

from rnnviz.training.loop import TrainConfig
from rnnviz.training.timing import LinearCost, call_seconds, linear_cost, step_seconds


def ticking(tick: float):
    """A fake clock that advances by `tick` seconds at every reading."""
    readings = itertools.count()
    return lambda: next(readings) * tick


def quadratic_parameter() -> tuple[torch.nn.Parameter, object]:
    """One weight and the loss (w - 1)^2."""
    weight = torch.nn.Parameter(torch.tensor(3.0))
    return weight, lambda batch, tbptt: (weight - 1.0) ** 2


def test_a_line_through_exact_points_is_recovered_and_extrapolates():
    cost = linear_cost([(10, 0.5 + 0.01 * 10), (50, 0.5 + 0.01 * 50), (100, 0.5 + 0.01 * 100)])
    assert cost.intercept == pytest.approx(0.5) and cost.slope == pytest.approx(0.01)
    assert cost.seconds(500) == pytest.approx(5.5)


def test_one_point_is_proportional_and_noise_never_gives_a_negative_cost():
    assert linear_cost([(4, 2.0)]) == LinearCost(0.0, 0.5)
    falling = linear_cost([(5, 0.3), (20, 0.1)])  # the longer run measured faster (a busy machine's noise)
    assert falling.intercept == 0 and falling.seconds(20) == pytest.approx(0.1)  # the longest point, kept
    assert falling.seconds(1000) == pytest.approx(5.0)  # grows with size: a long run is never called cheap
    steep = linear_cost([(5, 0.0), (10, 1.0)])  # the line would cross zero: through the origin instead
    assert steep.intercept == 0 and steep.seconds(2) > 0


@pytest.mark.parametrize("points", [[], [(0, 1.0)], [(5, -1.0)], [(5, float("nan"))]])
def test_points_that_are_not_sizes_and_seconds_are_refused(points):
    with pytest.raises(ValueError, match="points"):
        linear_cost(points)


@pytest.mark.parametrize("tick", [0.01, 0.5])
def test_step_seconds_times_the_steps_after_the_warmup_with_the_given_clock(tick):
    weight, loss = quadratic_parameter()
    seconds = step_seconds([weight], loss, lambda generator: None, TrainConfig(steps=99, learning_rate=0.1),
                           steps=3, warmup=1, timer=ticking(tick))
    assert seconds == pytest.approx(tick)  # one clock reading per step
    assert weight.item() != 3.0  # the steps really trained


def test_a_step_that_diverges_still_counts_its_time():
    weight, _loss = quadratic_parameter()
    infinite = lambda batch, tbptt: weight * float("inf")  # noqa: E731
    seconds = step_seconds([weight], infinite, lambda generator: None, TrainConfig(steps=5), steps=2, warmup=1,
                           timer=ticking(0.25))
    assert seconds == pytest.approx(0.25)


def test_call_seconds_reads_the_clock_around_the_call():
    calls = []
    assert call_seconds(lambda: calls.append(1), ticking(0.3)) == pytest.approx(0.3) and calls == [1]
