"""Each preset shows its claim at the settings the page ships, over several seeds.

The float numbers of a chaotic training run change with the machine (AVX-512 or not, the BLAS
kernel, the thread count): a run tuned to pass on one CPU is no test. A CPU change moves a run
about as much as another seed does, so every claim is checked on SEEDS at the shipped settings.
The margins quoted in the docstrings were measured over seeds 0-4 on three CPU kernels
(ATEN_CPU_CAPABILITY=avx512, avx2 and default, MKL_ENABLE_INSTRUCTIONS to match), and over seeds
0-19 on AVX-512 for presets 3 and 4.

Two claims ride on a long chaotic trajectory: preset 3's loss wanders for 100-1000 steps before it
settles on the baseline, with rare excursions after; preset 4 learns at step 320-1130. No run
measured at the shipped steps missed them (apart from seeds 9 and 10 of preset 3, whose first loss
is already below twice the baseline, so it cannot halve), but a few in a hundred may: for those two
claims at least 2 of the 3 seeds must show it; for every other claim all of them must.

Runs measure the gradient at the first and last steps only (record_every = steps): the training is
the same bit for bit (tested below), the page just draws more columns. Claims that a task gets
learned stop a run once its smoothed loss is below LEARNED x baseline: the same verdict as the whole
run, which reads the best smoothed loss.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from rnnviz.gradlab.presets import LEARNED, PRESETS, Expectation, check, gradient_ratio, moving_average, preset
from rnnviz.gradlab.recorder import Recording, RunSettings, train_run

SEEDS = (0, 1, 2)  # 0 is the page's own seed


class StopWhenLearned:
    """Stop a run as soon as its 20-step mean loss is below LEARNED x baseline (the claim then holds)."""

    def __init__(self, baseline: float, stop: threading.Event) -> None:
        self.baseline, self.stop, self.losses = baseline, stop, []

    def on_step_end(self, info) -> None:
        self.losses.append(info.loss)
        if len(self.losses) >= 20 and moving_average(np.array(self.losses[-20:]))[-1] < LEARNED * self.baseline:
            self.stop.set()


def shipped(settings: RunSettings, seed: int) -> RunSettings:
    """The page's settings with `seed`, measuring the gradient at the first and the last step only."""
    return settings.replace(seed=seed, record_every=settings.train.steps)


def run_until_learned(settings: RunSettings) -> Recording:
    """Train until the loss shows the task learned (or the preset's steps run out)."""
    stop = threading.Event()
    return train_run(settings, callbacks=[StopWhenLearned(settings.make_task().baseline_loss, stop)], stop=stop)


def failed_claims(expectation: Expectation, recording: Recording) -> list[str]:
    """The sentences of the claim this run does not show (empty: it shows all of it)."""
    checks = check(expectation, recording)
    assert checks, "the expectation checks nothing"
    return [sentence for sentence, holds in checks if not holds]


def assert_shown(expectation: Expectation, recordings: dict[int, Recording], at_least: int | None = None) -> None:
    """Every seed's run (or at least `at_least` of them) shows the whole claim; the message says what failed."""
    failed = {seed: failed_claims(expectation, recording) for seed, recording in recordings.items()}
    shown = sum(not sentences for sentences in failed.values())
    assert shown >= (len(recordings) if at_least is None else at_least), failed


def test_every_preset_is_valid_data_with_a_sentence_to_read() -> None:
    """Six presets on seed 0, a sentence each, a claim for each contrast; preset 7 is refused."""
    assert [p.number for p in PRESETS] == [1, 2, 3, 4, 5, 6]
    for item in PRESETS:
        assert item.look_for.endswith(".") and len(item.look_for) < 320
        assert item.settings.train.seed == 0 and (item.contrast is None) == (item.contrast_expect is None)
    with pytest.raises(ValueError, match="presets 1 to 6"):
        preset(7)


def test_presets_1_and_5_and_presets_2_and_3_are_each_others_contrast() -> None:
    """So one set of runs checks both sides: the tests of presets 1, 2, 3 and 5 check their partner's contrast."""
    assert preset(1).contrast == preset(5).settings and preset(5).contrast == preset(1).settings
    assert preset(2).contrast == preset(3).settings and preset(3).contrast == preset(2).settings


def test_measuring_less_often_leaves_the_training_bit_for_bit_the_same() -> None:
    """record_every changes what is drawn, never the run: the losses and the last profile are equal."""
    settings = preset(3).settings.replace(steps=60, record_every=5)
    often, rarely = train_run(settings), train_run(settings.replace(record_every=60))
    assert [i.loss for i in often.history] == [i.loss for i in rarely.history]
    assert np.array_equal(often.snapshots[-1].profile, rarely.snapshots[-1].profile)
    assert len(often.snapshots) == 13 and len(rarely.snapshots) == 2


@pytest.mark.slow
def test_preset_1_vanilla_tanh_vanishes_and_does_not_learn() -> None:
    """Best smoothed loss 85-95 % of the baseline (claim: >= 50 %); gradient ratio <= 2e-5 at the end (<= 1e-3)."""
    recordings = {seed: train_run(shipped(preset(1).settings, seed)) for seed in SEEDS}
    assert_shown(preset(1).expect, recordings)
    assert_shown(preset(5).contrast_expect, recordings)
    for recording in recordings.values():  # the sentence says about 10^-10 at the start: 2e-14 to 2e-10 measured
        assert gradient_ratio(recording.snapshots[0].profile) < 1e-8


def test_preset_2_explodes_and_stops_at_the_step_it_diverged() -> None:
    """Diverges at step 17-26 of 300 after the raw gradient norm grew by 1e15 or more (asserted: 1e6)."""
    recordings = {seed: train_run(preset(2).settings.replace(seed=seed)) for seed in SEEDS}
    assert_shown(preset(2).expect, recordings)
    assert_shown(preset(3).contrast_expect, recordings)
    assert all(failed_claims(preset(3).expect, r) for r in recordings.values())  # clipping is what rescues it
    for recording in recordings.values():
        raw = [info.grad_norm for info in recording.history]
        assert raw[-1] > 1e6 * raw[0]
        assert recording.snapshots[-1].step == recording.diverged_at - 1  # the last finite state is shown


@pytest.mark.slow
def test_preset_3_clipping_keeps_the_same_run_alive() -> None:
    """Last-tenth loss 0.99-1.06 x the baseline on seeds 0-2 (claim: <= 1.25); the raw norm still passes 0.1."""
    recordings = {seed: train_run(shipped(preset(3).settings, seed)) for seed in SEEDS}
    assert_shown(preset(2).contrast_expect, recordings)  # finished, clipped: no exception to this one
    assert_shown(preset(3).expect, recordings, at_least=2)  # the loss settles after 100-1000 steps of wandering


@pytest.mark.slow
def test_preset_4_irnn_learns_the_adding_problem_at_t_100() -> None:
    """Learned (smoothed loss < 10 % of the baseline) by step 320-1130 of 1600; seed 0 by step 345-470."""
    recordings = {seed: run_until_learned(shipped(preset(4).settings, seed)) for seed in SEEDS}
    assert_shown(preset(4).expect, recordings, at_least=2)


@pytest.mark.slow
def test_preset_4_contrast_tanh_normal_does_not() -> None:
    """Best smoothed loss 90-94 % of the baseline in 1600 steps (claim: never below 50 %)."""
    # Two seeds: the widest margin of all claims (0.90-0.94 over 18 runs) on the longest run (~15 s each).
    recordings = {seed: train_run(shipped(preset(4).contrast, seed)) for seed in SEEDS[:2]}
    assert_shown(preset(4).contrast_expect, recordings)
    assert all(failed_claims(preset(4).expect, r) for r in recordings.values())  # the check tells them apart


@pytest.mark.slow
def test_preset_5_lstm_gradient_reaches_t_0_where_tanh_vanished() -> None:
    """Gradient ratio 0.06-0.19 at the end (claim: >= 1e-3); best smoothed loss 0.4-1.1 % of the baseline."""
    recordings = {seed: train_run(shipped(preset(5).settings, seed)) for seed in SEEDS}
    assert_shown(preset(5).expect, recordings)
    assert_shown(preset(1).contrast_expect, recordings)
    assert_shown(Expectation(learned=True), recordings)  # the sentence says the loss drops below the baseline


@pytest.mark.slow
def test_preset_6_truncation_zeroes_the_old_steps_and_the_task_fails() -> None:
    """Every profile exactly 0 before T - k (by construction); best smoothed loss >= 99.8 % of the baseline."""
    recordings = {seed: train_run(shipped(preset(6).settings, seed)) for seed in SEEDS}
    assert_shown(preset(6).expect, recordings)


@pytest.mark.slow
def test_preset_6_contrast_full_backpropagation_learns() -> None:
    """Best smoothed loss 0.08-0.3 % of the baseline within 400 steps (claim: below 10 %)."""
    recordings = {seed: run_until_learned(shipped(preset(6).contrast, seed)) for seed in SEEDS}
    assert_shown(preset(6).contrast_expect, recordings)
