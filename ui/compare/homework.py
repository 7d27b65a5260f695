"""The homework, answered: the shipped grid drawn at once, its three questions, exports, and one row re-run live."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from rnnviz.compare import export, homework, report
from rnnviz.compare.reproduce import row_file_stem, row_script
from rnnviz.io.data_directory import DATA_ENV, data_directory, resolve_data_path
from rnnviz.plots.compare import final_scores
from rnnviz.seq2seq.translator import Translator
from rnnviz.training.jobs import Job
from rnnviz.training.loop import TrainResult
from ui.charts import run_downloads, show
from ui.links import BIND
from ui.markdown import escape
from ui.training import live_training, start_job

JOB_KEY = "compare-homework"
PLOT_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["select2d", "lasso2d"]}
QUESTION_TEXT = {
    "LSTM and SRU instead of GRU (1 layer, one-way)": "The tutorial's GRU against LSTM and SRU, everything else equal.",
    "More layers (GRU, one-way)": "The tutorial's GRU with 1, 2 and 3 encoder layers.",
    "Bidirectional encoder (GRU, 1 layer)": "The tutorial's one-way GRU encoder against a bidirectional one "
    "(half the units per direction, so the memory the decoder attends to has the same width).",
}


@st.cache_data(show_spinner=False)
def _shipped(path: str, modified: float) -> homework.HomeworkResults:
    """The results file, read once per version of it."""
    return homework.read_results(path)


@st.cache_resource(show_spinner="Preparing the tutorial's pairs…")
def _pairs(path: str):
    """The tutorial's fra->eng pairs, prepared once per server."""
    return homework.load_tutorial_pairs(path)


def results_file() -> homework.HomeworkResults | None:
    """The shipped results, or None with a message."""
    path = homework.SHIPPED
    try:
        return _shipped(str(path), path.stat().st_mtime)
    except (OSError, ValueError) as error:
        st.warning(f"The homework's results cannot be read: {escape(str(error))}", icon=":material/warning:")
        return None


def _rows(runs: list) -> list[dict]:
    """The summary table, its size column named for what it is here."""
    rows = report.summary_rows(runs, homework.METRIC, gradients=False)
    return [{("encoder units per direction" if k == "hidden size" else k): v for k, v in row.items()} for row in rows]


def budget_note(results: homework.HomeworkResults) -> str:
    """Which clock and budget made the file, in one or two sentences."""
    cores, load = results.machine.get("cpus", "?"), results.machine.get("load_at_start", "?")
    if results.steps:
        return f"Budget: {results.steps:,} training steps per run (no clock), on {cores} CPU cores."
    if results.clock == "cpu":
        return (
            f"Budget: {results.seconds:g} s of CPU time per run (clock: time.process_time of the training process, "
            f"one torch thread), validations included, on a shared {cores}-core machine (load {load} at the start). "
            "Other programs on the machine do not cut CPU seconds short, so every row got the same CPU time (on an "
            "oversubscribed machine each step costs more of it); the times per step in the tables are CPU milliseconds."
        )
    return (
        f"Budget: {results.seconds:g} s of wall-clock time per run (clock: time.perf_counter), validations included, "
        f"on {cores} CPU cores (load {load} at the start): a busier machine would have given each run fewer steps."
    )


def question_block(title: str, runs: list, index: int) -> None:
    """One question: its sentence, the table, one sentence per pair, the scores."""
    st.markdown(f"#### {title}")
    st.markdown(QUESTION_TEXT.get(title, ""))
    st.dataframe(_rows(runs), hide_index=True, width="stretch")
    st.markdown("\n".join(f"- {escape(text)}" for text in report.pair_sentences(runs, homework.METRIC, True)))
    groups = report.group_runs(runs)
    st.markdown(
        "Each dot is one seed's held-out BLEU; the bar is their mean, the whisker one standard deviation. Higher is better."
    )
    show(
        final_scores([g.label for g in groups], [g.scores for g in groups], y_title="held-out BLEU", height=340),
        name=f"homework {title}",
        key=f"compare:homework:{index}",
        config=PLOT_CONFIG,
        theme=None,
    )


def homework_view() -> None:
    """Everything of the homework tab."""
    results = results_file()
    if results is None:
        return
    st.markdown(
        f"The lecture's homework on the tutorial's French→English pairs, trained ahead and shipped with the app: "
        f"**{escape(results.budget)}**, {results.seeds} seeds per row, held-out BLEU on "
        f"{results.data.get('split', {}).get('test', '?')} pairs never trained on (greedy decoding, sacrebleu). "
        "Both the encoder and the decoder use the row's cell; the layers and the direction are the encoder's."
    )
    st.caption("Made by this command (its line is stored in the file):")
    st.code(results.command, language="bash", wrap_lines=True)
    if results.parts:
        st.caption("Its rows ran in parallel processes, each made by one of these commands, then merged:")
        st.code("\n".join(results.parts), language="bash", wrap_lines=True)
    st.caption(escape(budget_note(results)))
    if results.steps:
        st.caption(
            f"Each run got the same number of steps, not the same seconds: the grid was made on a shared "
            f"{results.machine.get('cpus', '?')}-core machine whose load (here "
            f"{results.machine.get('load_at_start', '?')} at the start) would otherwise decide how far each "
            "run gets. For the same reason the median times per step in the tables move with that load: read "
            "them as rough, and bench/compare.py for a measured ratio."
        )
    for index, (title, runs) in enumerate(homework.questions(results).items()):
        question_block(title, runs, index)
    with st.expander("The whole grid (every cell × layers × direction)", icon=":material/table:"):
        st.dataframe(report.summary_rows(results.records(), homework.METRIC, gradients=False), hide_index=True, width="stretch")
    left, middle, right = st.columns(3)
    middle.download_button(
        "Homework report with figures (zip)",
        lambda: export.homework_zip(results),
        file_name="homework-report.zip",
        mime="application/zip",
        icon=":material/folder_zip:",
        key="compare:homework:zip",
        help="report.md with one PNG figure per question beside it, and runs.csv",
    )
    left.download_button(
        "Homework report (Markdown)",
        homework.markdown(results),
        file_name="homework.md",
        mime="text/markdown",
        icon=":material/description:",
        key="compare:homework:md",
    )
    right.download_button(
        "Homework runs (CSV)",
        report.runs_csv(results.records()),
        file_name="homework-runs.csv",
        mime="text/csv",
        icon=":material/table:",
        key="compare:homework:csv",
    )
    rerun_panel(results)


def _pairs_path() -> str | None:
    """eng-fra.txt inside the server's data folder, or None with a message."""
    root = data_directory()
    typed = st.text_input(
        "Pairs file in the server's data folder", "eng-fra.txt", key="compare:homework:file", help=f"Read inside {DATA_ENV} only"
    )
    try:
        path = resolve_data_path(typed)
    except ValueError as error:
        st.info(escape(str(error)), icon=":material/folder_off:")
        return None
    if not Path(path).is_file():
        st.info(
            f"No file {escape(typed)} in {escape(root.name if root else '')}/: re-running needs the tutorial's "
            "eng-fra.txt there.",
            icon=":material/help:",
        )
        return None
    return str(path)


def _translator_bytes(translator: Translator) -> bytes:
    """A trained row's translator as the bytes of a .safetensors checkpoint (the Translate page opens it)."""
    return translator.to_bytes(extra={"command": "trained on the Compare cells page, Homework: Check a row"})


def _row_target(path: str, row: tuple[str, int, bool], seed: int, results: homework.HomeworkResults):
    """A Job target: train one row of the grid with the file's budget, then score it."""

    def target(job: Job) -> TrainResult:
        data = _pairs(path)
        run, model = homework.train_row(
            data, *row, seed, results.seconds, results.steps, stop=job.stop_event, callbacks=[job]
        )
        job.extras["run"] = run
        if run.steps:
            job.extras["weights"] = _translator_bytes(Translator.from_data(model, data))
        return TrainResult(run.status, run.steps, [], f"{run.message}; held-out BLEU {run.test_bleu:.1f}", run.train_seconds)

    return target


def rerun_panel(results: homework.HomeworkResults) -> None:
    """Pick a row, train it again here, and read its BLEU beside the shipped seeds."""
    with st.expander("Check a row: train it again here", icon=":material/replay:"):
        path = _pairs_path()
        rows = homework.grid()
        names = [f"{cell.upper()} ×{layers} {'bidirectional' if both else 'one-way'}" for cell, layers, both in rows]
        choice = st.selectbox("Row", range(len(rows)), format_func=names.__getitem__, key="compare:homework:row", bind=BIND)
        seed = st.number_input("Seed", 0, 1000, 0, key="compare:homework:seed", bind=BIND)
        if results.clock == "cpu" and not results.steps:
            st.caption(
                f"Here the row trains for {results.seconds:g} s of wall-clock time: the app's server runs other "
                "sessions' threads too, so its CPU time is not this run's alone. On a busy machine it therefore "
                "gets fewer steps (and a lower BLEU) than the shipped runs."
            )
        steps = results.steps or 1_000_000
        st.button(
            "Train this row",
            icon=":material/play_arrow:",
            disabled=path is None,
            key="compare:homework:train",
            on_click=lambda: start_job(JOB_KEY, _row_target(path, rows[choice], int(seed), results), steps, label="homework row"),
        )
        job = live_training(JOB_KEY, lambda job: st.caption(f"{len(job.history)} steps so far"))
        if job is not None and not job.active and "run" in job.extras:
            run = job.extras["run"]
            shipped = [
                r.test_bleu
                for r in results.runs
                if (r.cell, r.layers, r.bidirectional) == (run.cell, run.layers, run.bidirectional)
            ]
            st.markdown(
                f"This run: held-out BLEU **{run.test_bleu:.1f}** after {run.steps} steps; the shipped seeds "
                f"of this row: {', '.join(f'{b:.1f}' for b in shipped)}."
            )
            run_downloads(
                name=row_file_stem(run.cell, run.layers, run.bidirectional, run.seed),
                script=row_script(run.cell, run.layers, run.bidirectional, run.seed, results.seconds, results.steps),
                checkpoint=job.extras.get("weights"),
                key="compare:homework:row-files",
            )
