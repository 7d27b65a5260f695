"""Parameter matching: the hidden size that gives each configuration (nearly) the same number of parameters.

Counts come from `rnnviz.core.kinds` (per cell kind), so no model is built to solve a size; the tests
check every count against sum(p.numel()) of the real model.
"""

from __future__ import annotations

from collections.abc import Callable

from rnnviz.compare.configs import MAX_SOLVED_HIDDEN, Configuration
from rnnviz.core.kinds import kind_info

TOLERANCE = 0.05  # a solved size must give parameters within 5 % of the target


def recurrent_parameters(kind: str, input_size: int, hidden_size: int, num_layers: int = 1, bidirectional: bool = False) -> int:
    """sum(p.numel()) of `Recurrent(kind, input_size, hidden_size, num_layers, bidirectional)`."""
    info, directions = kind_info(kind), 2 if bidirectional else 1
    total = 0
    for layer in range(num_layers):
        layer_input = input_size if layer == 0 else hidden_size * directions
        total += directions * info.parameter_count(layer_input, hidden_size)
    return total


def readout_parameters(features: int, outputs: int) -> int:
    """A linear layer's weights and biases."""
    return features * outputs + outputs


def solve_hidden_size(
    count: Callable[[int], int],
    target: int,
    label: str = "this configuration",
    tolerance: float = TOLERANCE,
    maximum: int = MAX_SOLVED_HIDDEN,
) -> int:
    """The hidden size whose parameter count `count(H)` is nearest `target`; ValueError if none is within tolerance.

    `count` must grow with H (it does for every cell: more units, more weights).
    """
    low, high = 1, maximum
    if count(low) > target * (1 + tolerance):
        raise ValueError(
            f"{label} needs at least {count(low):,} parameters (hidden size 1); the budget of {target:,} is too small: raise it"
        )
    if count(high) < target * (1 - tolerance):
        raise ValueError(
            f"{label} has at most {count(high):,} parameters (hidden size {maximum}); the budget of "
            f"{target:,} is too large: lower it"
        )
    while low < high:  # the largest H with count(H) <= target (or 1)
        middle = (low + high + 1) // 2
        if count(middle) <= target:
            low = middle
        else:
            high = middle - 1
    best = min((low, low + 1) if low < maximum else (low,), key=lambda size: abs(count(size) - target))
    error = abs(count(best) - target) / target
    if error > tolerance:
        near = " and ".join(f"H={size} gives {count(size):,}" for size in (low, low + 1))
        raise ValueError(
            f"no hidden size gives {label} {target:,} parameters within {tolerance:.0%} ({near}): "
            "pick a budget near one of those, or a larger one (bigger layers come in finer steps)"
        )
    return best


def match_parameters(
    configurations: list[Configuration],
    count: Callable[[Configuration], int],
    target: int,
    maximum: int = MAX_SOLVED_HIDDEN,
) -> list[Configuration]:
    """Each configuration at the hidden size (at most `maximum`) that brings `count(configuration)` nearest `target`."""
    return [
        configuration.with_hidden(
            solve_hidden_size(
                lambda size, c=configuration: count(c.with_hidden(size)), target, configuration.label, maximum=maximum
            )
        )
        for configuration in configurations
    ]
