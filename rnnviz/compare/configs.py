"""What a comparison trains: configurations (cell x layers x direction x size) and the budget they share.

configurations = [Configuration("lstm"), Configuration("gru", num_layers=2, bidirectional=True)]
budget = Budget(size="parameters", parameters=3000, length="steps", steps=300, seeds=3)
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, replace
from typing import Any

from rnnviz.core.kinds import KINDS, kind_info
from rnnviz.core.validation import require_choice, require_int

MIN_CONFIGURATIONS, MAX_CONFIGURATIONS = 2, 8
MAX_LAYERS = 4
MAX_HIDDEN = 1024  # what a person may type in the table
MAX_SOLVED_HIDDEN = 8192  # what matching may solve: an SRU on 2 inputs needs ~13 weights a unit
MAX_PARAMETERS = 5_000_000  # larger models do not train live on a laptop
MAX_SEEDS = 10
MAX_STEPS = 100_000
MAX_SECONDS = 600.0  # per run: a comparison of 8 configurations x 3 seeds then takes at most 4 hours
SIZES = ("parameters", "hidden")  # the same number of parameters (sizes solved per cell) or the same hidden size
LENGTHS = ("steps", "seconds")  # the same number of training steps or the same wall-clock seconds each


@dataclass(frozen=True)
class Configuration:
    """One contender: a cell kind, its layers and direction, and a hidden size (used when sizes are not solved)."""

    kind: str
    num_layers: int = 1
    bidirectional: bool = False
    hidden_size: int = 32

    def validate(self) -> Configuration:
        """Raise ValueError naming the bad field."""
        kind_info(self.kind)
        require_int("layers", self.num_layers, minimum=1, maximum=MAX_LAYERS)
        require_int("hidden size", self.hidden_size, minimum=1, maximum=MAX_HIDDEN)
        if not isinstance(self.bidirectional, bool):
            raise ValueError(f"bidirectional must be True or False, got {self.bidirectional!r}")
        return self

    @property
    def label(self) -> str:
        """'LSTM', 'GRU ×2 bi': the cell, then layers and direction when they are not the default."""
        parts = [kind_info(self.kind).label]
        if self.num_layers > 1:
            parts.append(f"×{self.num_layers}")
        if self.bidirectional:
            parts.append("bi")
        return " ".join(parts)

    def with_hidden(self, hidden_size: int) -> Configuration:
        """The same contender at another hidden size."""
        return replace(self, hidden_size=int(hidden_size))


@dataclass(frozen=True)
class Budget:
    """What every configuration gets: its size rule, its training length, seeds and the optimizer's rate."""

    size: str = "parameters"
    parameters: int = 2000  # the target of size="parameters"
    length: str = "steps"
    steps: int = 250
    seconds: float = 5.0  # per run, for length="seconds"
    seeds: int = 3
    learning_rate: float = 1e-2
    batch_size: int = 32

    def validate(self) -> Budget:
        """Raise ValueError with what to change."""
        require_choice("size rule", self.size, SIZES)
        require_choice("training length", self.length, LENGTHS)
        require_int(
            "parameter budget",
            self.parameters,
            minimum=10,
            maximum=MAX_PARAMETERS,
            why="larger models do not train live on a laptop CPU",
        )
        require_int("steps", self.steps, minimum=1, maximum=MAX_STEPS)
        require_int("seeds", self.seeds, minimum=1, maximum=MAX_SEEDS)
        require_int("batch size", self.batch_size, minimum=1, maximum=1024)
        seconds = self.seconds
        if not isinstance(seconds, (int, float)) or not math.isfinite(seconds) or seconds <= 0:
            raise ValueError(f"the time budget must be more than 0 seconds per run, got {seconds!r}")
        if seconds > MAX_SECONDS:
            raise ValueError(
                f"the time budget is {seconds:g} s per run; at most {MAX_SECONDS:g} s (10 minutes) "
                "is allowed here: lower it, or run `python -m rnnviz.compare` from a terminal"
            )
        if not isinstance(self.learning_rate, (int, float)) or not 0 < self.learning_rate < 10:
            raise ValueError(f"the learning rate must be in (0, 10), got {self.learning_rate!r}")
        return self

    def replace(self, **changes: Any) -> Budget:
        """A copy with some fields changed."""
        return replace(self, **changes)


def check_configurations(configurations: list[Configuration]) -> list[Configuration]:
    """2 to 8 valid configurations, no two the same; ValueError saying what to change otherwise."""
    count = len(configurations)
    if count < MIN_CONFIGURATIONS:
        raise ValueError(f"pick at least {MIN_CONFIGURATIONS} configurations to compare (there are {count})")
    if count > MAX_CONFIGURATIONS:
        raise ValueError(
            f"at most {MAX_CONFIGURATIONS} configurations can be compared at once (there are {count}); remove some rows"
        )
    for number, configuration in enumerate(configurations, start=1):
        try:
            configuration.validate()
        except ValueError as error:
            raise ValueError(f"row {number}: {error}") from None
    return list(configurations)


def configuration_from_row(row: dict[str, Any]) -> Configuration:
    """A Configuration from a table row {'cell': 'LSTM' or 'lstm', 'layers', 'bidirectional', 'hidden size'}."""
    cell = str(row.get("cell", "")).strip()
    by_label = {kind_info(kind).label.lower(): kind for kind in KINDS}
    kind = by_label.get(cell.lower(), cell.lower())
    require_choice("cell", kind, KINDS)
    layers, hidden = row.get("layers", 1), row.get("hidden size", 32)
    return Configuration(kind, _whole(layers, "layers"), bool(row.get("bidirectional", False)), _whole(hidden, "hidden size"))


def _whole(value: Any, name: str) -> int:
    """A table cell as a whole number (pandas gives numpy numbers, and NaN for blanks)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    if not math.isfinite(float(value)):
        raise ValueError(f"{name} is empty: type a whole number")
    if float(value) != int(value):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    return int(value)
