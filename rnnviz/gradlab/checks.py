"""What a gradient-lab run showed, read over its whole recorded history, and whether it makes a claim.

`summarize(recording)` turns a run into the numbers a person reads (the verdict among them);
`check(expectation, recording)` says, claim by claim, whether the run showed what a preset
promises. Every check reads the whole history: a gradient claim holds at every measurement it
covers (the whole run, or from a named step on), a loss claim from the smoothed loss of every
step; the sentence of each check quotes this run's own numbers, so it reads as the charts do.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rnnviz.gradlab.recorder import Recording

LEARNED = 0.1  # the smoothed loss is far below the baseline when it gets under 10% of it
NOT_LEARNED = 0.5  # ... and nothing was learned when it never gets under half of it
LEARNED_ACCURACY = 0.5  # "learned" also needs most answers right, where the task counts right answers
SMOOTHING = 20  # steps in the moving average of the loss


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


def ratio_series(recording: Recording) -> tuple[np.ndarray, np.ndarray]:
    """(recorded training steps, ||dL/dh_0|| / ||dL/dh_T|| at each) over the whole run."""
    snapshots = list(recording.snapshots)
    steps = np.array([s.step for s in snapshots], dtype=np.int64)
    return steps, np.array([gradient_ratio(s.profile) for s in snapshots], dtype=np.float64)


@dataclass(frozen=True)
class RunSummary:
    """The numbers of one run that a claim or a table needs."""

    status: str  # "finished", "stopped", "diverged", or "running"
    steps_done: int
    diverged_at: int | None
    first_loss: float
    final_loss: float  # mean over the last tenth of the steps
    best_relative_loss: float  # lowest moving average of the loss / the baseline
    best_step: int | None  # the last step of that moving average
    final_relative_loss: float
    accuracy: float  # mean task accuracy over the last tenth of the steps
    gradient_ratio: float  # ||dL/dh_0|| / ||dL/dh_T|| at the last snapshot (0 when truncated away)
    max_grad_norm: float  # before clipping
    max_clipped_norm: float  # after clipping

    @property
    def verdict(self) -> str:
        """'learned', 'partly learned' or 'not learned', from the same last-tenth numbers the page shows.

        Learned: the loss is under LEARNED x the baseline and (where the task counts right answers)
        at least LEARNED_ACCURACY of them are right; partly: the loss is under half the baseline.
        """
        loss, accuracy = self.final_relative_loss, self.accuracy
        if loss < LEARNED and (math.isnan(accuracy) or accuracy >= LEARNED_ACCURACY):
            return "learned"
        return "partly learned" if loss < NOT_LEARNED else "not learned"


def summarize(recording: Recording) -> RunSummary:
    """Read a run (finished or still training) into a `RunSummary`."""
    history = list(recording.history)
    snapshots = list(recording.snapshots)
    baseline = recording.baseline_loss
    losses = np.array([info.loss for info in history], dtype=np.float64)
    tail = max(1, len(history) // 10)
    best_step = None
    if len(losses):
        final = float(losses[-tail:].mean())
        smoothed = moving_average(losses)
        best, best_step = float(smoothed.min()), int(np.argmin(smoothed)) + len(losses) - len(smoothed) + 1
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
        best_step=best_step,
        final_relative_loss=final / baseline,
        accuracy=accuracy,
        gradient_ratio=gradient_ratio(snapshots[-1].profile) if snapshots else math.nan,
        max_grad_norm=max((info.grad_norm for info in history), default=math.nan),
        max_clipped_norm=max((info.clipped_grad_norm for info in history), default=math.nan),
    )


@dataclass(frozen=True)
class Expectation:
    """What a run must show, over its whole recorded history; None means 'not part of this claim'."""

    status: str | None = None  # "finished" or "diverged"
    learned: bool | None = None  # True: smoothed loss < LEARNED x baseline, last tenth < NOT_LEARNED x;
    #                              False: the smoothed loss never < NOT_LEARNED x baseline
    max_gradient_ratio: float | None = None  # vanishing: ||dL/dh_0|| / ||dL/dh_T|| at most this at every measurement
    min_gradient_ratio: float | None = None  # reaching t = 0: at least this at every measurement ...
    ratio_from_learning: bool = False  # ... from the step the smoothed loss first gets under NOT_LEARNED x baseline
    start_ratio: float | None = None  # exploding: the ratio at the initial weights (step 0) at least this
    zero_after_start: float | None = None  # saturating: ||dL/dh_0|| exactly 0 in at least this fraction of
    #                                        the measurements after step 0
    truncated: bool = False  # every profile exactly zero before T - k and nonzero after
    clipped: bool = False  # post-clip norm within the threshold while the raw norm went above it
    loss_falls: bool = False  # final loss at most half the first and at most 1.25 x the baseline


def power(value: float) -> str:
    """10^-7.3 style for ratios that span orders of magnitude."""
    if value == 0:
        return "exactly 0"
    if not math.isfinite(value):
        return "undefined"
    return f"10^{math.log10(value):.1f}"


def first_step_below(recording: Recording, fraction: float) -> int | None:
    """The first step whose smoothed loss is under `fraction` x the baseline (None if it never is)."""
    losses = np.array([info.loss for info in recording.history], dtype=np.float64)
    if not len(losses):
        return None
    smoothed = moving_average(losses)
    below = np.flatnonzero(smoothed < fraction * recording.baseline_loss)
    return int(below[0]) + len(losses) - len(smoothed) + 1 if len(below) else None


def _ratio_scope(expectation: Expectation, recording: Recording) -> tuple[np.ndarray, np.ndarray, str, bool]:
    """(steps, ratios) the ratio claims cover, the words for that span, and whether the span exists."""
    steps, ratios = ratio_series(recording)
    if not expectation.ratio_from_learning:
        return steps, ratios, "for the whole run", len(steps) > 0
    start = first_step_below(recording, NOT_LEARNED)
    if start is None:
        return steps[:0], ratios[:0], "once the loss falls below half the baseline (it never did)", False
    keep = steps >= start
    words = f"from step {start} on, when the smoothed loss fell below half the baseline"
    return steps[keep], ratios[keep], words, bool(keep.any())


def _extreme_index(ratios: np.ndarray, *, upper: bool) -> int:
    """Index of the largest (upper) or smallest finite ratio; 0 when none is finite."""
    finite = np.where(np.isfinite(ratios), ratios, np.nan)
    if not np.isfinite(finite).any():
        return 0
    return int(np.nanargmax(finite) if upper else np.nanargmin(finite))


def _check_ratio_bound(expectation: Expectation, recording: Recording, *, upper: bool) -> tuple[str, bool]:
    """Vanishing (upper) or reaching t = 0 (lower): the ratio on the right side of the bound at every measurement."""
    bound = expectation.max_gradient_ratio if upper else expectation.min_gradient_ratio
    steps, ratios, scope, exists = _ratio_scope(expectation, recording)
    name = "‖dL/dh_0‖ / ‖dL/dh_T‖"
    if not exists:
        return f"{name} {'at most' if upper else 'at least'} {power(bound)} {scope}", False
    with np.errstate(invalid="ignore"):
        wrong = ~(ratios <= bound) if upper else ~(ratios >= bound)  # NaN counts against the claim
    pick = _extreme_index(ratios, upper=upper)
    extreme = f"{'highest' if upper else 'lowest'} {power(ratios[pick])} at step {steps[pick]}"
    zeros = int((ratios == 0).sum())
    if zeros:
        extreme += f"; exactly 0 at {zeros}: saturated units pass no gradient"
    side = "at most" if upper else "at least"
    if not wrong.any():
        sentence = f"{name} was {side} {power(bound)} at all {len(steps)} measurements, {scope} ({extreme})"
    else:
        sentence = (f"{name} should be {side} {power(bound)} {scope}, but was not at {int(wrong.sum())} of "
                    f"{len(steps)} measurements, first at step {steps[np.argmax(wrong)]} ({extreme})")
    return sentence, not wrong.any()


def _check_start_ratio(expectation: Expectation, recording: Recording) -> tuple[str, bool]:
    """Exploding at the initial weights: the first measurement's ratio at least the bound."""
    steps, ratios = ratio_series(recording)
    holds = bool(len(steps)) and steps[0] == 0 and ratios[0] >= expectation.start_ratio
    value = power(ratios[0]) if len(steps) else "not measured"
    return (f"at the initial weights ‖dL/dh_0‖ / ‖dL/dh_T‖ = {value}: the gradient grows going back in time "
            f"(exploding: at least {power(expectation.start_ratio)})", bool(holds))


def _check_zero_after_start(expectation: Expectation, recording: Recording) -> tuple[str, bool]:
    """Saturation: after step 0, the gradient at t = 0 is exactly 0 in most measurements."""
    profiles = [s.profile for s in recording.snapshots if s.step > 0]
    zeros = sum(float(p[0]) == 0.0 for p in profiles)
    holds = bool(profiles) and zeros >= expectation.zero_after_start * len(profiles)
    return (f"after the first update ‖dL/dh_0‖ is exactly 0 at {zeros} of {len(profiles)} measurements "
            f"(grey on the heatmap: every tanh saturated, its slope rounds to 0)", bool(holds))


def _check_truncation(recording: Recording) -> tuple[str, bool]:
    """Every snapshot: zero gradient before T - k, nonzero from T - k on."""
    k = recording.settings.tbptt_k
    snapshots = list(recording.snapshots)
    holds = bool(snapshots) and k is not None and all(
        (s.profile[: len(s.profile) - k] == 0).all() and (s.profile[len(s.profile) - k:] > 0).all()
        for s in snapshots)
    return f"the gradient is exactly 0 for every t < T − k in all {len(snapshots)} measurements", holds


def _check_learned(expectation: Expectation, recording: Recording, summary: RunSummary) -> tuple[str, bool]:
    """The loss claim: far below the baseline and staying under half of it, or never under half of it."""
    best, final = summary.best_relative_loss, summary.final_relative_loss
    if not expectation.learned:
        return (f"the smoothed loss never got below {NOT_LEARNED:.0%} of the input-blind baseline "
                f"(lowest: {best:.0%})", bool(best >= NOT_LEARNED))
    reached = first_step_below(recording, LEARNED)
    fell = (f"the smoothed loss fell below {LEARNED:.0%} of the input-blind baseline (first at step {reached}, "
            f"lowest {best:.1%})" if reached else
            f"the smoothed loss should fall below {LEARNED:.0%} of the input-blind baseline (lowest {best:.1%})")
    stayed = "and stayed" if final < NOT_LEARNED else "but did not stay"
    return (f"{fell} {stayed} below {NOT_LEARNED:.0%} of it (last 10% of steps: {final:.1%})",
            bool(best < LEARNED and final < NOT_LEARNED))


def check(expectation: Expectation, recording: Recording) -> list[tuple[str, bool]]:
    """Each part of the claim as (sentence with this run's numbers, whether it holds over the whole run)."""
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
        checks.append(_check_learned(expectation, recording, summary))
    if expectation.start_ratio is not None:
        checks.append(_check_start_ratio(expectation, recording))
    if expectation.zero_after_start is not None:
        checks.append(_check_zero_after_start(expectation, recording))
    if expectation.max_gradient_ratio is not None:
        checks.append(_check_ratio_bound(expectation, recording, upper=True))
    if expectation.min_gradient_ratio is not None:
        checks.append(_check_ratio_bound(expectation, recording, upper=False))
    if expectation.truncated:
        checks.append(_check_truncation(recording))
    if expectation.clipped:
        holds = summary.max_clipped_norm <= settings.train.clip_threshold * (1 + 1e-4) < summary.max_grad_norm
        checks.append((f"the raw gradient norm reached {summary.max_grad_norm:.3g}, after clipping it never "
                       f"exceeded {settings.train.clip_threshold:g} in {summary.steps_done} steps", bool(holds)))
    if expectation.loss_falls:
        holds = summary.final_loss <= summary.first_loss / 2 and summary.final_relative_loss <= 1.25
        checks.append((f"the loss fell from {summary.first_loss:.3g} to {summary.final_loss:.3g} "
                       f"(baseline {recording.baseline_loss:.3g}) and stayed finite", bool(holds)))
    return checks
