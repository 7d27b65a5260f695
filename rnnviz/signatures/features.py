"""The 23 time functions of Tolosana et al. (2018), Table 1, computed per pen sample and normalised per signature.

Derivatives are second-order regressions over ±2 samples, ḟ_n = Σ_{k=1..2} k (f_{n+k} − f_{n−k}) / 10, with the
end values repeated; windows of 5 or 7 samples end at sample n, padded at the start by the first sample.
Angles are atan2 (full circle), differentiated after unwrapping. Every division is guarded, so points that all
coincide (zero speed) give zeros and finite logs, never NaN or inf. Then each function is shifted to mean 0
and scaled to variance 1 over the signature (a constant function becomes 0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from rnnviz.signatures.data import PRESSURE, X, Y

EPSILON = 1e-6  # below any real speed (tablet units per 10 ms) or angle change (radians per sample)
WIDTH_FLOOR = 1.0  # one coordinate unit, the tablet's resolution: a vertical stroke has a finite ratio


@dataclass(frozen=True)
class TimeFunction:
    """One row of Table 1: its number, symbol, name, formula (LaTeX) and whether it needs pressure."""

    number: int
    symbol: str
    name: str
    formula: str
    pressure: bool = False


TIME_FUNCTIONS: tuple[TimeFunction, ...] = (
    TimeFunction(1, "x", "x-coordinate", r"x_n"),
    TimeFunction(2, "y", "y-coordinate", r"y_n"),
    TimeFunction(3, "z", "pen pressure", r"z_n", pressure=True),
    TimeFunction(4, "θ", "path-tangent angle", r"\theta_n = \operatorname{atan2}(\dot y_n, \dot x_n)"),
    TimeFunction(5, "v", "path velocity magnitude", r"v_n = \sqrt{\dot x_n^2 + \dot y_n^2}"),
    TimeFunction(6, "ρ", "log curvature radius", r"\rho_n = \log \dfrac{v_n}{\lvert\dot\theta_n\rvert}"),
    TimeFunction(7, "a", "total acceleration magnitude", r"a_n = \sqrt{\dot v_n^2 + (v_n \dot\theta_n)^2}"),
    TimeFunction(8, "ẋ", "first derivative of x", r"\dot x_n = \tfrac{1}{10}\sum_{k=1}^{2} k\,(x_{n+k} - x_{n-k})"),
    TimeFunction(9, "ẏ", "first derivative of y", r"\dot y_n"),
    TimeFunction(10, "ż", "first derivative of pressure", r"\dot z_n", pressure=True),
    TimeFunction(11, "θ̇", "first derivative of θ", r"\dot\theta_n"),
    TimeFunction(12, "v̇", "first derivative of v", r"\dot v_n"),
    TimeFunction(13, "ρ̇", "first derivative of ρ", r"\dot\rho_n"),
    TimeFunction(14, "ȧ", "first derivative of a", r"\dot a_n"),
    TimeFunction(15, "ẍ", "second derivative of x", r"\ddot x_n"),
    TimeFunction(16, "ÿ", "second derivative of y", r"\ddot y_n"),
    TimeFunction(
        17, "vʳ", "min/max speed ratio, 5 samples", r"v^r_n = \dfrac{\min\{v_{n-4},\dots,v_n\}}{\max\{v_{n-4},\dots,v_n\}}"
    ),
    TimeFunction(18, "α", "angle of consecutive samples", r"\alpha_n = \operatorname{atan2}(y_n - y_{n-1},\; x_n - x_{n-1})"),
    TimeFunction(19, "α′", "first difference of α", r"\alpha'_n = \alpha_n - \alpha_{n-1}"),
    TimeFunction(20, "s", "sine of α", r"s_n = \sin \alpha_n"),
    TimeFunction(21, "c", "cosine of α", r"c_n = \cos \alpha_n"),
    TimeFunction(
        22,
        "r⁵",
        "stroke length to width ratio, 5 samples",
        r"r^5_n = \dfrac{\sum_{k=n-4}^{n} \sqrt{(x_k - x_{k-1})^2 + (y_k - y_{k-1})^2}}"
        r"{\max\{x_{n-4..n}\} - \min\{x_{n-4..n}\}}",
    ),
    TimeFunction(23, "r⁷", "stroke length to width ratio, 7 samples", r"r^7_n \text{ (as } r^5_n \text{ over 7 samples)}"),
)
NAMES: tuple[str, ...] = tuple(function.symbol for function in TIME_FUNCTIONS)
SHORT_NAMES: tuple[str, ...] = (
    "x", "y", "pressure", "tangent angle", "speed", "log curv. radius", "acceleration", "dx/dn", "dy/dn",
    "d pressure/dn", "d angle/dn", "d speed/dn", "d log radius/dn", "d accel./dn", "d²x/dn²", "d²y/dn²",
    "min/max speed", "step angle", "d step angle", "sine", "cosine", "length/width 5", "length/width 7",
)  # fmt: skip
ALL: tuple[int, ...] = tuple(range(len(TIME_FUNCTIONS)))  # column indices 0..22
WITHOUT_PRESSURE: tuple[int, ...] = tuple(i for i, function in enumerate(TIME_FUNCTIONS) if not function.pressure)
# DTW's default subset: ẋ, ẏ, z, v, θ, sin α, cos α (Table 1 numbers 8, 9, 3, 5, 4, 20, 21). On all 40 SVC2004 users
# (5 folds, user-normalised, 4vs1) it scored 12.3 % skilled / 0.25 % random EER against 13.0 % / 0.36 % for all 23;
# x, y, curvature, acceleration and the length/width ratios only added noise to the alignment.
DTW_CHOICE: tuple[int, ...] = (7, 8, 2, 4, 3, 19, 20)


def without_pressure(columns: tuple[int, ...]) -> tuple[int, ...]:
    """The columns minus the pressure functions z and ż (for mouse-drawn signatures)."""
    return tuple(c for c in columns if not TIME_FUNCTIONS[c].pressure)


def parse_functions(text: str) -> tuple[int, ...]:
    """ "8,9,3" (Table 1 numbers, 1..23) -> column indices (7, 8, 2); ValueError saying what to type otherwise."""
    try:
        numbers = [int(part) for part in text.replace(" ", ",").split(",") if part]
    except ValueError:
        raise ValueError(f"time functions are Table 1 numbers 1..23 separated by commas, e.g. 8,9,3; got {text!r}") from None
    if not numbers or any(n < 1 or n > len(TIME_FUNCTIONS) for n in numbers):
        raise ValueError(f"time functions are Table 1 numbers 1..23 separated by commas, e.g. 8,9,3; got {text!r}")
    return tuple(dict.fromkeys(n - 1 for n in numbers))


def derivative(values: np.ndarray) -> np.ndarray:
    """Second-order regression derivative per sample along axis 0, end values repeated."""
    padded = np.concatenate([values[:1], values[:1], values, values[-1:], values[-1:]])  # (N + 4, ...)
    return ((padded[3:-1] - padded[1:-3]) + 2 * (padded[4:] - padded[:-4])) / 10.0


def _window_start_padded(values: np.ndarray, width: int) -> np.ndarray:
    """Windows of `width` samples ending at each sample, the first sample repeated before the start."""
    padded = np.concatenate([np.repeat(values[:1], width - 1), values])
    return sliding_window_view(padded, width)  # (N, width)


def _wrap(angle: np.ndarray) -> np.ndarray:
    """Angles folded into (−π, π]."""
    return np.pi - np.mod(np.pi - angle, 2 * np.pi)


def _length_to_width(x: np.ndarray, y: np.ndarray, width: int) -> np.ndarray:
    """Path length over the window ending at n divided by its x extent (at least WIDTH_FLOOR)."""
    steps = np.hypot(np.diff(x, prepend=x[:1]), np.diff(y, prepend=y[:1]))  # step into each sample
    length = _window_start_padded(steps, width).sum(axis=1)
    windows = _window_start_padded(x, width)
    return length / np.maximum(windows.max(axis=1) - windows.min(axis=1), WIDTH_FLOOR)


def raw_time_functions(points: np.ndarray) -> np.ndarray:
    """The 23 time functions (N, 23) of points (N, ≥7) in SVC2004 column order, before normalisation."""
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2 or points.shape[0] < 2 or points.shape[1] <= PRESSURE:
        raise ValueError(f"points must be (N ≥ 2, 7): X Y T BUTTON AZIMUTH ALTITUDE PRESSURE, got {points.shape}")
    x, y, z = points[:, X], points[:, Y], points[:, PRESSURE]
    dx, dy, dz = derivative(points[:, [X, Y, PRESSURE]]).T  # one regression for the three
    theta_unwrapped = np.unwrap(np.arctan2(dy, dx))
    theta = _wrap(theta_unwrapped)
    speed = np.hypot(dx, dy)
    dtheta, dspeed = derivative(np.stack([theta_unwrapped, speed], axis=1)).T
    rho = np.log(np.maximum(speed, EPSILON) / np.maximum(np.abs(dtheta), EPSILON))
    acceleration = np.hypot(dspeed, speed * dtheta)
    drho, dacceleration, ddx, ddy = derivative(np.stack([rho, acceleration, dx, dy], axis=1)).T
    speeds = _window_start_padded(speed, 5)
    speed_ratio = speeds.min(axis=1) / np.maximum(speeds.max(axis=1), EPSILON)
    alpha = np.arctan2(np.diff(y), np.diff(x))
    alpha = np.concatenate([alpha[:1], alpha])  # the first sample takes the angle of the first step
    dalpha = _wrap(np.diff(alpha, prepend=alpha[:1]))
    columns = [
        x,
        y,
        z,
        theta,
        speed,
        rho,
        acceleration,
        dx,
        dy,
        dz,
        dtheta,
        dspeed,
        drho,
        dacceleration,
        ddx,
        ddy,
        speed_ratio,
        alpha,
        dalpha,
        np.sin(alpha),
        np.cos(alpha),
        _length_to_width(x, y, 5),
        _length_to_width(x, y, 7),
    ]
    return np.stack(columns, axis=1)  # (N, 23)


def normalise(functions: np.ndarray) -> np.ndarray:
    """Each column shifted to mean 0 and scaled to variance 1 over the signature; constant columns become 0."""
    centred = functions - functions.mean(axis=0, keepdims=True)
    spread = functions.std(axis=0, keepdims=True)
    return centred / np.where(spread > 1e-12 * (1 + np.abs(functions).max(axis=0, keepdims=True)), spread, 1.0)


def time_functions(points: np.ndarray, columns: tuple[int, ...] = ALL) -> np.ndarray:
    """The chosen time functions (N, len(columns)) of one signature, normalised, as float32."""
    unknown = [c for c in columns if c not in ALL]
    if unknown or not columns:
        raise ValueError(f"columns must be a non-empty subset of 0..22 (Table 1 numbers minus one), got {columns}")
    return normalise(raw_time_functions(points))[:, list(columns)].astype(np.float32)


def dataset_time_functions(
    signatures: dict[tuple[int, int], object], columns: tuple[int, ...] = ALL
) -> dict[tuple[int, int], np.ndarray]:
    """The chosen normalised time functions of every signature of a data set, by (user, sample)."""
    return {key: time_functions(signature.points, columns) for key, signature in signatures.items()}
