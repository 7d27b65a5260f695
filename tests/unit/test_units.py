"""Find the unit: a planted depth unit ranks first; spans, saturation, and the figures built from them."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from rnnviz.charlm.model import CharLM, char_vocabulary
from rnnviz.charlm.trace import trace_text
from rnnviz.data.languages import BRACKET_ALPHABET, analyze_brackets, bracket_text
from rnnviz.plots.cell_text import colored_text, compare_surprise, layout_text, predictions_figure
from rnnviz.plots.gates import (
    display_char,
    saturation_scatter,
    selected_cell,
    selected_span,
    state_heatmap,
    units_over_text,
)
from rnnviz.probes.units import (
    correlations,
    find_signal_units,
    matching_spans,
    rank_units,
    saturation,
    span_units,
    text_signals,
)

PLANTED = 5


def planted_depth_model() -> tuple[CharLM, object]:
    """A ReLU RNN over one-hot characters whose unit PLANTED counts open brackets: h = relu(h + open - close)."""
    vocab = char_vocabulary(BRACKET_ALPHABET)
    torch.manual_seed(0)
    model = CharLM("rnn-relu", len(vocab), 12, 1, embedding_size=0).eval()
    cell = model.recurrent.cell(0)
    with torch.no_grad():
        cell.weight_ih.mul_(0.3)
        cell.weight_hh.mul_(0.3)
        cell.weight_ih[PLANTED].zero_()
        cell.weight_hh[PLANTED].zero_()
        cell.weight_hh[:, PLANTED].zero_()  # nothing else reads the counter, so it stays exact
        cell.weight_hh[PLANTED, PLANTED] = 1.0
        cell.bias_ih[PLANTED] = cell.bias_hh[PLANTED] = 0.0
        for char in "([{":
            cell.weight_ih[PLANTED, vocab.id(char)] = 1.0
        for char in ")]}":
            cell.weight_ih[PLANTED, vocab.id(char)] = -1.0
    return model, vocab


def test_find_the_unit_ranks_a_planted_depth_unit_first() -> None:
    """The unit built to equal the nesting depth comes first, with r = 1, through the real trace."""
    model, vocab = planted_depth_model()
    text = bracket_text(600, max_depth=5, seed=3).text
    trace = trace_text(model, vocab, text)
    depth, _ = analyze_brackets(text)
    np.testing.assert_allclose(trace.state("hidden")[:, PLANTED], depth, atol=1e-5)
    found = find_signal_units(trace, "hidden", top=3)
    assert found["nesting depth"][0].unit == PLANTED
    assert found["nesting depth"][0].correlation == pytest.approx(1.0, abs=1e-6)
    assert abs(found["nesting depth"][1].correlation) < 0.999


def test_rank_units_finds_a_planted_quote_unit_and_its_sign() -> None:
    """A unit that is the negated quote flag plus noise ranks first, with a negative r."""
    rng = np.random.default_rng(0)
    text = bracket_text(800, seed=5, quote_probability=0.4).text
    _, quote = analyze_brackets(text)
    values = rng.normal(size=(len(text), 20))
    values[:, 13] = -quote.astype(float) + 0.1 * rng.normal(size=len(text))
    ranking = rank_units(values, quote.astype(float), top=4)
    assert ranking[0].unit == 13 and ranking[0].correlation < -0.9 and len(ranking) == 4


def test_correlations_of_constant_units_and_signals() -> None:
    """A unit that never changes scores 0; a signal that never changes is refused with a message."""
    values = np.column_stack([np.ones(6), np.arange(6.0)])
    np.testing.assert_allclose(correlations(values, np.arange(6.0)), [0.0, 1.0])
    with pytest.raises(ValueError, match="never changes"):
        correlations(values, np.zeros(6))
    model, vocab = planted_depth_model()
    found = find_signal_units(trace_text(model, vocab, "no brackets here"), "hidden")
    assert isinstance(found["nesting depth"], str) and "brackets" in found["nesting depth"]
    assert isinstance(found["position in the line"], list)


def test_position_in_the_line_counts_characters_since_a_newline() -> None:
    """0 at the start of each line, the newline itself last in its line."""
    assert text_signals("ab\ncd")["position in the line"].tolist() == [0, 1, 2, 0, 1]


def synthetic_spans() -> np.ndarray:
    """Units 2 and 5 on during [10, 20) and [40, 47); unit 7 always on; the rest low."""
    values = np.full((60, 8), -0.5)
    for start, end in [(10, 20), (40, 47)]:
        values[start:end, 2] = 0.9
        values[start:end, 5] = 0.6
    values[:, 7] = 0.8
    values[43, 5] = 0.2  # a dip: with all units required, the second span breaks there
    return values


def test_span_units_prefers_units_that_switch_on_for_the_span() -> None:
    """Units on throughout the span, most distinctive first; an always-on unit ranks last."""
    assert span_units(synthetic_spans(), 10, 20, threshold=0.3) == [2, 5, 7]
    assert span_units(synthetic_spans(), 10, 20, threshold=0.3, top=1) == [2]
    assert span_units(synthetic_spans(), 0, 60, threshold=0.3) == [7]
    with pytest.raises(ValueError, match="span"):
        span_units(synthetic_spans(), 20, 10, threshold=0.3)


def test_matching_spans_finds_where_the_same_units_fire() -> None:
    """Maximal runs where the chosen units are on, longest first; `fraction` tolerates a dip."""
    values = synthetic_spans()
    assert matching_spans(values, [2, 5], 0.3) == [(10, 20), (40, 43), (44, 47)]
    assert matching_spans(values, [2, 5], 0.3, fraction=0.5) == [(10, 20), (40, 47)]
    assert matching_spans(values, [2, 5], 0.3, min_length=4) == [(10, 20)]
    assert matching_spans(values, [], 0.3) == []


def test_saturation_counts_fractions_per_unit() -> None:
    """Fractions < 0.1 and > 0.9 per unit match a direct count; a plain RNN has no gates."""
    vocab = char_vocabulary(BRACKET_ALPHABET)
    torch.manual_seed(1)
    model = CharLM("gru", len(vocab), 6, 1, 4).eval()
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.mul_(5)
    trace = trace_text(model, vocab, bracket_text(300, seed=2).text)
    result = saturation(trace)
    assert set(result) == {"reset", "update"}
    left, right = result["update"]
    np.testing.assert_allclose(left, (trace.state("update") < 0.1).mean(axis=0))
    np.testing.assert_allclose(right, (trace.state("update") > 0.9).mean(axis=0))
    assert saturation(trace_text(CharLM("rnn", len(vocab), 4, 1, 4).eval(), vocab, "(a)")) == {}


def figure_text(figure) -> str:
    """Everything the browser receives for a figure."""
    return json.dumps(figure.to_plotly_json(), default=str)


def test_markup_in_text_is_escaped_in_every_figure() -> None:
    """`<script>` and `<b>` typed by a user reach Plotly only as escaped characters."""
    chars = list("<script>alert(1)</script> <b>x</b>")
    values = np.linspace(-1, 1, len(chars) * 3).reshape(len(chars), 3)
    figures = [state_heatmap(values, chars, name="hidden", value_range=(-1, 1)),
               state_heatmap(values, chars, name="cell", value_range=None, clickable=False),
               colored_text(chars, values[:, 0]),
               predictions_figure(chars, values[:, 0] + 1, [["<", "b", ">", "&", "x"]] * len(chars),
                                  np.full((len(chars), 5), 0.2)),
               compare_surprise(chars, {"lstm": values[:, 0], "gru": values[:, 1]}),
               units_over_text(chars, values[:, 0], "depth", values[:, :2], [0, 1], [0.5, -0.4])]
    for figure in figures:
        text = figure_text(figure)
        assert "<script>" not in text and "<b>" not in text
        assert "&lt;" in text or "lt;" in text
    assert display_char("\n") == "⏎" and display_char("\x07") == "\ufffd" and display_char("🙂") == "🙂"


def test_state_heatmap_has_a_clickable_cell_per_unit_and_time() -> None:
    """Rows are the chosen units, one invisible marker per cell, hover names character, unit and value."""
    values = np.arange(20.0).reshape(5, 4) / 20
    figure = state_heatmap(values, list("ab(c)"), name="forget", value_range=(0, 1), units=[3, 1])
    heat, markers = figure.data
    assert np.asarray(heat.z).shape == (2, 5)
    assert np.asarray(heat.z)[0, 4] == pytest.approx(values[4, 3])
    assert len(markers.x) == 10 and "unit" in markers.hovertemplate and "character" in markers.hovertemplate
    assert figure.layout.xaxis.title.text and figure.layout.yaxis.title.text == "unit"
    with pytest.raises(ValueError, match="units"):
        state_heatmap(values, list("ab(c)"), name="forget", value_range=(0, 1), units=[9])
    with pytest.raises(ValueError, match="characters"):
        state_heatmap(values, list("ab"), name="forget", value_range=(0, 1))


def test_selection_events_become_a_cell_or_a_span() -> None:
    """Plotly selections from Streamlit: a clicked point gives (t, unit); a box gives [start, end)."""
    click = {"selection": {"points": [{"curve_number": 1, "x": 7, "y": 1}], "box": [], "lasso": []}}
    assert selected_cell(click, [4, 12, 30]) == (7, 12)
    assert selected_cell(click, [4]) is None  # a row that is no longer shown
    box = {"selection": {"points": [], "box": [{"x": [3.2, 9.7], "y": [0, 4]}], "lasso": []}}
    assert selected_span(box) == (3, 10)
    assert selected_cell({"selection": {"points": []}}, [1]) is None and selected_span(None) is None


def test_colored_text_wraps_lines_and_keeps_every_character() -> None:
    """A newline or the line width starts a new row; every character gets its own cell."""
    rows, cols = layout_text(list("ab\ncdefg"), width=3)
    assert rows.tolist() == [0, 0, 0, 1, 1, 1, 2, 2] and cols.tolist() == [0, 1, 2, 0, 1, 2, 0, 1]
    figure = colored_text(list("ab\ncdefg"), np.arange(8.0), value_range=None, width=3)
    assert np.asarray(figure.data[0].z).shape == (3, 3)
    assert np.isnan(np.asarray(figure.data[0].z)[2, 2])
    with pytest.raises(ValueError, match="no text"):
        colored_text([], [])


def test_saturation_scatter_has_one_series_per_gate() -> None:
    """Axes are fractions of time, one coloured series per gate."""
    figure = saturation_scatter({"input": ([0.1, 0.2], [0.3, 0.4]), "forget": ([0.0, 0.5], [0.9, 0.1])})
    assert [trace.name for trace in figure.data[:2]] == ["input gate", "forget gate"]
    assert "left-saturated" in figure.layout.xaxis.title.text
    with pytest.raises(ValueError, match="no gates"):
        saturation_scatter({})


def test_the_shipped_bracket_lstm_has_a_depth_unit_and_a_quote_unit() -> None:
    """On fresh bracket text, the committed LSTM has a cell unit following depth (|r| > 0.7) and one
    following quotes (|r| > 0.8), and follows both better than the committed vanilla RNN."""
    from pathlib import Path

    from rnnviz.data.text import Vocabulary
    from rnnviz.io import checkpoints

    folder = Path(__file__).resolve().parents[2] / "checkpoints"
    paths = {kind: folder / f"charlm-brackets-{kind}.safetensors" for kind in ("lstm", "rnn")}
    if not all(path.exists() for path in paths.values()):
        pytest.skip("the bracket LSTM and RNN checkpoints are not in checkpoints/")
    text = bracket_text(2000, max_depth=6, seed=7).text[:2000]
    best = {}
    for kind, path in paths.items():
        loaded = checkpoints.load(path)
        trace = trace_text(loaded.model, Vocabulary.from_json(loaded.vocab), text)
        found = find_signal_units(trace, "cell" if kind == "lstm" else "hidden", top=1)
        best[kind] = {name: abs(found[name][0].correlation) for name in ("nesting depth", "inside a quote")}
    assert best["lstm"]["nesting depth"] > 0.7 and best["lstm"]["inside a quote"] > 0.8
    assert best["lstm"]["nesting depth"] > best["rnn"]["nesting depth"]
    assert best["lstm"]["inside a quote"] > best["rnn"]["inside a quote"]


def test_a_highlighted_cell_is_outlined_and_scrolled_into_view() -> None:
    """The selected cell gets a rectangle; a position beyond the first window centres the view on it."""
    values = np.zeros((200, 4))
    figure = state_heatmap(values, ["a"] * 200, name="cell", value_range=None, units=[0, 2], highlight=(150, 2))
    rect = figure.layout.shapes[0]
    assert (rect.x0, rect.x1, rect.y0, rect.y1) == (149.5, 150.5, 0.5, 1.5)
    low, high = figure.layout.xaxis.range
    assert low < 150 < high and high - low == 50
    assert not state_heatmap(values, ["a"] * 200, name="cell", value_range=None, units=[0],
                             highlight=(150, 2)).layout.shapes  # unit not shown: no outline
