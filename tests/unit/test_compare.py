"""Compare cells: parameter matching against the real models, statistics against numpy, the grid runner."""

from __future__ import annotations

import math
import threading
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy import stats

from rnnviz.compare import Budget, Configuration, check_configurations, compare, sentence, summarize
from rnnviz.compare.matching import recurrent_parameters, solve_hidden_size
from rnnviz.compare.runner import GridState, run_grid, size_configurations
from rnnviz.compare.tasks import GeneratedTask, Trained, make_comparison_task
from rnnviz.core.kinds import KINDS
from rnnviz.core.recurrent import Recurrent
from rnnviz.training.loop import fit

LAYERS = (1, 2, 3)
DIRECTIONS = (False, True)
REVIEWS = Path(__file__).resolve().parents[3] / "shared" / "data" / "imdb_small.csv"


def numel(model: torch.nn.Module) -> int:
    """What the budget counts: every parameter of the real model."""
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("layers", LAYERS)
@pytest.mark.parametrize("bidirectional", DIRECTIONS)
def test_recurrent_count_is_the_real_one(kind, layers, bidirectional):
    assert recurrent_parameters(kind, 5, 7, layers, bidirectional) == numel(Recurrent(kind, 5, 7, layers, bidirectional))


@pytest.mark.parametrize("task_name", ["adding", "copy"])
@pytest.mark.parametrize("target", [20_000, 60_000])
def test_matched_sizes_are_within_5_percent_for_every_configuration(task_name, target):
    task = make_comparison_task(task_name, 20)
    configurations = [
        Configuration(kind, layers, bidirectional) for kind in KINDS for layers in LAYERS for bidirectional in DIRECTIONS
    ]
    for configuration in configurations:
        sized = size_configurations(task, [configuration, configuration.with_hidden(9)], Budget(parameters=target))[0]
        real = numel(task.build(sized, seed=0))
        assert real == task.parameter_count(sized)
        assert abs(real - target) / target <= 0.05, (configuration, sized.hidden_size, real)


@pytest.mark.parametrize("layers", LAYERS)
def test_bracket_language_sizes_match_the_char_model(layers):
    task = make_comparison_task("brackets")
    for kind in KINDS:
        sized = size_configurations(task, [Configuration(kind, layers)] * 2, Budget(parameters=20_000))[0]
        real = numel(task.build(sized, seed=0))
        assert real == task.parameter_count(sized) and abs(real - 20_000) <= 1_000


@pytest.mark.skipif(not REVIEWS.is_file(), reason=f"the reviews file {REVIEWS} is not there")
def test_review_sizes_match_the_classifier():
    task = make_comparison_task("sentiment", reviews=REVIEWS)
    target = task.parameter_count(Configuration("lstm", hidden_size=32))
    for kind in KINDS:
        for bidirectional in DIRECTIONS:
            sized = size_configurations(task, [Configuration(kind, 2, bidirectional)] * 2, Budget(parameters=target))[0]
            real = numel(task.build(sized, seed=0))
            assert real == task.parameter_count(sized) and abs(real - target) / target <= 0.05


def test_an_impossible_budget_says_what_to_change():
    task = make_comparison_task("adding", 20)
    with pytest.raises(ValueError, match="too small: raise it"):
        size_configurations(task, [Configuration("lstm", 3, True), Configuration("gru")], Budget(parameters=50))
    with pytest.raises(ValueError, match="too large: lower it"):
        size_configurations(task, [Configuration("sru"), Configuration("gru")], Budget(parameters=5_000_000))
    with pytest.raises(ValueError, match=r"within 5%.*H=1 gives 1,000 and H=2 gives 2,000"):
        solve_hidden_size(lambda size: 1000 * size, 1500)
    with pytest.raises(ValueError, match="within 5%"):  # 3-layer bidirectional LSTMs come in 25 % steps this small
        size_configurations(task, [Configuration("lstm", 3, True), Configuration("gru")], Budget(parameters=3_000))


@pytest.mark.parametrize("count", [0, 1, 50])
def test_the_number_of_configurations_is_checked(count):
    with pytest.raises(ValueError, match=r"at least 2|at most 8"):
        check_configurations([Configuration("lstm")] * count)


@pytest.mark.parametrize("seconds", [0, -1, 36_000, math.nan])
def test_a_time_budget_of_0_or_10_hours_is_refused(seconds):
    with pytest.raises(ValueError, match="time budget"):
        Budget(length="seconds", seconds=seconds).validate()


def test_a_bidirectional_language_model_is_refused():
    with pytest.raises(ValueError, match="cannot read the future"):
        size_configurations(make_comparison_task("brackets"), [Configuration("lstm", 1, True), Configuration("gru")], Budget())


def test_summary_matches_numpy():
    values = np.random.default_rng(0).normal(0.7, 0.1, size=5)
    summary = summarize([*values, math.nan])  # a diverged run (NaN) is left out
    assert summary.count == 5
    assert summary.mean == pytest.approx(np.mean(values))
    assert summary.std == pytest.approx(np.std(values, ddof=1))


def test_welch_p_value_matches_the_formula():
    rng = np.random.default_rng(1)
    a, b = rng.normal(1.0, 0.2, 4), rng.normal(0.8, 0.5, 3)
    variance_a, variance_b = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    t = (a.mean() - b.mean()) / np.sqrt(variance_a + variance_b)
    freedom = (variance_a + variance_b) ** 2 / (variance_a**2 / (len(a) - 1) + variance_b**2 / (len(b) - 1))
    assert compare(a, b).p_value == pytest.approx(2 * stats.t.sf(abs(t), freedom))
    assert compare(a, b).difference == pytest.approx(a.mean() - b.mean())


def test_a_planted_difference_is_significant_and_identical_settings_are_noise():
    rng = np.random.default_rng(2)
    planted = sum(compare(rng.normal(0.9, 0.02, 3), rng.normal(0.7, 0.02, 3)).significant for _ in range(200))
    identical = sum(compare(rng.normal(0.8, 0.02, 3), rng.normal(0.8, 0.02, 3)).significant for _ in range(200))
    assert planted >= 190
    assert identical <= 20  # the test's own false-alarm rate is 5 %
    assert "larger than the seed-to-seed spread" in sentence(
        "LSTM", [0.91, 0.9, 0.92], "RNN", [0.5, 0.52, 0.49], "accuracy", True
    )
    assert "within noise" in sentence("LSTM", [0.8, 0.9, 0.7], "GRU", [0.82, 0.71, 0.88], "accuracy", True)


def test_lower_is_better_names_the_right_leader():
    text = sentence("LSTM", [2.0, 2.01, 1.99], "RNN", [2.5, 2.52, 2.49], "bits per character", False)
    assert text.startswith("LSTM beats RNN")


def test_a_grid_trains_every_configuration_and_seed():
    task = make_comparison_task("adding", 10)
    budget = Budget(parameters=640, steps=6, seeds=2, batch_size=8)
    sized = size_configurations(task, [Configuration("lstm"), Configuration("sru", 2)], budget)
    records = run_grid(task, sized, budget)
    assert [(record.configuration.kind, record.seed) for record in records] == [("lstm", 0), ("sru", 0), ("lstm", 1), ("sru", 1)]
    for record in records:
        assert record.status == "finished" and record.steps == list(range(1, 7))
        assert 0 <= record.final_metric <= 1 and record.step_seconds > 0
        assert record.parameters == numel(task.build(record.configuration, 0))
        assert math.isfinite(record.gradient_ratio) and record.gradient_ratio > 0
    assert records[0].loss != records[2].loss  # another seed, other weights and batches


def test_a_set_stop_ends_the_grid_before_the_next_run():
    task = make_comparison_task("adding", 10)
    budget = Budget(size="hidden", steps=5, seeds=3)
    stop = threading.Event()
    stop.set()
    assert run_grid(task, [Configuration("gru", hidden_size=4), Configuration("rnn", hidden_size=4)], budget, stop=stop) == []


class BreaksAtStepThree(GeneratedTask):
    """The adding task, except that the LSTM's loss becomes NaN at its third step."""

    def train(self, model, configuration, config, callbacks, stop):
        base = super().train
        if configuration.kind != "lstm":
            return base(model, configuration, config, callbacks, stop)
        counter = iter(range(1, 10**6))

        def loss_fn(batch, tbptt):
            loss = (model(batch.inputs) ** 2).mean()
            return loss * math.nan if next(counter) == 3 else loss

        return Trained(
            fit(model.parameters(), loss_fn, lambda generator: self.task.sample(4, generator), config, callbacks, stop), 0.5
        )


def test_a_diverged_run_says_its_step_and_the_others_go_on():
    task = BreaksAtStepThree("adding", 10)
    budget = Budget(size="hidden", steps=5, seeds=1)
    state = GridState(task, [Configuration("lstm", hidden_size=4), Configuration("gru", hidden_size=4)], budget)
    run_grid(task, state.configurations, budget, state=state)
    broken, fine = state.records
    assert broken.status == "diverged" and broken.diverged_at == 3 and "step 3" in broken.message
    assert math.isnan(broken.final_metric)
    assert fine.status == "finished" and len(fine.steps) == 5


@pytest.mark.parametrize(
    ("content", "message"),
    [("review,stars\nfine,5\n", "needs the columns text and label"), ("text,label\ngood,maybe\n", "labels must be")],
)
def test_a_reviews_file_that_is_not_the_expected_csv_says_so(tmp_path, content, message):
    path = tmp_path / "reviews.csv"
    path.write_text(content)
    with pytest.raises(ValueError, match=message):
        make_comparison_task("sentiment", reviews=path)
