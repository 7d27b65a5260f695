"""2-D maps of vectors: PCA (instant) and t-SNE (openTSNE), new points placed without moving the others.

A `Map` keeps what placing needs: PCA's mean and axes, or openTSNE's `TSNEEmbedding` (its
affinities to the reference points). `placing.place` projects new vectors into a finished map; the
reference coordinates are read-only and never change. `cached_map` computes each map once per
process, keyed by a digest of the vectors and the settings, and shares it read-only: a server's
sessions all read the same map.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

MIN_PCA_POINTS = 3
MIN_TSNE_POINTS = 10
MAX_POINTS = 20_000
CACHE_SIZE = 24
THREADS = 2  # openTSNE's threads at most, used only while a core is idle (`auto_threads`): on 2 shared cores
# (load 13) 2 threads took 45-64 s for 1,000 words, 1 thread 3.6 s, the same map to the last bit


STOP = threading.Event()  # set at exit: running t-SNE optimisations end within 10 iterations


def _stop_requested(iteration: int, error: float, embedding: object) -> bool:
    """openTSNE callback: True ends the optimisation (so background maps never outlive the interpreter)."""
    return STOP.is_set()


_STOPPABLE = {"callbacks": _stop_requested, "callbacks_every_iters": 10, "propagate_exception": True}


def auto_threads() -> int:
    """openTSNE's threads: `THREADS` while the 1-minute load is below half the cores, else 1 (on busy cores each
    iteration's threads wait for each other: 1,000 words took 45-64 s on 2 threads, 3.6 s on 1, at load 13)."""
    cores = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # no load average (Windows): the safe choice
        return 1
    return max(1, min(THREADS, cores)) if load < cores / 2 else 1


class EmbeddingError(ValueError):
    """Input a map cannot be made from; the message says what to change."""


@dataclass(frozen=True, eq=False)
class Map:
    """A 2-D map of N vectors and what is needed to place new ones into it."""

    coordinates: np.ndarray  # (N, 2), read-only
    method: str  # "pca" or "tsne"
    settings: dict[str, Any]
    mean: np.ndarray  # (D,) the vectors' mean (PCA's centre)
    axes: np.ndarray  # (2, D) PCA's two principal directions
    explained: tuple[float, float]  # share of the variance along each PCA axis
    embedding: Any = field(default=None, repr=False)  # openTSNE TSNEEmbedding for t-SNE maps
    seconds: float = 0.0
    basis: np.ndarray | None = field(default=None, repr=False)  # (K, D) t-SNE ran on the top K components
    quality: float | None = None  # trustworthiness (k = 10), when known in advance (a shipped layout records it)
    shipped: bool = False  # read from a layout shipped with the package (rnnviz.embeddings.shipped)

    def reduce(self, array: np.ndarray) -> np.ndarray:
        """Vectors (M, D) as t-SNE saw them: centred and projected on `basis` when the map used one."""
        return array if self.basis is None else (array - self.mean) @ self.basis.T

    def __len__(self) -> int:
        """Number of reference points."""
        return len(self.coordinates)


def check_vectors(vectors: object, minimum: int = MIN_PCA_POINTS) -> np.ndarray:
    """Vectors as a finite (N, D) float64 array with at least `minimum` rows; EmbeddingError otherwise."""
    try:
        array = np.asarray(vectors, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise EmbeddingError(f"the vectors must be numbers: {error}") from None
    if array.ndim != 2 or array.shape[1] < 1:
        raise EmbeddingError(f"the vectors must form a table (points × dimensions), got shape {array.shape}")
    if len(array) < minimum:
        raise EmbeddingError(f"a map needs at least {minimum} points, this one has {len(array)}: choose more words or phrases")
    if len(array) > MAX_POINTS:
        raise EmbeddingError(f"{len(array):,} points is more than {MAX_POINTS:,}: map a sample")
    if not np.isfinite(array).all():
        raise EmbeddingError("some vectors hold NaN or infinity (a diverged model?): train it again")
    return array


def check_perplexity(perplexity: float, points: int) -> float:
    """The perplexity if t-SNE can use it on `points` points (it needs 3 × perplexity < points − 1)."""
    if not (isinstance(perplexity, (int, float)) and np.isfinite(perplexity) and perplexity >= 1):
        raise EmbeddingError(f"the perplexity must be a number of at least 1, got {perplexity!r}")
    if points < MIN_TSNE_POINTS:
        raise EmbeddingError(
            f"t-SNE needs at least {MIN_TSNE_POINTS} points, this map has {points}: use PCA, or choose more points"
        )
    largest = (points - 2) / 3
    if perplexity > largest:
        raise EmbeddingError(
            f"a perplexity of {perplexity:g} needs at least {int(3 * perplexity + 2)} points, "
            f"this map has {points}: lower the perplexity to {max(1, int(largest))} or less"
        )
    return float(perplexity)


def principal_axes(array: np.ndarray, count: int = 2) -> tuple[np.ndarray, np.ndarray, tuple[float, float]]:
    """(mean (D,), `count` unit axes (count, D), variance share of the first two); signs fixed so results repeat.

    The eigenvectors of the D × D covariance, with one BLAS thread: on a busy 2-core machine OpenBLAS's
    threaded SVD of 5,000 × 256 took 24-32 s, this takes about 0.15 s (bench/embeddings.py)."""
    from threadpoolctl import threadpool_limits

    mean = array.mean(axis=0)
    centred = array - mean
    with threadpool_limits(limits=1, user_api="blas"):
        if array.shape[1] <= len(array):
            values, vectors = np.linalg.eigh(centred.T @ centred)  # ascending
            rows = vectors[:, ::-1].T  # (D, D) principal directions, largest first
            variances = np.clip(values[::-1], 0.0, None)
        else:
            _, singular, rows = np.linalg.svd(centred, full_matrices=False)  # rows: (N, D)
            variances = singular**2
    axes = np.zeros((count, array.shape[1]))
    count = min(count, len(rows))
    axes[:count] = rows[:count]
    for index in range(count):  # the largest component of each axis is positive
        if axes[index, np.argmax(np.abs(axes[index]))] < 0:
            axes[index] = -axes[index]
    total = float(variances.sum()) or 1.0
    shares = [float(v) / total for v in variances[:2]] + [0.0, 0.0]
    return mean, axes, (shares[0], shares[1])


def _frozen(array: np.ndarray) -> np.ndarray:
    """A read-only copy."""
    array = np.array(array, dtype=np.float64)
    array.setflags(write=False)
    return array


def pca_map(vectors: object) -> Map:
    """The vectors projected on their two principal axes."""
    began = time.perf_counter()
    array = check_vectors(vectors)
    mean, axes, shares = principal_axes(array)
    coordinates = (array - mean) @ axes.T  # (N, 2)
    return Map(_frozen(coordinates), "pca", {}, mean, axes, shares, None, time.perf_counter() - began)


def tsne_map(
    vectors: object,
    *,
    perplexity: float = 30.0,
    seed: int = 0,
    iterations: int = 500,
    initial: np.ndarray | None = None,
    exaggeration_iterations: int = 250,
    threads: int | None = None,
    components: int | None = None,
) -> Map:
    """openTSNE's map (cosine affinities, PCA start or `initial` (N, 2) to continue a previous layout).

    With `components`, the affinities are computed on the top principal components (the usual recipe:
    it drops the many low-variance directions where a barely trained embedding keeps its random start)."""
    from openTSNE import TSNEEmbedding, affinity, initialization
    from openTSNE.tsne import OptimizationInterrupt

    began = time.perf_counter()
    array = check_vectors(vectors)
    perplexity = check_perplexity(perplexity, len(array))
    threads = auto_threads() if threads is None else threads
    reduced = components is not None and 2 < components < min(array.shape)
    mean, axes, shares = principal_axes(array, int(components) if reduced else 2)
    basis, axes = (axes, axes[:2]) if reduced else (None, axes)
    start = (array - mean) @ axes.T if initial is None else np.asarray(initial, dtype=np.float64)
    if start.shape != (len(array), 2):
        raise EmbeddingError(f"the starting layout must have one (x, y) per point, got shape {start.shape}")
    if not np.isfinite(start).all() or not start.any():
        start = (array - mean) @ axes.T
    # exact affinities below 1,000 points, Annoy's approximate neighbours above (O(N log N));
    # Barnes-Hut gradients were faster than FFT up to 10,000 points on 2 cores (bench/embeddings.py); placing new
    # points uses the FFT grid, prepared once here (it centres the map on (0, 0), which moves nothing relative)
    affinities = affinity.PerplexityBasedNN(
        array if basis is None else (array - mean) @ basis.T,
        perplexity=perplexity,
        metric="cosine",
        method="exact" if len(array) <= 1000 else "annoy",
        n_jobs=threads,
        random_state=seed,
        verbose=False,
    )
    method = "bh" if len(array) < 10_000 else "fft"
    embedding = TSNEEmbedding(
        initialization.rescale(start),
        affinities,
        negative_gradient_method=method,
        n_jobs=threads,
        random_state=seed,
        verbose=False,
    )
    try:
        if exaggeration_iterations:
            embedding = embedding.optimize(n_iter=exaggeration_iterations, exaggeration=12, momentum=0.5, **_STOPPABLE)
        embedding = embedding.optimize(n_iter=iterations, momentum=0.8, **_STOPPABLE)
    except OptimizationInterrupt:
        raise EmbeddingError("the map was stopped because the server is shutting down") from None
    embedding.prepare_interpolation_grid()
    _one_thread_for_placing(affinities)
    settings = {"perplexity": perplexity, "seed": seed, "iterations": iterations, "components": components}
    return Map(_frozen(np.asarray(embedding)), "tsne", settings, mean, axes, shares, embedding,
               time.perf_counter() - began, basis)  # fmt: skip


def _one_thread_for_placing(affinities: Any) -> None:
    """A finished map's neighbour search runs on the caller's thread: placing one phrase through joblib's pool
    cost a thread start and a 10 ms poll (set before the map is shared, never after)."""
    affinities.n_jobs = 1
    if getattr(affinities, "knn_index", None) is not None:
        affinities.knn_index.n_jobs = 1


def trustworthiness(vectors: object, reference: Map, neighbours: int = 10) -> float:
    """scikit-learn's trustworthiness of the map (1 = every map neighbour is a true neighbour), cosine."""
    from sklearn.manifold import trustworthiness as sklearn_trustworthiness

    array = check_vectors(vectors)
    neighbours = min(neighbours, (len(array) - 1) // 2)
    return float(sklearn_trustworthiness(array, reference.coordinates, n_neighbors=max(1, neighbours), metric="cosine"))


# ---------------------------------------------------------------- one map per process, shared read-only


_DIGESTS: OrderedDict[int, tuple[np.ndarray, str]] = OrderedDict()  # id -> (the read-only array, its digest)
_DIGESTS_LOCK = threading.Lock()


def digest(array: np.ndarray) -> str:
    """A short content hash of an array (its shape and bytes); remembered for read-only arrays, which cannot
    change (a cached phrase set is hashed once, not on every rerun: 10 MB of SHA-256 is ~20 ms)."""
    frozen = isinstance(array, np.ndarray) and not array.flags.writeable
    if frozen:
        with _DIGESTS_LOCK:
            known = _DIGESTS.get(id(array))
            if known is not None and known[0] is array:
                return known[1]
    contiguous = np.ascontiguousarray(array, dtype=np.float64)
    result = hashlib.sha256(str(contiguous.shape).encode() + contiguous.tobytes()).hexdigest()[:24]
    if frozen:
        with _DIGESTS_LOCK:
            _DIGESTS[id(array)] = (array, result)
            while len(_DIGESTS) > 4 * CACHE_SIZE:
                _DIGESTS.popitem(last=False)
    return result


class MapCache:
    """An LRU of maps keyed by (vectors digest, method, settings); each map is computed once, even when
    two sessions ask at the same moment, in the caller's thread (`get`) or in the background (`request`)."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self._maps: OrderedDict[tuple, Map] = OrderedDict()
        self._lock = threading.Lock()
        self._computing: dict[tuple, threading.Lock] = {}
        self._failed: dict[tuple, str] = {}
        self._background: dict[tuple, threading.Thread] = {}

    def get(self, key: tuple, compute: Callable[[], Map]) -> Map:
        """The map under `key`, computed by `compute()` the first time."""
        with self._lock:
            if key in self._maps:
                self._maps.move_to_end(key)
                return self._maps[key]
            lock = self._computing.setdefault(key, threading.Lock())
        with lock:
            with self._lock:
                if key in self._maps:
                    return self._maps[key]
            result = compute()
            with self._lock:
                self._maps[key] = result
                self._computing.pop(key, None)
                while len(self._maps) > self.size:
                    self._maps.popitem(last=False)
            return result

    def request(self, key: tuple, compute: Callable[[], Map]) -> Map | None:
        """The map if it is ready; otherwise start computing it in a background thread (once) and return None.

        A computation that failed raises its EmbeddingError again on every request."""
        with self._lock:
            if key in self._maps:
                self._maps.move_to_end(key)
                return self._maps[key]
            if key in self._failed:
                raise EmbeddingError(self._failed[key])
            if key in self._background and self._background[key].is_alive():
                return None
            thread = threading.Thread(target=self._compute_quietly, args=(key, compute), daemon=True, name="rnnviz-map")
            self._background[key] = thread
        thread.start()
        return None

    def _compute_quietly(self, key: tuple, compute: Callable[[], Map]) -> None:
        """Compute in the background; keep the message of an EmbeddingError for the next request."""
        try:
            self.get(key, compute)
        except EmbeddingError as error:
            with self._lock:
                self._failed[key] = str(error)
        except Exception as error:  # a background thread has nobody else to tell
            with self._lock:
                self._failed[key] = f"the map could not be computed ({type(error).__name__}: {error})"
        finally:
            with self._lock:
                self._background.pop(key, None)

    def peek(self, key: tuple) -> Map | None:
        """The map under `key` if it is ready, else None (never computes)."""
        with self._lock:
            return self._maps.get(key)

    def join(self, timeout: float) -> None:
        """Wait up to `timeout` seconds in all for the background computations to end."""
        deadline = time.monotonic() + timeout
        with self._lock:
            threads = list(self._background.values())
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def pending(self, key: tuple) -> bool:
        """Whether a background computation of `key` is running."""
        with self._lock:
            thread = self._background.get(key)
            return thread is not None and thread.is_alive()


MAPS = MapCache()


def _stop_background(timeout: float = 20.0) -> None:
    """At exit: end the background maps and wait for them (a thread killed inside C++ aborts the process)."""
    STOP.set()
    MAPS.join(timeout)


atexit.register(_stop_background)


def map_key(vectors: np.ndarray, method: str, **settings: Any) -> tuple:
    """The cache key of a map of these vectors with these settings."""
    return (digest(vectors), method, tuple(sorted(settings.items())))


def _computer(vectors: np.ndarray, method: str, settings: dict[str, Any]) -> Callable[[], Map]:
    """The function that computes this map."""
    if method not in ("pca", "tsne"):
        raise EmbeddingError(f"the projection must be 'pca' or 'tsne', got {method!r}")
    return (lambda: pca_map(vectors)) if method == "pca" else (lambda: tsne_map(vectors, **settings))


def cached_map(vectors: np.ndarray, method: str = "tsne", **settings: Any) -> Map:
    """`pca_map` or `tsne_map` of the vectors, computed once per process for the same vectors and settings."""
    return MAPS.get(map_key(vectors, method, **settings), _computer(vectors, method, settings))


def requested_map(vectors: np.ndarray, method: str = "tsne", **settings: Any) -> Map | None:
    """The cached map if ready; else None while it is computed in the background (PCA is computed at once)."""
    key = map_key(vectors, method, **settings) if method == "tsne" else map_key(vectors, method)
    ready = MAPS.peek(key)
    if ready is not None:  # a rerun: no checks, no copies
        return ready
    compute = _computer(vectors, method, settings)
    if method == "tsne":  # refuse bad settings now, not in the background
        check_perplexity(settings.get("perplexity", 30.0), len(check_vectors(vectors)))
    if method == "pca":
        return MAPS.get(key, compute)
    return MAPS.request(key, compute)
