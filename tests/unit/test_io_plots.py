"""Figures of the five I/O types: the slide's shapes, a run step by step, teacher forcing's curves and times."""

from __future__ import annotations

import pytest

from rnnviz.plots.base import FONT_SIZE
from rnnviz.plots.io_types import (
    RIGHT_COLOR,
    WRONG_COLOR,
    decoding_times_figure,
    forcing_curves_figure,
    io_pattern,
    io_shape_figure,
    step_outputs_figure,
)

IO_TYPES = ("one-to-one", "one-to-many", "many-to-one", "many-to-many-aligned", "encoder-decoder")


def trace(figure, name: str):
    """The trace called `name`."""
    return next(item for item in figure.data if item.name == name)


def assert_projector_legible(figure) -> None:
    """Fonts at least FONT_SIZE and dark, every text trace as big."""
    assert figure.layout.font.size >= FONT_SIZE
    assert figure.layout.font.color == "#111111"
    for item in figure.data:
        if getattr(item, "textfont", None) is not None and item.textfont.size is not None:
            assert item.textfont.size >= FONT_SIZE


@pytest.mark.parametrize("io_type,inputs,outputs", [
    ("one-to-one", 1, 1), ("one-to-many", 0, 4), ("many-to-one", 4, 1), ("many-to-many-aligned", 4, 4),
    ("encoder-decoder", 3, 3)])
def test_each_type_draws_its_inputs_and_outputs_on_the_right_steps(io_type, inputs, outputs):
    figure = io_shape_figure(**io_pattern(io_type))
    assert len(trace(figure, "input").x) == inputs and len(trace(figure, "output").x) == outputs
    assert_projector_legible(figure)
    assert figure.layout.xaxis.title.text.startswith("step t")
    assert list(figure.layout.yaxis.ticktext) == ["input x_t", "hidden h_t", "output ŷ_t"]


def test_one_to_many_sets_h0_from_its_input_and_the_encoder_decoder_names_its_halves():
    assert "input sets h_0" in [item.name for item in io_shape_figure(**io_pattern("one-to-many")).data]
    hidden = trace(io_shape_figure(**io_pattern("encoder-decoder")), "hidden state")
    assert list(hidden.text) == ["enc"] * 3 + ["dec"] * 3
    assert trace(io_shape_figure(**io_pattern("many-to-one")), "output").x == (4,)  # read at step T only


def test_fed_back_outputs_are_dashed_arrows_only_where_a_decoder_reads_them():
    def dashed(io_type: str) -> int:
        return sum(1 for note in io_shape_figure(**io_pattern(io_type)).layout.annotations if note.arrowwidth < 2)
    assert dashed("one-to-many") == 3 and dashed("encoder-decoder") == 2
    assert dashed("many-to-many-aligned") == 0 and dashed("one-to-one") == 0


def test_shape_figures_refuse_what_they_cannot_draw():
    with pytest.raises(ValueError, match="one of"):
        io_pattern("many-to-some")
    with pytest.raises(ValueError, match="same length"):
        io_shape_figure([True, True], [True])
    with pytest.raises(ValueError, match="nothing goes in"):
        io_shape_figure([False], [True])


def test_a_run_colours_right_outputs_green_wrong_red_and_unknown_dark():
    figure = step_outputs_figure(["a", " ", "c"], ["1", "2", "x"], ["1", "0", None], title="A run")
    output = trace(figure, "output")
    assert list(output.textfont.color) == [RIGHT_COLOR, WRONG_COLOR, "#111111"]
    assert list(trace(figure, "input").text) == ["a", "␣", "c"]  # a space is visible
    assert figure.layout.title.text == "A run" and figure.layout.xaxis.title.text == "step t"
    assert_projector_legible(figure)


def test_a_run_without_outputs_on_some_steps_draws_only_those_that_write():
    figure = step_outputs_figure(["0.1", "*0.5", "*0.2"], [None, None, "0.69"], [None, None, "0.700"],
                                 tolerance=0.04)
    output = trace(figure, "output")
    assert output.x == (3,) and list(output.textfont.color) == [RIGHT_COLOR]  # within the tolerance


def test_a_long_run_draws_the_first_steps_and_says_so():
    steps = [str(index % 10) for index in range(100)]
    figure = step_outputs_figure(steps, steps, steps, max_steps=24)
    assert len(trace(figure, "input").x) == 24 and list(figure.layout.xaxis.ticktext)[-1] == "100"
    assert "last 24 of 100 steps" in figure.layout.title.text
    long = step_outputs_figure(["extraordinarily"], ["positive"], [None])
    assert trace(long, "input").text[0] == "extraor…"
    tags = step_outputs_figure(["<script>"], ["</s>"], [None])
    assert trace(tags, "input").text[0] == "&lt;script&gt;" and trace(tags, "output").text[0] == "&lt;/s&gt;"


def test_run_figures_refuse_mismatched_or_empty_steps():
    with pytest.raises(ValueError, match="run the model"):
        step_outputs_figure([], [], [])
    with pytest.raises(ValueError, match="one entry per step"):
        step_outputs_figure(["a", "b"], ["1"], ["1", "2"])
    with pytest.raises(ValueError, match="max_steps"):
        step_outputs_figure(["a"], ["1"], ["1"], max_steps=0)


def test_forcing_curves_draw_one_labelled_line_per_ratio():
    figure = forcing_curves_figure({1.0: [3.0, 2.0, 1.0], 0.5: [3.0, 2.5], 0.0: [3.1, 2.9, 2.8]})
    assert [item.name for item in figure.data] == ["teacher forcing 1", "teacher forcing 0.5", "teacher forcing 0"]
    assert list(figure.data[1].x) == [1, 2]
    assert figure.layout.xaxis.title.text == "training step"
    assert "nats" in figure.layout.yaxis.title.text and figure.layout.showlegend
    assert_projector_legible(figure)


@pytest.mark.parametrize("losses,message", [({}, "at least one"), ({1.5: [1.0]}, "from 0 to 1"),
                                            ({0.5: []}, "at least one step"), ({0.5: ["a"]}, "must be numbers")])
def test_forcing_curves_refuse_bad_runs_with_a_message(losses, message):
    with pytest.raises(ValueError, match=message):
        forcing_curves_figure(losses)


def test_decoding_times_are_grouped_bars_in_milliseconds():
    figure = decoding_times_figure((0.0015, 0.006), (0.0033, 0.011), batch_size=64)
    assert [item.type for item in figure.data] == ["bar", "bar"]
    assert list(figure.data[0].y) == pytest.approx([1.5, 6.0]) and figure.data[1].text[0] == "3.3 ms"
    assert figure.layout.yaxis.title.text == "time (ms)" and figure.layout.barmode == "group"
    assert "one batch of 64" in figure.layout.xaxis.title.text
    assert_projector_legible(figure)


@pytest.mark.parametrize("forced,free", [((0.001,), (0.002, 0.003)), ((0.0, 0.1), (0.1, 0.1)),
                                         ((float("nan"), 0.1), (0.1, 0.1))])
def test_decoding_times_refuse_anything_but_two_positive_times(forced, free):
    with pytest.raises(ValueError, match="two positive times"):
        decoding_times_figure(forced, free)


def test_every_type_of_the_slide_has_a_pattern():
    for io_type in IO_TYPES:
        pattern = io_pattern(io_type)
        assert len(pattern["inputs"]) == len(pattern["outputs"])
