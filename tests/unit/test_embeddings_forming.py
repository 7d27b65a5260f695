"""Watch it form: snapshots at the asked steps, Procrustes and t-SNE continuation keep points in place, date words."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
import torch

from rnnviz.embeddings.projection import EmbeddingError
from rnnviz.embeddings.snapshots import (
    EmbeddingSnapshots,
    FormingRun,
    FormingSettings,
    aligned_layouts,
    build_model,
    date_word_data,
    date_word_kind,
    date_word_meaning,
    date_words,
    displacement,
    forming_target,
    group_spread,
    meaning_agreement,
    procrustes_align,
    snapshot_steps,
    tutorial_data,
    tutorial_rows,
    word_rows,
)
from rnnviz.seq2seq.training import Seq2SeqConfig, train_seq2seq

TINY = FormingSettings(pairs=300, hidden=16, steps=12, snapshots=4, batch_size=16)


class FakeJob:
    """What a job target uses of `rnnviz.training.jobs.Job`."""

    def __init__(self) -> None:
        self.extras: dict = {}
        self.stop_event = threading.Event()
        self.history: list = []

    def on_step_end(self, info) -> None:
        self.history.append(info)


def rotation(angle: float) -> np.ndarray:
    """A 2-D rotation matrix."""
    return np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])


def drifting_clusters(snapshots: int = 4, points: int = 60, dims: int = 8, seed: int = 0) -> list[np.ndarray]:
    """Vectors in 4 clusters that drift a little from one snapshot to the next."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(4, dims)) * 4
    base = centres[np.arange(points) % 4] + rng.normal(size=(points, dims))
    return [base + 0.1 * step * rng.normal(size=(points, dims)) for step in range(snapshots)]


def test_snapshot_steps_start_untrained_end_at_the_last_step_and_are_denser_early() -> None:
    steps = snapshot_steps(600, 9)
    assert len(steps) == 9 and steps[0] == 0 and steps[-1] == 600
    assert (np.diff(steps) > 0).all()
    gaps = np.diff(steps)
    assert gaps[0] < gaps[-1]
    assert snapshot_steps(3, 9) == [0, 1, 2, 3]  # never more snapshots than steps + 1
    with pytest.raises(EmbeddingError, match="at least 2 snapshots"):
        snapshot_steps(100, 1)


def test_the_live_target_takes_its_snapshots_at_the_asked_steps_with_the_vocabulary_rows() -> None:
    job = FakeJob()
    result = forming_target(TINY)(job)
    run = job.extras["run"]
    assert result.status == "finished" and isinstance(run, FormingRun)
    assert [s.step for s in run.snapshots] == snapshot_steps(TINY.steps, TINY.snapshots)
    assert run.snapshots[0].source.shape == (len(run.words["source"]), TINY.hidden)
    assert run.snapshots[0].target.shape == (len(run.words["target"]), TINY.hidden)
    assert not np.allclose(run.snapshots[0].source, run.snapshots[-1].source)  # training moved the vectors
    assert run.exact is not None and 0 <= run.exact <= 100


def test_snapshots_copy_the_embedding_rows_and_a_stopped_run_ends_with_its_last_weights() -> None:
    data = date_word_data(200, validation=20)
    model = build_model(data, TINY)
    (_, source_rows), (_, target_rows) = word_rows(data.source_vocab), word_rows(data.target_vocab)
    watcher = EmbeddingSnapshots(model, source_rows, target_rows, steps=[0, 100])
    initial = model.encoder.embedding.weight.detach().numpy()[source_rows].copy()
    stop = threading.Event()

    class StopAtFive:
        def on_step_end(self, info) -> None:
            if info.step == 5:
                stop.set()

    config = Seq2SeqConfig(validate_every=1000).replace(steps=100, batch_size=16, learning_rate=1e-2)
    outcome = train_seq2seq(model, data, config, callbacks=[watcher, StopAtFive()], stop=stop, keep_best=False)
    steps_done = outcome.result.steps_done
    assert steps_done < 100
    assert [s.step for s in watcher.snapshots] == [0, steps_done]
    np.testing.assert_allclose(watcher.snapshots[0].source, initial)
    final = model.encoder.embedding.weight.detach().numpy()[source_rows]
    np.testing.assert_allclose(watcher.snapshots[-1].source, final, rtol=1e-6)
    np.testing.assert_allclose(watcher.snapshots[-1].target, model.embedding.weight.detach().numpy()[target_rows])
    assert torch.isfinite(model.encoder.embedding.weight).all()


def test_procrustes_undoes_a_rotation_a_mirror_and_a_shift_without_changing_distances() -> None:
    rng = np.random.default_rng(1)
    reference = rng.normal(size=(30, 2))
    moved = reference @ rotation(2.0) @ np.diag([1, -1]) + np.array([5.0, -3.0])
    aligned = procrustes_align(moved, reference)
    np.testing.assert_allclose(aligned, reference, atol=1e-9)
    distances = lambda a: np.linalg.norm(a[:, None] - a[None], axis=-1)  # noqa: E731
    np.testing.assert_allclose(distances(aligned), distances(moved), atol=1e-9)
    with pytest.raises(EmbeddingError, match="different points"):
        procrustes_align(moved[:5], reference)


def test_alignment_reduces_how_far_points_move_between_pca_snapshots() -> None:
    snapshots = drifting_clusters()
    rotated = [s @ np.linalg.qr(np.random.default_rng(i).normal(size=(8, 8)))[0] for i, s in enumerate(snapshots)]
    aligned, unaligned = aligned_layouts(rotated, "pca"), aligned_layouts(rotated, "pca", align=False)
    assert displacement(aligned) < 0.5 * displacement(unaligned)


def test_alignment_reduces_displacement_on_real_training_snapshots() -> None:
    job = FakeJob()
    forming_target(TINY)(job)
    vectors = [s.source for s in job.extras["run"].snapshots]
    assert displacement(aligned_layouts(vectors, "pca")) <= displacement(aligned_layouts(vectors, "pca", align=False))


def test_tsne_started_from_the_previous_map_moves_points_less_than_fresh_maps() -> None:
    snapshots = drifting_clusters(snapshots=3)
    continued = aligned_layouts(snapshots, "tsne", perplexity=10)
    fresh = [aligned_layouts([s], "tsne", perplexity=10, seed=i)[0] for i, s in enumerate(snapshots)]
    assert displacement(continued) < displacement(fresh)
    assert all(layout.shape == (60, 2) and np.isfinite(layout).all() for layout in continued)


def test_a_map_of_three_words_works_with_pca_and_tsne_says_what_to_do() -> None:
    three = [np.eye(3), np.eye(3) * 2]
    assert [layout.shape for layout in aligned_layouts(three, "pca")] == [(3, 2), (3, 2)]
    with pytest.raises(EmbeddingError, match="use PCA"):
        aligned_layouts(three, "tsne")
    with pytest.raises(EmbeddingError, match="at least 3 points"):
        aligned_layouts([np.eye(2)], "pca")
    with pytest.raises(EmbeddingError, match="train first"):
        aligned_layouts([], "pca")
    with pytest.raises(EmbeddingError, match="'pca' or 'tsne'"):
        aligned_layouts(three, "umap")


def test_date_words_split_numbers_names_and_punctuation() -> None:
    assert date_words("Fri, 15/02/2019") == "fri , 15 / 02 / 2019"
    assert date_words("25th of November 2026") == "25th of november 2026"
    data = date_word_data(50, validation=10)
    assert data.tokens == "words" and all(len(target.split(" ")) == 3 for _, target in data.train)


@pytest.mark.parametrize(
    ("word", "meaning", "kind"),
    [
        ("nov", "11", "month name"),
        ("november", "11", "month name"),
        ("11th", "11", "ordinal (a day)"),
        ("11", "11", "number 1–12 (day, month or year)"),
        ("2011", "11", "year (4 digits)"),
        ("may", "5", "month name"),
        ("fri", "friday", "weekday"),
        ("sunday", "sunday", "weekday"),
        ("31", "31", "number 13–31 (day or year)"),
        ("87", "87", "number 32–99 (a year)"),
        (",", ",", "other"),
    ],
)
def test_date_word_labels_on_hand_cases(word: str, meaning: str, kind: str) -> None:
    assert date_word_meaning(word) == meaning and date_word_kind(word) == kind


def test_meaning_agreement_is_high_for_planted_groups_and_reports_chance() -> None:
    labels = [str(i % 5) for i in range(50)]
    grouped = np.eye(5)[np.arange(50) % 5] + 0.01 * np.random.default_rng(0).normal(size=(50, 5))
    agreements, chance = meaning_agreement([grouped], labels)
    assert agreements[0] > 0.95 and chance == pytest.approx(9 / 49)


def test_group_spread_is_small_for_gathered_words_and_ignores_the_maps_scale() -> None:
    rng = np.random.default_rng(2)
    layout = rng.normal(size=(40, 2))
    layout[:4] = [[0.0, 0.0], [0.01, 0.0], [0.0, 0.01], [0.01, 0.01]]
    gathered, scattered = group_spread(layout, [0, 1, 2, 3]), group_spread(layout, [10, 20, 30, 39])
    assert gathered < 0.05 < scattered
    assert group_spread(layout * 7, [10, 20, 30, 39]) == pytest.approx(scattered)
    assert group_spread(layout, [5]) == 0.0


PAIRS_FILE = Path(__file__).resolve().parents[3] / "shared" / "data" / "eng-fra.txt"  # ../shared/data (DESIGN.md)


@pytest.mark.skipif(not PAIRS_FILE.exists(), reason="the tutorial's eng-fra.txt is not in ../shared/data")
def test_the_tutorial_pairs_map_the_frequent_and_listed_words_and_measure_word_lists() -> None:
    data = tutorial_data(PAIRS_FILE)
    words, rows = tutorial_rows(data.source_vocab, "fra", limit=50)
    assert words[:50] == [t for t in data.source_vocab.tokens if t not in data.source_vocab.specials][:50]
    assert "nous" in words and "rouge" in words and len(words) > 50
    assert [data.source_vocab.tokens[r] for r in rows] == words
    job = FakeJob()
    forming_target(TINY, data)(job)
    run = job.extras["run"]
    assert not run.dates and run.languages == {"source": "fra", "target": "eng"}
    assert len(run.words["source"]) == run.snapshots[0].source.shape[0] <= 400 + 200
    labels = run.labels("source")
    assert labels[run.words["source"].index("nous")] == "pronouns"
    agreements, chance = run.agreement("source")
    assert len(agreements) == len(run.snapshots) and 0 < chance < 1
    assert run.bleu is not None
