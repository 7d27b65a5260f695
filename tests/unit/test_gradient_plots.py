"""Gradient-lab figures: log colour scale, zeros and overflow kept visible, labelled axes, clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.plots import gradients


def heatmap_traces(figure):
    """The heatmap layers of a figure by name of their hover text."""
    return [trace for trace in figure.data if trace.type == "heatmap"]


def test_heatmap_uses_log10_values_and_labels_its_axes_and_colour_bar():
    profiles = np.array([[1e-6, 1e-3, 1.0], [1e-2, 1e-1, 1.0]])
    figure = gradients.gradient_heatmap([0, 10], profiles)
    main = heatmap_traces(figure)[0]
    np.testing.assert_allclose(np.array(main.z, dtype=float), np.log10(profiles))
    assert "log" in main.colorbar.title.text and "∂L/∂h_t" in main.colorbar.title.text
    assert "10⁻⁶" in main.colorbar.ticktext
    assert "timestep" in figure.layout.xaxis.title.text and figure.layout.yaxis.title.text == "training step"


def test_exact_zeros_and_overflow_get_their_own_colours_and_legend_entries():
    profiles = np.array([[0.0, 0.0, 0.5, 1.0], [np.inf, np.nan, 0.5, 1.0]])
    figure = gradients.gradient_heatmap([0, 1], profiles)
    names = {trace.name for trace in figure.data if trace.type == "scatter"}
    assert names == {gradients.ZERO_NAME, "overflow (inf/NaN)"} and "not small" in gradients.ZERO_NAME
    zero_layer = heatmap_traces(figure)[1]
    assert np.isnan(np.array(zero_layer.z, dtype=float)[1]).all()
    assert not np.isnan(np.array(zero_layer.z, dtype=float)[0, :2]).any()
    only_zeros = gradients.gradient_heatmap([0], np.zeros((1, 3)))  # nothing positive: still a figure
    assert [trace.name for trace in only_zeros.data if trace.type == "scatter"] == [gradients.ZERO_NAME]


def test_heatmap_rejects_mismatched_or_empty_input():
    with pytest.raises(ValueError, match="one training step per profile"):
        gradients.gradient_heatmap([0], np.ones((2, 3)))
    with pytest.raises(ValueError, match="empty"):
        gradients.gradient_heatmap([], np.zeros((0, 0)))


def test_profile_chart_draws_the_bound_overlays_and_the_truncated_region():
    profile = np.array([0.0, 0.0, 0.1, 1.0])
    figure = gradients.profile_chart(profile, step=7, bound=np.array([8.0, 4.0, 2.0, 1.0]), truncated_k=2,
                                     overlays={"other run": np.array([1e-3, 1e-2, 1e-1, 1.0])})
    names = [trace.name for trace in figure.data]
    assert names == ["other run", "this run", "bound from (γ·σ_max(W_hh))^(T−t)"]
    assert np.isnan(figure.data[1].y[:2]).all()  # zeros are gaps on a log axis, not fake points
    assert figure.layout.shapes[0].x1 == pytest.approx(1.5)  # grey band over t = 0, 1
    assert figure.layout.yaxis.type == "log" and "log" in figure.layout.yaxis.title.text
    with pytest.raises(ValueError, match="same length"):
        gradients.profile_chart(profile, step=0, bound=np.ones(3))


def test_grad_norm_chart_shows_the_threshold_only_when_clipping_by_norm():
    clipped = gradients.grad_norm_chart([1, 2], [10.0, 0.5], [1.0, 0.5], threshold=1.0)
    assert [trace.name for trace in clipped.data] == ["before clipping", "after clipping"]
    assert clipped.layout.shapes[0].y0 == 1.0
    plain = gradients.grad_norm_chart([1, 2], [10.0, 0.5], [10.0, 0.5])
    assert len(plain.data) == 1 and "no clipping" in plain.layout.annotations[0].text
    with pytest.raises(ValueError, match="same length"):
        gradients.grad_norm_chart([1], [1.0, 2.0], [1.0, 2.0])


def test_singular_value_chart_marks_one_and_labels_the_log_label_at_the_line():
    figure = gradients.singular_value_chart([0, 5], {"σ1(W_hh)": [0.5, 2.0], "σ_max(mean Jacobian)": [0.4, 0.9]})
    assert figure.layout.shapes[0].y0 == 1.0
    assert figure.layout.annotations[0].y == 0.0  # log10(1): the label sits on the line, not at 10**1
    with pytest.raises(ValueError, match="2 steps"):
        gradients.singular_value_chart([0, 5], {"σ1": [1.0]})
    with pytest.raises(ValueError, match="empty"):
        gradients.singular_value_chart([0], {})


def test_loss_chart_overlays_runs_with_a_smoothed_line_from_the_first_step():
    figure = gradients.loss_accuracy_chart({"a": ([1.0, 3.0], [0.0, 1.0]), "b": ([2.0], [0.5])},
                                           baseline=1 / 6, colors=["#000000", "#ff0000"])
    smoothed = [trace for trace in figure.data if trace.name in ("a", "b")]
    assert [trace.name for trace in smoothed] == ["a", "b"]
    np.testing.assert_allclose(smoothed[0].y, [1.0, 2.0])  # running mean starts at step 1
    assert smoothed[1].line.color == "#ff0000"
    with pytest.raises(ValueError, match="train a run first"):
        gradients.loss_accuracy_chart({}, baseline=1.0)


def test_power_labels_read_well():
    assert gradients.power_label(-12) == "10⁻¹²" and gradients.power_label(3) == "10³"


def test_heatmap_colours_are_rgb_strings_starting_black():
    """Streamlit's front end misreads Plotly's "#000004" and paints the smallest values violet."""
    main = heatmap_traces(gradients.gradient_heatmap([0], np.array([[1e-9, 1.0]])))[0]
    first = main.colorscale[0]
    assert first[0] == 0 and first[1] == "rgb(0, 0, 4)"
    assert all(color.startswith("rgb(") for _, color in main.colorscale)


def test_a_narrow_range_gets_one_two_five_ticks_on_the_colour_bar():
    main = heatmap_traces(gradients.gradient_heatmap([0], np.array([[0.003, 0.05]])))[0]
    assert list(main.colorbar.ticktext) == ["5·10⁻³", "10⁻²", "2·10⁻²", "5·10⁻²"]


def test_loss_chart_keeps_the_accuracy_axis_linear():
    figure = gradients.loss_accuracy_chart({"a": ([10.0, 1.0, 0.01], [0.0, 0.5, 1.0])}, baseline=1 / 6)
    assert figure.layout.yaxis.type == "log" and figure.layout.yaxis.title.text == "loss (log)"
    assert figure.layout.yaxis2.type != "log" and figure.layout.yaxis2.title.text == "accuracy"
    assert figure.layout.annotations[0].y == pytest.approx(np.log10(1 / 6))  # the baseline label sits on its line


def test_one_spike_does_not_set_the_heatmap_colour_scale_and_the_colour_bar_says_it_is_clipped():
    """Issue 17 item 6: a single loss spike (one row 10^4 above the rest) made every other row dark."""
    rng = np.random.default_rng(0)
    profiles = 10.0 ** rng.uniform(-2.0, -1.0, size=(100, 50))  # the bulk: 10^-2 .. 10^-1
    profiles[40] = 1e3  # one spike row
    figure = gradients.gradient_heatmap(list(range(100)), profiles)
    main = heatmap_traces(figure)[0]
    assert main.zmax < -0.9 and main.zmin > -2.1  # the scale spans the bulk, not the spike
    assert "clipped" in main.colorbar.title.text and "percentile" in main.colorbar.title.text
    assert not figure.layout.title.text  # the note is on the colour bar, not the chart's title
    np.testing.assert_allclose(np.array(main.customdata, dtype=float)[40], 1e3)  # hover keeps the true value


def test_a_plain_range_keeps_its_true_ends_and_says_nothing_about_clipping():
    profiles = np.array([[1e-6, 1e-3, 1.0], [1e-2, 1e-1, 1.0]])
    main = heatmap_traces(gradients.gradient_heatmap([0, 10], profiles))[0]
    assert (main.zmin, main.zmax) == pytest.approx((-6.0, 0.0))
    assert "clipped" not in main.colorbar.title.text


def test_the_measured_factor_per_step_gets_its_own_thick_line():
    figure = gradients.singular_value_chart([0, 5], {"σ_max(mean Jacobian)": [1.3, 1.4],
                                                     "measured: gradient kept per step back": [0.6, 0.7]})
    jacobian, measured = figure.data
    assert measured.line.color == gradients.MEASURED_COLOR and measured.line.width > jacobian.line.width
    blocks = gradients.singular_value_chart([0], {f"σ{i}(W_hh)": [1.0] for i in range(4)})
    assert gradients.MEASURED_COLOR not in {trace.line.color for trace in blocks.data}  # never a block's colour
    assert "factor per step" in figure.layout.yaxis.title.text
