"""Speed of the gradient lab, as figures and ratios measured in one run (issue 3).

Targets: one profile measurement (T=100, H=128, B=32) <= 50 ms, reported against one fast-path
training step; preset 4 (IRNN, adding, T=100) reaches its claim in <= 20 s, with the live
charts built well inside the page's 0.5 s redraw; recording every n steps (the page's default)
costs <= 30% extra training time.   Run: python bench/gradients.py [--threads 1]
Training runs in a worker thread, as on the page. Timings on a shared machine are noisy: the
load average is printed with the results.
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
from collections.abc import Callable

import numpy as np
import torch
from timing import cpu_line, median_seconds  # bench/timing.py

from rnnviz import gradlab
from rnnviz.gradlab import GradientRecorder, RunSettings, build_model
from rnnviz.gradlab.presets import LEARNED, moving_average, preset
from rnnviz.plots import gradients
from rnnviz.probes import gradients as probes
from rnnviz.training.loop import fit
from rnnviz.training.tasks import task_loss, task_sampler


def in_worker(function: Callable[[], object]) -> object:
    """Run `function` in a fresh thread (where the page trains) and return its result."""
    result: list[object] = []
    worker = threading.Thread(target=lambda: result.append(function()))
    worker.start()
    worker.join()
    return result[0]


def profile_versus_step(repeats: int) -> dict[str, float]:
    """One profile measurement and one full snapshot against one fast-path training step (T=100, H=128, B=32)."""
    settings = RunSettings(task="adding", length=100, cell="rnn", hidden_size=128, record_every=1).replace(
        batch_size=32, steps=1)
    model, task = build_model(settings)
    recorder = GradientRecorder(model, task, settings)
    batch = task.sample(32, torch.Generator().manual_seed(0))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_of = task_loss(model, task)

    def train_step() -> None:
        optimizer.zero_grad(set_to_none=True)
        loss_of(batch, None)[0].backward()
        optimizer.step()

    def profile() -> None:
        probes.timestep_grads(model.recurrent, recorder.probe.inputs, recorder._loss_of_output)

    return {"train step": median_seconds(train_step, repeats), "profile": median_seconds(profile, repeats),
            "snapshot": median_seconds(lambda: recorder.measure(0), repeats)}


class ClaimWatch:
    """Callback: note when the smoothed loss first gets below LEARNED x baseline, then stop the run."""

    def __init__(self, baseline: float, stop: threading.Event) -> None:
        self.baseline, self.stop, self.losses = baseline, stop, []
        self.started = time.perf_counter()
        self.reached: tuple[int, float] | None = None

    def on_step_end(self, info) -> None:
        self.losses.append(info.loss)
        if (self.reached is None and len(self.losses) >= 20
                and moving_average(np.array(self.losses[-20:]))[-1] < LEARNED * self.baseline):
                self.reached = (info.step, time.perf_counter() - self.started)
                self.stop.set()


def preset_four_to_claim() -> tuple[ClaimWatch, gradlab.Recording]:
    """Train preset 4 as the page does (recording every n steps) until its claim holds."""
    settings = preset(4).settings
    stop = threading.Event()
    watch = ClaimWatch(settings.make_task().baseline_loss, stop)
    recording = in_worker(lambda: gradlab.train_run(settings, callbacks=[watch], stop=stop))
    return watch, recording


def live_render_seconds(recording: gradlab.Recording, repeats: int) -> float:
    """Building and serializing the five live figures of a recording (what each 0.5 s redraw does)."""
    def build() -> None:
        arrays = gradlab.history_arrays(recording)
        steps, grid = gradlab.heatmap_data(recording)
        snapshot = recording.snapshots[-1]
        sigma_steps, sigmas = gradlab.sigma_series(recording)
        figures = [
            gradients.loss_accuracy_chart({"run": (arrays["loss"], arrays["accuracy"])},
                                          baseline=recording.baseline_loss),
            gradients.gradient_heatmap(steps, grid),
            gradients.profile_chart(snapshot.profile, step=snapshot.step, bound=gradlab.profile_bound(snapshot)),
            gradients.grad_norm_chart(arrays["step"], arrays["grad_norm"], arrays["clipped_grad_norm"], threshold=1.0),
            gradients.singular_value_chart(sigma_steps, sigmas),
        ]
        for figure in figures:
            figure.to_json()
    return median_seconds(build, repeats)


def recording_overhead(steps: int, repeats: int) -> dict[str, float]:
    """Seconds to train preset 4's settings for `steps` steps, with the page's default n and without recording."""
    settings = preset(4).settings.replace(steps=steps, record_every=RunSettings().record_every)

    def with_recording() -> None:
        gradlab.train_run(settings)

    def without_recording() -> None:
        model, task = build_model(settings)
        fit(model.parameters(), task_loss(model, task), task_sampler(task, settings.train.batch_size),
            settings.train)

    samples: dict[str, list[float]] = {"recording": [], "plain": []}
    for _ in range(repeats):  # interleaved so that load changes hit both alike
        for name, function in (("plain", without_recording), ("recording", with_recording)):
            start = time.perf_counter()
            in_worker(function)
            samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in samples.items()}


def snapshot_versus_step(repeats: int) -> dict[str, float]:
    """Preset 4's training step and one of its snapshots, timed apart (steadier than whole runs under load)."""
    settings = preset(4).settings
    model, task = build_model(settings)
    recorder = GradientRecorder(model, task, settings)
    sampler, loss_of = task_sampler(task, settings.train.batch_size), task_loss(model, task)
    batch = sampler(torch.Generator().manual_seed(0))
    optimizer = torch.optim.Adam(model.parameters(), lr=settings.train.learning_rate)

    def train_step() -> None:
        optimizer.zero_grad(set_to_none=True)
        loss_of(batch, None)[0].backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), settings.train.clip_threshold)
        optimizer.step()

    return {"train step": median_seconds(train_step, repeats), "snapshot": median_seconds(lambda: recorder.measure(0),
                                                                                         repeats)}


def main() -> None:
    """Measure and print every figure and ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads (the app starts with 1)")
    parser.add_argument("--repeats", type=int, default=15)
    arguments = parser.parse_args()
    torch.set_num_threads(arguments.threads)
    print(cpu_line())

    timing = in_worker(lambda: profile_versus_step(arguments.repeats))
    print(f"\n1. T=100, H=128, B=32 (tanh RNN)\n   fast-path training step     {timing['train step'] * 1e3:7.1f} ms"
          f"\n   profile measurement          {timing['profile'] * 1e3:7.1f} ms   (target <= 50 ms)"
          f"  = {timing['profile'] / timing['train step']:.1f} x a training step"
          f"\n   full snapshot (profile, bound, singular values, Jacobian) {timing['snapshot'] * 1e3:.1f} ms")

    watch, recording = preset_four_to_claim()
    if watch.reached:
        step, seconds = watch.reached
        print(f"\n2. Preset 4 (IRNN, adding, T=100), recording every {recording.settings.record_every} steps:"
              f"\n   smoothed loss < {LEARNED:.0%} of the baseline at step {step}, after {seconds:.1f} s"
              " (target <= 20 s)")
    else:
        print(f"\n2. Preset 4 did NOT reach its claim in {recording.settings.train.steps} steps")
    render = live_render_seconds(recording, 5)
    print(f"   live charts for {len(recording.snapshots)} measurements: built and serialized in {render * 1e3:.0f} ms"
          f" = {render / 0.5:.0%} of the 0.5 s redraw period")

    every = RunSettings().record_every
    overhead = recording_overhead(300, 5)
    ratio = overhead["recording"] / overhead["plain"]
    print(f"\n3. Preset 4 settings, 300 steps (median of 5, interleaved): no recording {overhead['plain']:.2f} s, "
          f"recording every {every} steps {overhead['recording']:.2f} s: {ratio - 1:+.0%} (target <= +30%)")
    parts = in_worker(lambda: snapshot_versus_step(arguments.repeats))
    print(f"   per piece: one training step {parts['train step'] * 1e3:.1f} ms, one snapshot "
          f"{parts['snapshot'] * 1e3:.1f} ms: {parts['snapshot'] / (every * parts['train step']):+.0%} at n = {every}")
    print(f"\nload average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
