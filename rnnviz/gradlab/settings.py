"""The gradient lab's run settings: every knob of one run, checked; the model they build; a time estimate.

`RunSettings` holds every knob of a run (task, cell, initialization, clipping, truncated
BPTT, optimizer, ...) and refuses values out of range with a clear ValueError.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch

from rnnviz.core.initialization import check_init, initialize_recurrent
from rnnviz.core.kinds import KINDS, kind_info
from rnnviz.core.randomness import make_generator
from rnnviz.core.validation import require_choice, require_int
from rnnviz.data.tasks import TASK_NAMES, Task, make_task
from rnnviz.training.loop import CLIP_MODES, OPTIMIZERS, TrainConfig, replace_settings
from rnnviz.training.tasks import SequenceModel

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


TRAINING = TrainConfig(steps=600, learning_rate=3e-3, batch_size=64, seed=0)  # the lab's training defaults


@dataclass(frozen=True)
class RunSettings:
    """Every knob of one gradient-lab run; building it with a value out of range raises ValueError.

    How to train is a `TrainConfig` (`train`, the lab's defaults TRAINING); truncated BPTT is (k, k).
    `settings.replace(steps=80, cell="lstm")` changes model and training knobs alike.
    """

    task: str = "adding"
    length: int = 50  # the task's dependency dial T
    cell: str = "rnn"
    hidden_size: int = 32
    num_layers: int = 1
    init: str = "default"  # one of rnnviz.core.initialization.SCHEMES
    init_scale: float = 1.0
    spectral_radius: float | None = None  # set the largest |eigenvalue| of each W_hh block
    forget_bias: float | None = None  # gated cells: bias of the gate that keeps the state
    record_every: int = 10
    train: TrainConfig = TRAINING

    def __post_init__(self) -> None:
        """Check every field, each named as the page's knob is."""
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
        if not isinstance(self.train, TrainConfig):
            raise ValueError(f"train must be a rnnviz.training.loop.TrainConfig, got {type(self.train).__name__}")
        self._check_training(self.train)

    def _check_training(self, train: TrainConfig) -> None:
        """The training knobs, in the lab's ranges and words; then the rest as TrainConfig checks them."""
        require_choice("clip", train.clip, CLIP_MODES)
        _real("clip threshold", train.clip_threshold, 0.0, MAX_CLIP)
        if train.tbptt is not None:
            self._check_truncation(train.tbptt)
        require_choice("optimizer", train.optimizer, OPTIMIZERS)
        _real("learning rate", train.learning_rate, 0.0, 1.0)
        _real("momentum", train.momentum, 0.0, 0.99, open_low=False)
        require_int("steps", train.steps, minimum=1, maximum=MAX_STEPS)
        require_int("batch size", train.batch_size, minimum=1, maximum=MAX_BATCH)
        require_int("record every", self.record_every, minimum=1, maximum=train.steps,
                    why="record at least once per run")
        require_int("seed", train.seed, minimum=0, maximum=MAX_SEED)
        train.validate()

    def _check_truncation(self, tbptt: object) -> None:
        """The lab truncates with k1 = k2 = k, 1 <= k <= the sequence's steps."""
        if not isinstance(tbptt, tuple) or len(tbptt) != 2 or tbptt[0] != tbptt[1]:
            raise ValueError(f"truncated BPTT in the gradient lab is (k, k): every k steps, k steps back; "
                             f"got {tbptt!r}")
        require_int("truncated BPTT k", tbptt[0], minimum=1, maximum=self.num_steps,
                    why=f"the sequence has {self.num_steps} steps")

    def replace(self, **changes: Any) -> RunSettings:
        """A copy with some knobs changed (and checked): TrainConfig's go into `train`, tbptt=k means (k, k).

        record_every shrinks with steps unless given.
        """
        if isinstance(changes.get("tbptt"), int):
            changes["tbptt"] = (changes["tbptt"], changes["tbptt"])
        if "steps" in changes and "record_every" not in changes:
            changes["record_every"] = min(self.record_every, changes["steps"])
        return replace_settings(self, **changes)

    def make_task(self) -> Task:
        """The task these settings train on."""
        return make_task(self.task, self.length, **TASK_OPTIONS.get(self.task, {}))

    @property
    def num_steps(self) -> int:
        """Timesteps per sequence (the copy task adds its symbols before and after the delay)."""
        return self.make_task().num_steps

    @property
    def tbptt_k(self) -> int | None:
        """k of truncated BPTT (the lab's (k, k)), None for full BPTT."""
        return None if self.train.tbptt is None else self.train.tbptt[1]

    def label(self) -> str:
        """A short name for legends: cell, init, T, clipping, truncation."""
        init = {"default": "default init", "identity": f"identity×{self.init_scale:g}"}.get(
            self.init, f"{self.init}×{self.init_scale:g}")
        if self.spectral_radius is not None:
            init += f", ρ={self.spectral_radius:g}"
        parts = [CELL_NAMES[self.cell], init, f"T={self.length}"]
        if self.forget_bias is not None:
            parts.insert(2, f"gate bias {self.forget_bias:g}")
        if self.train.clip != "none":
            parts.append(f"clip {self.train.clip} {self.train.clip_threshold:g}")
        if self.tbptt_k is not None:
            parts.append(f"k={self.tbptt_k}")
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
    train = 6 * settings.train.batch_size * macs_per_sequence / FLOPS_PER_SECOND + fixed_train
    probe = 6 * min(PROBE_BATCH, settings.train.batch_size) * macs_per_sequence / FLOPS_PER_SECOND + fixed_probe
    steps = settings.train.steps
    return steps * train + (steps // settings.record_every + 1) * probe


def build_model(settings: RunSettings) -> tuple[SequenceModel, Task]:
    """The model and the task of a run: weights and initialization drawn from generators of the run's seed."""
    task = settings.make_task()
    model = SequenceModel.for_task(task, settings.cell, settings.hidden_size, num_layers=settings.num_layers,
                                   generator=make_generator(settings.train.seed))
    initialize_recurrent(model.recurrent, settings.init, settings.init_scale, settings.spectral_radius,
                         generator=make_generator(settings.train.seed))
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
