"""The Compare cells page's views: the live race while it trains, then the result table, sentences and exports."""

from __future__ import annotations

import math

import streamlit as st

from rnnviz.compare import export, report
from rnnviz.compare.reproduce import race_script
from rnnviz.compare.runner import GridState, grid_target, planned_steps
from rnnviz.compare.weights import weights_zip
from rnnviz.plots.compare import final_scores, training_curves
from rnnviz.training.jobs import Job
from ui.charts import run_downloads, show
from ui.compare.settings import Choice
from ui.markdown import escape
from ui.training import current_job, duration_text, start_job

JOB_KEY = "compare-cells"
KEPT_KEY = "compare:kept"
COLLECTED_KEY = "compare:collected"
MAX_KEPT = 4
PLOT_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["select2d", "lasso2d"]}
TIMED_OUT_NOTE = "Under a time budget every run stops after the step that crosses it."


def start(choice: Choice, seed: int) -> Job:
    """Queue the whole comparison as one background job (stopping this session's previous one)."""
    target = grid_target(choice.task, choice.configurations, choice.budget, seed_offset=seed)
    steps = planned_steps(choice.configurations, choice.budget)
    return start_job(JOB_KEY, target, steps, label=f"compare {len(choice.configurations)} configurations")


def kept() -> list[GridState]:
    """Finished comparisons of this session, oldest first (at most MAX_KEPT)."""
    return st.session_state.setdefault(KEPT_KEY, [])


def collect_finished() -> None:
    """Keep the session's ended comparison (once), dropping the oldest beyond MAX_KEPT."""
    job = current_job(JOB_KEY)
    collected = st.session_state.setdefault(COLLECTED_KEY, set())
    if job is None or job.active or job.ticket in collected:
        return
    collected.add(job.ticket)
    state = job.extras.get("grid")
    if state is not None and state.finished_runs:
        kept().append(state)
        del kept()[:-MAX_KEPT]


def _metric_title(state: GridState) -> str:
    """The y axis of the step metric: the training batches' score."""
    return {"accuracy": "training-batch accuracy (0–1)", "bits_per_char": "training bits per character"}.get(
        state.task.step_metric, state.task.step_metric
    )


LOSS_TITLES = {
    "adding": "training loss (squared error)",
    "brackets": "training loss (nats per character)",
    "translation": "training loss (nats per target word)",
}


def _has_step_metric(records: list) -> bool:
    """Whether the task scores its training batches (translation does not: its score is BLEU after training)."""
    return any(math.isfinite(value) for record in records for value in record.metric[-3:])


LIVE_POINTS = 60  # the live chart redraws every half second: fewer points, less work beside the training


def curves_panel(state: GridState, key: str, x: str = "steps", live: bool = False) -> None:
    """Loss (and, after training, the task's metric) against steps or seconds, each run a line, each configuration a colour."""
    records = list(state.records)
    x_title = "training step" if x == "steps" else "seconds of training (s)"
    loss_curves = report.curves(records, x, "loss", LIVE_POINTS if live else report.CURVE_POINTS)
    if not loss_curves:
        st.caption("The first run is starting…")
        return
    st.markdown(
        "Each line is one run (a configuration from one seed), smoothed over nearby steps; the seeds of a configuration "
        "share its colour. Lower loss is better"
        + (
            "."
            if live or not _has_step_metric(records)
            else f"; the right chart is the task's own score on the training batches, against {x_title.split(' (')[0]}."
        )
    )
    loss_title = LOSS_TITLES.get(state.task.name, "training loss (cross-entropy, nats)")
    loss_figure = training_curves(loss_curves, x_title=x_title, y_title=loss_title, title="Loss")
    if live or not _has_step_metric(records):
        show(loss_figure, name="loss", key=key + "loss", config=PLOT_CONFIG, theme=None, export=not live)
        return
    left, right = st.columns(2)
    show(loss_figure, name=f"loss against {x}", key=key + "loss", where=left, config=PLOT_CONFIG, theme=None)
    metric_figure = training_curves(
        report.curves(records, x, "metric"),
        x_title=x_title,
        y_title=_metric_title(state),
        title=state.task.step_metric.replace("_", " ").capitalize(),
    )
    show(
        metric_figure,
        name=f"{state.task.step_metric} against {x}",
        key=key + "metric",
        where=right,
        config=PLOT_CONFIG,
        theme=None,
    )


def render_live(job: Job) -> None:
    """While the comparison trains: which run is on, and the curves so far."""
    state: GridState | None = job.extras.get("grid")
    if state is None:
        st.caption("Waiting for the first run…")
        return
    current = state.records[-1] if state.records else None
    if current is not None:
        st.markdown(
            f"Run **{len(state.records)} of {len(state.plan)}**: {escape(current.label)} "
            f"(H = {current.configuration.hidden_size}, {current.parameters:,} parameters), seed {current.seed}."
        )
    x = st.radio(
        "Curves against",
        ["steps", "seconds"],
        horizontal=True,
        key="compare:live:x",
        format_func={"steps": "training steps", "seconds": "wall-clock seconds"}.get,
    )
    curves_panel(state, "compare:live:", x, live=True)


def _setting_text(state: GridState) -> str:
    """One sentence: task, budget, seeds."""
    budget = state.budget
    size = (
        f"the same number of parameters (about {budget.parameters:,}, sizes solved per cell)"
        if budget.size == "parameters"
        else "the hidden sizes of the table"
    )
    length = f"{budget.steps:,} steps" if budget.length == "steps" else f"{budget.seconds:g} s"
    return (
        f"Task: {state.task.label}. Every configuration has {size} and trains for {length} from each of "
        f"{budget.seeds} seed(s): Adam, learning rate {budget.learning_rate:g}, batch {budget.batch_size}, "
        f"gradient norm clipped at 1. Score: {state.task.metric}."
    )


def results(state: GridState, index: int) -> None:
    """The result table, the final scores, one sentence per pair, the curves and the exports."""
    records, task = state.finished_runs, state.task
    st.markdown(escape(_setting_text(state)))
    rows = report.summary_rows(records, task.metric)
    st.markdown(
        "**The result.** One row per configuration: its size, the median time of one training step, the "
        "held-out score as mean ± standard deviation over the seeds, and how much of the gradient at the "
        "last step reaches the first one (geometric mean over the seeds; tiny = vanished)."
    )
    st.dataframe(rows, hide_index=True, width="stretch")
    ratio = report.step_time_ratio(records)
    if ratio is not None:
        st.markdown(
            f"An SRU step takes **{ratio:.2f}×** the time of an LSTM step here "
            f"({'faster' if ratio < 1 else 'slower'}; its recurrence is elementwise, so most of its work runs "
            "in parallel over time, but matched parameters can give it many more units)."
        )
    st.markdown(
        "**Which differences are real?** Welch's t-test over the seeds: a difference is called larger than "
        "the seed-to-seed spread when p < 0.05, within noise otherwise."
    )
    st.markdown("\n".join(f"- {escape(text)}" for text in report.pair_sentences(records, task.metric, task.higher_is_better)))
    groups = report.group_runs(records)
    st.markdown(
        f"Each dot is one seed's {escape(task.metric)}; the bar is their mean and the whisker one standard "
        f"deviation. {'Higher' if task.higher_is_better else 'Lower'} is better."
    )
    show(
        final_scores(
            [g.label for g in groups], [g.scores for g in groups], y_title=task.metric, title="Final score per configuration"
        ),
        name="final scores",
        key=f"compare:scores:{index}",
        config=PLOT_CONFIG,
        theme=None,
    )
    x = st.radio(
        "Curves against",
        ["steps", "seconds"],
        horizontal=True,
        key=f"compare:x:{index}",
        format_func={"steps": "training steps", "seconds": "wall-clock seconds"}.get,
    )
    curves_panel(state, f"compare:done:{index}:", x)
    exports(state, index)


def exports(state: GridState, index: int) -> None:
    """Download the report as Markdown and the raw runs as CSV."""
    records, task = state.finished_runs, state.task
    markdown = report.markdown_report("Compare cells", _setting_text(state), records, task.metric, task.higher_is_better)
    left, middle, right = st.columns(3)
    middle.download_button(
        "Report with figures (zip: Markdown, PNG, CSV)",
        lambda: export.report_zip(
            "Compare cells",
            _setting_text(state),
            records,
            task.metric,
            task.higher_is_better,
            LOSS_TITLES.get(task.name, "training loss (cross-entropy, nats)"),
        ),
        file_name="compare-cells-report.zip",
        mime="application/zip",
        icon=":material/folder_zip:",
        key=f"compare:zip:{index}",
    )
    left.download_button(
        "Report (Markdown)",
        markdown,
        file_name="compare-cells.md",
        mime="text/markdown",
        icon=":material/description:",
        key=f"compare:md:{index}",
    )
    right.download_button(
        "Raw runs (CSV)",
        report.runs_csv(records),
        file_name="compare-cells-runs.csv",
        mime="text/csv",
        icon=":material/table:",
        key=f"compare:csv:{index}",
    )
    st.caption(
        "The zip holds report.md, whose figures are PNG files beside it (drawn when you press the button), and "
        "runs.csv. Each chart's camera button also saves it as a PNG."
    )
    run_downloads(
        name="compare-cells",
        script=race_script(state),
        checkpoint=(lambda: weights_zip(state.records)) if any(r.weights for r in state.records) else None,
        archive=True,
        key=f"compare:run:{index}",
    )


def kept_results() -> None:
    """The latest finished comparison, or an earlier kept one."""
    states = kept()
    if not states:
        st.info(
            "Press **Train all** to race the configurations; the default (adding problem, 4 cells × 3 seeds) "
            "takes under a minute.",
            icon=":material/info:",
        )
        return
    index = len(states) - 1
    if len(states) > 1:
        names = [
            f"#{i + 1}: {s.task.label}, {len(s.configurations)} configurations, {len(s.finished_runs)} runs"
            for i, s in enumerate(states)
        ]
        index = st.selectbox("Comparison", range(len(states)), index=index, format_func=names.__getitem__, key="compare:which")
    state = states[index]
    seconds = (state.ended or state.started) - state.started
    st.caption(
        f"{len(state.finished_runs)} of {len(state.plan)} runs in {duration_text(seconds)}. "
        + (TIMED_OUT_NOTE if state.budget.length == "seconds" else "")
    )
    if not math.isnan(seconds):
        results(state, index)
