"""The "Five I/O types" tab: pick a type, see its shape, train its small task live, run it on your own input."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import streamlit as st
from torch import nn

from rnnviz.core.kinds import MENU_ORDER, label
from rnnviz.io.data_directory import DATA_ENV, data_directory, resolve_data_path
from rnnviz.plots.base import loss_curve
from rnnviz.plots.io_types import io_pattern, io_shape_figure, step_outputs_figure
from rnnviz.training.jobs import Job
from rnnviz.training.loop import TrainResult
from rnnviz.unrolled.reproduce import checkpoint_bytes
from rnnviz.unrolled.reproduce import script as reproduction
from rnnviz.unrolled.tasks import IO_TYPES, MAX_HIDDEN_SIZE, IOTask, StepOutputs, make_io_task, train, train_config
from ui import charts, training
from ui.links import BIND
from ui.markdown import escape, plural

KEY = "unrolled-io:"
MODELS = KEY + "models"  # session_state: {task key: SessionModel}, this session's trained models
REVIEWS_USED = KEY + "reviews-used"  # session_state: the reviews file the sentiment task was made from
ROOT = Path(__file__).resolve().parents[2]
REVIEWS_ENV = "RNNVIZ_REVIEWS"
SIBLING_REVIEWS = ROOT.parent / "shared" / "data" / "imdb_small.csv"
MAX_TRAIN_STEPS = 3000
CONFIG = {"displaylogo": False}
TYPE_NAMES = {"one-to-one": "One to one — image classification", "one-to-many": "One to many — image captioning",
              "many-to-one": "Many to one — sentiment", "many-to-many-aligned": "Many to many, aligned — video frames",
              "encoder-decoder": "Encoder–decoder — translation"}
SQUARED_ERROR_TASKS = ("adding problem",)


@dataclass
class SessionModel:
    """A model this session trained, with what it was trained as."""

    model: nn.Module
    kind: str
    hidden_size: int
    steps_done: int
    metric: float
    status: str


def default_reviews_path() -> str:
    """RNNVIZ_REVIEWS if set, else the repository's sibling ../shared/data/imdb_small.csv if it exists, else ''."""
    configured = os.environ.get(REVIEWS_ENV, "")
    if configured:
        return configured
    return str(SIBLING_REVIEWS) if SIBLING_REVIEWS.is_file() else ""


@st.cache_resource(max_entries=8, show_spinner="Preparing the task's data …")
def cached_task(io_type: str, reviews: str | None = None) -> IOTask:
    """One task with its held-out data, shared by every session (tasks are read-only; models are not shared)."""
    return make_io_task(io_type, reviews=reviews)


def session_model(task_key: str) -> SessionModel | None:
    """The model this session trained for `task_key` (an I/O type, or 'many-to-one:reviews'), or None."""
    return st.session_state.get(MODELS, {}).get(task_key)


def _reviews_path() -> str:
    """The server's reviews file, or one the user names inside the server's data folder (ValueError outside)."""
    default = default_reviews_path()
    root = data_directory()
    typed = st.text_input(
        "Another reviews file in the server's data folder (CSV with text and label columns)", "",
        key=KEY + "reviews_path", bind=BIND, disabled=root is None,
        placeholder=f"e.g. {Path(default).name}" if root and default else "off" if root is None else "reviews.csv",
        help=(f"Default: {REVIEWS_ENV} or ../shared/data/imdb_small.csv when it exists. "
              + ("Typed names are read inside the data folder only." if root else
                 f"Typed server paths are off; the server's owner can allow one folder with {DATA_ENV}=/that/folder.")
              + " Nothing is ever downloaded."))
    return str(resolve_data_path(typed)) if typed.strip() else default


def _reviews_task() -> IOTask | None:
    """The sentiment task on real reviews, or None with a sentence saying why the adding problem is used."""
    try:
        path = _reviews_path()
    except ValueError as error:
        st.warning(f"{escape(str(error))} The page uses the adding problem meanwhile.", icon=":material/block:")
        return None
    if not path.strip() or not Path(path.strip()).is_file():
        st.info("No reviews file here, so the page uses the adding problem instead: the app runs offline and "
                "downloads nothing. Put a CSV of reviews at this path to train on real ones.",
                icon=":material/cloud_off:")
        return None
    try:
        resolved = str(Path(path.strip()).resolve())
        task = cached_task("many-to-one", resolved)
        st.session_state[REVIEWS_USED] = resolved  # the reproduction script reads the same file
        return task
    except (ValueError, OSError, UnicodeDecodeError) as error:
        st.warning(f"That file could not be read as reviews ({escape(str(error))}), so the page uses the adding "
                   "problem instead.", icon=":material/warning:")
        return None


def choose_task() -> tuple[IOTask, str]:
    """The type selector (and, for many to one, the data); the task and the key its model is kept under."""
    io_type = st.selectbox("Input/output type", IO_TYPES, format_func=TYPE_NAMES.get, key=KEY + "type", bind=BIND,
                           help="The five shapes of the lecture's \"Types\" slide.")
    if io_type == "many-to-one":
        data = st.radio("Data", ["real movie reviews", "the adding problem"], horizontal=True, key=KEY + "data", bind=BIND,
                        help="Reviews are read from a local file; the adding problem needs no data.")
        if data == "real movie reviews":
            task = _reviews_task()
            if task is not None:
                return task, "many-to-one:reviews"
    return cached_task(io_type), io_type


def describe(task: IOTask) -> None:
    """The slide's shape as a picture, the real application and this small task, in sentences."""
    st.markdown(f"**Where it is used.** {escape(task.application)}")
    st.markdown(f"**This small task: {escape(task.name)}.** {escape(task.description)}")
    st.markdown("The picture shows which unrolled steps read an input (grey, x) and which write an output "
                "(orange, y); blue boxes are the hidden state, the same cell at every step. A thin orange arrow from "
                "an output to the next step: the output written is read as the next step's input.")
    charts.show(io_shape_figure(**io_pattern(task.io_type)), name=f"{task.io_type} shape", config=CONFIG,
                width="stretch", theme=None, key=KEY + "shape:" + task.io_type)
    st.caption(f"Shapes: {escape(task.shapes)}. Scored by: {escape(task.metric)} (target {task.target:g}).")


def _settings(task: IOTask, task_key: str) -> tuple[str, int, int]:
    """Cell, hidden size and steps, defaulting to the task's (their own widgets per task, so defaults show)."""
    defaults = task.defaults
    left, middle, right = st.columns(3)
    kind = left.selectbox("Cell", MENU_ORDER, index=MENU_ORDER.index(defaults.kind), format_func=label,
                          key=f"{KEY}kind:{task_key}", bind=BIND)
    hidden = middle.number_input("Hidden size", 1, MAX_HIDDEN_SIZE, defaults.hidden_size, key=f"{KEY}hidden:{task_key}",
                                 bind=BIND, help="Units of the hidden state h_t.")
    steps = right.number_input("Training steps", 1, MAX_TRAIN_STEPS, defaults.steps, key=f"{KEY}steps:{task_key}", bind=BIND,
                               help=f"The defaults ({plural(defaults.steps, 'step')}, {plural(defaults.hidden_size, 'unit')}) "
                                    "reach the target in seconds on a laptop.")
    return kind, int(hidden), int(steps)


def _loss_title(task: IOTask) -> str:
    """The loss curve's y axis, with its unit."""
    if task.name in SQUARED_ERROR_TASKS:
        return "training loss (squared error)"
    return "training loss (cross-entropy, nats)"


def sentence(text: str) -> str:
    """`text` with its first letter in capitals, escaped for Markdown."""
    return escape(text[:1].upper() + text[1:])


def _start(task: IOTask, task_key: str, kind: str, hidden_size: int, steps: int, seed: int) -> None:
    """Train the task's model in the background; the result lands in job.extras["trained"]."""
    def target(job: Job) -> TrainResult:
        model = task.model(seed, kind=kind, hidden_size=hidden_size)
        trained = train(task, seed=seed, model=model, config=train_config(task, seed, steps=steps),
                        callbacks=[job], stop=job.stop_event)
        job.extras["trained"] = trained
        job.extras["settings"] = (kind, hidden_size)
        job.extras["run"] = {"kind": kind, "hidden_size": hidden_size, "steps": steps, "seed": seed}
        return trained.result
    training.start_job(KEY + task_key, target, steps, label=f"{label(kind)} on {task.name}")


def _live_chart(task: IOTask, *, live: bool = True):
    """The loss curve of this task's run (live: redrawn every half second, so no export buttons)."""
    def render(job: Job) -> None:
        history = list(job.history)
        if history:
            figure = training.live_figure(job, "loss", lambda: loss_curve(
                [info.step for info in history], [info.loss for info in history], y_title=_loss_title(task)),
                len(history))  # rebuilt only when a step was added
            charts.show(figure, name=f"{task.io_type} training loss", key=KEY + ("live-loss" if live else "loss"),
                        export=not live, config=CONFIG, width="stretch", theme=None)
    return render


def _keep(job: Job, task_key: str) -> None:
    """Once a run ended with a usable model, keep it in this session (once per run)."""
    trained = job.extras.get("trained")
    if trained is None or job.status not in ("finished", "stopped") or job.extras.get("kept"):
        return
    kind, hidden_size = job.extras["settings"]
    models = st.session_state.setdefault(MODELS, {})
    models[task_key] = SessionModel(trained.model, kind, hidden_size, trained.result.steps_done, trained.metric,
                                    job.status)
    job.extras["kept"] = True


def train_section(task: IOTask, task_key: str, seed: int) -> None:
    """Settings, Train, live progress with Stop and the loss curve, then the held-out score."""
    kind, hidden_size, steps = _settings(task, task_key)
    if st.button("Train", key=KEY + "train", icon=":material/play_arrow:", type="primary"):
        _start(task, task_key, kind, hidden_size, steps, seed)
    job = training.live_training(KEY + task_key, _live_chart(task))
    if job is None or job.active:
        return
    _keep(job, task_key)
    trained = job.extras.get("trained")
    if trained is None or not job.history:
        return
    st.markdown("The training loss at every step of that run (lower is better):")
    _live_chart(task, live=False)(job)
    reached = (f" It first reached the target after {trained.seconds_to_target:.1f} s of training."
               if trained.seconds_to_target is not None else " It did not reach the target; train longer or bigger.")
    st.caption(f"Held-out {escape(task.metric)}: {trained.metric:.3f} (target {task.target:g}), after "
               f"{plural(trained.result.steps_done, 'step')} in {trained.result.seconds:.1f} s.{reached}")
    run_files(job, task, task_key)


def run_files(job: Job, task: IOTask, task_key: str) -> None:
    """The finished run's script (same settings and seed, from scratch) and its trained weights."""
    settings, trained = job.extras.get("run"), job.extras.get("trained")
    if settings is None or trained is None:
        return
    reviews = st.session_state.get(REVIEWS_USED) if task_key == "many-to-one:reviews" else None
    name = f"io-types-{task.io_type}-{settings['kind']}"
    if "files" not in job.extras:  # once per run: the page redraws every time a knob moves
        try:
            weights = checkpoint_bytes(trained.model, trained, task_name=task.name)
        except ValueError:  # the script still redoes the run
            weights = None
        job.extras["files"] = (reproduction(task.io_type, reviews=reviews, file_name=f"{name}.py", **settings),
                               weights)
    text, weights = job.extras["files"]
    st.markdown("Keep this run: the script trains it again from scratch with rnnviz and prints the same losses "
                "step by step (settings and seed written in it); the weights open with "
                "`rnnviz.io.checkpoints.load(path, builders=rnnviz.unrolled.reproduce.BUILDERS)`.")
    charts.run_downloads(name=name, script=text, checkpoint=weights, key=f"{KEY}files:{task_key}")


def _step_rows(steps: StepOutputs) -> list[dict[str, object]]:
    """One row per step for the table: input, output, truth where known, what the step reads."""
    rows = []
    for index in range(steps.num_steps):
        rows.append({"step": index + 1, "input": steps.inputs[index], "output": steps.outputs[index] or "",
                     "truth": steps.truth[index] or "", "reads its own previous output": steps.feedback[index],
                     "never seen in training": steps.unknown[index]})
    return rows


def _show_run(task: IOTask, steps: StepOutputs) -> None:
    """The answer, the notes, the run unrolled, and the table of steps."""
    for note in steps.notes:
        st.info(sentence(note), icon=":material/info:")
    st.markdown(f"**Answer:** {escape(steps.answer)}")
    if steps.initial is not None:
        st.markdown(f"The input **{escape(steps.initial)}** set the first hidden state h_0.")
    st.markdown("Your input unrolled: what each step read (bottom) and wrote (top). Green: right, red: wrong, "
                "black: no known truth to compare with.")
    tolerance = getattr(getattr(task, "task", None), "tolerance", None)
    charts.show(step_outputs_figure(steps.inputs, steps.outputs, steps.truth, tolerance=tolerance),
                name=f"{task.io_type} run on your input", config=CONFIG, width="stretch", theme=None,
                key=KEY + "run_figure")
    st.dataframe(_step_rows(steps), hide_index=True, width="stretch", height=min(400, 38 + 35 * steps.num_steps))


def run_section(task: IOTask, task_key: str) -> None:
    """An input box prefilled with the task's example; the trained model's outputs per step."""
    st.subheader("Run it on your own input")
    kept = session_model(task_key)
    if kept is None:
        st.info("Press **Train** first: the input box runs the model this session trained.", icon=":material/school:")
        return
    st.caption(f"The model: {label(kept.kind)}, {plural(kept.hidden_size, 'unit')}, {plural(kept.steps_done, 'step')} "
               f"({kept.status}), held-out score {kept.metric:.3f}.")
    box = st.text_area if task_key == "many-to-one:reviews" else st.text_input
    text = box("Input", task.example, key=f"{KEY}input:{task_key}", bind=BIND, help=f"For example: {task.example}")
    try:
        steps = task.run(kept.model, text)
    except ValueError as error:
        st.warning(sentence(str(error)), icon=":material/edit_note:")
        return
    _show_run(task, steps)


def io_types_tab(seed: int) -> None:
    """The whole tab."""
    st.markdown("The lecture's \"Types\" slide: the same recurrent cell, wired five ways by where inputs go in "
                "and outputs come out. Pick one, train its small task here (seconds), then type your own input.")
    task, task_key = choose_task()
    describe(task)
    train_section(task, task_key, seed)
    run_section(task, task_key)
