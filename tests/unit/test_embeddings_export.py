"""Embeddings export and labels: the Projector's TSV files and the CSV read back; properties the data has."""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
import pytest

from rnnviz.embeddings import export, properties
from rnnviz.embeddings.projection import EmbeddingError


def test_vectors_and_metadata_tsv_read_back() -> None:
    vectors = np.random.default_rng(0).normal(size=(4, 3))
    read = np.loadtxt(io.StringIO(export.vectors_tsv(vectors)), delimiter="\t")
    np.testing.assert_allclose(read, vectors, rtol=1e-5)
    labels = ["je", "a\tb", "two\nlines", "<script>"]
    rows = list(csv.reader(io.StringIO(export.metadata_tsv({"word": labels, "band": list("wxyz")})), delimiter="\t"))
    assert rows[0] == ["word", "band"] and len(rows) == 5
    assert [row[0] for row in rows[1:]] == ["je", "a b", "two lines", "<script>"]
    single = export.metadata_tsv({"word": labels}).splitlines()
    assert len(single) == 4  # one column: no header, as the Projector expects


def test_coordinates_csv_reads_back_with_its_labels() -> None:
    coordinates = np.array([[0.5, -1.0], [2.0, 3.25], [1e-3, 7.0]])
    table = pd.read_csv(io.StringIO(export.coordinates_csv(coordinates, {"phrase": ["a, b", "c", 'd "e"']})))
    assert list(table.columns) == ["x", "y", "phrase"]
    np.testing.assert_allclose(table[["x", "y"]].to_numpy(), coordinates)
    assert table["phrase"].tolist() == ["a, b", "c", 'd "e"']


def test_export_refuses_mismatched_columns() -> None:
    with pytest.raises(EmbeddingError, match="3 values for 2 points"):
        export.coordinates_csv(np.zeros((2, 2)), {"word": ["a", "b", "c"]})
    with pytest.raises(EmbeddingError):
        export.vectors_tsv(np.zeros(3))


def test_phrase_properties_follow_the_tutorial_text() -> None:
    english = ["i m not tired .", "she is going to sing .", "they were happy .", "you re tall ."]
    assert properties.phrase_labels(english, "subject pronoun", "eng") == ["i", "she", "they", "you"]
    assert properties.phrase_labels(english, "negation", "eng") == ["negative", "affirmative", "affirmative",
                                                                    "affirmative"]  # fmt: skip
    assert properties.phrase_labels(english, "tense (simple rule)", "eng") == ["present", "future", "past", "present"]
    french = ["je ne suis pas fatigue .", "elles vont chanter .", "nous avons mange .", "j ai faim ."]
    assert properties.phrase_labels(french, "subject pronoun", "fra") == ["je", "elles", "nous", "je"]
    assert properties.phrase_labels(french, "negation", "fra")[:2] == ["negative", "affirmative"]
    assert properties.phrase_labels(french, "tense (simple rule)", "fra")[1:3] == ["future", "past"]


def test_word_properties_give_one_label_per_word() -> None:
    words = ["the", "three", "monday", "extraordinarily"]
    assert properties.word_labels(words, "word list", language="eng") == ["other", "numbers", "days and months",
                                                                          "other"]  # fmt: skip
    assert properties.word_labels(words, "frequency band")[0] == "top 100"
    assert properties.word_labels(words, "word length")[-1] == "10+ letters"
    vectors = np.vstack([np.ones((2, 3)), -np.ones((2, 3))]) + np.random.default_rng(0).normal(size=(4, 3)) * 0.01
    found = properties.word_labels(words, "cluster in the full space", vectors=vectors, clusters=2)
    assert found[0] == found[1] != found[2] == found[3]
