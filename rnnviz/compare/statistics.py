"""Statistics over seeds: mean ± standard deviation, and whether a difference beats the seed-to-seed spread.

The rule is Welch's t-test (two samples, unequal variances; scipy.stats.ttest_ind with equal_var=False):
a difference is called "larger than the spread" when p < 0.05, "within noise" otherwise. With 3 seeds
this is a cautious rule: only differences several spreads wide pass it.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

ALPHA = 0.05


@dataclass(frozen=True)
class Summary:
    """Mean and sample standard deviation (ddof=1; 0 for one value) of the finite values of one setting."""

    mean: float
    std: float
    count: int

    def text(self, digits: int = 3) -> str:
        """'0.812 ± 0.031' (or '—' without values)."""
        if self.count == 0:
            return "—"
        mean = f"{self.mean:#.{digits}g}".rstrip(".")  # '32.0', not '32'
        return f"{mean} ± {self.std:.2g}" if self.count > 1 else mean


def summarize(values: Sequence[float]) -> Summary:
    """Mean ± std of the finite values (diverged runs give NaN and are left out)."""
    finite = np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=np.float64)
    if finite.size == 0:
        return Summary(math.nan, math.nan, 0)
    return Summary(float(finite.mean()), float(finite.std(ddof=1)) if finite.size > 1 else 0.0, int(finite.size))


@dataclass(frozen=True)
class Verdict:
    """How two settings compare: the difference of means, Welch's p-value, and whether it beats the spread."""

    difference: float  # mean of a - mean of b
    p_value: float  # NaN when it cannot be computed (fewer than 2 values a side)
    significant: bool


def compare(a: Sequence[float], b: Sequence[float], alpha: float = ALPHA) -> Verdict:
    """Welch's t-test of two settings' values over seeds."""
    first, second = summarize(a), summarize(b)
    difference = first.mean - second.mean
    if first.count < 2 or second.count < 2:
        return Verdict(difference, math.nan, False)
    if first.std == 0 and second.std == 0:  # no spread at all: any difference is real, none is noise
        return Verdict(difference, 0.0 if difference != 0 else 1.0, difference != 0)
    clean = [[v for v in values if v is not None and math.isfinite(v)] for values in (a, b)]
    with warnings.catch_warnings():  # nearly equal seeds: scipy warns of precision loss, the p-value is still right
        warnings.simplefilter("ignore", RuntimeWarning)
        p_value = float(stats.ttest_ind(clean[0], clean[1], equal_var=False).pvalue)
    return Verdict(difference, p_value, bool(p_value < alpha))


def sentence(
    name_a: str, values_a: Sequence[float], name_b: str, values_b: Sequence[float], metric: str, higher_is_better: bool
) -> str:
    """One sentence for a pair: who is ahead, by how much, and whether that beats the seed-to-seed spread."""
    first, second = summarize(values_a), summarize(values_b)
    if first.count == 0 or second.count == 0:
        missing = name_a if first.count == 0 else name_b
        return f"{name_a} vs {name_b}: {missing} has no finished run to compare."
    verdict = compare(values_a, values_b)
    ahead_first = (verdict.difference > 0) == higher_is_better
    leader, other = (name_a, name_b) if ahead_first else (name_b, name_a)
    gap = abs(verdict.difference)
    if math.isnan(verdict.p_value):
        return (
            f"{leader} is ahead of {other} on {metric} by {gap:.3g}, but one seed per setting cannot tell "
            "this from seed-to-seed noise: use 2 or more seeds."
        )
    if verdict.difference == 0:
        return f"{name_a} and {name_b} score the same {metric}: within noise."
    if verdict.significant:
        return (
            f"{leader} beats {other} on {metric} by {gap:.3g}: larger than the seed-to-seed spread "
            f"(Welch's t-test, p = {verdict.p_value:.2g})."
        )
    return (
        f"{leader} is ahead of {other} on {metric} by {gap:.3g}, within noise: the seeds spread as much "
        f"(Welch's t-test, p = {verdict.p_value:.2g})."
    )
