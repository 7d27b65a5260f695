"""The training loop: clipping, divergence guard, stop, determinism, truncated BPTT."""

from __future__ import annotations

import argparse
import dataclasses
import threading

import pytest
import torch

from rnnviz.core.randomness import linear, make_generator
from rnnviz.core.recurrent import Recurrent
from rnnviz.training.flags import add_train_arguments, train_config_from
from rnnviz.training.loop import TrainConfig, clip_gradients, fit


def regression_setup(seed: int = 0):
    """A small GRU regressing the mean of its inputs; returns (model, head, loss_fn, sampler)."""
    weights = make_generator(seed)
    model = Recurrent("gru", 2, 8, generator=weights)
    head = linear(8, 1, generator=weights)

    def loss_fn(batch, tbptt):
        x, y = batch
        prediction = head(model(x, tbptt=tbptt).output[:, -1]).squeeze(1)
        return torch.nn.functional.mse_loss(prediction, y), {"mean_prediction": prediction.mean()}

    def sampler(generator):
        x = torch.rand(16, 6, 2, generator=generator)
        return x, x.mean(dim=(1, 2))

    return model, head, loss_fn, sampler


def parameters_of(*modules):
    """All parameters of several modules."""
    return [p for module in modules for p in module.parameters()]


def test_training_lowers_the_loss_and_reports_every_step():
    model, head, loss_fn, sampler = regression_setup()
    seen = []

    class Recorder:
        def on_step_end(self, info):
            seen.append(info)

    result = fit(parameters_of(model, head), loss_fn, sampler, TrainConfig(steps=60, learning_rate=0.02),
                 callbacks=[Recorder()])
    assert result.status == "finished" and result.steps_done == 60
    assert [info.step for info in seen] == list(range(1, 61))
    assert sum(i.loss for i in seen[-10:]) < 0.3 * sum(i.loss for i in seen[:10])
    assert "mean_prediction" in seen[0].metrics


def test_same_seed_reproduces_bit_for_bit_and_other_seeds_differ():
    def run(seed):
        model, head, loss_fn, sampler = regression_setup(seed=0)
        result = fit(parameters_of(model, head), loss_fn, sampler, TrainConfig(steps=15, seed=seed))
        return [info.loss for info in result.history], [p.detach().clone() for p in parameters_of(model, head)]

    losses_a, weights_a = run(7)
    losses_b, weights_b = run(7)
    losses_c, _ = run(8)
    assert losses_a == losses_b
    assert all(torch.equal(a, b) for a, b in zip(weights_a, weights_b))
    assert losses_a != losses_c


def test_clipping_by_norm_bounds_the_post_clip_norm():
    parameter = torch.nn.Parameter(torch.zeros(10))
    parameter.grad = torch.full((10,), 100.0)
    before, after = clip_gradients([parameter], "norm", 1.5)
    assert before == pytest.approx(100.0 * 10 ** 0.5)
    assert after <= 1.5 + 1e-5
    assert float(parameter.grad.norm()) == pytest.approx(after)


def test_clipping_by_value_bounds_every_component():
    parameter = torch.nn.Parameter(torch.zeros(4))
    parameter.grad = torch.tensor([-9.0, 0.2, 3.0, -0.1])
    clip_gradients([parameter], "value", 0.5)
    assert torch.equal(parameter.grad, torch.tensor([-0.5, 0.2, 0.5, -0.1]))


def test_training_with_clipping_reports_both_norms():
    model, head, loss_fn, sampler = regression_setup()
    config = TrainConfig(steps=5, clip="norm", clip_threshold=1e-3)
    result = fit(parameters_of(model, head), loss_fn, sampler, config)
    assert all(i.clipped_grad_norm <= 1e-3 + 1e-7 < i.grad_norm for i in result.history)


def test_non_finite_loss_ends_the_run_and_keeps_the_last_finite_weights():
    model, head, loss_fn, sampler = regression_setup()
    snapshots = []

    def poisoned(batch, tbptt):
        loss, metrics = loss_fn(batch, tbptt)
        snapshots.append([p.detach().clone() for p in parameters_of(model, head)])
        return (loss * float("nan") if len(snapshots) == 4 else loss), metrics

    result = fit(parameters_of(model, head), poisoned, sampler, TrainConfig(steps=10))
    assert result.status == "diverged" and result.steps_done == 3
    assert "diverged at step 4" in result.message
    for parameter, saved in zip(parameters_of(model, head), snapshots[-1]):
        assert torch.equal(parameter, saved) and torch.isfinite(parameter).all()


def test_exploding_weights_are_rolled_back():
    model, head, loss_fn, sampler = regression_setup()
    config = TrainConfig(steps=50, optimizer="sgd", learning_rate=1e30)
    result = fit(parameters_of(model, head), loss_fn, sampler, config)
    assert result.status == "diverged"
    assert all(torch.isfinite(p).all() for p in parameters_of(model, head))


def test_stop_event_ends_the_run_cleanly():
    model, head, loss_fn, sampler = regression_setup()
    stop = threading.Event()

    class StopAtFive:
        def on_step_end(self, info):
            if info.step == 5:
                stop.set()

    result = fit(parameters_of(model, head), loss_fn, sampler, TrainConfig(steps=50), [StopAtFive()], stop)
    assert result.status == "stopped" and result.steps_done == 5


def test_truncated_bptt_reaches_the_loss_function_and_changes_gradients():
    model, head, loss_fn, sampler = regression_setup()
    received = []

    def spy(batch, tbptt):
        received.append(tbptt)
        return loss_fn(batch, tbptt)

    full = fit(parameters_of(model, head), spy, sampler, TrainConfig(steps=1))
    model, head, loss_fn, sampler = regression_setup()
    cut = fit(parameters_of(model, head), spy, sampler, TrainConfig(steps=1, tbptt=(1, 1)))
    assert received == [None, (1, 1)]
    assert full.history[0].loss == cut.history[0].loss
    assert full.history[0].grad_norm != cut.history[0].grad_norm


@pytest.mark.parametrize("changes, message", [
    ({"steps": 0}, "steps"), ({"optimizer": "lbfgs"}, "optimizer"), ({"clip": "sometimes"}, "clip"),
    ({"learning_rate": -1.0}, "learning_rate"), ({"learning_rate": float("nan")}, "learning_rate"),
    ({"clip_threshold": 0.0}, "clip_threshold"), ({"momentum": 1.5}, "momentum"), ({"tbptt": (5, 2)}, "k2 >= k1"),
    ({"batch_size": 0}, "batch_size"), ({"seconds": 0.0}, "seconds"), ({"seconds": float("inf")}, "seconds"),
])
def test_bad_settings_are_rejected_with_a_message(changes, message):
    model, head, loss_fn, sampler = regression_setup()
    with pytest.raises(ValueError, match=message):
        fit(parameters_of(model, head), loss_fn, sampler, TrainConfig(**changes))


def test_iterable_batches_are_accepted():
    model, head, loss_fn, sampler = regression_setup()
    generator = torch.Generator().manual_seed(0)
    batches = [sampler(generator) for _ in range(3)]
    assert fit(parameters_of(model, head), loss_fn, batches, TrainConfig(steps=3)).steps_done == 3


def test_callbacks_get_the_optimizer_first_and_can_schedule_the_learning_rate():
    model, head, loss_fn, sampler = regression_setup()
    seen = []

    class Halve:
        def on_train_begin(self, optimizer):
            self.optimizer = optimizer

        def on_step_end(self, info):
            for group in self.optimizer.param_groups:
                group["lr"] *= 0.5
            seen.append(self.optimizer.param_groups[0]["lr"])

    fit(parameters_of(model, head), loss_fn, sampler, TrainConfig(steps=3, learning_rate=0.04), callbacks=[Halve()])
    assert seen == [0.02, 0.01, 0.005]


def test_a_time_budget_ends_the_run_as_finished():
    model, head, loss_fn, sampler = regression_setup()
    result = fit(parameters_of(model, head), loss_fn, sampler, TrainConfig(steps=100_000, seconds=0.2))
    assert result.status == "finished" and "time budget of 0.2 s" in result.message
    assert 0 < result.steps_done < 100_000 and result.history[-1].seconds >= 0.2


def test_one_knob_changes_with_replace_and_a_config_stays_as_built():
    config = TrainConfig(tbptt=[3, 4])
    assert config.tbptt == (3, 4) and config.replace(steps=5) == TrainConfig(steps=5, tbptt=(3, 4))
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.steps = 7


def test_command_lines_take_the_training_knobs_and_their_defaults_from_one_config():
    defaults = TrainConfig(steps=7, learning_rate=0.5, batch_size=4)
    parser = argparse.ArgumentParser()
    add_train_arguments(parser, defaults, {"steps": "s", "batch_size": "b", "learning_rate": "lr", "seed": "seed"},
                        unset=("learning_rate",))
    assert parser.parse_args([]).steps == 7 and parser.parse_args([]).learning_rate is None
    args = parser.parse_args(["--batch", "3", "--seed", "9"])
    assert train_config_from(args, defaults) == defaults.replace(batch_size=3, seed=9)
    assert train_config_from(parser.parse_args(["--batch-size", "5", "--lr", "0.1"]), defaults, ("batch_size",)) \
        == defaults.replace(batch_size=5)


def test_a_run_of_one_step_says_one_step_not_one_steps():
    model, head, loss_fn, sampler = regression_setup()
    stop = threading.Event()

    class StopAtOne:
        def on_step_end(self, info):
            stop.set()

    stopped = fit(parameters_of(model, head), loss_fn, sampler, TrainConfig(steps=50), [StopAtOne()], stop)
    assert stopped.message == "stopped by the user after 1 step"
    finished = fit(parameters_of(model, head), loss_fn, sampler, TrainConfig(steps=1))
    assert finished.message == "finished 1 step"
