"""Watch a word map form: train a small translator, snapshot its embedding matrices, align the maps.

The default task is the generated date task read as words ("nov 25 , 2026" -> "2026 11 25"), so
the words have a meaning a person can check: training pulls "nov", "november", "11" and "11th"
together. `EmbeddingSnapshots` is a training callback that copies the source and target embedding
rows at the asked steps; `aligned_layouts` maps every snapshot to 2-D so that points move instead
of jumping: PCA rotated onto the previous map (orthogonal Procrustes), or t-SNE started from the
previous map and then rotated the same way. `forming_target` is a job target for the live page.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from rnnviz.core.randomness import make_generator
from rnnviz.data.languages import MONTHS, WEEKDAYS, date_pairs
from rnnviz.data.pairs import PairData, load_pairs, normalize_date, split_and_count
from rnnviz.data.text import Vocabulary
from rnnviz.embeddings.neighbours import chance_agreement, knn_agreement
from rnnviz.embeddings.projection import MIN_PCA_POINTS, MIN_TSNE_POINTS, EmbeddingError, check_vectors, principal_axes, tsne_map
from rnnviz.embeddings.properties import OTHER, word_labels
from rnnviz.seq2seq.model import Seq2Seq
from rnnviz.seq2seq.training import Seq2SeqConfig, train_seq2seq
from rnnviz.training.loop import StepInfo, TrainResult

SIDES = ("source", "target")
METHODS = ("pca", "tsne")
INITIAL_SCALE = 0.1  # word vectors start as N(0, 0.1²): what training writes into them soon outweighs the noise
MAX_SNAPSHOTS = 16
MAP_WORDS = 400  # sentence pairs: the map shows the most frequent words (and every listed word)
TSNE_ITERATIONS = 250  # the first snapshot's t-SNE, after half as many early-exaggeration steps
TSNE_CONTINUED = 100  # each later snapshot, started from the previous layout
NEIGHBOURS = 5  # k of the meaning agreement measured at each snapshot
_DATE_WORD = re.compile(r"\d+(?:st|nd|rd|th)?|[a-z]+|[^\sa-z\d]")


@dataclass(frozen=True)
class FormingSettings:
    """A live run: data size, network, steps and how many snapshots (defaults: ~10 s on a laptop core)."""

    pairs: int = 3000
    hidden: int = 64
    cell: str = "gru"
    steps: int = 600
    learning_rate: float = 1e-2
    batch_size: int = 64
    snapshots: int = 9
    seed: int = 0


# ---------------------------------------------------------------- the date task as words


def date_words(text: str) -> str:
    """A human date as space-separated words: numbers, ordinals, names and punctuation apart."""
    return " ".join(_DATE_WORD.findall(normalize_date(text)))


def date_word_data(count: int = 3000, *, seed: int = 0, validation: int = 200) -> PairData:
    """The date task as word pairs: "fri , 15 / 02 / 2019" -> "2019 02 15" (year, month, day)."""
    pairs = [(date_words(human), " ".join(iso.split("-"))) for human, iso in date_pairs(count, seed=seed)]
    return split_and_count(
        pairs,
        test=0,
        validation=validation,
        seed=seed,
        info={
            "source_language": "date",
            "target_language": "iso",
            "preparation": "date-words",
            "tutorial_filter": False,
            "tokens": "words",
        },
    )


def date_word_kind(word: str) -> str:
    """What a date word names: weekday, month, ordinal, year, a number that can be a month, a day or a year."""
    if word.isdigit():
        if len(word) == 4:
            return "year (4 digits)"
        number = int(word)
        return (
            "number 1–12 (day, month or year)"
            if 1 <= number <= 12
            else ("number 13–31 (day or year)" if number <= 31 else "number 32–99 (a year)")
        )
    if re.fullmatch(r"\d+(st|nd|rd|th)", word):
        return "ordinal (a day)"
    if any(day.startswith(word) for day in WEEKDAYS) and len(word) >= 3:
        return "weekday"
    if any(month.startswith(word) for month in MONTHS) and len(word) >= 3:
        return "month name"
    return "other"


def date_word_meaning(word: str) -> str:
    """The number a date word stands for ("nov", "november", "11th", "11" -> "11"); years by their last two digits."""
    digits = re.match(r"\d+", word)
    if digits:
        return str(int(digits.group()) % 100)
    for index, month in enumerate(MONTHS, start=1):
        if len(word) >= 3 and month.startswith(word):
            return str(index)
    for day in WEEKDAYS:
        if len(word) >= 3 and day.startswith(word):
            return day
    return word


# ---------------------------------------------------------------- snapshots during training


def snapshot_steps(total: int, count: int) -> list[int]:
    """`count` steps from 0 to `total`, denser early (where the map changes most): 0, then geometric to total."""
    if total < 1 or count < 2:
        raise EmbeddingError("snapshots need at least 1 training step and at least 2 snapshots")
    count = min(count, MAX_SNAPSHOTS, total + 1)
    later = np.geomspace(max(1.0, total / 60), total, count - 1)
    steps = sorted({0, *(round(float(s)) for s in later), total})
    while len(steps) > count:  # rounding can leave one too many: drop the densest early step
        steps.pop(1)
    return steps


@dataclass(frozen=True, eq=False)
class Snapshot:
    """The embedding rows of both sides at one training step."""

    step: int
    loss: float | None
    source: np.ndarray  # (N_source, E)
    target: np.ndarray  # (N_target, E)

    def vectors(self, side: str) -> np.ndarray:
        """The rows of one side."""
        return self.source if side == "source" else self.target


def word_rows(vocab: Vocabulary) -> tuple[list[str], np.ndarray]:
    """The ordinary tokens of a vocabulary and their rows (special tokens left out)."""
    rows = [index for index, token in enumerate(vocab.tokens) if token not in vocab.specials]
    return [vocab.tokens[i] for i in rows], np.asarray(rows, dtype=np.int64)


class EmbeddingSnapshots:
    """Training callback: copy the encoder's and decoder's embedding rows at the asked steps (0 = before training)."""

    def __init__(
        self,
        model: Seq2Seq,
        source_rows: np.ndarray,
        target_rows: np.ndarray,
        steps: Sequence[int],
        keep: list[Snapshot] | None = None,
    ) -> None:
        self.model, self.source_rows, self.target_rows = model, source_rows, target_rows
        self.steps = frozenset(int(step) for step in steps)
        self.snapshots: list[Snapshot] = [] if keep is None else keep

    def take(self, step: int, loss: float | None = None) -> Snapshot:
        """Copy the rows now."""
        with torch.no_grad():
            source = self.model.encoder.embedding.weight.detach().float().cpu().numpy()[self.source_rows]
            target = self.model.embedding.weight.detach().float().cpu().numpy()[self.target_rows]
        snapshot = Snapshot(step, loss, source.astype(np.float64), target.astype(np.float64))
        self.snapshots.append(snapshot)
        return snapshot

    def on_train_begin(self, _optimizer: Any) -> None:
        """The untrained map (step 0)."""
        if 0 in self.steps and not self.snapshots:
            self.take(0)

    def on_step_end(self, info: StepInfo) -> None:
        """A snapshot at each asked step."""
        if info.step in self.steps:
            self.take(info.step, info.loss)

    def on_train_end(self, result: TrainResult) -> None:
        """A stopped run still ends with a snapshot of its last weights."""
        done = result.steps_done
        if done and (not self.snapshots or self.snapshots[-1].step != done):
            self.take(done, result.history[-1].loss if result.history else None)


# ---------------------------------------------------------------- maps that move instead of jumping


def procrustes_align(layout: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """`layout` (N, 2) shifted and rotated (or mirrored) to lie as close as it can to `reference` (N, 2).

    Only a rigid motion: distances within the map do not change, so the alignment hides nothing.
    """
    layout, reference = np.asarray(layout, dtype=np.float64), np.asarray(reference, dtype=np.float64)
    if layout.shape != reference.shape:
        raise EmbeddingError(f"two maps of different points cannot be aligned: {layout.shape} and {reference.shape}")
    centre, reference_centre = layout.mean(axis=0), reference.mean(axis=0)
    from scipy.linalg import orthogonal_procrustes  # imported when used (0.3 s)

    rotation, _ = orthogonal_procrustes(layout - centre, reference - reference_centre)  # (2, 2)
    return (layout - centre) @ rotation + reference_centre


def _pca_layout(vectors: np.ndarray) -> np.ndarray:
    """The vectors on their two principal axes (N, 2)."""
    mean, axes, _ = principal_axes(vectors)
    return (vectors - mean) @ axes.T


def _tsne_layout(vectors: np.ndarray, previous: np.ndarray | None, perplexity: float, seed: int) -> np.ndarray:
    """openTSNE's map, continued from the previous snapshot's layout when there is one."""
    perplexity = min(perplexity, max(1.0, (len(vectors) - 2) / 3))
    if previous is None:
        first = tsne_map(
            vectors,
            perplexity=perplexity,
            seed=seed,
            iterations=TSNE_ITERATIONS,
            exaggeration_iterations=TSNE_ITERATIONS // 2,
            threads=1,
        )
        return np.array(first.coordinates)
    continued = tsne_map(
        vectors,
        perplexity=perplexity,
        seed=seed,
        iterations=TSNE_CONTINUED,
        initial=previous,
        exaggeration_iterations=0,
        threads=1,
    )
    return np.array(continued.coordinates)


def aligned_layouts(
    snapshots: Sequence[np.ndarray],
    method: str = "pca",
    *,
    align: bool = True,
    perplexity: float = 30.0,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> list[np.ndarray]:
    """One (N, 2) layout per snapshot, each aligned to the one before (with `align`)."""
    if method not in METHODS:
        raise EmbeddingError(f"the projection must be 'pca' or 'tsne', got {method!r}")
    if not len(snapshots):
        raise EmbeddingError("there are no snapshots yet: train first")
    arrays = [check_vectors(s, MIN_PCA_POINTS) for s in snapshots]
    if len({a.shape for a in arrays}) != 1:
        raise EmbeddingError("every snapshot must hold the same words")
    if method == "tsne" and len(arrays[0]) < MIN_TSNE_POINTS:
        raise EmbeddingError(f"t-SNE needs at least {MIN_TSNE_POINTS} words, this map has {len(arrays[0])}: use PCA")
    layouts: list[np.ndarray] = []
    for index, vectors in enumerate(arrays):
        previous = layouts[-1] if layouts else None
        start = previous if align else None
        layout = _pca_layout(vectors) if method == "pca" else _tsne_layout(vectors, start, perplexity, seed)
        if align and previous is not None:
            layout = procrustes_align(layout, previous)
        layouts.append(layout)
        if progress is not None:
            progress(index + 1, len(arrays))
    return layouts


def map_size(layout: np.ndarray) -> float:
    """Root-mean-square distance of the points from their centre (the map's size)."""
    centred = layout - layout.mean(axis=0)
    return float(np.sqrt((centred**2).sum(axis=1).mean())) or 1.0


def displacement(layouts: Sequence[np.ndarray]) -> float:
    """Mean distance a point moves from one layout to the next, as a share of the map's size (0.1 = 10 %).

    Each layout is centred and scaled to size 1 first, so a map that only grows does not count as moving.
    """
    if len(layouts) < 2:
        return 0.0
    scaled = [(a - a.mean(axis=0)) / map_size(a) for a in (np.asarray(x, dtype=np.float64) for x in layouts)]
    steps = [np.linalg.norm(after - before, axis=1).mean() for before, after in itertools.pairwise(scaled)]
    return float(np.mean(steps))


def group_spread(layout: np.ndarray, rows: Sequence[int]) -> float:
    """Mean distance between the points of `rows`, as a share of the whole map's size (small = gathered)."""
    points = np.asarray(layout, dtype=np.float64)[list(rows)]
    if len(points) < 2:
        return 0.0
    distances = np.linalg.norm(points[:, None] - points[None], axis=-1)  # (R, R)
    return float(distances.sum() / (len(points) * (len(points) - 1)) / map_size(layout))


def meaning_agreement(snapshots: Sequence[np.ndarray], labels: Sequence[str], k: int = NEIGHBOURS) -> tuple[list[float], float]:
    """Per snapshot, the share of each word's k nearest neighbours (full space) with its label; and chance."""
    k = min(k, len(labels) - 1)
    if k < 1:
        raise EmbeddingError("agreement needs at least 2 words")
    return [knn_agreement(np.asarray(s), labels, k) for s in snapshots], chance_agreement(labels)


# ---------------------------------------------------------------- the live run


@dataclass
class FormingRun:
    """What a live run leaves: the words of each side, their labels, the snapshots, the final scores."""

    words: dict[str, list[str]]
    snapshots: list[Snapshot] = field(default_factory=list)
    exact: float | None = None  # % of held-out pairs translated exactly at the end
    bleu: float | None = None
    languages: dict[str, str] = field(default_factory=lambda: {"source": "date", "target": "iso"})

    @property
    def dates(self) -> bool:
        """Whether the run trained on the date task (else on sentence pairs)."""
        return self.languages.get("source") == "date"

    def labels(self, side: str, by: str = "kind") -> list[str]:
        """A label per word: for dates what it names ("kind") or the number it stands for ("meaning"); else its word list."""
        if not self.dates:
            return word_labels(self.words[side], "word list", language=self.languages[side])
        label = date_word_kind if by == "kind" else date_word_meaning
        return [label(word) for word in self.words[side]]

    def agreement(self, side: str) -> tuple[list[float], float]:
        """Per snapshot, the meaning agreement (dates) or, among listed words, the word-list agreement; and chance."""
        if self.dates:
            by = "meaning" if side == "source" else "kind"
            return meaning_agreement([s.vectors(side) for s in self.snapshots], self.labels(side, by))
        labels = self.labels(side)
        listed = [row for row, label in enumerate(labels) if label != OTHER]
        if len(listed) < 3:
            raise EmbeddingError("fewer than 3 words of the word lists (numbers, pronouns, ...) are in this vocabulary")
        vectors = [s.vectors(side)[listed] for s in self.snapshots]
        return meaning_agreement(vectors, [labels[row] for row in listed])


def tutorial_rows(vocab: Vocabulary, language: str, limit: int = MAP_WORDS) -> tuple[list[str], np.ndarray]:
    """The `limit` most frequent words of a vocabulary and every word of the word lists, with their rows."""
    words, rows = word_rows(vocab)
    listed = word_labels(words, "word list", language=language)
    keep = [index for index, label in enumerate(listed) if index < limit or label != OTHER]
    return [words[i] for i in keep], rows[keep]


def tutorial_data(source: Any, *, seed: int = 0) -> PairData:
    """The tutorial's French → English pairs (its filter) from an eng-fra.txt path or upload."""
    return load_pairs(
        source, source_language="fra", target_language="eng", tutorial_filter=True, test=0, validation=200, seed=seed
    )


def build_model(data: PairData, settings: FormingSettings) -> Seq2Seq:
    """A small attention translator whose word vectors start small (INITIAL_SCALE)."""
    longest = max(len(source.split(" ")) for source, _ in data.train) + 1
    model = Seq2Seq(
        len(data.source_vocab),
        len(data.target_vocab),
        hidden_size=settings.hidden,
        encoder_hidden_size=settings.hidden // 2,
        bidirectional=True,
        cell=settings.cell,
        attention="additive",
        dropout=0.0,
        max_source_length=longest,
        tie_embeddings=True,
        generator=make_generator(settings.seed),
    )
    with torch.no_grad():
        model.encoder.embedding.weight.mul_(INITIAL_SCALE)
        model.embedding.weight.mul_(INITIAL_SCALE)
    return model


def forming_target(settings: FormingSettings, data: PairData | None = None) -> Callable[[Any], TrainResult]:
    """A `rnnviz.training.jobs.Job` target: train on `data` (default: dates as words); `job.extras["run"]` is the run."""

    def target(job: Any) -> TrainResult:
        pairs = data if data is not None else date_word_data(settings.pairs, seed=settings.seed)
        model = build_model(pairs, settings)
        languages = {"source": pairs.info["source_language"], "target": pairs.info["target_language"]}
        if data is None:
            (source_words, source_rows), (target_words, target_rows) = map(word_rows, (pairs.source_vocab, pairs.target_vocab))
        else:
            source_words, source_rows = tutorial_rows(pairs.source_vocab, languages["source"])
            target_words, target_rows = tutorial_rows(pairs.target_vocab, languages["target"])
        run = FormingRun({"source": source_words, "target": target_words}, languages=languages)
        job.extras["run"] = run
        steps = snapshot_steps(settings.steps, settings.snapshots)
        watcher = EmbeddingSnapshots(model, source_rows, target_rows, steps, run.snapshots)
        config = Seq2SeqConfig(validate_every=settings.steps, decay_start=0.7).replace(
            steps=settings.steps, learning_rate=settings.learning_rate, batch_size=settings.batch_size, seed=settings.seed
        )
        outcome = train_seq2seq(model, pairs, config, callbacks=[job, watcher], stop=job.stop_event, keep_best=False)
        if outcome.validations:
            run.exact, run.bleu = outcome.validations[-1].exact, outcome.validations[-1].bleu
        return outcome.result

    return target
