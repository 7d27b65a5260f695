"""Verification error rates: FAR and FRR over every threshold, the equal error rate, DET curve points.

Scores are similarities: a trial is accepted when its score is at least the threshold. FAR (false
acceptance rate) is the share of impostor scores accepted, FRR (false rejection rate) the share of
genuine scores rejected. The EER is where the two meet, linearly interpolated between the thresholds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

DET_LIMITS = (0.001, 0.6)  # 0.1 % .. 60 %: the probit axes of a DET plot (Figure 7 of the paper)
DET_TICKS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.4)


@dataclass(frozen=True)
class ErrorRates:
    """FAR and FRR at each threshold (the distinct scores, ascending)."""

    thresholds: np.ndarray  # (K,)
    false_acceptance: np.ndarray  # (K,) share of impostor scores >= threshold
    false_rejection: np.ndarray  # (K,) share of genuine scores < threshold


@dataclass(frozen=True)
class EqualErrorRate:
    """The equal error rate (a fraction, 0..1) and the threshold where FAR = FRR."""

    rate: float
    threshold: float


def _scores(values: Sequence[float] | np.ndarray, name: str) -> np.ndarray:
    """A non-empty 1-D float array of finite scores; ValueError naming `name` otherwise."""
    array = np.asarray(values, dtype=np.float64).ravel()
    if array.size == 0:
        raise ValueError(f"{name} scores are empty: an EER needs at least one genuine and one impostor trial")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} scores contain NaN or inf: score every trial with a finite number")
    return array


def error_rates(genuine: Sequence[float] | np.ndarray, impostor: Sequence[float] | np.ndarray) -> ErrorRates:
    """FAR and FRR at every distinct score used as the threshold, plus one above the highest."""
    genuine, impostor = _scores(genuine, "genuine"), _scores(impostor, "impostor")
    distinct = np.unique(np.concatenate([genuine, impostor]))
    thresholds = np.append(distinct, np.nextafter(distinct[-1], np.inf))  # the last one accepts nothing
    rejected = np.searchsorted(np.sort(genuine), thresholds, side="left") / genuine.size
    accepted = 1.0 - np.searchsorted(np.sort(impostor), thresholds, side="left") / impostor.size
    return ErrorRates(thresholds, accepted, rejected)


def equal_error_rate(genuine: Sequence[float] | np.ndarray, impostor: Sequence[float] | np.ndarray) -> EqualErrorRate:
    """The EER: FAR and FRR interpolated linearly to where they are equal."""
    rates = error_rates(genuine, impostor)
    gap = rates.false_acceptance - rates.false_rejection  # decreasing from 1 to -1 as the threshold rises
    index = int(np.flatnonzero(gap >= 0)[-1])  # gap[0] = 1 - 0 > 0, gap[-1] = 0 - 1 < 0
    if gap[index] == 0 or index + 1 == gap.size:
        return EqualErrorRate(float(rates.false_rejection[index]), float(rates.thresholds[index]))
    weight = gap[index] / (gap[index] - gap[index + 1])
    rate = rates.false_rejection[index] + weight * (rates.false_rejection[index + 1] - rates.false_rejection[index])
    threshold = rates.thresholds[index] + weight * (rates.thresholds[index + 1] - rates.thresholds[index])
    return EqualErrorRate(float(rate), float(threshold))


def probit(probabilities: np.ndarray, limits: tuple[float, float] = DET_LIMITS) -> np.ndarray:
    """Standard normal quantiles of probabilities clipped to `limits` (0 % has no place on probit axes)."""
    clipped = np.clip(np.asarray(probabilities, dtype=np.float64), *limits)
    return torch.special.ndtri(torch.from_numpy(clipped)).numpy()


def det_curve(genuine: Sequence[float] | np.ndarray, impostor: Sequence[float] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """DET points (FAR, FRR) as fractions, one per threshold, FAR falling and FRR rising."""
    rates = error_rates(genuine, impostor)
    return rates.false_acceptance, rates.false_rejection
