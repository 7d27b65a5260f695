"""The phrases map's data and a typed phrase placed into it: what the page and bench/embeddings.py both call.

`place` puts new vectors into a finished map (openTSNE's partial embedding, or PCA's projection) without moving
its points; `phrase_set` gathers the phrases (training sentences, or sub-phrases of the whole corpus), their encoder
summaries, a cosine index and every property's labels, once; `place_phrase` encodes a typed phrase, places
it into a finished map without moving the others, and lists its nearest phrases in the full space.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import numpy as np

from rnnviz.embeddings import phrases, properties
from rnnviz.embeddings.neighbours import CosineIndex
from rnnviz.embeddings.projection import EmbeddingError, Map
from rnnviz.embeddings.vectors import TypedPhrase, phrase_vectors, typed_phrase
from rnnviz.seq2seq.translator import Translator

KINDS = ("training", "sub-phrases")  # the training sentences, or sub-phrases of 2-6 words of the whole corpus
# t-SNE of phrase summaries: half of openTSNE's default steps (250 + 500); on 5,000 phrases of the whole-corpus
# model trustworthiness stays 0.982 (0.981 with the default) and the clusters are the same (bench/embeddings.py)
PHRASE_STEPS = {"exaggeration_iterations": 125, "iterations": 250}
PLACE_ITERATIONS = 15  # optimisation steps for a placed point after openTSNE's median start (its transform: 250)


@dataclass(frozen=True, eq=False)
class PhraseSet:
    """Phrases, their summary vectors (read-only), a cosine index over them and each property's labels."""

    pairs: list[tuple[str, str]]  # (phrase, its translation, or for a sub-phrase the corpus pair it was cut from)
    vectors: np.ndarray  # (N, M)
    index: CosineIndex
    labels: dict[str, list[str]]
    kind: str = "training"

    @property
    def phrases(self) -> list[str]:
        """The phrases, in order."""
        return [phrase for phrase, _ in self.pairs]


def phrase_set(translator: Translator, kind: str = "training", count: int = 2000, seed: int = 0,
               corpus: object | None = None) -> PhraseSet:  # fmt: skip
    """`count` phrases of `kind` (seeded sample), encoded, indexed and labelled."""
    if kind not in KINDS:
        raise EmbeddingError(f"the phrases must be one of {', '.join(KINDS)}, got {kind!r}")
    if kind == "training":
        pairs = phrases.sample_pairs(phrases.training_pairs(translator.info, corpus), count, seed)
    else:
        pairs = phrases.corpus_sub_phrases(translator.info, translator.source_vocab, count, seed, corpus)
    if len(pairs) < 3:
        raise EmbeddingError(f"only {len(pairs)} phrases were found: a map needs at least 3")
    found = phrase_vectors(translator, [phrase for phrase, _ in pairs])
    found.setflags(write=False)
    language = translator.source_language
    sources, targets = [phrase for phrase, _ in pairs], [target for _, target in pairs]
    labels = {name: properties.phrase_labels(sources, name, language, targets)
              for name in properties.properties_for(language)}  # fmt: skip
    return PhraseSet(pairs, found, CosineIndex(found), labels, kind)


_PLACE_LOCK = threading.Lock()
_THREADPOOLS: list = []  # one threadpoolctl controller, made on first use (scanning the libraries costs ~6 ms)


def _single_thread():
    """A context in which BLAS and OpenMP run on one thread."""
    if not _THREADPOOLS:
        from threadpoolctl import ThreadpoolController

        _THREADPOOLS.append(ThreadpoolController())
    return _THREADPOOLS[0].limit(limits=1)


def place(reference: Map, vectors: object) -> np.ndarray:
    """(M, 2) positions of new vectors in a finished map; the map's own points do not move."""
    array = np.asarray(vectors, dtype=np.float64)
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2 or array.shape[1] != reference.mean.shape[0]:
        raise EmbeddingError(
            f"the new vectors must have {reference.mean.shape[0]} dimensions like the map's, got shape {array.shape}"
        )
    if not np.isfinite(array).all():
        raise EmbeddingError("the new vector holds NaN or infinity")
    if reference.method == "pca" or reference.embedding is None:
        return (array - reference.mean) @ reference.axes.T
    neighbours = min(25, len(reference) - 1)
    # openTSNE's partial embeddings read the shared reference: one at a time, one thread (spawning pools cost more).
    # The negative gradient comes from the reference's FFT interpolation grid, prepared once by `tsne_map`:
    # Barnes-Hut would rebuild a quad tree of all N reference points at every iteration (most of the time it took).
    embedding = reference.embedding
    with _PLACE_LOCK, _single_thread():
        partial = embedding.prepare_partial(
            reference.reduce(array), initialization="median", k=neighbours, perplexity=min(5.0, (neighbours - 1) / 3)
        )
        placed = partial.optimize(n_iter=PLACE_ITERATIONS, learning_rate=0.1, exaggeration=1.5, momentum=0.8,
                                  negative_gradient_method="fft", n_jobs=1)  # fmt: skip
    return np.asarray(placed, dtype=np.float64).reshape(len(array), 2)


@dataclass(frozen=True, eq=False)
class Placed:
    """A typed phrase as the model read it, its place in the map and its nearest phrases (row, cosine)."""

    typed: TypedPhrase
    point: np.ndarray | None  # (2,) on the map, None when nothing was left to encode
    nearest: list[tuple[int, float]] = field(default_factory=list)
    seconds: float = 0.0  # encoding + placing + neighbours


def place_phrase(translator: Translator, text: object, found: PhraseSet, reference: Map, k: int = 8) -> Placed:
    """Encode `text`, place it into `reference` (a map of `found`) without moving any point, find its neighbours."""
    began = time.perf_counter()
    typed = typed_phrase(translator, text)
    if typed.vector is None:
        return Placed(typed, None, [], time.perf_counter() - began)
    point = place(reference, typed.vector)[0]
    near = found.index.nearest(typed.vector, k)
    return Placed(typed, point, near, time.perf_counter() - began)
