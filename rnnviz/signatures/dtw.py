"""The DTW baseline (Table 4 of the paper): dynamic time warping between the time functions of two signatures.

The distance is dtaidistance's exact DTW in C (no window, no pruning) with the Euclidean distance between
the time-function vectors of two samples, summed along the best path; it is divided by the two lengths
added, so long signatures are not penalised, and negated into a similarity score (higher = more alike).
User-normalised scores divide that by the user's own spread: the mean of the same cost between the four
enrolment signatures S1–S4, two by two (a user who varies a lot is allowed more). Cohort-normalised scores
also anchor the other end: 0 at the user's spread, -1 at the mean cost of the references to other users'
signatures (a cohort from outside the test users), costs divided by the square root of the lengths added.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from dtaidistance import dtw_ndim

INNER_DISTANCE = "euclidean"
ENROLMENT = 4  # the references S1–S4 whose spread normalises a user's scores
COHORT_POWER = 0.5  # cohort-normalised costs are divided by sqrt(N + M): measured best of 0, 0.5, 1


def dtw_distance(first: np.ndarray, second: np.ndarray) -> float:
    """The accumulated Euclidean cost of the best warping path between two (N, F) and (M, F) sequences."""
    first, second = _sequence(first, "first"), _sequence(second, "second")
    if first.shape[1] != second.shape[1]:
        raise ValueError(f"both signatures need the same time functions, got {first.shape[1]} and {second.shape[1]}")
    return float(dtw_ndim.distance_fast(first, second, inner_dist=INNER_DISTANCE))


def dtw_score(reference: np.ndarray, probe: np.ndarray) -> float:
    """Similarity of a probe to a reference: minus the DTW cost per sample of the two signatures."""
    return -dtw_distance(reference, probe) / (len(reference) + len(probe))


def dtw_scores(references: Sequence[np.ndarray], probes: Sequence[np.ndarray], parallel: bool = False) -> np.ndarray:
    """Scores (R, P) of every probe against every reference in one C call (threads only if `parallel`)."""
    series = [_sequence(s, f"signature {i}") for i, s in enumerate([*references, *probes])]
    count = len(references)
    block = ((0, count), (count, len(series)))
    distances = dtw_ndim.distance_matrix_fast(series, block=block, parallel=parallel, inner_dist=INNER_DISTANCE)
    lengths = np.array([len(s) for s in series], dtype=np.float64)
    totals = lengths[:count, None] + lengths[None, count:]  # (R, P)
    return -distances[:count, count:] / totals


def dtw_costs(
    references: Sequence[np.ndarray], probes: Sequence[np.ndarray], parallel: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Raw DTW costs (R, P) of every probe against every reference, and the lengths (R,) and (P,)."""
    series = [_sequence(s, f"signature {i}") for i, s in enumerate([*references, *probes])]
    count = len(references)
    block = ((0, count), (count, len(series)))
    distances = dtw_ndim.distance_matrix_fast(series, block=block, parallel=parallel, inner_dist=INNER_DISTANCE)
    lengths = np.array([len(s) for s in series], dtype=np.float64)
    return distances[:count, count:], lengths[:count], lengths[count:]


def scaled_costs(costs: np.ndarray, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Costs (R, P) divided by (length + length) ** COHORT_POWER."""
    return costs / (first[:, None] + second[None, :]) ** COHORT_POWER


def cohort_anchors(
    references: Sequence[np.ndarray], cohort: Sequence[np.ndarray], parallel: bool = False
) -> tuple[float, np.ndarray]:
    """The user's own scaled cost (mean over the enrolment pairs, two by two) and each reference's mean to the cohort."""
    enrolment = list(references[:ENROLMENT])
    if len(enrolment) < 2 or not cohort:
        raise ValueError("cohort normalisation needs two references and at least one signature of another user")
    between = scaled_costs(*dtw_costs(enrolment, enrolment, parallel))
    spread = float(between[~np.eye(len(enrolment), dtype=bool)].mean())
    return spread, scaled_costs(*dtw_costs(references, cohort, parallel)).mean(axis=1)


def cohort_normalised(costs: np.ndarray, spread: float, impostor: np.ndarray) -> np.ndarray:
    """Scores (R, P) of scaled costs: 0 at the user's spread, -1 at the reference's mean cost to other users."""
    return -(costs - spread) / np.maximum(np.asarray(impostor, dtype=np.float64) - spread, 1e-9)[:, None]


def reference_spread(references: Sequence[np.ndarray]) -> float:
    """Mean DTW cost per sample between a user's references, two by two: how much the user varies (> 0)."""
    if len(references) < 2:
        raise ValueError("a user's spread needs at least two references")
    table = dtw_scores(references, references)  # (R, R), scores are minus the costs
    return max(float(-table[~np.eye(len(references), dtype=bool)].mean()), 1e-9)


def _sequence(values: np.ndarray, name: str) -> np.ndarray:
    """A C-contiguous float64 (N, F) array with N >= 1; ValueError naming `name` otherwise."""
    array = np.ascontiguousarray(values, dtype=np.float64)
    if array.ndim != 2 or array.shape[0] < 1 or array.shape[1] < 1:
        raise ValueError(f"{name} must be (samples, time functions) with at least one sample, got {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} contains NaN or inf")
    return array
