"""Embeddings: the rows' rebuilt random start, t-SNE on top components, sub-phrases, a typed phrase placed."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
import torch

from rnnviz.core.randomness import make_generator
from rnnviz.data.pairs import load_pairs, tokenize
from rnnviz.embeddings import neighbours, phrases, placing, projection, vectors
from rnnviz.embeddings.projection import EmbeddingError
from rnnviz.seq2seq.model import Seq2Seq
from rnnviz.seq2seq.translator import Translator
from tests.unit.seq2seq_helpers import write_pairs_file


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An eng-fra.txt of the number task."""
    path = tmp_path_factory.mktemp("data") / "eng-fra.txt"
    write_pairs_file(path, 400)
    return path


@pytest.fixture(scope="module")
def translator(corpus: Path) -> Translator:
    """An untrained translator of that file, its weights drawn from the data's seed as the command line does."""
    data = load_pairs(corpus, source_language="fra", target_language="eng", test=40, validation=40, seed=0)
    model = Seq2Seq(len(data.source_vocab), len(data.target_vocab), hidden_size=16, dropout=0.0,
                    bidirectional=True, generator=make_generator(data.info["seed"]))  # fmt: skip
    return Translator.from_data(model.eval(), data)


def moved(translator: Translator, rows: list[int], side: str = "source") -> Translator:
    """A copy of the translator whose embedding rows `rows` were changed (as training would)."""
    model = copy.deepcopy(translator.model)
    layer = model.encoder.embedding if side == "source" else model.embedding
    with torch.no_grad():
        layer.weight[rows] += torch.linspace(0.5, 1.5, layer.weight.shape[1])
    return Translator(model, translator.source_vocab, translator.target_vocab, info=dict(translator.info))


def test_the_random_start_is_rebuilt_from_the_seed_and_subtracted(translator: Translator) -> None:
    for side in vectors.SIDES:
        untrained = vectors.word_vectors(translator, side)
        np.testing.assert_array_equal(untrained.start, untrained.vectors)  # nothing trained yet
        assert untrained.start_correlation() == pytest.approx(1.0)
        with pytest.raises(EmbeddingError, match="not changed"):
            untrained.trained_part()
        rows = [int(untrained.rows[1]), int(untrained.rows[4]), int(untrained.rows[6])]
        changed = vectors.word_vectors(moved(translator, rows, side), side).trained_part()
        assert changed.rows.tolist() == rows  # rows training never changed are left out
        np.testing.assert_allclose(changed.vectors, np.tile(np.linspace(0.5, 1.5, changed.vectors.shape[1]), (3, 1)),
                                   rtol=1e-5)  # fmt: skip
        assert changed.words == [untrained.words[1], untrained.words[4], untrained.words[6]]


def test_a_model_drawn_from_another_seed_has_no_start(translator: Translator) -> None:
    other = Translator(translator.model, translator.source_vocab, translator.target_vocab,
                       info={**translator.info, "seed": 12345})  # fmt: skip
    found = vectors.word_vectors(other, "source")
    assert found.start is None and found.start_correlation() is None
    with pytest.raises(EmbeddingError, match="cannot be rebuilt"):
        found.trained_part()


def test_slicing_word_vectors_keeps_words_rows_and_start_together(translator: Translator) -> None:
    found = vectors.word_vectors(translator, "target")
    first = found[:5]
    assert first.words == found.words[:5] and first.rows.tolist() == found.rows[:5].tolist()
    np.testing.assert_array_equal(first.start, found.start[:5])


def test_tsne_on_top_components_places_a_reference_point_near_itself_without_moving_the_map() -> None:
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(4, 80)) * 8
    data = centres[np.repeat(np.arange(4), 40)] + rng.normal(size=(160, 80))
    reference = projection.tsne_map(data, perplexity=10, iterations=200, components=10)
    assert reference.basis.shape == (10, 80) and reference.settings["components"] == 10
    before = reference.coordinates.copy()
    placed = placing.place(reference, data[:3] + 0.01)
    np.testing.assert_array_equal(reference.coordinates, before)
    spread = np.ptp(reference.coordinates, axis=0).max()
    assert np.linalg.norm(placed - reference.coordinates[:3], axis=1).max() < 0.1 * spread
    assert projection.trustworthiness(data, reference) > 0.9


def test_a_read_only_array_keeps_its_digest_and_equals_a_fresh_hash() -> None:
    array = np.arange(12.0).reshape(3, 4)
    expected = projection.digest(array.copy())
    array.setflags(write=False)
    assert projection.digest(array) == expected == projection.digest(array)
    changed = array.copy()
    changed[0, 0] = 99
    assert projection.digest(changed) != expected


def test_the_cosine_index_equals_brute_force() -> None:
    rng = np.random.default_rng(1)
    data, query = rng.normal(size=(50, 6)), rng.normal(size=6)
    index = neighbours.CosineIndex(data)
    assert index.nearest(query, 7) == neighbours.nearest(data, query, 7)
    assert [row for row, _ in index.nearest(data[3], 4, exclude=3)] == [r for r, _ in neighbours.nearest(data, data[3], 4, 3)]


def test_sub_phrases_are_seeded_known_and_two_to_six_words(translator: Translator, corpus: Path) -> None:
    found = phrases.corpus_sub_phrases(translator.info, translator.source_vocab, 60, seed=3, corpus=corpus)
    assert found == phrases.corpus_sub_phrases(translator.info, translator.source_vocab, 60, seed=3, corpus=corpus)
    assert found != phrases.corpus_sub_phrases(translator.info, translator.source_vocab, 60, seed=4, corpus=corpus)
    assert len(found) == 60 and len({phrase for phrase, _ in found}) == 60
    french = {line.split("\t")[1] for line in corpus.read_text(encoding="utf-8").splitlines()}
    for phrase, origin in found:
        tokens = tokenize(phrase)
        assert 2 <= len(tokens) <= 6 and all(token in translator.source_vocab for token in tokens)
        sentence = origin.split(" → ")[0]
        assert sentence in french and phrase in sentence


def test_sub_phrases_need_a_corpus(translator: Translator) -> None:
    with pytest.raises(EmbeddingError, match="not here"):
        phrases.corpus_sub_phrases({**translator.info, "file": "missing-file.txt"}, translator.source_vocab, 10)


@pytest.mark.parametrize("kind", placing.KINDS)
def test_a_typed_phrase_is_placed_and_its_neighbours_are_the_closest_summaries(
    translator: Translator, corpus: Path, kind: str
) -> None:
    found = placing.phrase_set(translator, kind, 80, seed=0, corpus=corpus)
    assert not found.vectors.flags.writeable and set(found.labels) and len(found.pairs) == 80
    reference = projection.pca_map(found.vectors)
    placed = placing.place_phrase(translator, found.pairs[5][0], found, reference, k=3)
    assert placed.nearest[0][0] == 5 and placed.nearest[0][1] == pytest.approx(1.0)
    np.testing.assert_allclose(placed.point, reference.coordinates[5], atol=1e-6)
    empty = placing.place_phrase(translator, "   ", found, reference)
    assert empty.point is None and empty.nearest == []
