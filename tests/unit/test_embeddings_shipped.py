"""Shipped word-map layouts: each file equals what the code computes now, and the page's lookup finds it."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rnnviz.embeddings import shipped
from rnnviz.embeddings.projection import trustworthiness, tsne_map
from rnnviz.io.checkpoints import checkpoint_directory
from rnnviz.seq2seq.translator import Translator

LAYOUTS = sorted(shipped.LAYOUTS.glob("words-*.json"))


def test_every_default_word_map_of_a_shipped_translator_has_a_layout() -> None:
    for checkpoint, side in shipped.SPECS:
        if (checkpoint_directory() / checkpoint).is_file():
            assert (shipped.LAYOUTS / shipped.file_name(checkpoint, side)).is_file(), f"run {shipped.COMMAND}"


@pytest.mark.parametrize("path", LAYOUTS, ids=[path.stem for path in LAYOUTS])
def test_a_shipped_layout_equals_a_fresh_computation(path) -> None:
    record = json.loads(path.read_text())
    checkpoint = checkpoint_directory() / record["checkpoint"]
    if not checkpoint.is_file():
        pytest.skip(f"{checkpoint} missing")
    words = shipped.default_words(Translator.load(checkpoint), record["side"])
    assert record["key"] == shipped.layout_key(words.vectors, shipped.SETTINGS)  # the vectors the page maps
    found = shipped.shipped_map(words.vectors, dict(shipped.SETTINGS))
    assert found is not None and found.shipped
    assert np.array_equal(found.coordinates, np.array(record["coordinates"])) and not found.coordinates.flags.writeable
    assert trustworthiness(words.vectors, found) == pytest.approx(record["trustworthiness"], abs=1e-3)
    # t-SNE is an iterative optimisation: another CPU (no AVX-512, another BLAS) or thread count draws a slightly
    # different map, so a fresh one is compared by what the page reports of it, not point by point.
    fresh = tsne_map(words.vectors, **shipped.SETTINGS)
    assert found.settings == fresh.settings
    assert trustworthiness(words.vectors, fresh) == pytest.approx(record["trustworthiness"], abs=0.02), f"run {shipped.COMMAND}"


def test_other_vectors_or_settings_find_no_layout() -> None:
    vectors = np.random.default_rng(0).standard_normal((50, 8))
    assert shipped.shipped_map(vectors, dict(shipped.SETTINGS)) is None
    if LAYOUTS:
        record = json.loads(LAYOUTS[0].read_text())
        checkpoint = checkpoint_directory() / record["checkpoint"]
        if checkpoint.is_file():
            words = shipped.default_words(Translator.load(checkpoint), record["side"])
            assert shipped.shipped_map(words.vectors, {**shipped.SETTINGS, "perplexity": 20.0}) is None
            assert shipped.shipped_map(words.vectors[:-1], dict(shipped.SETTINGS)) is None
