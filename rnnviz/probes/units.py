"""Find the unit: which hidden units track a signal, which are on during a span, how saturated the gates are.

- `rank_units(values, signal)`: units ordered by |Pearson r| with a per-character signal,
  e.g. the bracket depth or the inside-quote flag of `rnnviz.data.languages.analyze_brackets`, or
  the position in the line (Karpathy, Johnson & Fei-Fei 2015 found units for all three).
- `span_units` / `matching_spans`: LSTMVis-style (Strobelt et al. 2018): select a span of text,
  get the units above a threshold all through it, then the other spans where they fire together.
- `saturation`: per unit, how often each sigmoid gate is left-saturated (< 0.1) or
  right-saturated (> 0.9), the scatter of Karpathy, Johnson & Fei-Fei (2015).
All functions take NumPy arrays (T, H), or a trace of a text (`StateTrace`: a CharLM's
`rnnviz.charlm.trace.TextTrace` is one); they never touch a model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch

from rnnviz.core.kinds import TABLE
from rnnviz.core.validation import require_fraction, require_int
from rnnviz.data.languages import analyze_brackets
from rnnviz.probes.gradients import gate_saturation


class StateTrace(Protocol):
    """What the unit probes read of a traced text: the text, the cell kind, and each state (T, H)."""

    text: str
    kind: str

    def state(self, name: str, layer: int = 0) -> np.ndarray:
        """One gate or state of one layer, (T, H)."""
        ...


# The gates squashed by a sigmoid, per cell kind: the ones that can saturate at 0 or 1.
SIGMOID_GATES: dict[str, tuple[str, ...]] = {name: kind.sigmoid_gates for name, kind in TABLE.items()}


NO_SIGNAL = {
    "nesting depth": "this text has no brackets, so the nesting depth never changes: add some to find its unit",
    "inside a quote": 'this text has no quotes, so "inside a quote" never changes: add a quoted passage to find its unit',
    "position in the line": "the text is too short to follow the position in the line: type more",
}


@dataclass(frozen=True)
class UnitScore:
    """One unit and how strongly it follows a signal."""

    unit: int
    correlation: float  # Pearson r in [-1, 1]; the sign says whether the unit rises or falls with the signal


def _check_values(values: np.ndarray, name: str = "values") -> np.ndarray:
    """A finite float (T, H) array with T >= 1."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 2 or array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(f"{name} must be a (time, units) array with at least one step, got shape {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} holds NaN or infinite values")
    return array


def correlations(values: np.ndarray, signal: np.ndarray) -> np.ndarray:
    """Pearson r of each unit (column of values (T, H)) with signal (T,); 0 for a unit that never changes."""
    array = _check_values(values)
    target = np.asarray(signal, dtype=np.float64)
    if target.shape != (array.shape[0],):
        raise ValueError(f"signal must have one value per time step ({array.shape[0]}), got shape {target.shape}")
    centered_signal = target - target.mean()
    signal_norm = np.sqrt((centered_signal ** 2).sum())
    if signal_norm == 0:
        raise ValueError("the signal never changes over this text, so no unit can follow it; use a text where it varies")
    centered = array - array.mean(axis=0)
    norms = np.sqrt((centered ** 2).sum(axis=0))  # (H,)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = centered.T @ centered_signal / (norms * signal_norm)
    r[norms < 1e-12] = 0.0
    return np.clip(r, -1.0, 1.0)


def rank_units(values: np.ndarray, signal: np.ndarray, top: int | None = None) -> list[UnitScore]:
    """Units ordered by |r| with `signal`, strongest first (ties: lower unit number first)."""
    r = correlations(values, signal)
    order = np.lexsort((np.arange(len(r)), -np.abs(r)))
    if top is not None:
        order = order[: require_int("top", top, minimum=1)]
    return [UnitScore(int(unit), float(r[unit])) for unit in order]


def text_signals(text: str) -> dict[str, np.ndarray]:
    """Labels of any text, one value per character: "nesting depth" and "inside a quote" (the bracket
    language's, from `analyze_brackets`) and "position in the line" (characters since the last newline)."""
    depth, in_quote = analyze_brackets(text)
    position, column = np.zeros(len(text)), 0
    for index, char in enumerate(text):
        position[index] = column
        column = 0 if char == "\n" else column + 1
    return {"nesting depth": depth.astype(np.float64), "inside a quote": in_quote.astype(np.float64),
            "position in the line": position}


def find_signal_units(trace: StateTrace, state: str = "cell", layer: int = 0,
                      top: int = 5) -> dict[str, list[UnitScore] | str]:
    """For each signal of `text_signals`: the `top` units of one state that follow it, or why none can be found."""
    values = trace.state(state, layer)
    found: dict[str, list[UnitScore] | str] = {}
    for name, signal in text_signals(trace.text).items():
        try:
            found[name] = rank_units(values, signal, top)
        except ValueError:
            found[name] = NO_SIGNAL[name]
    return found


def span_units(values: np.ndarray, start: int, end: int, threshold: float, top: int = 5) -> list[int]:
    """Units above `threshold` at every step of [start, end), most distinctive first (at most `top`).

    Distinctive: the unit's lowest value inside the span minus its mean outside it, so a unit
    that is on everywhere ranks below one that switches on for the span.
    """
    array = _check_values(values)
    start, end = _check_span(start, end, array.shape[0])
    inside = array[start:end]
    on = (inside > threshold).all(axis=0)
    outside = np.delete(array, np.s_[start:end], axis=0)
    background = outside.mean(axis=0) if len(outside) else np.zeros(array.shape[1])
    margin = inside.min(axis=0) - background
    units = [int(u) for u in np.flatnonzero(on)]
    units.sort(key=lambda u: (-margin[u], u))
    return units[: require_int("top", top, minimum=1)]


def matching_spans(values: np.ndarray, units: list[int], threshold: float, *, min_length: int = 2,
                   fraction: float = 1.0) -> list[tuple[int, int]]:
    """Maximal spans [start, end) where at least `fraction` of `units` are above `threshold`, longest first."""
    array = _check_values(values)
    if not units:
        return []
    if any(not 0 <= u < array.shape[1] for u in units):
        raise ValueError(f"units must lie in [0, {array.shape[1]}), got {units}")
    need = require_fraction("fraction", fraction, allow_zero=False)
    min_length = require_int("min_length", min_length, minimum=1)
    firing = (array[:, units] > threshold).mean(axis=1) >= need - 1e-9  # (T,)
    spans, start = [], None
    for t, on in enumerate([*firing.tolist(), False]):
        if on and start is None:
            start = t
        elif not on and start is not None:
            if t - start >= min_length:
                spans.append((start, t))
            start = None
    return sorted(spans, key=lambda span: (-(span[1] - span[0]), span[0]))


def _check_span(start: int, end: int, steps: int) -> tuple[int, int]:
    """A non-empty span inside [0, steps)."""
    start = require_int("start", start, minimum=0)
    end = require_int("end", end, minimum=1)
    if not start < end <= steps:
        raise ValueError(f"the span must satisfy 0 <= start < end <= {steps}, got [{start}, {end})")
    return start, end


def saturation(trace: StateTrace, layer: int = 0, low: float = 0.1,
               high: float = 0.9) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per sigmoid gate: (fraction of steps < low, fraction > high), each (H,); empty for a plain RNN."""
    result = {}
    for gate in SIGMOID_GATES[trace.kind]:
        values = torch.from_numpy(np.ascontiguousarray(trace.state(gate, layer))).unsqueeze(0)  # (1, T, H)
        result[gate] = gate_saturation(values, low, high)
    return result
