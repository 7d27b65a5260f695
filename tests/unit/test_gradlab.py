"""Gradient lab: settings validation, the recorder against autograd and analytic cases, runs end to end."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

from rnnviz import gradlab
from rnnviz.core.recurrent import Recurrent
from rnnviz.gradlab import GradientRecorder, RunSettings, build_model, profile_bound, train_run
from rnnviz.probes.jacobians import mean_state_jacobian
from rnnviz.training.loop import TrainConfig, make_optimizer

SMALL = RunSettings(task="adding", length=12, hidden_size=8, record_every=5).replace(batch_size=16, steps=20)


@pytest.mark.parametrize(("changes", "message"), [
    ({"task": "sorting"}, "task must be one of"),
    ({"length": 501}, r"length \(T\) must be at most 500"),
    ({"length": 1}, "length"),
    ({"cell": "transformer"}, "cell must be one of"),
    ({"hidden_size": 0}, "hidden size"),
    ({"hidden_size": 257}, "hidden size"),
    ({"num_layers": 5}, "layers"),
    ({"init": "zeros"}, "initialization must be one of"),
    ({"init_scale": 0.0}, "scale"),
    ({"spectral_radius": -1.0}, "spectral radius"),
    ({"forget_bias": 1.0}, "needs a gated cell"),
    ({"cell": "lstm", "forget_bias": 11.0}, "forget-gate bias"),
    ({"clip": "sometimes"}, "clip must be one of"),
    ({"clip_threshold": 0.0}, "clip threshold"),
    ({"tbptt": 0}, "truncated BPTT k"),
    ({"tbptt": 13}, "the sequence has 12 steps"),
    ({"optimizer": "lbfgs"}, "optimizer must be one of"),
    ({"learning_rate": 2.0}, "learning rate"),
    ({"learning_rate": float("nan")}, "learning rate"),
    ({"momentum": 1.0}, "momentum"),
    ({"steps": 5001}, "steps"),
    ({"batch_size": 0}, "batch size"),
    ({"record_every": 21}, "record every"),
    ({"seed": -1}, "seed"),
    ({"steps": 2.5}, "steps must be an integer"),
    ({"tbptt": (3, 4)}, r"\(k, k\)"),
    ({"weight_decay": 1.5}, "weight_decay"),
    ({"seconds": -1.0}, "seconds"),
    ({"train": {"steps": 20}}, "TrainConfig"),
])
def test_out_of_range_settings_are_rejected_with_a_clear_message(changes, message):
    with pytest.raises(ValueError, match=message):
        SMALL.replace(**changes)


def test_settings_map_onto_the_training_config_and_a_readable_label():
    settings = SMALL.replace(cell="rnn-relu", init="identity", clip="norm", clip_threshold=0.5, tbptt=4,
                             optimizer="sgd", momentum=0.9)
    config = settings.train
    assert (config.clip, config.clip_threshold, config.tbptt, config.momentum) == ("norm", 0.5, (4, 4), 0.9)
    assert settings.tbptt_k == 4 and SMALL.tbptt_k is None and SMALL.train.batch_size == 16
    adam = make_optimizer([torch.nn.Parameter(torch.zeros(2))], SMALL.replace(momentum=0.9).train)
    assert "momentum" not in adam.param_groups[0]  # Adam has no momentum knob
    assert settings.label() == "ReLU RNN · identity×1 · T=12 · clip norm 0.5 · k=4"
    assert SMALL.replace(task="copy", length=12).num_steps == 22  # 5 symbols, the delay, 5 answers
    assert SMALL.replace(steps=3).record_every == 3
    assert SMALL.replace(steps=3).train == SMALL.train.replace(steps=3)  # one knob changes, the rest stay
    given = RunSettings(length=12, hidden_size=8, train=TrainConfig(steps=20, batch_size=16, learning_rate=3e-3))
    assert given == SMALL.replace(record_every=10)


def test_build_model_applies_the_initialization_the_forget_bias_and_the_seed():
    model, _task = build_model(SMALL.replace(cell="rnn-relu", init="identity", init_scale=0.5))
    assert torch.equal(model.recurrent.cells[0].weight_hh, 0.5 * torch.eye(8))
    lstm, _ = build_model(SMALL.replace(cell="lstm", forget_bias=2.0))
    cell = lstm.recurrent.cells[0]
    assert torch.equal(cell.bias_ih[8:16] + cell.bias_hh[8:16], torch.full((8,), 2.0))
    first, second = build_model(SMALL.replace(init="normal"))[0], build_model(SMALL.replace(init="normal"))[0]
    other = build_model(SMALL.replace(init="normal", seed=1))[0]
    assert all(torch.equal(a, b) for a, b in zip(first.parameters(), second.parameters()))
    assert not torch.equal(first.recurrent.cells[0].weight_hh, other.recurrent.cells[0].weight_hh)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru", "sru"])
def test_profile_equals_autograd_on_the_explicit_unroll_and_leaves_grads_alone(kind):
    settings = SMALL.replace(cell=kind, num_layers=2)
    model, task = build_model(settings)
    recorder = GradientRecorder(model, task, settings)
    batch = task.sample(4, torch.Generator().manual_seed(0))
    model.zero_grad()
    task.loss(model(batch.inputs), batch).backward()
    grads = [p.grad.clone() for p in model.parameters()]
    snapshot = recorder.measure(step=3)
    assert all(torch.equal(p.grad, g) for p, g in zip(model.parameters(), grads))
    # Independent reference: a hand-written two-layer loop, then torch.autograd.grad.
    probe, (lower, top) = recorder.probe, model.recurrent.cells
    lower_state = top_state = None
    nodes, outputs = [], []
    for t in range(probe.inputs.shape[1]):
        below = lower(probe.inputs[:, t], lower_state)
        above = top(below.h, top_state)
        lower_state, top_state = below.state, above.state
        nodes.append(above.state if kind == "sru" else above.h)
        outputs.append(above.h)
    loss = task.loss(model.head(torch.stack(outputs, dim=1)), probe)
    reference = np.array([float(g.norm()) for g in torch.autograd.grad(loss, nodes)])
    np.testing.assert_allclose(snapshot.profile, reference, rtol=1e-4, atol=1e-9)
    assert snapshot.probe_loss == pytest.approx(float(loss.detach()), rel=1e-5)


@pytest.mark.parametrize("scale", [0.8, 1.0, 1.1])
def test_analytic_relu_identity_case_gives_powers_of_the_scale_and_a_tight_bound(scale):
    settings = SMALL.replace(cell="rnn-relu", init="identity", init_scale=scale, length=15)
    model, task = build_model(settings)
    with torch.no_grad():
        model.recurrent.cells[0].weight_ih.abs_()  # positive inputs keep every ReLU in its linear part
        model.recurrent.cells[0].bias_ih.fill_(0.1)
    snapshot = GradientRecorder(model, task, settings).measure(step=0)
    expected = snapshot.profile[-1] * scale ** np.arange(14, -1, -1)
    np.testing.assert_allclose(snapshot.profile, expected, rtol=1e-4)
    np.testing.assert_allclose(profile_bound(snapshot), snapshot.profile, rtol=1e-4)  # W = aI: the bound is exact
    assert snapshot.rate == pytest.approx(scale)
    assert snapshot.sigmas["σ_max(mean Jacobian)"] == pytest.approx(scale, rel=1e-5)


def test_bound_adds_the_direct_gradient_of_every_later_step():
    snapshot = gradlab.Snapshot(0, np.ones(3), np.array([1.0, 0.0, 2.0]), {}, rate=0.5, probe_loss=0.0)
    np.testing.assert_allclose(profile_bound(snapshot), [1.0 + 0.5 * 0.5 * 2.0, 0.5 * 2.0, 2.0])
    gated = gradlab.Snapshot(0, np.ones(3), np.ones(3), {}, rate=None, probe_loss=0.0)
    assert profile_bound(gated) is None


def test_mean_jacobian_matches_the_closed_form_of_a_tanh_rnn():
    torch.manual_seed(0)
    layer = Recurrent("rnn", 3, 5)
    x = torch.randn(2, 4, 3)
    jacobian = mean_state_jacobian(layer, x, positions=1000)
    hidden = layer(x, trace=True).trace[0]["forward"].hidden  # (B, T, H)
    slope = (1 - hidden[:, 1:] ** 2).reshape(-1, 5).mean(0)
    torch.testing.assert_close(jacobian, slope[:, None] * layer.cells[0].weight_hh.detach())
    assert mean_state_jacobian(Recurrent("lstm", 3, 5), x).shape == (10, 10)  # (h, c)
    sru = mean_state_jacobian(Recurrent("sru", 3, 5), x)
    assert torch.equal(sru, torch.diag(torch.diagonal(sru)))  # elementwise recurrence


def test_truncated_profile_is_exactly_zero_beyond_k_in_every_snapshot():
    recording = train_run(SMALL.replace(cell="gru", tbptt=4, steps=10))
    assert len(recording.snapshots) == 3  # steps 0, 5, 10
    for snapshot in recording.snapshots:
        assert (snapshot.profile[:8] == 0).all() and (snapshot.profile[8:] > 0).all()


def test_clipping_by_norm_bounds_every_post_clip_norm():
    recording = train_run(SMALL.replace(init="normal", init_scale=3.0, clip="norm", clip_threshold=0.05))
    arrays = gradlab.history_arrays(recording)
    assert (arrays["clipped_grad_norm"] <= 0.05 * (1 + 1e-5)).all()
    assert (arrays["grad_norm"] > 0.05).any()


def test_a_diverging_run_stops_with_its_step_and_keeps_its_last_finite_state():
    settings = SMALL.replace(init="normal", init_scale=3.0, optimizer="sgd", learning_rate=1.0, length=30,
                             steps=200, record_every=1)
    recording = train_run(settings)
    assert recording.result.status == "diverged"
    step = recording.diverged_at
    assert recording.result.message.startswith(f"diverged at step {step}")
    assert len(recording.history) == step - 1 and np.isfinite([i.loss for i in recording.history]).all()
    assert recording.snapshots[-1].step == step - 1


def test_stop_flag_ends_the_run_and_records_the_last_weights():
    stop = threading.Event()

    class StopAfterSeven:
        def on_step_end(self, info):
            if info.step == 7:
                stop.set()

    recording = train_run(SMALL, callbacks=[StopAfterSeven()], stop=stop)
    assert recording.result.status == "stopped" and len(recording.history) == 7
    assert [s.step for s in recording.snapshots] == [0, 5, 7]


def test_recording_series_line_up_with_the_snapshots():
    recording = train_run(SMALL.replace(cell="lstm"))
    steps, grid = gradlab.heatmap_data(recording)
    assert steps == [0, 5, 10, 15, 20] and grid.shape == (5, 12)
    sigma_steps, series = gradlab.sigma_series(recording)
    assert sigma_steps == steps and set(series) == {"σ_max(input)", "σ_max(forget)", "σ_max(candidate)",
                                                   "σ_max(output)", "σ_max(mean Jacobian)", gradlab.MEASURED_FACTOR}
    snapshot = recording.snapshots[-1]  # the measured factor: what one step back multiplied the gradient by
    expected = (snapshot.profile[0] / snapshot.profile[-1]) ** (1 / 11)
    assert series[gradlab.MEASURED_FACTOR][-1] == pytest.approx(expected, rel=1e-9)
    arrays = gradlab.history_arrays(recording)
    assert list(arrays["step"]) == list(range(1, 21)) and np.isfinite(arrays["accuracy"]).all()


def test_the_measured_factor_is_a_gap_where_the_profile_cannot_give_one():
    assert gradlab.factor_per_step(np.array([1e-8, 1.0, 1.0])) == pytest.approx(1e-4)
    assert np.isnan(gradlab.factor_per_step(np.array([0.0, 1.0])))  # exactly 0: truncated or saturated
    assert np.isnan(gradlab.factor_per_step(np.array([np.inf, 1.0])))


def test_job_target_runs_in_a_background_job_and_fills_its_extras():
    from rnnviz.training.jobs import Job, JobSlots

    job = Job(gradlab.job_target(SMALL), JobSlots(1), SMALL.train.steps).start()
    assert job.wait(60)
    assert job.status == "finished" and len(job.history) == SMALL.train.steps
    assert job.extras["recording"].result is job.result


def test_the_time_estimate_grows_with_the_work_and_flags_a_huge_run():
    small = gradlab.estimated_seconds(SMALL)
    assert gradlab.estimated_seconds(SMALL.replace(steps=40, record_every=5)) > small
    assert gradlab.estimated_seconds(SMALL.replace(hidden_size=256)) > small
    huge = SMALL.replace(task="copy", length=500, cell="lstm", hidden_size=256, num_layers=4, batch_size=256,
                         steps=5000, record_every=10)
    assert gradlab.estimated_seconds(huge) > 3600 > 60 > small
