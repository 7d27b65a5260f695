"""Attention figures: labels, hover, unknown marks, empty slots, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.plots.attention import attention_heatmap, snapshot_heatmap, top_words_rows


def test_heatmap_labels_every_word_even_repeated_ones_and_hovers_the_weight():
    weights = np.array([[0.9, 0.05, 0.05], [0.1, 0.8, 0.1]])
    figure = attention_heatmap(weights, ["le", "le", "</s>"], ["the", "</s>"], unknown=[False, True, False])
    trace = figure.data[0]
    assert list(figure.layout.xaxis.ticktext) == ["le", "le ⚠", "&lt;/s&gt;"]  # Plotly would eat a bare </s>
    assert list(figure.layout.yaxis.ticktext) == ["the", "&lt;/s&gt;"]
    assert "0.900" in trace.text[0][0] and "“the”" in trace.text[0][0]
    assert figure.layout.xaxis.title.text and figure.layout.yaxis.title.text
    assert figure.layout.font.size >= 16


def test_tutorial_slots_past_the_sentence_are_labelled_empty():
    figure = attention_heatmap(np.full((2, 4), 0.25), ["je", "</s>"], ["i", "</s>"])
    assert list(figure.layout.xaxis.ticktext) == ["je", "&lt;/s&gt;", "(empty)", "(empty)"]


def test_bad_input_says_what_to_do():
    with pytest.raises(ValueError, match="translate a sentence first"):
        attention_heatmap(np.zeros((0, 0)), [], [])
    with pytest.raises(ValueError, match="labels for 2 rows"):
        attention_heatmap(np.ones((2, 2)), ["a", "b"], ["x"])
    with pytest.raises(ValueError, match="no attention snapshots"):
        snapshot_heatmap([], 0)


def test_snapshots_and_top_word_rows():
    shots = [{"epoch": 0, "source_tokens": ["a", "</s>"], "output_tokens": ["x"], "output": "x",
              "attention": [[0.5, 0.5]]},
             {"epoch": 1, "source_tokens": ["a", "</s>"], "output_tokens": ["y", "</s>"], "output": "y",
              "attention": [[1.0, 0.0], [0.0, 1.0]]}]
    assert "epoch 1" in snapshot_heatmap(shots, 5).layout.title.text
    rows = top_words_rows([[("i", 0.9), ("he", 0.05)], [("</s>", 0.99)]], ["i"])
    assert rows[0]["wrote"] == "i" and rows[0]["#1"] == "i  90.0 %" and rows[1]["wrote"] == "</s>"


def test_markup_in_tokens_is_escaped_for_plotly():
    figure = attention_heatmap(np.ones((1, 2)) / 2, ["<b>bold</b>", "<a href='x'>"], ["ok"])
    assert list(figure.layout.xaxis.ticktext) == ["&lt;b&gt;bold&lt;/b&gt;", "&lt;a href='x'&gt;"]
    assert "<b>" not in figure.data[0].text[0][0]
