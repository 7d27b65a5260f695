"""Signatures drawn in a browser: pointer events (x, y, time, button, pressure) to SVC2004-style points at 100 Hz.

The pad sends every pointer sample it saw (coalesced events included) as [x, y, t_ms, down, pressure] in canvas
pixels, y downwards. Each pen-down stroke is resampled in time to 10 ms steps, like the SVC2004 tablet; y is
flipped so that up is up; pressure 0..1 becomes 0..1023. A mouse reports a constant pressure (0.5 while a button
is down), so its signatures should use the time functions without pressure.
"""

from __future__ import annotations

import math

import numpy as np

MAX_EVENTS = 50_000
STEP_MS = 10.0  # the SVC2004 tablet's 100 Hz
PRESSURE_LEVELS = 1023.0


class DrawingError(ValueError):
    """A drawing that cannot be used, with a sentence saying what to do."""


def _events(payload: object) -> tuple[np.ndarray, str]:
    """The (E, 5) event array and the pointer type of a pad payload; DrawingError otherwise."""
    if not isinstance(payload, dict) or not isinstance(payload.get("points"), list):
        raise DrawingError("The pad sent no points: draw your signature, then press “Use this signature”.")
    rows = payload["points"]
    if not rows:
        raise DrawingError("The drawing is empty: sign inside the box, then press “Use this signature”.")
    if len(rows) > MAX_EVENTS:
        raise DrawingError(
            f"The drawing has {len(rows):,} pointer samples; at most {MAX_EVENTS:,} are read. Clear it and sign once."
        )
    try:
        events = np.asarray(rows, dtype=np.float64)
    except (TypeError, ValueError):
        raise DrawingError("The pad sent malformed points (each must be x, y, time, down, pressure).") from None
    if events.ndim != 2 or events.shape[1] != 5 or not np.isfinite(events).all():
        raise DrawingError("The pad sent malformed points (each must be five finite numbers: x, y, time, down, pressure).")
    pointer = str(payload.get("pointer", "mouse"))[:10]
    return events, pointer


def _strokes(events: np.ndarray) -> list[np.ndarray]:
    """The pen-down runs of events (a pen-up sample ends a stroke and is its last point)."""
    strokes, current = [], []
    for row in events:
        current.append(row)
        if row[3] == 0:
            strokes.append(np.array(current))
            current = []
    if current:
        strokes.append(np.array(current))
    return [stroke for stroke in strokes if len(stroke)]


def _resample_stroke(stroke: np.ndarray) -> np.ndarray:
    """A stroke's x, y, t, pressure (K, 4) at STEP_MS steps (its own samples if it lasts under one step)."""
    times = np.maximum.accumulate(stroke[:, 2])
    if times[-1] - times[0] < STEP_MS:
        return stroke[:, [0, 1, 2, 4]]
    grid = np.arange(times[0], times[-1] + 1e-9, STEP_MS)
    unique, first = np.unique(times, return_index=True)
    columns = [np.interp(grid, unique, stroke[first, c]) for c in (0, 1)]
    return np.stack([*columns, grid, np.interp(grid, unique, stroke[first, 4])], axis=1)


def from_pointer_events(payload: object) -> tuple[np.ndarray, str]:
    """SVC2004-ordered points (N, 7) of a drawing, and its pointer type ("mouse", "pen", "touch")."""
    events, pointer = _events(payload)
    parts = [_resample_stroke(stroke) for stroke in _strokes(events)]
    if not parts:
        raise DrawingError("The drawing is empty: sign inside the box, then press “Use this signature”.")
    rows = []
    for part in parts:
        button = np.ones(len(part))
        button[0] = 0  # the first sample of a stroke: the pen just came down
        rows.append(np.stack([part[:, 0], -part[:, 1], part[:, 2], button, 0 * button, 0 * button,
                              np.clip(part[:, 3], 0, 1) * PRESSURE_LEVELS], axis=1))  # fmt: skip
    points = np.concatenate(rows)
    points[:, 2] -= points[0, 2]
    if len(points) < 2 or (np.ptp(points[:, 0]) == 0 and np.ptp(points[:, 1]) == 0):
        raise DrawingError(f"The drawing is a single dot ({len(points)} sample(s) at one place): sign with a moving pen.")
    if not math.isfinite(float(points.sum())):
        raise DrawingError("The drawing has non-finite coordinates; clear it and sign again.")
    return points, pointer
