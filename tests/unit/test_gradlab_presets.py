"""Each preset shows what it claims, with as few steps as the claim needs (runs stop once it holds)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from rnnviz.gradlab.recorder import train_run
from rnnviz.gradlab.presets import LEARNED, PRESETS, Expectation, check, moving_average, preset, summarize


class StopWhenLearned:
    """Stop a run as soon as its 20-step mean loss is below LEARNED x baseline (the claim then holds)."""

    def __init__(self, baseline: float, stop: threading.Event) -> None:
        self.baseline, self.stop, self.losses = baseline, stop, []

    def on_step_end(self, info) -> None:  # noqa: ANN001
        self.losses.append(info.loss)
        if len(self.losses) >= 20 and moving_average(np.array(self.losses[-20:]))[-1] < LEARNED * self.baseline:
            self.stop.set()


def run_until_learned(settings):
    """Train until the loss shows the task learned (or the preset's steps run out)."""
    stop = threading.Event()
    return train_run(settings, callbacks=[StopWhenLearned(settings.make_task().baseline_loss, stop)], stop=stop)


def assert_claims(expectation: Expectation, recording) -> None:
    """Every part of the claim holds; the message lists this run's numbers."""
    checks = check(expectation, recording)
    assert checks and all(holds for _, holds in checks), checks


def test_every_preset_is_valid_data_with_a_sentence_to_read():
    assert [p.number for p in PRESETS] == [1, 2, 3, 4, 5, 6]
    for item in PRESETS:
        assert item.look_for.endswith(".") and len(item.look_for) < 320
        assert item.settings.train.seed == 0 and (item.contrast is None) == (item.contrast_expect is None)
    with pytest.raises(ValueError, match="presets 1 to 6"):
        preset(7)


def test_preset_1_vanilla_tanh_vanishes_and_does_not_learn():
    recording = train_run(preset(1).settings.replace(steps=80, record_every=40))
    assert_claims(preset(1).expect, recording)
    assert summarize(recording).gradient_ratio < 1e-6  # orders of magnitude, not a little


def test_preset_2_explodes_and_stops_at_the_step_it_diverged():
    recording = train_run(preset(2).settings)
    assert_claims(preset(2).expect, recording)
    raw = [info.grad_norm for info in recording.history]
    assert raw[-1] > 1e6 * raw[0]  # the gradient norm climbed by orders of magnitude first
    assert recording.snapshots[-1].step == recording.diverged_at - 1  # the last finite state is shown


@pytest.mark.slow
def test_preset_3_clipping_keeps_the_same_run_alive():
    recording = train_run(preset(3).settings.replace(steps=350, record_every=350))  # falls from step ~220
    assert_claims(preset(3).expect, recording)


@pytest.mark.slow
def test_preset_4_irnn_learns_the_adding_problem_at_t_100():
    recording = run_until_learned(preset(4).settings.replace(record_every=800))
    assert_claims(preset(4).expect, recording)


def test_preset_4_contrast_tanh_normal_does_not():
    recording = train_run(preset(4).contrast.replace(steps=150, record_every=150))
    assert_claims(preset(4).contrast_expect, recording)


@pytest.mark.slow
def test_preset_5_lstm_gradient_reaches_t_0_where_tanh_vanished():
    recording = run_until_learned(preset(5).settings.replace(record_every=1000))
    assert_claims(preset(5).expect, recording)
    assert summarize(recording).verdict == "learned"


def test_preset_6_truncation_zeroes_the_old_steps_and_the_task_fails():
    recording = train_run(preset(6).settings.replace(steps=100))
    assert_claims(preset(6).expect, recording)


@pytest.mark.slow
def test_preset_6_contrast_full_backpropagation_learns():
    recording = run_until_learned(preset(6).contrast.replace(record_every=400))
    assert_claims(preset(6).contrast_expect, recording)
