"""The DTW baseline (Table 4 of the paper): dynamic time warping between the time functions of two signatures.

The distance is dtaidistance's exact DTW in C (no window, no pruning) with the Euclidean distance between
the time-function vectors of two samples, summed along the best path; it is divided by the two lengths
added, so long signatures are not penalised, and negated into a similarity score (higher = more alike).
User-normalised scores divide that by the user's own spread: the mean of the same cost between the four
enrolment signatures S1–S4, two by two (a user who varies a lot is allowed more).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from dtaidistance import dtw_ndim

INNER_DISTANCE = "euclidean"


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
