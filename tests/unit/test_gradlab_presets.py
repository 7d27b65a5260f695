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

Every check reads the whole recorded history (issue 17 item 6): a gradient claim must hold at every
measurement it covers, so the runs here record as often as the page does (its `record_every`); the
training is the same bit for bit whatever it is (tested below). The ranges quoted in the preset
sentences were measured on seeds 0-4 by bench/presets.py; the unit tests at the end check the check
function itself on made-up histories, so a regression shows without training anything.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from rnnviz.gradlab.presets import LEARNED, PRESETS, Expectation, check, moving_average, preset, ratio_series, summarize
from rnnviz.gradlab.recorder import MEASURED_FACTOR, Recording, RunSettings, Snapshot, sigma_series, train_run
from rnnviz.training.loop import StepInfo, TrainResult

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
    """The page's settings with `seed`, measuring the gradient as often as the page does."""
    return settings.replace(seed=seed)


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


def runs_of(settings: RunSettings, seeds: tuple[int, ...] = SEEDS) -> dict[int, Recording]:
    """The page's run of these settings on each seed."""
    return {seed: train_run(shipped(settings, seed)) for seed in seeds}


@pytest.mark.slow
def test_preset_1_vanilla_tanh_vanishes_for_the_whole_run_and_does_not_learn() -> None:
    """Ratio 10^-15.6 .. 10^-5.4 at every measurement of seeds 0-4 (claim: <= 1e-3); best loss 86-93 % (>= 50 %)."""
    recordings = runs_of(preset(1).settings)
    assert_shown(preset(1).expect, recordings)
    assert_shown(preset(5).contrast_expect, recordings)
    for recording in recordings.values():  # the sentence: 10^-16 .. 10^-5 for the whole run, never exactly 0
        _, ratios = ratio_series(recording)
        assert (ratios > 1e-17).all() and (ratios < 1e-4).all()
        factors = np.array(sigma_series(recording)[1][MEASURED_FACTOR])
        assert (factors > 0.4).all() and (factors < 0.85).all()  # "each step back keeps 0.5-0.8 of it"


def test_preset_2_explodes_at_the_start_then_saturates_and_stops_at_the_step_it_diverged() -> None:
    """Start ratio 10^2.1 .. 10^4.0 (claim: >= 10); diverges at step 20-26 on seeds 0-4, 17-26 on other CPUs."""
    recordings = runs_of(preset(2).settings, SEEDS[:2])
    assert_shown(preset(2).expect, recordings)
    assert_shown(preset(3).contrast_expect, recordings)
    assert all(failed_claims(preset(3).expect, r) for r in recordings.values())  # clipping is what rescues it
    for recording in recordings.values():
        raw = [info.grad_norm for info in recording.history]
        assert raw[-1] > 1e6 * raw[0]
        assert recording.snapshots[-1].step == recording.diverged_at - 1  # the last finite state is shown
        assert 15 <= recording.diverged_at <= 30  # "around step 20"


@pytest.mark.slow
def test_preset_3_clipping_keeps_the_same_run_alive() -> None:
    """Last-tenth loss 1.01-1.12 x the baseline on seeds 0-4 (claim: <= 1.25); the raw norm still passes 0.1."""
    recordings = runs_of(preset(3).settings)
    assert_shown(preset(2).contrast_expect, recordings)  # finished, clipped: no exception to this one
    assert_shown(preset(3).expect, recordings, at_least=2)  # the loss settles after 100-1000 steps of wandering


@pytest.mark.slow
def test_preset_4_irnn_keeps_the_gradient_at_t_0_for_the_whole_run_and_learns() -> None:
    """Ratio 10^-1.6 .. 10^0.8 at every measurement (claim: >= 1e-3); loss under 10 % by step 320-1130."""
    recordings = runs_of(preset(4).settings, SEEDS[:2])
    assert_shown(preset(4).expect, recordings)
    for recording in recordings.values():  # the sentence: 10^-2 .. 10^1 for the whole run
        _, ratios = ratio_series(recording)
        assert (ratios > 10**-2.5).all() and (ratios < 10**1.5).all()


@pytest.mark.slow
def test_preset_4_contrast_tanh_normal_does_not() -> None:
    """Best smoothed loss 90-94 % of the baseline in 1600 steps (claim: never below 50 %)."""
    # Two seeds: the widest margin of all claims (0.90-0.94 over 18 runs) on the longest run (~15 s each).
    recordings = runs_of(preset(4).contrast, SEEDS[:2])
    assert_shown(preset(4).contrast_expect, recordings)
    assert all(failed_claims(preset(4).expect, r) for r in recordings.values())  # the check tells them apart


@pytest.mark.slow
def test_preset_5_lstm_gradient_reaches_t_0_from_the_step_it_learns() -> None:
    """Plateau ratio 10^-7 .. 10^-3.8; from the step the loss falls below half the baseline (317-588 on seeds 0-4)
    10^-1.5 .. 10^-0.5 (claim: >= 1e-3); last-tenth loss 0.5-1.3 %, accuracy 64-86 %: learned."""
    recordings = runs_of(preset(5).settings)
    assert_shown(preset(5).expect, recordings)
    assert_shown(preset(1).contrast_expect, recordings)
    for recording in recordings.values():
        steps, ratios = ratio_series(recording)
        assert ratios[steps <= 200].max() < 1e-3  # the plateau really is dark on the left: not a whole-run claim
        assert summarize(recording).verdict == "learned"


def test_preset_6_truncation_zeroes_the_old_steps_and_the_task_fails() -> None:
    """Every profile exactly 0 before T - k (by construction); best smoothed loss >= 99.8 % of the baseline."""
    assert_shown(preset(6).expect, runs_of(preset(6).settings, SEEDS[:2]))


@pytest.mark.slow
def test_preset_6_contrast_full_backpropagation_learns() -> None:
    """Best smoothed loss 0.08-0.3 % of the baseline within 400 steps (claim: below 10 %)."""
    recordings = {seed: run_until_learned(shipped(preset(6).contrast, seed)) for seed in SEEDS}
    assert_shown(preset(6).contrast_expect, recordings)


# The check function on recorded histories: made-up runs whose every number is known, so each test
# pins one rule of reading a whole run (issue 17 item 6) without training anything.

BASELINE = 1 / 6


def recorded(ratios: list[float], *, steps: list[int] | None = None, losses: list[float] | None = None,
             accuracy: float = float("nan"), status: str = "finished", first: list[float] | None = None) -> Recording:
    """A finished run whose profiles are [ratio, 1] at the given steps and whose loss follows `losses`."""
    settings = RunSettings(length=2, hidden_size=4).replace(steps=100, record_every=10)
    losses = losses if losses is not None else [BASELINE] * 100
    history = [StepInfo(step=i + 1, steps=len(losses), loss=loss, grad_norm=1.0, clipped_grad_norm=1.0,
                        metrics={"accuracy": accuracy}) for i, loss in enumerate(losses)]
    steps = steps if steps is not None else [10 * i for i in range(len(ratios))]
    snapshots = [Snapshot(step, np.array([ratio, 1.0]), np.ones(2), {}, None, 0.0)
                 for step, ratio in zip(steps, ratios)]
    return Recording(settings, BASELINE, history, snapshots,
                     TrainResult(status, len(history), history, status, 0.0))


def test_a_vanishing_claim_fails_when_one_measurement_mid_run_is_above_the_bound() -> None:
    """The old check read only the last measurement: this run ends vanished but showed 10^-1 at step 30."""
    expectation = Expectation(max_gradient_ratio=1e-3)
    [(sentence, holds)] = check(expectation, recorded([1e-9, 1e-8, 1e-9, 0.1, 1e-9, 1e-10]))
    assert not holds and "step 30" in sentence and "1 of 6" in sentence and "10^-1.0" in sentence
    [(sentence, holds)] = check(expectation, recorded([1e-9, 1e-8, 1e-9, 1e-5, 0.0, 1e-10]))
    assert holds and "all 6 measurements" in sentence and "whole run" in sentence and "10^-5.0 at step 30" in sentence
    assert "exactly 0 at 1" in sentence  # a saturated measurement is named, not hidden


def test_reaching_t_0_is_checked_from_the_step_the_loss_falls_and_names_that_step() -> None:
    """Preset 5: dark during the plateau, then >= 1e-3 from the step the smoothed loss is under half the baseline."""
    losses = [BASELINE] * 50 + [0.01 * BASELINE] * 50  # the 20-step mean is under half from step 61 on
    expectation = Expectation(min_gradient_ratio=1e-3, ratio_from_learning=True)
    plateau_then_open = [1e-7] * 7 + [0.1] * 4  # measured at steps 0, 10, ..., 100
    [(sentence, holds)] = check(expectation, recorded(plateau_then_open, losses=losses))
    assert holds and "from step 61 on" in sentence and "all 4 measurements" in sentence
    dips_later = [1e-7] * 7 + [0.1, 1e-5, 0.1, 0.1]
    [(sentence, holds)] = check(expectation, recorded(dips_later, losses=losses))
    assert not holds and "first at step 80" in sentence
    [(sentence, holds)] = check(expectation, recorded(plateau_then_open))  # the loss never fell
    assert not holds and "never did" in sentence
    [(_, holds)] = check(Expectation(min_gradient_ratio=1e-3), recorded(plateau_then_open, losses=losses))
    assert not holds  # over the whole run the plateau breaks it


def test_the_verdict_says_learned_only_when_the_last_tenth_loss_and_accuracy_both_say_so() -> None:
    """Issue 17: "learned" sat beside 15 % accuracy, read from a best loss the run had since lost."""
    low_loss = [BASELINE] * 50 + [0.05 * BASELINE] * 50
    assert summarize(recorded([1.0], losses=low_loss, accuracy=0.8)).verdict == "learned"
    assert summarize(recorded([1.0], losses=low_loss, accuracy=0.15)).verdict == "partly learned"
    assert summarize(recorded([1.0], losses=low_loss)).verdict == "learned"  # a task without accuracy
    learned_then_lost = [BASELINE] * 40 + [0.01 * BASELINE] * 40 + [BASELINE] * 20
    summary = summarize(recorded([1.0], losses=learned_then_lost, accuracy=0.9))
    assert summary.best_relative_loss < LEARNED and summary.verdict == "not learned"
    [(sentence, holds)] = check(Expectation(learned=True), recorded([1.0], losses=learned_then_lost))
    assert not holds and "first at step 59" in sentence and "did not stay" in sentence
    assert "last 10% of steps: 100.0%" in sentence
    [(sentence, holds)] = check(Expectation(learned=True), recorded([1.0], losses=low_loss))
    assert holds and "solved" not in sentence and "learned" not in sentence


def test_exploding_at_the_start_and_saturating_after_it_are_read_from_their_own_measurements() -> None:
    """Preset 2: the bottom row grows going back, then the gradient at t = 0 is exactly 0 (grey)."""
    expectation = Expectation(start_ratio=10.0, zero_after_start=0.5)
    run = recorded([1e3, 0.0, 0.0, 1e-9, 0.0], status="diverged")
    (start, start_holds), (zero, zero_holds) = check(expectation, run)
    assert start_holds and "10^3.0" in start and zero_holds and "3 of 4" in zero
    (_, start_holds), (_, zero_holds) = check(expectation, recorded([2.0, 1e-9, 1e-9, 0.0, 1e-9]))
    assert not start_holds and not zero_holds
