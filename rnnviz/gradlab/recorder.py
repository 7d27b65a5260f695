"""The gradient lab: train a small recurrent model live and record how its gradient reaches each step.

The knobs of a run are `rnnviz.gradlab.settings.RunSettings`.
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

import math
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from torch import Tensor

from rnnviz.core.randomness import make_generator
from rnnviz.data.tasks import Task
from rnnviz.gradlab.settings import JACOBIAN_POSITIONS, PROBE_BATCH, VANILLA, RunSettings, build_model
from rnnviz.probes import gradients as probes
from rnnviz.probes.jacobians import mean_state_jacobian
from rnnviz.training.loop import StepInfo, TrainResult, fit
from rnnviz.training.tasks import SequenceModel, task_loss, task_sampler

PROBE_STREAM = 7919  # added to the run's seed for the probe batch
MEASURED_FACTOR = "measured: gradient kept per step back"  # the sigma chart draws it in its own style


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
        generator = make_generator(settings.train.seed, PROBE_STREAM)  # the same probe batch all run
        self.probe = task.sample(min(PROBE_BATCH, settings.train.batch_size), generator)
        self.recording = Recording(settings, task.baseline_loss)

    def _loss_of_output(self, output: Tensor) -> Tensor:
        """The task's loss on the probe batch from the top layer's output (B, T, H)."""
        return self.task.loss(self.model.head(output), self.probe)

    def measure(self, step: int) -> Snapshot:
        """One snapshot of the current weights (no parameter's .grad is read or written)."""
        layer = self.model.recurrent
        detail = probes.timestep_grads_detail(layer, self.probe.inputs, self._loss_of_output,
                                              tbptt=self.settings.train.tbptt)
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
        extras["model"] = model  # the job's own model: the page saves its weights once the run has ended
    recorder.record(0)
    fit(model.parameters(), task_loss(model, task), task_sampler(task, settings.train.batch_size),
        settings.train, callbacks=[*callbacks, recorder], stop=stop)
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


def factor_per_step(profile: np.ndarray) -> float:
    """(||dL/dh_0|| / ||dL/dh_T||)^(1/(T-1)): what one step back multiplied the gradient by, on average.

    NaN where it cannot be read off a log axis (exactly 0, overflow, a one-step sequence).
    """
    first, last = float(profile[0]), float(profile[-1])
    if len(profile) < 2 or not (math.isfinite(first) and math.isfinite(last)) or first <= 0 or last <= 0:
        return math.nan
    return math.exp((math.log(first) - math.log(last)) / (len(profile) - 1))


def sigma_series(recording: Recording) -> tuple[list[int], dict[str, list[float]]]:
    """(recorded training steps, name -> value per step) for `singular_value_chart`.

    The singular values of every snapshot, then MEASURED_FACTOR: the factor per step back that the
    measured profile shows, which a singular value above 1 only allows, never promises.
    """
    snapshots = list(recording.snapshots)
    names = list(snapshots[0].sigmas) if snapshots else []
    series = {name: [s.sigmas.get(name, np.nan) for s in snapshots] for name in names}
    if snapshots:
        series[MEASURED_FACTOR] = [factor_per_step(s.profile) for s in snapshots]
    return [s.step for s in snapshots], series


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
