"""Nearest neighbours by cosine similarity in the full space, and whether a property groups the points.

The map distorts distances, so neighbours are always found in the full embedding space.
`knn_agreement` is the share of each point's k nearest neighbours that share its label,
averaged over the points; `chance_agreement` is what that share is expected to be when the
labels are shuffled (the same label counts, no relation to the vectors): a property that the
representation groups scores well above its chance level.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

from rnnviz.embeddings.projection import EmbeddingError

CHUNK = 2048  # rows of the similarity matrix computed at once


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Each row scaled to length 1 (zero rows stay zero)."""
    array = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    return array / np.where(norms > 0, norms, 1.0)


class CosineIndex:
    """Vectors scaled to unit length once, for repeated nearest-neighbour queries (a typed phrase per rerun)."""

    def __init__(self, vectors: np.ndarray) -> None:
        self.unit = unit_rows(vectors)  # (N, D)
        self.unit.setflags(write=False)

    def nearest(self, query: np.ndarray, k: int = 10, exclude: int | None = None) -> list[tuple[int, float]]:
        """The k rows most cosine-similar to `query` (D,), best first, as (row, similarity)."""
        return nearest(self.unit, query, k, exclude, unit=True)


def nearest(vectors: np.ndarray, query: np.ndarray, k: int = 10, exclude: int | None = None,
            unit: bool = False) -> list[tuple[int, float]]:  # fmt: skip
    """The k rows of `vectors` most cosine-similar to `query` (D,), best first, as (row, similarity);
    `unit=True` says the rows already have length 1."""
    array = vectors if unit else unit_rows(vectors)
    query = np.asarray(query, dtype=np.float64).reshape(-1)
    if query.shape[0] != array.shape[1]:
        raise EmbeddingError(f"the query has {query.shape[0]} dimensions, the vectors {array.shape[1]}")
    norm = np.linalg.norm(query)
    similarities = array @ (query / norm if norm > 0 else query)  # (N,)
    if exclude is not None:
        similarities[exclude] = -np.inf
    k = max(0, min(int(k), len(array) - (exclude is not None)))
    if k == 0:
        return []
    top = np.argpartition(-similarities, k - 1)[:k]
    top = top[np.lexsort((top, -similarities[top]))]  # best first, ties by row
    return [(int(i), float(similarities[i])) for i in top]


def neighbour_table(vectors: np.ndarray, k: int) -> np.ndarray:
    """(N, k) rows of each point's k nearest other points by cosine, best first."""
    array = unit_rows(vectors)
    k = min(int(k), len(array) - 1)
    if k < 1:
        raise EmbeddingError("neighbours need at least 2 points")
    table = np.empty((len(array), k), dtype=np.int64)
    for start in range(0, len(array), CHUNK):
        block = array[start : start + CHUNK] @ array.T  # (C, N)
        block[np.arange(len(block)), np.arange(start, start + len(block))] = -np.inf  # not itself
        top = np.argpartition(-block, k - 1, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(block, top, axis=1), axis=1, kind="stable")
        table[start : start + len(block)] = np.take_along_axis(top, order, axis=1)
    return table


def knn_agreement(vectors: np.ndarray, labels: Sequence[object], k: int = 10) -> float:
    """Mean share of each labelled point's k nearest neighbours (full space, cosine) that share its label."""
    labels = np.asarray([str(label) for label in labels])
    if len(labels) != len(vectors):
        raise EmbeddingError(f"{len(labels)} labels for {len(vectors)} points")
    table = neighbour_table(vectors, k)
    return float((labels[table] == labels[:, None]).mean())


def chance_agreement(labels: Sequence[object]) -> float:
    """The agreement expected when labels are shuffled: sum over labels of p(label) × (n(label) − 1) / (N − 1)."""
    counts = Counter(str(label) for label in labels)
    total = sum(counts.values())
    if total < 2:
        raise EmbeddingError("agreement needs at least 2 labelled points")
    return float(sum(n * (n - 1) for n in counts.values()) / (total * (total - 1)))
