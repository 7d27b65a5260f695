"""Drawn signatures: pointer events to SVC2004-style points at 100 Hz, with a sentence for every unusable drawing."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.signatures.drawing import MAX_EVENTS, DrawingError, from_pointer_events
from rnnviz.signatures.features import WITHOUT_PRESSURE, time_functions


def stroke(start_ms: float, count: int, x0: float, step_ms: float = 4.0) -> list[list[float]]:
    """A straight stroke of `count` pointer samples, the last one a pen-up."""
    rows = [[x0 + 3 * i, 100 + 2 * i, start_ms + step_ms * i, 1, 0.5] for i in range(count)]
    rows[-1][3] = 0
    return rows


def test_strokes_are_resampled_to_10_ms_with_y_up_and_pressure_scaled() -> None:
    events = stroke(0, 26, 10) + stroke(300, 11, 200)  # 100 ms and 40 ms of pen-down
    points, pointer = from_pointer_events({"points": events, "pointer": "pen"})
    assert pointer == "pen" and points.shape[1] == 7
    assert len(points) == 11 + 5  # 0, 10, ..., 100 ms, then 300, ..., 340 ms
    assert np.allclose(np.diff(points[:11, 2]), 10.0) and points[0, 2] == 0
    assert points[0, 3] == 0 and points[11, 3] == 0 and points[1:11, 3].min() == 1  # a stroke starts pen-down
    assert points[1, 1] < points[0, 1]  # y grew downwards on the canvas, so it falls here
    assert np.allclose(points[:, 6], 0.5 * 1023)
    assert np.isfinite(time_functions(points, WITHOUT_PRESSURE)).all()


def test_a_pen_that_never_lifts_is_one_stroke() -> None:
    events = [[5 * i, 50 + 10 * np.sin(i / 3), 8 * i, 1, 0.3] for i in range(40)]
    points, _ = from_pointer_events({"points": events, "pointer": "mouse"})
    assert (points[:, 3] == 0).sum() == 1 and len(points) == 32


@pytest.mark.parametrize(
    "payload,expected",
    [
        (None, "sent no points"),
        ({"points": []}, "empty"),
        ({"points": [[1, 2, 0, 0, 0.5]]}, "single dot"),
        ({"points": [[7, 7, t, 1, 0.5] for t in range(0, 200, 5)]}, "single dot"),
        ({"points": [[1, 2, 3]]}, "malformed"),
        ({"points": [[1, "x", 0, 1, 0.5], [2, 3, 4, 1, 0.5]]}, "malformed"),
        ({"points": [[1, float("nan"), 0, 1, 0.5], [2, 3, 4, 1, 0.5]]}, "malformed"),
        ({"points": [[0, 0, 0, 1, 0.5]] * (MAX_EVENTS + 1)}, "at most"),
    ],
)
def test_an_unusable_drawing_says_what_to_do(payload: object, expected: str) -> None:
    with pytest.raises(DrawingError, match=expected):
        from_pointer_events(payload)
