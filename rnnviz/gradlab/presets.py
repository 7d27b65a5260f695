"""The gradient lab's six presets, each a claim of the lecture, and the checks that a run makes it.

A `Preset` is plain data: the settings of a run, one sentence on what to look for, what the
run must show (`Expectation`, checked over the whole recorded run by `rnnviz.gradlab.checks`),
and optionally a contrast run that shows the other side (full BPTT against truncation, tanh
against IRNN, ...). The numbers in the sentences are ranges measured on seeds 0-4 at these
settings (`python bench/presets.py` measures them again), quoted with a margin.
"""

from __future__ import annotations

from dataclasses import dataclass

from rnnviz.gradlab.checks import (
    LEARNED,
    NOT_LEARNED,
    SMOOTHING,
    Expectation,
    RunSummary,
    check,
    gradient_ratio,
    moving_average,
    ratio_series,
    summarize,
)
from rnnviz.gradlab.settings import RunSettings
from rnnviz.training.loop import TrainConfig

__all__ = ["LEARNED", "NOT_LEARNED", "PRESETS", "SMOOTHING", "Expectation", "Preset", "RunSummary", "check",
           "gradient_ratio", "moving_average", "preset", "ratio_series", "summarize"]


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
# The tanh RNN at the lab's default learning rate: at 0.02 its weights grow until units saturate (exactly 0
# gradient, grey) or, on some seeds, a burst of gradient reaches t = 0: neither is the clean vanishing shown here.
_TANH_50 = _ADDING_50.replace(cell="rnn", learning_rate=3e-3)
_LSTM_50 = _ADDING_50.replace(cell="lstm", forget_bias=1.0)
_EXPLODING = RunSettings(task="adding", length=50, cell="rnn", init="normal", init_scale=2.0, hidden_size=32,
                         record_every=1,
                         train=TrainConfig(steps=300, learning_rate=0.2, optimizer="sgd", batch_size=64, seed=0))
_CLIPPED = _EXPLODING.replace(clip="norm", clip_threshold=0.1, steps=1200, record_every=10)  # settles by ~1000
_IRNN = RunSettings(task="adding", length=100, cell="rnn-relu", init="identity", init_scale=1.0, hidden_size=32,
                    record_every=20,  # seeds 0-19 learn by step ~1130
                    train=TrainConfig(steps=1600, learning_rate=3e-3, optimizer="adam", clip="norm", clip_threshold=1.0,
                                      batch_size=64, seed=0))
_TRUNCATED = RunSettings(task="first-symbol", length=30, cell="gru", init="identity", hidden_size=32, record_every=5,
                         train=TrainConfig(steps=200, learning_rate=1e-2, optimizer="adam", batch_size=64,
                                           tbptt=(10, 10), seed=0))

# What each run must show over its whole recorded history (the margins: bench/presets.py, seeds 0-4).
VANISHES = Expectation(status="finished", learned=False, max_gradient_ratio=1e-3)  # measured 1e-16 .. 1e-5
EXPLODES = Expectation(status="diverged", start_ratio=10.0, zero_after_start=0.5)  # start 1e2 .. 1e4
CLIPPED = Expectation(status="finished", clipped=True, loss_falls=True)
FORGET_PATH = Expectation(learned=True, min_gradient_ratio=1e-3, ratio_from_learning=True)  # 10^-1.5 .. 10^-0.5

PRESETS: tuple[Preset, ...] = (
    Preset(1, "Vanishing: tanh RNN, T = 50",
           "Backpropagating through many tanh steps multiplies many factors below 1: the gradient vanishes.",
           "Every row of the heatmap darkens toward t = 0: for the whole run the gradient reaching the first "
           "step is 10⁻¹⁶ to 10⁻⁵ of the one at t = T (orange line: each step back keeps about 0.5–0.8 of it), so the "
           "loss stays near the baseline.",
           _TANH_50, VANISHES,
           contrast=_LSTM_50, contrast_label="Same task with an LSTM (learning rate 0.02)",
           contrast_expect=FORGET_PATH),
    Preset(2, "Exploding: large init, no clipping",
           "Factors above 1 multiply too: the gradient explodes and one SGD step throws the weights away.",
           "Bottom row (the initial weights): the gradient grows going back, ‖∂L/∂h₀‖ is 10² to 10⁴ × "
           "‖∂L/∂h_T‖. The first SGD steps throw the weights so far that every tanh saturates: grey, exactly 0, "
           "while the loss climbs until it overflows, around step 20.",
           _EXPLODING, EXPLODES,
           contrast=_CLIPPED, contrast_label="Same run, clipped by norm", contrast_expect=CLIPPED),
    Preset(3, "Clipping by norm rescues it",
           "Gradient clipping: rescale the gradient whenever its norm is above a threshold.",
           "The raw gradient norm (red) still spikes, the clipped one (blue) never passes 0.1: every step "
           "is small, the loss falls to the baseline and stays finite. Clipping cures exploding, not vanishing.",
           _CLIPPED, CLIPPED,
           contrast=_EXPLODING, contrast_label="Same run without clipping", contrast_expect=EXPLODES),
    Preset(4, "IRNN: ReLU + identity init, T = 100",
           "Initializing W_hh with the identity (and ReLU) keeps the gradient alive (Le, Jaitly & Hinton 2015).",
           "Each row is about as bright at t = 0 as at t = T: for the whole run ‖∂L/∂h₀‖ is 10⁻² to 10¹ × "
           "‖∂L/∂h_T‖ (rows darken as a whole once the loss is small). The loss falls below 10 % of the "
           "baseline; the contrast, tanh + normal init, fails.",
           _IRNN, Expectation(learned=True, min_gradient_ratio=1e-3),
           contrast=_IRNN.replace(cell="rnn", init="normal"), contrast_label="tanh + normal init",
           contrast_expect=Expectation(learned=False)),
    Preset(5, "LSTM: the forget-gate path",
           "The cell state's gradient is multiplied only by the forget gate: uninterrupted gradient flow.",
           "Same task as preset 1. On the plateau the forget gates are ≈ 0.73 (bias 1) and 0.73⁵⁰ ≈ 10⁻⁷: dark "
           "left. Once one cell learns to hold its forget gate near 1, 10⁻² to 10⁰ of the gradient reaches "
           "t = 0 for the rest of the run, and at the same steps the loss drops below 10 % of the baseline.",
           _LSTM_50, FORGET_PATH,
           contrast=_TANH_50, contrast_label="Same task with the tanh RNN (learning rate 0.003)",
           contrast_expect=VANISHES),
    Preset(6, "Truncated BPTT: k = 10 < T = 30",
           "Truncated BPTT backpropagates through the last k steps only: nothing older gets a gradient.",
           "Remember the first symbol: left of t = T − k the heatmap is grey, the gradient is exactly zero "
           "(cut, not small), so the first symbol is never credited and the loss stays on the baseline. "
           "Train the contrast (k = T) to see the same network learn it.",
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
