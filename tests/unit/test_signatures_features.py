"""The 23 time functions against hand-computed cases: a straight line at constant speed and a circle."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rnnviz.signatures import features
from rnnviz.signatures.features import raw_time_functions, time_functions

COLUMN = {function.symbol: index for index, function in enumerate(features.TIME_FUNCTIONS)}
INTERIOR = slice(8, -8)  # away from the repeated end values of derivatives and windows


def points_of(x: np.ndarray, y: np.ndarray, pressure: np.ndarray | None = None) -> np.ndarray:
    """SVC2004-style rows (N, 7) from coordinates: 10 ms steps, pen down, fixed pen angles."""
    n = len(x)
    pressure = np.full(n, 500.0) if pressure is None else pressure
    return np.stack([x, y, 10.0 * np.arange(n), np.ones(n), np.full(n, 1500.0), np.full(n, 600.0), pressure], axis=1)


def column(values: np.ndarray, symbol: str) -> np.ndarray:
    """One time function's interior values."""
    return values[INTERIOR, COLUMN[symbol]]


def test_table_1_has_23_functions_in_its_order() -> None:
    assert len(features.TIME_FUNCTIONS) == 23
    assert [f.number for f in features.TIME_FUNCTIONS] == list(range(1, 24))
    assert features.NAMES[:7] == ("x", "y", "z", "θ", "v", "ρ", "a")
    assert features.NAMES[16:] == ("vʳ", "α", "α′", "s", "c", "r⁵", "r⁷")


def test_a_straight_line_at_constant_speed() -> None:
    n = np.arange(60.0)
    values = raw_time_functions(points_of(3.0 * n, 4.0 * n))  # 5 units a sample, heading atan2(4, 3)
    heading = math.atan2(4, 3)
    expected = {
        "ẋ": 3.0,
        "ẏ": 4.0,
        "v": 5.0,
        "θ": heading,
        "θ̇": 0.0,
        "a": 0.0,
        "v̇": 0.0,
        "ẍ": 0.0,
        "ÿ": 0.0,
        "vʳ": 1.0,
        "α": heading,
        "α′": 0.0,
        "s": 0.8,
        "c": 0.6,
        "r⁵": 25.0 / 12.0,
        "r⁷": 35.0 / 18.0,
        "ż": 0.0,
    }
    for symbol, value in expected.items():
        np.testing.assert_allclose(column(values, symbol), value, atol=1e-9, err_msg=symbol)
    # an infinite curvature radius is capped, finite: log(v / ε)
    np.testing.assert_allclose(column(values, "ρ"), math.log(5.0 / features.EPSILON), rtol=1e-9)


def test_a_circle_has_its_known_angle_curvature_and_velocity() -> None:
    radius, omega = 1000.0, 2 * math.pi / 100  # one turn in 100 samples, counter-clockwise
    n = np.arange(250.0)
    values = raw_time_functions(points_of(radius * np.cos(omega * n), radius * np.sin(omega * n)))
    gain = (2 * math.sin(omega) + 4 * math.sin(2 * omega)) / 10  # the ±2 regression of a sinusoid
    speed = radius * gain
    np.testing.assert_allclose(column(values, "v"), speed, rtol=1e-9)
    np.testing.assert_allclose(column(values, "θ̇"), omega, rtol=1e-9)
    np.testing.assert_allclose(column(values, "ρ"), math.log(speed / omega), rtol=1e-9)
    assert abs(math.log(speed / omega) - math.log(radius)) < 0.01  # the log radius of the circle
    np.testing.assert_allclose(column(values, "a"), speed * omega, rtol=1e-9)  # centripetal only
    np.testing.assert_allclose(column(values, "α′"), omega, rtol=1e-9)
    tangent = features._wrap(omega * n + math.pi / 2)[INTERIOR]
    np.testing.assert_allclose(np.cos(column(values, "θ") - tangent), 1.0, atol=1e-12)
    chord = features._wrap(omega * (n - 0.5) + math.pi / 2)[INTERIOR]
    np.testing.assert_allclose(column(values, "c"), np.cos(chord), atol=1e-9)
    np.testing.assert_allclose(column(values, "s"), np.sin(chord), atol=1e-9)


@pytest.mark.parametrize("count", [2, 3, 40])
def test_points_that_all_coincide_give_no_nan_or_inf(count: int) -> None:
    points = points_of(np.full(count, 700.0), np.full(count, 300.0))
    raw = raw_time_functions(points)
    assert np.isfinite(raw).all()
    normalised = time_functions(points)
    assert normalised.shape == (count, 23) and np.isfinite(normalised).all()
    np.testing.assert_array_equal(normalised, 0.0)


def test_a_vertical_stroke_and_a_two_point_dash_stay_finite() -> None:
    n = np.arange(30.0)
    assert np.isfinite(raw_time_functions(points_of(np.full(30, 5.0), 7.0 * n))).all()
    assert np.isfinite(time_functions(points_of(np.array([0.0, 9.0]), np.array([0.0, 0.0])))).all()


def test_normalised_functions_have_mean_zero_and_variance_one() -> None:
    rng = np.random.default_rng(0)
    walk = np.cumsum(rng.normal(size=(120, 2)), axis=0) * 50
    values = time_functions(points_of(walk[:, 0], walk[:, 1], rng.uniform(100, 900, 120)))
    np.testing.assert_allclose(values.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(values.std(axis=0), 1.0, atol=1e-4)


def test_the_pressure_free_subset_drops_pressure_and_its_derivative() -> None:
    assert len(features.WITHOUT_PRESSURE) == 21
    assert {features.NAMES[i] for i in set(features.ALL) - set(features.WITHOUT_PRESSURE)} == {"z", "ż"}
    rng = np.random.default_rng(1)
    walk = np.cumsum(rng.normal(size=(50, 2)), axis=0)
    a = time_functions(points_of(walk[:, 0], walk[:, 1], rng.uniform(0, 1000, 50)), features.WITHOUT_PRESSURE)
    b = time_functions(points_of(walk[:, 0], walk[:, 1], np.full(50, 1.0)), features.WITHOUT_PRESSURE)
    np.testing.assert_array_equal(a, b)  # pressure changes nothing in the subset


def test_bad_shapes_and_columns_are_refused_with_a_message() -> None:
    with pytest.raises(ValueError, match="N ≥ 2"):
        raw_time_functions(np.zeros((1, 7)))
    with pytest.raises(ValueError, match=r"subset of 0\.\.22"):
        time_functions(np.zeros((5, 7)), (0, 23))
