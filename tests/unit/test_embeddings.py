"""Embeddings backend: vectors from a model, maps that place new points without moving, neighbours, grouping."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch

from rnnviz.core.randomness import make_generator
from rnnviz.data.pairs import encode_source
from rnnviz.embeddings import neighbours, placing, projection, vectors
from rnnviz.embeddings.placing import place
from rnnviz.embeddings.projection import EmbeddingError, MapCache, map_key, pca_map, tsne_map
from rnnviz.seq2seq.model import Seq2Seq
from rnnviz.seq2seq.translator import Translator
from tests.unit.seq2seq_helpers import number_data


@pytest.fixture(scope="module")
def translator() -> Translator:
    """An untrained but seeded translator of the number task (vectors need no training to be collected)."""
    data = number_data(200)
    model = Seq2Seq(len(data.source_vocab), len(data.target_vocab), hidden_size=16, dropout=0.0,
                    bidirectional=True, generator=make_generator(0))  # fmt: skip
    return Translator.from_data(model.eval(), data)


def clusters(count: int = 4, size: int = 30, dimensions: int = 20, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """`count` well separated Gaussian clusters: (vectors (N, D), labels (N,))."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(count, dimensions)) * 10
    labels = np.repeat(np.arange(count), size)
    return centres[labels] + rng.normal(size=(count * size, dimensions)), labels


def test_word_vectors_are_the_embedding_rows_of_the_ordinary_tokens(translator: Translator) -> None:
    for side, vocab, layer in (("source", translator.source_vocab, translator.model.encoder.embedding),
                               ("target", translator.target_vocab, translator.model.embedding)):  # fmt: skip
        words = vectors.word_vectors(translator, side)
        assert words.words == [t for t in vocab.tokens if t not in vocab.specials]
        assert [vocab.tokens[row] for row in words.rows] == words.words
        np.testing.assert_array_equal(words.vectors, layer.weight.detach().numpy()[words.rows])


def test_phrase_vectors_are_the_encoder_summaries(translator: Translator) -> None:
    sentences = ["trois un cinq", "deux", "huit sept six cinq"]
    found = vectors.phrase_vectors(translator, sentences, batch_size=2)  # batches of 2 and 1
    with torch.inference_mode():
        for row, sentence in enumerate(sentences):
            source, lengths = encode_source([sentence.split()], translator.source_vocab)
            summary = translator.model.encode(source, lengths).summary[0].numpy()
            np.testing.assert_allclose(found[row], summary, rtol=1e-5, atol=1e-6)


def test_collecting_vectors_leaves_the_model_unchanged(translator: Translator) -> None:
    before = {name: value.clone() for name, value in translator.model.state_dict().items()}
    vectors.phrase_vectors(translator, ["trois un"])
    vectors.typed_phrase(translator, "cinq 🙂 zzz")
    assert not translator.model.training
    for name, value in translator.model.state_dict().items():
        assert torch.equal(value, before[name]), name


def test_a_typed_phrase_flags_unknown_words_and_an_empty_one_has_no_vector(translator: Translator) -> None:
    typed = vectors.typed_phrase(translator, "trois zzz")
    assert typed.prepared.unknown == [False, True] and typed.vector is not None and not typed.all_unknown
    assert vectors.typed_phrase(translator, "qqq zzz").all_unknown
    assert vectors.typed_phrase(translator, "   ").vector is None
    assert vectors.typed_phrase(translator, "🙂🙂").vector is None or vectors.typed_phrase(translator, "🙂🙂").all_unknown


def test_placing_points_leaves_the_reference_map_unchanged() -> None:
    data, labels = clusters()
    reference = tsne_map(data, perplexity=10, iterations=200, exaggeration_iterations=100)
    coordinates = reference.coordinates.copy()
    optimised = np.asarray(reference.embedding).copy()
    new = data[[0, 40]] + 0.1  # near a point of cluster 0 and one of cluster 1
    placed = place(reference, new)
    assert placed.shape == (2, 2)
    np.testing.assert_array_equal(reference.coordinates, coordinates)
    np.testing.assert_array_equal(np.asarray(reference.embedding), optimised)
    assert not reference.coordinates.flags.writeable
    for point, cluster in zip(placed, (0, 1)):  # each lands among its cluster, not another
        distances = np.linalg.norm(reference.coordinates - point, axis=1)
        assert labels[np.argsort(distances)[:5]].tolist().count(cluster) >= 4


def test_pca_placement_is_the_projection_of_the_new_vectors() -> None:
    data, _ = clusters(size=10)
    reference = pca_map(data)
    np.testing.assert_allclose(place(reference, data[:3]), reference.coordinates[:3], atol=1e-9)
    with pytest.raises(EmbeddingError, match="dimensions"):
        place(reference, np.ones(3))


def test_nearest_neighbours_equal_brute_force() -> None:
    rng = np.random.default_rng(1)
    data = rng.normal(size=(300, 12))
    unit = data / np.linalg.norm(data, axis=1, keepdims=True)
    similarity = unit @ unit.T
    query = 17
    found = neighbours.nearest(data, data[query], k=8, exclude=query)
    expected = [i for i in np.argsort(-similarity[query]) if i != query][:8]
    assert [row for row, _ in found] == expected
    np.testing.assert_allclose([value for _, value in found], similarity[query, expected])
    np.fill_diagonal(similarity, -np.inf)
    table = neighbours.neighbour_table(data, 5)
    np.testing.assert_array_equal(table, np.argsort(-similarity, axis=1)[:, :5])


def test_grouping_is_high_on_planted_clusters_and_at_chance_on_shuffled_labels() -> None:
    data, labels = clusters(count=5, size=40)
    chance = neighbours.chance_agreement(labels)
    assert chance == pytest.approx(39 / 199)
    assert neighbours.knn_agreement(data, labels, k=10) > 0.95
    shuffled = [neighbours.knn_agreement(data, np.random.default_rng(seed).permutation(labels)) for seed in range(5)]
    assert abs(np.mean(shuffled) - chance) < 0.05


def test_maps_refuse_too_few_points_and_too_large_a_perplexity() -> None:
    data, _ = clusters(count=1, size=3)
    assert pca_map(data).coordinates.shape == (3, 2)  # PCA works on 3 points
    with pytest.raises(EmbeddingError, match="at least 10 points"):
        tsne_map(data)
    with pytest.raises(EmbeddingError, match="lower the perplexity"):
        tsne_map(clusters(size=10)[0], perplexity=30)
    with pytest.raises(EmbeddingError, match="at least 3"):
        pca_map(data[:2])
    with pytest.raises(EmbeddingError, match="NaN"):
        pca_map(np.full((5, 2), np.nan))


def test_a_background_map_is_computed_once_and_then_served() -> None:
    cache = MapCache()
    data, _ = clusters(size=10)
    key = map_key(data, "tsne", perplexity=5)
    calls: list[int] = []

    def compute() -> projection.Map:
        calls.append(1)
        return tsne_map(data, perplexity=5, iterations=50, exaggeration_iterations=50)

    assert cache.request(key, compute) is None
    for _ in range(600):
        if cache.peek(key) is not None:
            break
        cache.request(key, compute)  # asking again while it runs starts nothing new
        time.sleep(0.05)
    assert cache.request(key, compute) is cache.peek(key) is not None and calls == [1]


def test_a_background_failure_is_reported_as_its_message() -> None:
    cache = MapCache()
    key = ("bad",)

    def compute() -> projection.Map:
        raise EmbeddingError("lower the perplexity")

    assert cache.request(key, compute) is None
    for _ in range(200):
        if not cache.pending(key):
            break
        time.sleep(0.01)
    with pytest.raises(EmbeddingError, match="lower the perplexity"):
        cache.request(key, compute)


@pytest.mark.parametrize("shape", [(200, 12), (8, 30)])  # more points than dimensions, and fewer
def test_pca_axes_are_the_principal_directions(shape: tuple[int, int]) -> None:
    data = np.random.default_rng(2).normal(size=shape) * np.linspace(3, 0.1, shape[1])
    mean, axes, shares = projection.principal_axes(data)
    np.testing.assert_allclose(mean, data.mean(axis=0))
    _, singular, rows = np.linalg.svd(data - data.mean(axis=0), full_matrices=False)
    np.testing.assert_allclose(np.abs(axes @ rows[:2].T), np.eye(2), atol=1e-8)
    np.testing.assert_allclose(shares, (singular[:2] ** 2) / (singular**2).sum())


@pytest.mark.parametrize(("load", "cores", "threads"), [(0.3, 2, 2), (1.5, 2, 1), (9.0, 2, 1), (0.0, 1, 1), (3.0, 16, 2)])
def test_t_sne_uses_a_second_thread_only_while_a_core_is_idle(monkeypatch, load: float, cores: int, threads: int) -> None:
    monkeypatch.setattr(projection.os, "getloadavg", lambda: (load, load, load))
    monkeypatch.setattr(projection.os, "cpu_count", lambda: cores)
    assert projection.auto_threads() == threads


def test_the_phrase_maps_shorter_optimisation_still_keeps_neighbours_and_clusters() -> None:
    data, labels = clusters(count=6, size=200, dimensions=32, seed=3)  # (1200, 32) with Annoy neighbours, as phrases
    steps = placing.PHRASE_STEPS
    assert steps["iterations"] + steps["exaggeration_iterations"] < 750  # shorter than openTSNE's default
    short = tsne_map(data, threads=1, **steps)
    assert projection.trustworthiness(data, short) >= 0.9
    points = np.asarray(short.coordinates)  # (N, 2)
    distances = np.linalg.norm(points[:, None] - points[None], axis=-1)
    np.fill_diagonal(distances, np.inf)
    nearest = np.argsort(distances, axis=1)[:, :10]  # euclidean neighbours on the map
    assert (labels[nearest] == labels[:, None]).mean() >= 0.95  # the clusters stay apart on the map
