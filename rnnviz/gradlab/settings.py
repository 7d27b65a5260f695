"""The gradient lab's run settings: every knob of one run, checked; the model they build; a time estimate.

`RunSettings` holds every knob of a run (task, cell, initialization, clipping, truncated
BPTT, optimizer, ...) and refuses values out of range with a clear ValueError.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import torch

from rnnviz.core.kinds import KINDS, kind_info
from rnnviz.core.initialization import check_init, initialize_recurrent
from rnnviz.training.tasks import SequenceModel
from rnnviz.data.tasks import TASK_NAMES, Task, make_task
from rnnviz.core.randomness import make_generator
from rnnviz.training.loop import CLIP_MODES, OPTIMIZERS, TrainConfig
from rnnviz.core.validation import require_choice, require_int

MAX_LENGTH = 500
MAX_HIDDEN = 256
MAX_LAYERS = 4
MAX_STEPS = 5000
MAX_BATCH = 256
MAX_SEED = 2**31 - 1
MAX_CLIP = 1000.0
MAX_FORGET_BIAS = 10.0
PROBE_BATCH = 32
JACOBIAN_POSITIONS = 128
VANILLA = tuple(kind for kind in KINDS if not kind_info(kind).gated)
CELL_NAMES = {kind: kind_info(kind).long_label for kind in KINDS}
TASK_OPTIONS = {"first-symbol": {"noise_symbols": 4}}  # distractors a gate can learn to ignore


def _real(name: str, value: object, low: float, high: float, *, open_low: bool = True) -> float:
    """Return `value` as a float in (low, high] (or [low, high]), or raise ValueError."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    below = value <= low if open_low else value < low
    if below or value > high:
        interval = f"({low:g}, {high:g}]" if open_low else f"[{low:g}, {high:g}]"
        raise ValueError(f"{name} must be in {interval}, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class RunSettings:
    """Every knob of one gradient-lab run; building it with a value out of range raises ValueError."""

    task: str = "adding"
    length: int = 50  # the task's dependency dial T
    cell: str = "rnn"
    hidden_size: int = 32
    num_layers: int = 1
    init: str = "default"  # one of rnnviz.core.initialization.SCHEMES
    init_scale: float = 1.0
    spectral_radius: float | None = None  # set the largest |eigenvalue| of each W_hh block
    forget_bias: float | None = None  # gated cells: bias of the gate that keeps the state
    clip: str = "none"
    clip_threshold: float = 1.0
    tbptt: int | None = None  # k: backpropagate through the last k steps only
    optimizer: str = "adam"
    learning_rate: float = 3e-3
    momentum: float = 0.0
    steps: int = 600
    batch_size: int = 64
    record_every: int = 10
    seed: int = 0

    def __post_init__(self) -> None:
        """Check every field."""
        require_choice("task", self.task, TASK_NAMES)
        require_int("length (T)", self.length, minimum=2, maximum=MAX_LENGTH, why="a live CPU demo")
        require_choice("cell", self.cell, KINDS)
        require_int("hidden size", self.hidden_size, minimum=1, maximum=MAX_HIDDEN)
        require_int("layers", self.num_layers, minimum=1, maximum=MAX_LAYERS)
        check_init(self.init, self.init_scale, self.spectral_radius)
        if self.forget_bias is not None:
            if self.cell in VANILLA:
                raise ValueError(f"forget_bias needs a gated cell (lstm, gru, sru); {self.cell} has no gate")
            _real("forget-gate bias", self.forget_bias, -MAX_FORGET_BIAS, MAX_FORGET_BIAS, open_low=False)
        require_choice("clip", self.clip, CLIP_MODES)
        _real("clip threshold", self.clip_threshold, 0.0, MAX_CLIP)
        if self.tbptt is not None:
            require_int("truncated BPTT k", self.tbptt, minimum=1, maximum=self.num_steps,
                        why=f"the sequence has {self.num_steps} steps")
        require_choice("optimizer", self.optimizer, OPTIMIZERS)
        _real("learning rate", self.learning_rate, 0.0, 1.0)
        _real("momentum", self.momentum, 0.0, 0.99, open_low=False)
        require_int("steps", self.steps, minimum=1, maximum=MAX_STEPS)
        require_int("batch size", self.batch_size, minimum=1, maximum=MAX_BATCH)
        require_int("record every", self.record_every, minimum=1, maximum=self.steps,
                    why="record at least once per run")
        require_int("seed", self.seed, minimum=0, maximum=MAX_SEED)

    def replace(self, **changes: Any) -> "RunSettings":
        """A copy with some fields changed (and checked); record_every shrinks with steps."""
        if "steps" in changes and "record_every" not in changes:
            changes["record_every"] = min(self.record_every, changes["steps"])
        return dataclasses.replace(self, **changes)

    def make_task(self) -> Task:
        """The task these settings train on."""
        return make_task(self.task, self.length, **TASK_OPTIONS.get(self.task, {}))

    @property
    def num_steps(self) -> int:
        """Timesteps per sequence (the copy task adds its symbols before and after the delay)."""
        return self.make_task().num_steps

    @property
    def tbptt_pair(self) -> tuple[int, int] | None:
        """(k1, k2) = (k, k) for `rnnviz.core.recurrent`, or None for full BPTT."""
        return None if self.tbptt is None else (self.tbptt, self.tbptt)

    def train_config(self) -> TrainConfig:
        """The `rnnviz.training.loop.TrainConfig` of these settings."""
        return TrainConfig(steps=self.steps, learning_rate=self.learning_rate, optimizer=self.optimizer,
                           momentum=self.momentum if self.optimizer in ("sgd", "rmsprop") else 0.0,
                           clip=self.clip, clip_threshold=self.clip_threshold, tbptt=self.tbptt_pair,
                           seed=self.seed)

    def label(self) -> str:
        """A short name for legends: cell, init, T, clipping, truncation."""
        init = {"default": "default init", "identity": f"identity×{self.init_scale:g}"}.get(
            self.init, f"{self.init}×{self.init_scale:g}")
        if self.spectral_radius is not None:
            init += f", ρ={self.spectral_radius:g}"
        parts = [CELL_NAMES[self.cell], init, f"T={self.length}"]
        if self.forget_bias is not None:
            parts.insert(2, f"gate bias {self.forget_bias:g}")
        if self.clip != "none":
            parts.append(f"clip {self.clip} {self.clip_threshold:g}")
        if self.tbptt is not None:
            parts.append(f"k={self.tbptt}")
        return " · ".join(parts)


FLOPS_PER_SECOND = 4e10  # one torch thread on the 2-core machine this was measured on (big matrices)
SECONDS_PER_STEP_AND_LAYER = (8e-5, 1e-4)  # fixed cost per timestep and layer: fused training, explicit probe


def estimated_seconds(settings: RunSettings) -> float:
    """A rough guess of a run's wall time (training and measurements), to warn before a very long run."""
    task = settings.make_task()
    steps, hidden, blocks = task.num_steps, settings.hidden_size, kind_info(settings.cell).blocks
    widths = [task.input_size] + [hidden] * (settings.num_layers - 1)
    macs_per_sequence = sum(steps * blocks * hidden * (hidden + width) for width in widths)
    fixed_train, fixed_probe = (cost * steps * settings.num_layers for cost in SECONDS_PER_STEP_AND_LAYER)
    train = 6 * settings.batch_size * macs_per_sequence / FLOPS_PER_SECOND + fixed_train
    probe = 6 * min(PROBE_BATCH, settings.batch_size) * macs_per_sequence / FLOPS_PER_SECOND + fixed_probe
    return settings.steps * train + (settings.steps // settings.record_every + 1) * probe


def build_model(settings: RunSettings) -> tuple[SequenceModel, Task]:
    """The model and the task of a run: weights and initialization drawn from generators of the run's seed."""
    task = settings.make_task()
    model = SequenceModel.for_task(task, settings.cell, settings.hidden_size, num_layers=settings.num_layers,
                                   generator=make_generator(settings.seed))
    initialize_recurrent(model.recurrent, settings.init, settings.init_scale, settings.spectral_radius,
                         generator=make_generator(settings.seed))
    if settings.forget_bias is not None:
        set_keep_gate_bias(model, settings.forget_bias)
    return model, task


@torch.no_grad()
def set_keep_gate_bias(model: SequenceModel, value: float) -> None:
    """Bias of the gate that keeps the state: LSTM forget gate, GRU update gate z, SRU forget gate."""
    for cell in model.recurrent.cells:
        size = cell.hidden_size
        if cell.kind in ("lstm", "gru"):
            chunk = slice(size, 2 * size)  # LSTM: i, [f], g, o;  GRU: r, [z], n
            cell.bias_ih[chunk] = value
            cell.bias_hh[chunk] = 0.0
        elif cell.kind == "sru":
            cell.bias[:size] = value  # b_f, then b_r
