"""Input checks that fail with a message saying what was expected."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor


def check_positive_int(value: object, name: str) -> int:
    """Return `value` as an int, or raise ValueError unless it is an integer >= 1."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    return value


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
    if not bool(torch.isfinite(value).all()):
        raise ValueError(f"{name} contains NaN or infinite values; clean the input first")
    return value


def check_choice(value: object, name: str, choices: Sequence[object]) -> object:
    """Raise ValueError unless `value` is one of `choices`."""
    if value not in choices:
        options = ", ".join(repr(choice) for choice in choices)
        raise ValueError(f"{name} must be one of {options}; got {value!r}")
    return value
