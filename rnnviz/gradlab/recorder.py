"""The gradient lab: train a small recurrent model live and record how its gradient reaches each step.

`RunSettings` holds every knob of a run (task, cell, initialization, clipping, truncated
BPTT, optimizer, ...) and refuses values out of range with a clear ValueError.
`GradientRecorder` is a training callback: every `record_every` steps it measures, on a fixed
probe batch and without touching any `.grad`,

- the profile ||dL/dh_t|| per timestep (`rnnviz.probes.gradients`, explicit unroll + autograd.grad),
- the direct part of that gradient (through the readout only), for the bound of vanilla RNNs,
- singular values of W_hh and of the mean state Jacobian ds_t/ds_{t-1},
- the loss on the probe batch.

`train_run(settings)` runs it all in the calling thread; `job_target(settings)` gives the
function a background `rnnviz.training.jobs.Job` runs. Everything concerns the top layer, the one the
readout reads (its gradient comes from the loss and from later steps only).
"""

from __future__ import annotations

import dataclasses
import math
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import Tensor

from rnnviz.probes import gradients as probes
from rnnviz.core.cells import KINDS
from rnnviz.core.initialization import check_init, initialize_recurrent
from rnnviz.probes.jacobians import mean_state_jacobian
from rnnviz.training.tasks import SequenceModel, task_loss, task_sampler
from rnnviz.data.tasks import TASK_NAMES, Task, make_task
from rnnviz.training.loop import CLIP_MODES, OPTIMIZERS, StepInfo, TrainConfig, TrainResult, fit, seeded
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
VANILLA = ("rnn", "rnn-relu")
CELL_NAMES = {"rnn": "tanh RNN", "rnn-relu": "ReLU RNN", "lstm": "LSTM", "gru": "GRU", "sru": "SRU"}
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


GATE_BLOCKS = {"rnn": 1, "rnn-relu": 1, "lstm": 4, "gru": 3, "sru": 3}
FLOPS_PER_SECOND = 4e10  # one torch thread on the 2-core machine this was measured on (big matrices)
SECONDS_PER_STEP_AND_LAYER = (8e-5, 1e-4)  # fixed cost per timestep and layer: fused training, explicit probe


def estimated_seconds(settings: RunSettings) -> float:
    """A rough guess of a run's wall time (training and measurements), to warn before a very long run."""
    task = settings.make_task()
    steps, hidden, blocks = task.num_steps, settings.hidden_size, GATE_BLOCKS[settings.cell]
    widths = [task.input_size] + [hidden] * (settings.num_layers - 1)
    macs_per_sequence = sum(steps * blocks * hidden * (hidden + width) for width in widths)
    fixed_train, fixed_probe = (cost * steps * settings.num_layers for cost in SECONDS_PER_STEP_AND_LAYER)
    train = 6 * settings.batch_size * macs_per_sequence / FLOPS_PER_SECOND + fixed_train
    probe = 6 * min(PROBE_BATCH, settings.batch_size) * macs_per_sequence / FLOPS_PER_SECOND + fixed_probe
    return settings.steps * train + (settings.steps // settings.record_every + 1) * probe


def build_model(settings: RunSettings) -> tuple[SequenceModel, Task]:
    """The model (seeded, initialized as asked) and the task of a run."""
    task = settings.make_task()
    with seeded(settings.seed):
        model = SequenceModel.for_task(task, settings.cell, settings.hidden_size, num_layers=settings.num_layers)
        generator = torch.Generator().manual_seed(settings.seed)
        initialize_recurrent(model.recurrent, settings.init, settings.init_scale, settings.spectral_radius,
                             generator=generator)
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


@dataclass(frozen=True)
class Snapshot:
    """What the recorder measured at one training step (step 0 = the initial weights)."""

    step: int
    profile: np.ndarray  # (T,) ||dL/dh_t|| on the probe batch
    direct: np.ndarray  # (T,) ||dL/dh_t|| through the readout only (no later steps)
    sigmas: dict[str, float]  # named singular values: W_hh and the mean Jacobian
    rate: float | None  # gamma * sigma_max(W_hh) of a vanilla RNN's top layer, else None
    probe_loss: float


@dataclass
class Recording:
    """Everything a run recorded; safe to read from another thread (lists only grow)."""

    settings: RunSettings
    baseline_loss: float
    history: list[StepInfo] = field(default_factory=list)
    snapshots: list[Snapshot] = field(default_factory=list)
    result: TrainResult | None = None

    @property
    def diverged_at(self) -> int | None:
        """The step at which a diverged run blew up (None otherwise)."""
        if self.result is None or self.result.status != "diverged":
            return None
        return self.result.steps_done + 1


class GradientRecorder:
    """Training callback: every `settings.record_every` steps, a `Snapshot` of the top layer."""

    def __init__(self, model: SequenceModel, task: Task, settings: RunSettings) -> None:
        self.model, self.task, self.settings = model, task, settings
        generator = torch.Generator().manual_seed(settings.seed + 7919)  # the same probe batch all run
        self.probe = task.sample(min(PROBE_BATCH, settings.batch_size), generator)
        self.recording = Recording(settings, task.baseline_loss)

    def _loss_of_output(self, output: Tensor) -> Tensor:
        """The task's loss on the probe batch from the top layer's output (B, T, H)."""
        return self.task.loss(self.model.head(output), self.probe)

    def measure(self, step: int) -> Snapshot:
        """One snapshot of the current weights (no parameter's .grad is read or written)."""
        layer = self.model.recurrent
        detail = probes.timestep_grads_detail(layer, self.probe.inputs, self._loss_of_output,
                                              tbptt=self.settings.tbptt_pair)
        sigmas, rate = self._sigmas(detail.result.trace)
        return Snapshot(step, detail.norms.numpy().astype(np.float64),
                        detail.output_grad.norm(dim=(0, 2)).numpy().astype(np.float64), sigmas, rate,
                        float(detail.loss))

    def _sigmas(self, trace: list) -> tuple[dict[str, float], float | None]:
        """Singular values of the top layer's recurrent blocks and of its mean state Jacobian."""
        layer = self.model.recurrent
        top = layer.num_layers - 1
        blocks = probes.recurrent_blocks(layer, top)
        sigmas: dict[str, float] = {}
        if self.settings.cell in VANILLA:
            values = probes.singular_values(blocks["W_hh"], 3)
            sigmas.update({f"σ{i + 1}(W_hh)": float(v) for i, v in enumerate(values)})
            rate = 1.0 * float(values[0])  # gamma = max |phi'| = 1 for tanh and ReLU
        else:
            sigmas.update({f"σ_max({name})": float(probes.singular_values(block, 1)[0])
                           for name, block in blocks.items()})
            rate = None
        jacobian = mean_state_jacobian(layer, self.probe.inputs, top, JACOBIAN_POSITIONS, trace=trace)
        sigmas["σ_max(mean Jacobian)"] = float(probes.singular_values(jacobian, 1)[0])
        return sigmas, rate

    def record(self, step: int) -> None:
        """Measure and keep a snapshot, unless this step is already recorded."""
        snapshots = self.recording.snapshots
        if not snapshots or snapshots[-1].step < step:
            snapshots.append(self.measure(step))

    def on_step_end(self, info: StepInfo) -> None:
        """Keep the step's numbers; measure every `record_every` steps and at the last one."""
        self.recording.history.append(info)
        if info.step % self.settings.record_every == 0 or info.step == info.steps:
            self.record(info.step)

    def on_train_end(self, result: TrainResult) -> None:
        """Measure the final weights (a diverged run's are those of its last finite step)."""
        self.recording.result = result
        if result.steps_done:
            self.record(result.steps_done)


def train_run(settings: RunSettings, callbacks: Iterable[Any] = (), stop: threading.Event | None = None,
              extras: dict[str, Any] | None = None) -> Recording:
    """Build, initialize and train one run in this thread; returns its recording."""
    model, task = build_model(settings)
    recorder = GradientRecorder(model, task, settings)
    if extras is not None:
        extras["recording"] = recorder.recording
    recorder.record(0)
    fit(model.parameters(), task_loss(model, task), task_sampler(task, settings.batch_size),
        settings.train_config(), callbacks=[*callbacks, recorder], stop=stop)
    return recorder.recording


def job_target(settings: RunSettings):
    """The function a `rnnviz.training.jobs.Job` runs: train with the job as callback and stop flag."""
    def target(job) -> TrainResult:
        recording = train_run(settings, callbacks=[job], stop=job.stop_event, extras=job.extras)
        return recording.result
    return target


def profile_bound(snapshot: Snapshot) -> np.ndarray | None:
    """The bound on ||dL/dh_t|| of a vanilla RNN's top layer: b_t = d_t + r * b_{t+1}, r = gamma*sigma_max.

    d_t is the gradient h_t gets straight from the readout and ||dh_{t+1}/dh_t|| <= r, so
    ||dL/dh_t|| <= sum over s >= t of d_s r^(s-t); with the loss at the last step only this is
    ||dL/dh_T|| (gamma * sigma_max(W_hh))^(T-t). None for gated cells (their bound is not this one).
    """
    if snapshot.rate is None:
        return None
    bound = np.empty_like(snapshot.direct)
    carried = 0.0
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(len(bound) - 1, -1, -1):
            carried = snapshot.direct[t] + snapshot.rate * carried
            bound[t] = carried
    return bound


def heatmap_data(recording: Recording) -> tuple[list[int], np.ndarray]:
    """(recorded training steps, profiles stacked (steps, T)) for `plots.gradients.gradient_heatmap`."""
    snapshots = list(recording.snapshots)
    if not snapshots:
        return [], np.zeros((0, 0))
    return [s.step for s in snapshots], np.stack([s.profile for s in snapshots])


def sigma_series(recording: Recording) -> tuple[list[int], dict[str, list[float]]]:
    """(recorded training steps, name -> singular value per step) for `singular_value_chart`."""
    snapshots = list(recording.snapshots)
    names = list(snapshots[0].sigmas) if snapshots else []
    return [s.step for s in snapshots], {name: [s.sigmas.get(name, np.nan) for s in snapshots] for name in names}


def history_arrays(recording: Recording) -> dict[str, np.ndarray]:
    """Per training step: step, loss, accuracy, grad_norm (before clipping), clipped_grad_norm."""
    history = list(recording.history)
    return {
        "step": np.array([info.step for info in history], dtype=np.int64),
        "loss": np.array([info.loss for info in history], dtype=np.float64),
        "accuracy": np.array([info.metrics.get("accuracy", np.nan) for info in history], dtype=np.float64),
        "grad_norm": np.array([info.grad_norm for info in history], dtype=np.float64),
        "clipped_grad_norm": np.array([info.clipped_grad_norm for info in history], dtype=np.float64),
    }
