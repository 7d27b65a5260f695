"""Is it parallelizable? Teacher forcing against free running: agreement, one fused call, the ratio knob."""

from __future__ import annotations

import math

import pytest
import torch

from rnnviz.training.loop import fit
from rnnviz.unrolled.io_decode import (
    DateTask,
    PairBatch,
    SpellingTask,
    digits_vector,
    draw_feed_truth,
    sequence_loss,
    spell,
)
from rnnviz.unrolled.io_models import IGNORE_INDEX
from rnnviz.unrolled.parallel import ParallelTiming, forced_and_free, teacher_forcing_curves, time_decoding
from rnnviz.unrolled.tasks import train, train_config

DECODER_TASKS = [SpellingTask, DateTask]


def generator(seed: int = 0) -> torch.Generator:
    """A fresh CPU generator."""
    return torch.Generator().manual_seed(seed)


def rigged_batch(task, model, batch_size: int = 8) -> PairBatch:
    """A batch whose targets are what the model itself writes free-running: its predictions equal the targets."""
    batch = task.sampler(batch_size)(generator())
    with torch.no_grad():
        start, _ = model.initial_state(batch.sources)
        own = model.decoder.free_running(start, batch.targets.shape[1]).ids  # (B, U)
    return PairBatch(batch.sources, own, torch.ones_like(own, dtype=torch.bool))


@pytest.mark.parametrize("task_class", DECODER_TASKS)
@pytest.mark.parametrize("kind", ["gru", "lstm", "rnn"])
def test_teacher_forced_and_free_running_agree_when_the_predictions_are_the_targets(task_class, kind):
    task = task_class()
    model = task.model(3, kind=kind, hidden_size=16)
    forced, free = forced_and_free(model, rigged_batch(task, model))
    assert torch.equal(forced.argmax(dim=-1), free.argmax(dim=-1))
    torch.testing.assert_close(forced, free, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("task_class", DECODER_TASKS)
def test_they_differ_once_a_prediction_is_wrong(task_class):
    task = task_class()
    model = task.model(0, hidden_size=16)
    forced, free = forced_and_free(model, task.sampler(8)(generator()))  # untrained: wrong almost everywhere
    assert not torch.allclose(forced[:, 1:], free[:, 1:], atol=1e-3)
    torch.testing.assert_close(forced[:, 0], free[:, 0])  # step 0 reads the start symbol in both


def test_a_trained_speller_writes_the_same_thing_either_way():
    task = SpellingTask()
    trained = train(task, seed=0)
    numbers = list(range(100))
    targets = task.encode_targets([spell(number) for number in numbers])
    batch = PairBatch(digits_vector(torch.tensor(numbers)), targets, torch.ones_like(targets, dtype=torch.bool))
    forced, free = forced_and_free(trained.model, batch)
    scored = targets != IGNORE_INDEX
    assert trained.metric == 1.0
    assert torch.equal(forced.argmax(-1)[scored], targets[scored])
    assert torch.equal(free.argmax(-1)[scored], targets[scored])
    torch.testing.assert_close(forced[scored], free[scored], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("task_class", DECODER_TASKS)
def test_teacher_forcing_runs_all_decoder_steps_in_one_call_free_running_one_per_step(task_class):
    task = task_class()
    model = task.model(0, hidden_size=16)
    batch = task.sampler(4)(generator())
    calls = []
    model.decoder.recurrent.register_forward_hook(lambda module, args, output: calls.append(args[0].shape[1]))
    start, _ = model.initial_state(batch.sources)
    model.decoder.teacher_forced(start, batch.targets)
    assert calls == [batch.targets.shape[1]]
    calls.clear()
    model.decoder.free_running(start, batch.targets.shape[1])
    assert calls == [1] * batch.targets.shape[1]


@pytest.mark.parametrize("task_class", DECODER_TASKS)
def test_the_ratio_knob_at_1_and_0_is_the_two_pure_modes(task_class):
    model = task_class().model(0, hidden_size=16)
    for ratio, per in ((1.0, "batch"), (1.0, "step"), (0.0, "batch"), (0.0, "step")):
        task = task_class(teacher_forcing=ratio, per=per)
        batch = task.sampler(6)(generator(1))
        loss, metrics = task.loss_function(model)(batch, None)
        start, _ = model.initial_state(batch.sources)
        decoder = model.decoder
        pure = (decoder.teacher_forced(start, batch.targets) if ratio else
                decoder.free_running(start, batch.targets.shape[1]))
        expected, expected_metrics = sequence_loss(pure, batch.targets)
        assert torch.equal(loss, expected) and metrics == expected_metrics


def test_the_ratio_draws_come_from_the_run_generator_and_leave_the_data_alone():
    batches = {ratio: SpellingTask(teacher_forcing=ratio, per="step").sampler(32)(generator(2))
               for ratio in (1.0, 0.5, 0.0)}
    assert all(torch.equal(batches[1.0].targets, batch.targets) for batch in batches.values())
    assert batches[1.0].feed_truth.all() and not batches[0.0].feed_truth.any()
    half = batches[0.5].feed_truth.float().mean()
    assert 0.35 < float(half) < 0.65
    per_batch = draw_feed_truth((8, 5), 0.5, "batch", generator(4))
    assert per_batch.all() or not per_batch.any()
    assert torch.equal(draw_feed_truth((8, 5), 0.5, "step", generator(4)),
                       draw_feed_truth((8, 5), 0.5, "step", generator(4)))


@pytest.mark.parametrize("ratio", [1.0, 0.0])
def test_training_at_ratio_1_and_0_follows_the_pure_modes_step_for_step(ratio):
    task = SpellingTask(teacher_forcing=ratio)
    config = train_config(task, 7, steps=4)
    knob = train(task, seed=7, config=config, batch_size=8)
    model = task.model(7)

    def pure_loss(batch, tbptt):
        start, _ = model.initial_state(batch.sources)
        decoder = model.decoder
        decoded = decoder.teacher_forced(start, batch.targets) if ratio else decoder.free_running(
            start, batch.targets.shape[1])
        return sequence_loss(decoded, batch.targets)
    pure = fit(model.parameters(), pure_loss, task.sampler(8), config)
    assert knob.losses == [info.loss for info in pure.history]


def test_teacher_forcing_curves_give_one_loss_curve_per_ratio():
    curves = teacher_forcing_curves(SpellingTask(), ratios=(1.0, 0.5, 0.0), steps=5, seed=0, per="step")
    assert [curve.ratio for curve in curves] == [1.0, 0.5, 0.0]
    for curve in curves:
        assert len(curve.losses) == len(curve.accuracies) == 5 and curve.status == "finished"
        assert all(math.isfinite(loss) for loss in curve.losses) and 0 <= curve.metric <= 1
    assert curves[0].losses != curves[2].losses
    again = teacher_forcing_curves(SpellingTask(), ratios=(0.5,), steps=5, seed=0, per="step")
    assert again[0].losses == curves[1].losses


@pytest.mark.parametrize("ratios", [(1.5,), (), 0.5, ("a",), (float("nan"),)])
def test_bad_ratios_are_refused(ratios):
    with pytest.raises(ValueError, match="ratio"):
        teacher_forcing_curves(SpellingTask(), ratios=ratios, steps=2)


def test_bad_forcing_settings_are_refused():
    with pytest.raises(ValueError, match="teacher_forcing"):
        DateTask(teacher_forcing=2.0)
    with pytest.raises(ValueError, match="per"):
        DateTask(per="word")
    with pytest.raises(ValueError, match="steps"):
        teacher_forcing_curves(SpellingTask(), steps=0)


@pytest.mark.parametrize("task_class", DECODER_TASKS)
def test_time_decoding_measures_both_modes_without_touching_the_gradients(task_class):
    task = task_class()
    model = task.model(0, hidden_size=16)
    timing = time_decoding(task, model, batch_size=8, repeats=2)
    assert isinstance(timing, ParallelTiming) and timing.steps == task.max_target_length + 1
    values = (timing.teacher_forced_forward, timing.free_running_forward, timing.teacher_forced_training,
              timing.free_running_training)
    assert all(value > 0 for value in values)
    assert timing.forward_ratio == pytest.approx(timing.free_running_forward / timing.teacher_forced_forward)
    assert all(parameter.grad is None for parameter in model.parameters())
