"""The gradient lab's charts, each with a sentence above it and an explanation beside it.

`render_live(job)` draws the run that is training (called every second by `ui.training.live_training`,
each figure rebuilt only when its data moved: `ui.training.live_figure`); `results()` draws the kept runs
once training has ended.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from rnnviz import gradlab
from rnnviz.gradlab.presets import check, summarize
from rnnviz.gradlab.recorder import Recording
from rnnviz.gradlab.reproduce import script
from rnnviz.plots import gradients
from rnnviz.plots.base import PALETTE
from rnnviz.training.jobs import Job
from ui import charts, links, markdown, shell
from ui.gradlab import runs
from ui.gradlab.text import EXPLANATIONS, SENTENCES, score_words
from ui.training import current_job, live_figure

TITLES = {"loss": "Loss and accuracy", "heatmap": "Gradient reaching each timestep, over training",
          "profile": "Gradient profile against the bound", "norm": "Gradient norm and clipping",
          "sigma": "Singular values over training"}
MAX_HEATMAP_ROWS = 150
MAX_OVERLAY_DECADES = 12  # an overlay that stretches the profile's log axis beyond this is left out
MARKDOWN_COLORS = dict(zip(PALETTE, ("blue", "red", "green", "violet", "orange")))  # the legend colours in text


def chart_and_text() -> tuple[DeltaGenerator, DeltaGenerator]:
    """Places for a chart and its explanation: side by side (2:1), or one under the other in the projector view."""
    if links.projector_on():  # at projector text sizes the one-third column cuts formulas and wraps every word
        return st.container(), st.container()
    chart, text = st.columns([2, 1], gap="medium")
    return chart, text


def chart_block(name: str, figure: go.Figure, key: str, *, live: bool = False) -> None:
    """A title with its sentence, then the chart (two thirds) and its explanation (one third)."""
    st.markdown(f"#### {TITLES[name]}")
    st.markdown(SENTENCES[name])
    chart, text = chart_and_text()
    charts.show(figure, name=TITLES[name], key=key, where=chart, export=not live, theme=None)
    with text.container(border=True):
        st.markdown(EXPLANATIONS[name])


def _chart(name: str, build: Callable[[], go.Figure], version: Hashable, live: bool) -> go.Figure:
    """A chart's figure; while training, the one built before unless its data `version` moved."""
    job = current_job(runs.JOB_KEY) if live else None
    return build() if job is None else live_figure(job, name, build, version)


def _thin(steps: list[int], grid: np.ndarray, most: int) -> tuple[list[int], np.ndarray]:
    """At most `most` rows, evenly spread, always keeping the first and the last."""
    if len(steps) <= most:
        return steps, grid
    keep = np.unique(np.linspace(0, len(steps) - 1, most).round().astype(int))
    return [steps[i] for i in keep], grid[keep]


def _power(value: float) -> str:
    """A ratio as 10^x text for a metric."""
    if value == 0:
        return "exactly 0"
    if not math.isfinite(value):
        return "—"
    return gradients.power_label(round(math.log10(value))) if abs(math.log10(value)) >= 2 else f"{value:.2g}"


def summary_metrics(recording: Recording) -> None:
    """Four numbers a person reads first: outcome, loss vs baseline, accuracy, gradient at t = 0."""
    summary = summarize(recording)
    outcome, detail = {
        "diverged": ("diverged", f"at step {summary.diverged_at}"),
        "running": ("training", f"step {summary.steps_done}"),
        "stopped": ("stopped", f"at step {summary.steps_done}"),
    }.get(summary.status, (summary.verdict, markdown.plural(summary.steps_done, "step")))
    columns = st.columns(4)
    columns[0].metric("Outcome", outcome, delta=detail, delta_color="off", delta_arrow="off")
    columns[1].metric("Loss / baseline (last 10%)", "—" if math.isnan(summary.final_relative_loss)
                      else f"{summary.final_relative_loss:.0%}" if summary.final_relative_loss < 100
                      else _power(summary.final_relative_loss),
                      help="1 = no better than ignoring the input; near 0 = solved.")
    name, definition = score_words(recording.settings.make_task())
    columns[2].metric(f"{name.capitalize()} (last 10%)", "—" if math.isnan(summary.accuracy) else f"{summary.accuracy:.0%}",
                      help=f"The {definition}, over the last tenth of the steps.")
    columns[3].metric("‖∂L/∂h₀‖ ÷ ‖∂L/∂h_T‖", _power(summary.gradient_ratio),
                      help="How much of the gradient at the last step reaches the first one (last measurement).")


def claim_checks(run: runs.Run) -> None:
    """For a preset's run: each part of the claim with ✓ or ✗ and this run's numbers."""
    active = runs.active_preset()
    if run.preset is None or active is None or active[0].number != run.preset:
        return
    preset = active[0]
    expectation = preset.expect if run.role == "preset" else preset.contrast_expect
    settings = preset.settings if run.role == "preset" else preset.contrast
    if expectation is None or settings != run.recording.settings:
        return
    checks = check(expectation, run.recording)
    lines = [f"- {':green[✓]' if holds else ':red[✗]'} {sentence}" for sentence, holds in checks]
    st.markdown(f"**Does this run show the claim of preset {preset.number}?**\n" + "\n".join(lines))


def readable(profile: np.ndarray, k: int | None) -> bool:
    """A profile worth showing first: finite, and nonzero wherever truncation lets gradient through."""
    reached = profile[len(profile) - (k or len(profile)):]
    return bool(np.isfinite(profile).all() and (reached > 0).all())


def _profile_step(recording: Recording, key: str | None) -> int:
    """Index of the snapshot to draw: a slider after training, the latest while training."""
    snapshots = list(recording.snapshots)
    if key is None or len(snapshots) < 2:
        return len(snapshots) - 1
    usable = [i for i, s in enumerate(snapshots) if readable(s.profile, recording.settings.tbptt_k)]
    default = snapshots[usable[-1] if usable else -1].step
    steps = [s.step for s in snapshots]
    if st.session_state.get(key) not in steps:
        st.session_state[key] = default
    chosen = st.select_slider("Training step of the profile", steps, key=key)
    return steps.index(chosen)


def _loss_runs(current: Recording | None, current_color: str, current_label: str) -> tuple[dict, list[str], float]:
    """Loss/accuracy series of every kept run (and the live one), their colours, the baseline."""
    series, colors, baseline = {}, [], None
    for run in runs.kept_runs():
        arrays = gradlab.history_arrays(run.recording)
        series[run.label] = (arrays["loss"], arrays["accuracy"])
        colors.append(run.color)
        baseline = run.recording.baseline_loss
    if current is not None:
        arrays = gradlab.history_arrays(current)
        series[current_label] = (arrays["loss"], arrays["accuracy"])
        colors.append(current_color)
        baseline = current.baseline_loss
    return series, colors, baseline


def draw_charts(recording: Recording, color: str, prefix: str, *, live: bool, label: str) -> None:
    """All five charts for one recording, the heatmap first (plus the other kept runs in the overlays)."""
    steps, grid = gradlab.heatmap_data(recording)
    if not steps:
        st.info("The first gradient measurement is on its way.")
        return
    steps, grid = _thin(steps, grid, MAX_HEATMAP_ROWS)
    recorded = len(recording.snapshots)
    chart_block("heatmap", _chart("heatmap", lambda: gradients.gradient_heatmap(steps, grid), recorded, live),
                f"{prefix}:heatmap", live=live)
    _draw_profile(recording, color, prefix, live, label)
    arrays = gradlab.history_arrays(recording)
    if not len(arrays["step"]):  # diverged (or stopped) before its first step: no loss, no norm of its own
        st.info("No training step of this run finished, so it has no loss or gradient-norm curve: "
                "the charts above show its initial weights (step 0).", icon=":material/info:")
    else:
        series, colors, baseline = _loss_runs(recording if live else None, color, label)
        score = score_words(recording.settings.make_task())[0]
        figure = _chart("loss", lambda: gradients.loss_accuracy_chart(series, baseline=baseline, colors=colors,
                                                                       score_title=score), len(arrays["step"]), live)
        chart_block("loss", figure, f"{prefix}:loss", live=live)
        settings = recording.settings
        threshold = settings.train.clip_threshold if settings.train.clip == "norm" else None
        figure = _chart("norm", lambda: gradients.grad_norm_chart(arrays["step"], arrays["grad_norm"],
                                                                   arrays["clipped_grad_norm"], threshold=threshold),
                        len(arrays["step"]), live)
        chart_block("norm", figure, f"{prefix}:norm", live=live)
    sigma_steps, sigmas = gradlab.sigma_series(recording)
    chart_block("sigma", _chart("sigma", lambda: gradients.singular_value_chart(sigma_steps, sigmas), recorded, live),
                f"{prefix}:sigma", live=live)


def _decades(*profiles: np.ndarray) -> float | None:
    """How many powers of ten the finite positive values of `profiles` span (None if there are none)."""
    values = np.concatenate([p[np.isfinite(p) & (p > 0)] for p in profiles])
    return float(np.log10(values.max() / values.min())) if values.size else None


def comparable_overlays(profile: np.ndarray, candidates: dict[str, np.ndarray]) -> tuple[list[str], list[str]]:
    """Which named profiles can share the chart with `profile` (names), and why each other one cannot.

    Comparable: the same number of timesteps, and together no more than MAX_OVERLAY_DECADES powers
    of ten (or no more than `profile` spans alone), so the selected run's curve keeps the chart.
    """
    shown, left_out = [], []
    own = _decades(profile) or 0.0
    for name, other in candidates.items():
        together = _decades(profile, other)
        if len(other) != len(profile):
            left_out.append(f"{name} ({len(other)} timesteps, not {len(profile)})")
        elif together is not None and together > max(own, MAX_OVERLAY_DECADES):
            left_out.append(f"{name} (another scale: together {together:.0f} powers of ten)")
        else:
            shown.append(name)
    return shown, left_out


def _draw_profile(recording: Recording, color: str, prefix: str, live: bool, label: str) -> None:
    """The profile chart with its slider (after training) and the comparable kept runs' last profiles."""
    st.markdown(f"#### {TITLES['profile']}")
    st.markdown(SENTENCES["profile"])
    chart, text = chart_and_text()
    with chart:
        index = _profile_step(recording, None if live else f"{prefix}:scrub")
        snapshot = recording.snapshots[index]
        others = [run for run in runs.kept_runs() if run.recording is not recording and run.recording.snapshots]
        names, left_out = comparable_overlays(snapshot.profile,
                                              {run.label: run.recording.snapshots[-1].profile for run in others})
        shown = [run for run in others if run.label in names]
        if not (np.isfinite(snapshot.profile) & (snapshot.profile > 0)).any():
            st.warning(f"At step {snapshot.step} every ‖∂L/∂h_t‖ is exactly 0 or overflowed: "
                       "pick an earlier step.",
                       icon=":material/info:")
        def build() -> go.Figure:
            return gradients.profile_chart(snapshot.profile, step=snapshot.step, bound=gradlab.profile_bound(snapshot),
                                           truncated_k=recording.settings.tbptt_k,
                                           overlays={run.label: run.recording.snapshots[-1].profile for run in shown},
                                           colors=[color] + [run.color for run in shown] + list(PALETTE),
                                           label=label)

        figure = _chart("profile", build, (snapshot.step, tuple(names), label), live)
        charts.show(figure, name=TITLES["profile"], key=f"{prefix}:profile", export=not live, theme=None)
        if left_out:
            st.caption("Not overlaid, so that this run's curve keeps the chart: " + markdown.escape("; ".join(left_out)))
    with text.container(border=True):
        st.markdown(EXPLANATIONS["profile"])


def render_live(job: Job) -> None:
    """Called every second while a run trains: its numbers and charts so far (figures rebuilt when their data moved)."""
    with shell.error_boundary("The live charts"):  # fragment reruns do not pass the page's boundary
        recording = runs.live_recording(job)
        if recording is None:
            st.info("Building the model…" if job.status == "running" else "Waiting for a free training slot.")
            return
        summary_metrics(recording)
        color = runs.next_color()
        label = runs.run_label(job.ticket, recording.settings, [run.recording.settings for run in runs.kept_runs()])
        draw_charts(recording, color, "live", live=True, label=f"now training: {label}")


def run_picker() -> runs.Run | None:
    """Which kept run the charts show (a choice when there are several, or when the latest kept nothing)."""
    kept = runs.kept_runs()
    if not kept:
        return None
    tickets = [run.ticket for run in kept]
    blank = runs.nothing_selected()
    if not blank and st.session_state.get(runs.SELECTED_KEY) not in tickets:
        st.session_state[runs.SELECTED_KEY] = tickets[-1]
    if len(kept) > 1 or blank:
        labels = {run.ticket: run.label for run in kept}
        st.radio("The charts below show", tickets, format_func=labels.get, key=runs.SELECTED_KEY, horizontal=True,
                 index=None)
    return runs.selected_run()


def run_files(run: runs.Run) -> None:
    """The selected run's script (same settings and seed, from scratch) and its trained weights."""
    st.markdown(f"#### Keep run #{run.ticket}")
    st.markdown("The script trains this run again from scratch with rnnviz and prints the same losses step by step "
                "(the seed is written in it); the weights open again with `rnnviz.io.checkpoints.load`.")
    name = f"gradient-lab-run-{run.ticket}"
    charts.run_downloads(name=name, script=script(run.recording.settings, file_name=f"{name}.py"),
                         checkpoint=run.checkpoint, key=f"gradlab:files:{run.ticket}")


def kept_runs_panel() -> None:
    """The kept runs with their outcome and a remove button each."""
    kept = runs.kept_runs()
    if not kept:
        return
    with st.expander(f"Kept runs: {len(kept)} of {runs.MAX_RUNS} (the loss and profile charts overlay them)",
                     icon=":material/stacks:"):
        for run in kept:
            summary = summarize(run.recording)
            name, outcome, remove = st.columns([12, 5, 1], vertical_alignment="center")
            name.markdown(f":{MARKDOWN_COLORS.get(run.color, 'gray')}[●] **{run.label}**")
            outcome.markdown(f"{summary.status}, {summary.verdict}" if summary.status != "diverged"
                             else f"diverged at step {summary.diverged_at}")
            remove.button("", key=f"gradlab:remove:{run.ticket}", on_click=runs.remove_run, args=(run.ticket,),
                          icon=":material/delete:", help=f"Remove run #{run.ticket}")
        st.button("Remove all runs", key="gradlab:clear", on_click=runs.clear_runs, icon=":material/delete_sweep:")


def results() -> None:
    """After training: the selected run's numbers, claims and charts, then the kept runs."""
    notice = st.session_state.pop(runs.NOTICE_KEY, None)
    if notice:
        st.info(notice, icon=":material/info:")
    run = run_picker()
    if run is None and runs.kept_runs():
        st.info("The last run left nothing to chart (its outcome is above). Pick one of the kept runs to see "
                "its charts.", icon=":material/info:")
        kept_runs_panel()
        return
    if run is None:
        st.info("No run yet: click a preset above, or set the knobs and press **Train**.", icon=":material/info:")
        return
    summary_metrics(run.recording)
    claim_checks(run)
    draw_charts(run.recording, run.color, f"run{run.ticket}", live=False, label=run.label)
    run_files(run)
    kept_runs_panel()


def preset_panel(on_contrast) -> None:
    """The chosen preset: the lecture's claim, what to look for, and a button for its contrast run."""
    active = runs.active_preset()
    if active is None:
        return
    preset, role = active
    job = current_job(runs.JOB_KEY)
    training_contrast = role == "contrast" and job is not None and job.active
    with st.container(border=True):
        now = f" — now training its contrast: {preset.contrast_label.lower()}" if training_contrast else ""
        st.markdown(f"**Preset {preset.number}: {preset.title}**{now}")
        st.markdown(f"*Lecture:* {preset.claim}")
        st.markdown(f":material/visibility: **What to look for:** {preset.look_for}")
        if preset.contrast is not None and role == "preset":
            st.button(f"Train the contrast: {preset.contrast_label}", key="gradlab:contrast",
                      icon=":material/compare_arrows:", on_click=on_contrast, args=(preset,))
