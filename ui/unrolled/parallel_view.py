"""The "Is it parallelizable?" tab: teacher-forced against free-running decoding, in seconds and in loss curves."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st
from torch import nn

from rnnviz.plots.io_types import decoding_times_figure, forcing_curves_figure
from rnnviz.training.jobs import Job
from rnnviz.training.loop import TrainResult
from rnnviz.unrolled.io_common import Trained
from rnnviz.unrolled.io_decode import FORCING_MODES
from rnnviz.unrolled.parallel import ForcingCurve, ParallelTiming, time_decoding
from rnnviz.unrolled.reproduce import FORCING_PAGE, checkpoint_bytes, forcing_file_stem, forcing_script
from rnnviz.unrolled.tasks import make_io_task, train, train_config
from ui import charts, training
from ui.links import BIND
from ui.markdown import plural
from ui.unrolled.io_view import CONFIG, cached_task, session_model

KEY = "unrolled-parallel:"
TIMING = KEY + "timing"  # session_state: (ParallelTiming, which model it timed)
JOB_KEY = KEY + "forcing"
IO_TYPE = "encoder-decoder"
STEP_CHOICES = (20, 50, 100, 200, 300, 450)
BATCH_SIZE = 64
PER_NAMES = {
    "batch": "per batch (one coin for the whole batch at each step)",
    "step": "per step (one coin per sequence and step)",
}


def _timed_model() -> tuple[nn.Module | None, str]:
    """The encoder–decoder this session trained on the I/O tab (None: time a fresh one); a sentence saying which."""
    kept = session_model(IO_TYPE)
    if kept is not None:
        return kept.model, (
            f"the encoder–decoder you trained on the Five I/O types tab ({kept.hidden_size} "
            f"units, held-out score {kept.metric:.3f})"
        )
    return None, (
        "a fresh, untrained encoder–decoder of the default size (train one on the Five I/O types tab "
        "to time that one instead): the time depends on the shapes, not on what was learnt"
    )


def timing_section(seed: int) -> None:
    """The Measure button, both times, the ratios and why the gain is modest here."""
    st.subheader("Teacher forcing against free running: how long does decoding a batch take?")
    model, which = _timed_model()
    st.markdown(f"Timed model: {which}.")
    if st.button("Measure", key=KEY + "measure", icon=":material/timer:", type="primary"):
        with st.spinner("Timing both ways, 5 times each …"):
            task = cached_task(IO_TYPE)
            model = task.model(seed) if model is None else model
            st.session_state[TIMING] = (time_decoding(task, model, batch_size=BATCH_SIZE, seed=seed), which)
    measured = st.session_state.get(TIMING)
    if measured is None:
        st.caption("Press Measure: it decodes one batch of 64 dates both ways, 5 times each (under a second).")
        return
    timing, timed = measured
    if timed != which:
        st.caption(f"Measured earlier on {timed}; press Measure again to time the model named above.")
    _show_timing(timing)


def _show_timing(timing: ParallelTiming) -> None:
    """The numbers, the bar chart and the explanation."""
    columns = st.columns(3)
    columns[0].metric("Teacher forced, forward", f"{timing.teacher_forced_forward * 1000:.2f} ms")
    columns[1].metric("Free running, forward", f"{timing.free_running_forward * 1000:.2f} ms")
    columns[2].metric(
        "Free running takes",
        f"{timing.forward_ratio:.1f}× as long",
        help=f"Forward + backward (training): {timing.training_ratio:.1f}× as long.",
    )
    st.markdown(
        f"Median milliseconds to decode one batch of {timing.batch_size} dates ({timing.steps} decoder "
        "steps) with the same model: blue bars feed the true previous characters, all steps in one call; "
        "red bars feed back each output, one call per step. Shorter is faster."
    )
    charts.show(
        decoding_times_figure(
            (timing.teacher_forced_forward, timing.teacher_forced_training),
            (timing.free_running_forward, timing.free_running_training),
            batch_size=timing.batch_size,
        ),
        name="decoding times",
        config=CONFIG,
        width="stretch",
        theme=None,
        key=KEY + "timing_figure",
    )
    st.markdown(
        f"Free running took **{timing.forward_ratio:.1f}×** as long to decode and "
        f"**{timing.training_ratio:.1f}×** as long to train on. The gain is modest "
        "on a CPU: h_t still needs h_(t-1), so even the single fused call loops over the steps inside its "
        "kernel; what teacher forcing saves is the per-call overhead of one call per step (and the input "
        "projections for all steps at once). On a GPU that overhead (launching kernels, syncing) dominates "
        "small steps, so the gain is larger there."
    )


def _target(ratios: list[float], steps: int, per: str, seed: int):
    """A job that trains one fresh model per ratio, same seed and batches, and keeps each curve in its extras."""

    def target(job: Job) -> TrainResult:
        curves: list[ForcingCurve] = job.extras.setdefault("curves", [])
        models: list[tuple[float, Trained]] = job.extras.setdefault("trained", [])  # for the weights downloads
        job.extras["settings"] = {"ratios": ratios, "steps": steps, "per": per, "seed": seed}  # for the reproduction script
        result = TrainResult("stopped", 0, [], "stopped before it started", 0.0)
        for ratio in ratios:
            task = make_io_task(IO_TYPE, teacher_forcing=ratio, per=per)
            trained = train(
                task,
                seed=seed,
                config=train_config(task, seed, steps=steps),
                callbacks=[job],
                stop=job.stop_event,
                evaluate_every=steps,
            )
            result = trained.result
            curves.append(
                ForcingCurve(ratio, per, trained.losses, [], trained.metric, result.seconds, result.status, result.message)
            )
            models.append((ratio, trained))
            if result.status != "finished":
                return result
        return replace(result, message=f"finished {plural(len(ratios), 'run')} of {plural(steps, 'step')} each")

    return target


def _losses_so_far(job: Job, ratios: list[float]) -> dict[float, list[float]]:
    """Each ratio's losses: the finished curves, then the one training now from the job's history."""
    curves = list(job.extras.get("curves", []))
    losses = {curve.ratio: curve.losses for curve in curves if curve.losses}
    done = sum(len(curve.losses) for curve in curves)
    current = [info.loss for info in list(job.history)[done:]]
    if current and len(curves) < len(ratios):
        losses[ratios[len(curves)]] = current
    return losses


def _curves_chart(job: Job, ratios: list[float], *, live: bool = False) -> None:
    """The loss curves on one chart, with a sentence above it."""
    losses = _losses_so_far(job, ratios)
    if not losses:
        return
    st.markdown(
        "Training loss per step for each teacher-forcing ratio (same seed: same first weights, same "
        "batches). The loss is measured with the inputs that ratio feeds, so a low curve at 1.0 means "
        "it learnt to continue from true characters — check the held-out score below."
    )
    figure = training.live_figure(job, "curves", lambda: forcing_curves_figure(losses))  # rebuilt when the job moved
    charts.show(
        figure,
        name="teacher forcing loss curves",
        key=KEY + "curves",
        export=not live,
        config=CONFIG,
        width="stretch",
        theme=None,
    )


def forcing_section(seed: int) -> None:
    """The teacher-forcing ratio experiment: settings, Train, live curves with Stop, held-out scores."""
    st.subheader("Teacher-forcing ratio: what the decoder is fed while it learns")
    st.markdown(
        "At ratio 1.0 every decoder step reads the true previous character (teacher forcing, all steps at "
        "once); at 0.0 it reads its own previous output (free running, as when it translates a new "
        "input); in between, a coin decides. Each ratio trains a fresh model from the same seed."
    )
    left, middle, right = st.columns([1.4, 1, 1.4])
    plan = left.radio("Compare", ["1.0, 0.5 and 0.0", "one ratio against 1.0"], key=KEY + "plan", bind=BIND)
    ratio = middle.slider("Ratio", 0.0, 1.0, 0.0, 0.1, key=KEY + "ratio", bind=BIND, disabled=plan == "1.0, 0.5 and 0.0")
    steps = right.select_slider(
        "Steps per run",
        STEP_CHOICES,
        value=100,
        key=KEY + "steps",
        bind=BIND,
        help="About 3 s per 100 steps on a laptop; 450 steps reach the target.",
    )
    per = st.radio("Coin", FORCING_MODES, format_func=PER_NAMES.get, horizontal=True, key=KEY + "per", bind=BIND)
    ratios = [1.0, 0.5, 0.0] if plan == "1.0, 0.5 and 0.0" else [1.0, float(ratio)]
    st.caption(
        f"{plural(len(ratios), 'run')} × {plural(steps, 'step')}: about {len(ratios) * steps * 0.03:.0f} s "
        "on 2 laptop cores. Steps are kept small by default so the comparison fits a lecture; the models "
        "will not reach the target (450 steps do)."
    )
    if st.button("Train the runs", key=KEY + "train", icon=":material/play_arrow:", type="primary"):
        st.session_state[KEY + "ratios"] = ratios
        training.start_job(
            JOB_KEY, _target(ratios, int(steps), per, seed), len(ratios) * int(steps), label="teacher-forcing ratios"
        )
    planned = st.session_state.get(KEY + "ratios", ratios)
    job = training.live_training(JOB_KEY, lambda running: _curves_chart(running, planned, live=True))
    if job is None or job.active:
        return
    _curves_chart(job, planned)
    curves = job.extras.get("curves", [])
    if curves:
        st.markdown(
            "Held-out score after training, decoding free-running as a real translation must: "
            + "; ".join(f"ratio {curve.ratio:g}: **{curve.metric:.3f}** exactly right dates ({curve.status})" for curve in curves)
            + "."
        )
        forcing_files(job)


def _weights(ratio: float, per: str, trained: Trained) -> bytes | None:
    """One ratio's trained encoder–decoder as .safetensors bytes (None if it cannot be saved, e.g. diverged)."""
    try:
        return checkpoint_bytes(
            trained.model,
            trained,
            task_name=cached_task(IO_TYPE).name,
            page=FORCING_PAGE,
            extra={"teacher_forcing": ratio, "per": per},
        )
    except ValueError:
        return None


def forcing_files(job: Job) -> None:
    """The finished runs' script (every ratio again, same seed) and one weights file per ratio."""
    settings = job.extras.get("settings")
    trained = job.extras.get("trained", [])
    if settings is None or not trained:
        return
    if "files" not in job.extras:  # once per run: the page redraws every time a knob moves
        job.extras["files"] = (
            forcing_script(file_name="teacher-forcing-runs.py", **settings),
            [(ratio, _weights(ratio, settings["per"], run)) for ratio, run in trained],
        )
    text, weights = job.extras["files"]
    st.markdown(
        "Keep these runs: the script trains every ratio again from scratch with rnnviz (settings and seed "
        "written in it) and prints the same losses; each ratio's model has its own weights file, which opens "
        "with `rnnviz.io.checkpoints.load(path, builders=rnnviz.unrolled.reproduce.BUILDERS)`."
    )
    charts.run_downloads(name="teacher-forcing-runs", script=text, key=KEY + "files")
    for column, (ratio, payload) in zip(st.columns(max(3, len(weights))), weights, strict=False):
        if payload is None:
            column.caption(f"Ratio {ratio:g}: no weights (the run did not end with finite weights).")
            continue
        column.download_button(  # one file per model, named by its ratio: run_downloads names one model only
            f"Ratio {ratio:g} weights (.safetensors)",
            data=payload,
            file_name=f"{forcing_file_stem(ratio)}.safetensors",
            mime="application/octet-stream",
            on_click="ignore",
            icon=":material/download:",
            key=f"{KEY}files:{ratio:g}:weights",
            help=f"The encoder–decoder trained with teacher-forcing ratio {ratio:g}; "
            "open it with rnnviz.io.checkpoints (no pickle).",
        )


def parallel_tab(seed: int) -> None:
    """The whole tab."""
    st.markdown(
        "To have h_t we first need h_(t-1): no recurrent network can compute its steps at the same time. "
        "But a decoder's input at step t is its output at step t-1, and during training that output is "
        "known: it is in the target. Teacher forcing feeds the true previous outputs, so every decoder "
        "input is ready before the first step, and all decoder steps run in one call. On the dates "
        "encoder–decoder:"
    )
    timing_section(seed)
    forcing_section(seed)
