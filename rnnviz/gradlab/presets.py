"""The gradient lab's six presets, each a claim of the lecture, and the checks that a run makes it.

A `Preset` is plain data: the settings of a run, one sentence on what to look for, what the
run must show (`Expectation`), and optionally a contrast run that shows the other side
(full BPTT against truncation, tanh against IRNN, ...). `summarize(recording)` turns a run
into numbers a person can read; `check(expectation, recording)` says, claim by claim,
whether the run showed what the preset promises.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rnnviz.gradlab.recorder import Recording
from rnnviz.gradlab.settings import RunSettings
from rnnviz.training.loop import TrainConfig

LEARNED = 0.1  # a run has learned the task when its smoothed loss gets below 10% of the baseline
NOT_LEARNED = 0.5  # ... and has not when it never gets below half of it
SMOOTHING = 20  # steps in the moving average of the loss


@dataclass(frozen=True)
class RunSummary:
    """The numbers of one run that a claim or a table needs."""

    status: str  # "finished", "stopped", "diverged", or "running"
    steps_done: int
    diverged_at: int | None
    first_loss: float
    final_loss: float  # mean over the last tenth of the steps
    best_relative_loss: float  # lowest moving average of the loss / the baseline
    final_relative_loss: float
    accuracy: float  # mean task accuracy over the last tenth of the steps
    gradient_ratio: float  # ||dL/dh_0|| / ||dL/dh_T|| at the last snapshot (0 when truncated away)
    max_grad_norm: float  # before clipping
    max_clipped_norm: float  # after clipping

    @property
    def verdict(self) -> str:
        """'learned', 'partly learned' or 'not learned' from the best smoothed loss."""
        if self.best_relative_loss < LEARNED:
            return "learned"
        return "partly learned" if self.best_relative_loss < NOT_LEARNED else "not learned"


def moving_average(values: np.ndarray, window: int = SMOOTHING) -> np.ndarray:
    """Mean of each run of `window` values (all of them when there are fewer)."""
    window = max(1, min(window, len(values)))
    return np.convolve(values, np.ones(window) / window, mode="valid")


def gradient_ratio(profile: np.ndarray) -> float:
    """||dL/dh_0|| / ||dL/dh_{T-1}||: 0 when the first step gets nothing, NaN when undefined."""
    first, last = float(profile[0]), float(profile[-1])
    if not (math.isfinite(first) and math.isfinite(last)) or last == 0:
        return math.nan
    return first / last


def summarize(recording: Recording) -> RunSummary:
    """Read a run (finished or still training) into a `RunSummary`."""
    history = list(recording.history)
    snapshots = list(recording.snapshots)
    baseline = recording.baseline_loss
    losses = np.array([info.loss for info in history], dtype=np.float64)
    tail = max(1, len(history) // 10)
    if len(losses):
        final = float(losses[-tail:].mean())
        best = float(moving_average(losses).min())
        accuracy = float(np.mean([info.metrics.get("accuracy", math.nan) for info in history[-tail:]]))
    else:
        final = best = accuracy = math.nan
    result = recording.result
    return RunSummary(
        status=result.status if result else "running",
        steps_done=len(history),
        diverged_at=recording.diverged_at,
        first_loss=float(losses[0]) if len(losses) else math.nan,
        final_loss=final,
        best_relative_loss=best / baseline,
        final_relative_loss=final / baseline,
        accuracy=accuracy,
        gradient_ratio=gradient_ratio(snapshots[-1].profile) if snapshots else math.nan,
        max_grad_norm=max((info.grad_norm for info in history), default=math.nan),
        max_clipped_norm=max((info.clipped_grad_norm for info in history), default=math.nan),
    )


@dataclass(frozen=True)
class Expectation:
    """What a run must show; None means 'not part of this claim'."""

    status: str | None = None  # "finished" or "diverged"
    learned: bool | None = None  # True: best smoothed loss < LEARNED x baseline; False: never < NOT_LEARNED x
    max_gradient_ratio: float | None = None  # vanishing: ||dL/dh_0|| / ||dL/dh_T|| at most this
    min_gradient_ratio: float | None = None  # the gradient reaches t = 0: at least this
    truncated: bool = False  # every profile exactly zero before T - k and nonzero after
    clipped: bool = False  # post-clip norm within the threshold while the raw norm went above it
    loss_falls: bool = False  # final loss at most half the first and at most 1.25 x the baseline


def _power(value: float) -> str:
    """10^-7.3 style for ratios that span orders of magnitude."""
    if value == 0:
        return "exactly 0"
    if not math.isfinite(value):
        return "undefined"
    return f"10^{math.log10(value):.1f}"


def _check_truncation(recording: Recording) -> tuple[str, bool]:
    """Every snapshot: zero gradient before T - k, nonzero from T - k on."""
    k = recording.settings.tbptt_k
    snapshots = list(recording.snapshots)
    holds = bool(snapshots) and k is not None and all(
        (s.profile[: len(s.profile) - k] == 0).all() and (s.profile[len(s.profile) - k:] > 0).all()
        for s in snapshots)
    return f"the gradient is exactly 0 for every t < T − k in all {len(snapshots)} measurements", holds


def check(expectation: Expectation, recording: Recording) -> list[tuple[str, bool]]:
    """Each part of the claim as (sentence with this run's numbers, whether it holds)."""
    summary = summarize(recording)
    settings = recording.settings
    checks: list[tuple[str, bool]] = []
    if expectation.status == "diverged":
        where = f"at step {summary.diverged_at}" if summary.diverged_at else "(it did not)"
        checks.append((f"the loss became NaN/inf and training stopped {where}", summary.status == "diverged"))
    elif expectation.status == "finished":
        checks.append((f"all {settings.train.steps} steps ran with a finite loss ({summary.steps_done} done)",
                       summary.status == "finished"))
    if expectation.learned is not None:
        best = summary.best_relative_loss
        sentence = f"the smoothed loss got down to {best:.0%} of the input-blind baseline"
        holds = best < LEARNED if expectation.learned else best >= NOT_LEARNED
        checks.append((sentence + (" (solved)" if expectation.learned else " (not learned)"), bool(holds)))
    ratio = summary.gradient_ratio
    if expectation.max_gradient_ratio is not None:
        checks.append((f"‖dL/dh_0‖ / ‖dL/dh_T‖ = {_power(ratio)} at the end (vanished: below "
                       f"{_power(expectation.max_gradient_ratio)})", ratio <= expectation.max_gradient_ratio))
    if expectation.min_gradient_ratio is not None:
        checks.append((f"‖dL/dh_0‖ / ‖dL/dh_T‖ = {_power(ratio)} at the end (reaches t = 0: at least "
                       f"{_power(expectation.min_gradient_ratio)})", ratio >= expectation.min_gradient_ratio))
    if expectation.truncated:
        checks.append(_check_truncation(recording))
    if expectation.clipped:
        holds = summary.max_clipped_norm <= settings.train.clip_threshold * (1 + 1e-4) < summary.max_grad_norm
        checks.append((f"the raw gradient norm reached {summary.max_grad_norm:.3g}, after clipping it never "
                       f"exceeded {settings.train.clip_threshold:g}", bool(holds)))
    if expectation.loss_falls:
        holds = summary.final_loss <= summary.first_loss / 2 and summary.final_relative_loss <= 1.25
        checks.append((f"the loss fell from {summary.first_loss:.3g} to {summary.final_loss:.3g} "
                       f"(baseline {recording.baseline_loss:.3g})", bool(holds)))
    return checks


@dataclass(frozen=True)
class Preset:
    """One click, one claim of the lecture."""

    number: int
    title: str
    claim: str  # the lecture's statement this run demonstrates
    look_for: str  # one sentence: what to look at on the page
    settings: RunSettings
    expect: Expectation
    contrast: RunSettings | None = None  # the other side of the claim, trained on request
    contrast_label: str = ""
    contrast_expect: Expectation | None = None


_ADDING_50 = RunSettings(task="adding", length=50, hidden_size=32, record_every=10,
                         train=TrainConfig(steps=1000, learning_rate=2e-2, optimizer="adam", batch_size=64, seed=0))
_EXPLODING = RunSettings(task="adding", length=50, cell="rnn", init="normal", init_scale=2.0, hidden_size=32,
                         record_every=1,
                         train=TrainConfig(steps=300, learning_rate=0.2, optimizer="sgd", batch_size=64, seed=0))
_IRNN = RunSettings(task="adding", length=100, cell="rnn-relu", init="identity", init_scale=1.0, hidden_size=32,
                    record_every=20,  # seeds 0-19 learn by step ~1130
                    train=TrainConfig(steps=1600, learning_rate=3e-3, optimizer="adam", clip="norm", clip_threshold=1.0,
                                      batch_size=64, seed=0))
_TRUNCATED = RunSettings(task="first-symbol", length=30, cell="gru", init="identity", hidden_size=32, record_every=5,
                         train=TrainConfig(steps=200, learning_rate=1e-2, optimizer="adam", batch_size=64,
                                           tbptt=(10, 10), seed=0))

PRESETS: tuple[Preset, ...] = (
    Preset(1, "Vanishing: tanh RNN, T = 50",
           "Backpropagating through many tanh steps multiplies many factors below 1: the gradient vanishes.",
           "The heatmap turns dark toward t = 0: the gradient reaching the first marker is about 10⁻¹⁰ "
           "of the one at t = T, so the loss stays at the baseline.",
           _ADDING_50.replace(cell="rnn"),
           Expectation(status="finished", learned=False, max_gradient_ratio=1e-3),
           contrast=_ADDING_50.replace(cell="lstm", forget_bias=1.0), contrast_label="Same task with an LSTM",
           contrast_expect=Expectation(min_gradient_ratio=1e-3)),
    Preset(2, "Exploding: large init, no clipping",
           "Factors above 1 multiply too: the gradient explodes and one SGD step throws the weights away.",
           "Watch the gradient norm climb by orders of magnitude until the loss becomes infinite: "
           "the page stops at that step and keeps the last finite state.",
           _EXPLODING, Expectation(status="diverged"),
           contrast=_EXPLODING.replace(clip="norm", clip_threshold=0.1, steps=1200, record_every=10),
           contrast_label="Same run, clipped by norm", contrast_expect=Expectation(status="finished", clipped=True)),
    Preset(3, "Clipping by norm rescues it",
           "Gradient clipping: rescale the gradient whenever its norm is above a threshold.",
           "The raw gradient norm (red) still spikes, the clipped one (blue) never passes 0.1: every step "
           "is small, the loss falls to the baseline and stays finite. Clipping cures exploding, not vanishing.",
           _EXPLODING.replace(clip="norm", clip_threshold=0.1, steps=1200, record_every=10),  # settles by ~1000
           Expectation(status="finished", clipped=True, loss_falls=True),
           contrast=_EXPLODING, contrast_label="Same run without clipping",
           contrast_expect=Expectation(status="diverged")),
    Preset(4, "IRNN: ReLU + identity init, T = 100",
           "Initializing W_hh with the identity (and ReLU) keeps the gradient alive (Le, Jaitly & Hinton 2015).",
           "The gradient reaches t = 0 at full strength (the heatmap stays bright) and the loss drops far "
           "below the baseline; train the contrast to see tanh + normal init fail on the same task.",
           _IRNN, Expectation(learned=True),
           contrast=_IRNN.replace(cell="rnn", init="normal"), contrast_label="tanh + normal init",
           contrast_expect=Expectation(learned=False)),
    Preset(5, "LSTM: the forget-gate path",
           "The cell state's gradient is multiplied only by the forget gate: uninterrupted gradient flow.",
           "Same task as preset 1: the gradient still reaches t = 0 because dc_t/dc_(t-1) = f_t (forget-gate "
           "bias starts at 1); after a plateau the loss drops below the baseline.",
           _ADDING_50.replace(cell="lstm", forget_bias=1.0), Expectation(min_gradient_ratio=1e-3),
           contrast=_ADDING_50.replace(cell="rnn"), contrast_label="Same task with the tanh RNN",
           contrast_expect=Expectation(max_gradient_ratio=1e-3)),
    Preset(6, "Truncated BPTT: k = 10 < T = 30",
           "Truncated BPTT backpropagates through the last k steps only: nothing older gets a gradient.",
           "Remember the first symbol: left of t = T − k the heatmap is grey, the gradient is exactly zero, "
           "so the first symbol is never credited and the loss stays on the baseline. Train the contrast "
           "(k = T) to see the same network learn it.",
           _TRUNCATED, Expectation(truncated=True, learned=False),
           contrast=_TRUNCATED.replace(tbptt=30, steps=400, record_every=10),
           contrast_label="Full backpropagation (k = T)",
           contrast_expect=Expectation(learned=True)),
)


def preset(number: int) -> Preset:
    """Preset 1..6."""
    for item in PRESETS:
        if item.number == number:
            return item
    raise ValueError(f"there are presets 1 to {len(PRESETS)}, got {number!r}")
