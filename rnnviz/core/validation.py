"""Input checks that fail with a message saying what was expected."""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import torch
from torch import Tensor


def require_int(name: str, value: object, *, minimum: int, maximum: int | None = None, why: str = "") -> int:
    """Return `value` as an int, or raise ValueError unless it is an integer in [minimum, maximum]."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    number = int(value)
    if number < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {number}")
    if maximum is not None and number > maximum:
        reason = f" ({why})" if why else ""
        raise ValueError(f"{name} must be at most {maximum:,}, got {number:,}{reason}")
    return number


def require_fraction(name: str, value: object, *, allow_zero: bool = True) -> float:
    """Return `value` as a float, or raise ValueError unless it is a real number in [0, 1] (or (0, 1])."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a number between 0 and 1, got {value!r}")
    number = float(value)
    low_ok = number >= 0.0 if allow_zero else number > 0.0
    if not (low_ok and number <= 1.0):  # also rejects NaN
        bound = "0 <= " if allow_zero else "0 < "
        raise ValueError(f"{name} must be a number with {bound}{name} <= 1, got {number}")
    return number


def require_choice(name: str, value: object, choices: tuple[str, ...]) -> str:
    """Return `value` unless it is not one of `choices`, in which case raise ValueError listing them."""
    if not isinstance(value, str) or value not in choices:
        options = ", ".join(repr(choice) for choice in choices)
        raise ValueError(f"{name} must be one of {options}; got {value!r}")
    return value


def check_positive_int(value: object, name: str) -> int:
    """Return `value` as an int, or raise ValueError unless it is an integer >= 1."""
    return require_int(name, value, minimum=1)


def check_tensor(value: object, name: str, shape: Sequence[int | None], *, floating: bool = True) -> Tensor:
    """Raise ValueError unless `value` is a tensor of `shape` (None matches any size)."""
    expected = "(" + ", ".join("any" if size is None else str(size) for size in shape) + ")"
    if not isinstance(value, Tensor):
        raise ValueError(f"{name} must be a torch.Tensor of shape {expected}, got {type(value).__name__}")
    if value.dim() != len(shape) or any(s is not None and s != v for s, v in zip(shape, value.shape)):
        raise ValueError(f"{name} must have shape {expected}, got {tuple(value.shape)}")
    if floating and not value.is_floating_point():
        raise ValueError(f"{name} must be a floating-point tensor, got {value.dtype}")
    return value


def check_finite(value: Tensor, name: str) -> Tensor:
    """Raise ValueError if `value` holds NaN or infinity."""
    # The sum is finite when every entry is (NaN and inf propagate); only a huge sum needs the full scan.
    if value.is_floating_point() and bool(torch.isfinite(value.detach().sum())):
        return value
    if not bool(torch.isfinite(value).all()):
        raise ValueError(f"{name} contains NaN or infinite values; clean the input first")
    return value
