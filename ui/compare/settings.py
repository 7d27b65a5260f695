"""The Compare cells page's knobs: the task, the configurations table and the shared budget."""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

from rnnviz.compare.configs import MAX_CONFIGURATIONS, MAX_HIDDEN, MAX_LAYERS, MAX_SECONDS, Budget, configuration_from_row
from rnnviz.compare.rows import rows_from_text, rows_text
from rnnviz.compare.runner import size_configurations
from rnnviz.compare.tasks import ComparisonTask, make_comparison_task
from rnnviz.compare.translation import encoder_hidden
from rnnviz.core.kinds import MENU_ORDER, kind_info
from rnnviz.io.data_directory import DATA_ENV, data_directory, resolve_data_path
from ui.links import BIND
from ui.markdown import escape

KEY = "compare:"
ROWS_KEY = KEY + "rows"  # the configurations table in the link (rnnviz.compare.rows text), not a widget
ROWS_BASE_KEY = KEY + "rows:base"
TASKS = {
    "adding": "Adding problem",
    "copy": "Copy (delayed recall)",
    "first-symbol": "Remember the first symbol",
    "brackets": "Bracket language (bits per character)",
    "sentiment": "Movie-review sentiment (IMDb CSV)",
    "translation": "Translation fra→eng (the tutorial's pairs, BLEU)",
}
DEFAULT_ROWS = [
    {"cell": kind_info(kind).label, "layers": 1, "bidirectional": False, "hidden size": 32}
    for kind in ("rnn", "lstm", "gru", "sru")
]
DEFAULT_PARAMETERS = {
    "adding": 2000,
    "copy": 6000,
    "first-symbol": 4000,
    "brackets": 12_000,
    "sentiment": 170_000,
    "translation": 200_000,  # the two vocabularies' embeddings take most of it: H ≈ 27
}
DEFAULT_LENGTH = 40
MAX_UPLOAD_MB = 20


@dataclass(frozen=True)
class Choice:
    """What the knobs say: a task, the sized configurations and the budget (or a message saying what to fix)."""

    task: ComparisonTask | None
    configurations: list
    budget: Budget | None
    problem: str | None = None


@st.cache_resource(show_spinner="Reading the task's data…")
def cached_task(name: str, length: int, data_file: str | None) -> ComparisonTask:
    """One task object per (name, length, file) for the whole server (read-only once built)."""
    if name == "translation":
        return make_comparison_task(name, length, pairs=data_file)
    return make_comparison_task(name, length, data_file)


def _data_file(what: str, default: str, extensions: list[str], key: str) -> str | None:
    """A data file: an upload, or a name inside the server's data folder; None with a message otherwise."""
    upload = st.file_uploader(what, type=extensions, key=KEY + "upload." + key)
    if upload is not None:
        if upload.size > MAX_UPLOAD_MB * 1_000_000:
            st.error(f"{escape(upload.name)} is larger than {MAX_UPLOAD_MB} MB: upload a smaller sample.")
            return None
        content = upload.getvalue()
        # Named by content: every rerun returns the same path, so the task (its data read once) stays cached.
        path = Path(tempfile.gettempdir()) / f"rnnviz-{hashlib.sha256(content).hexdigest()[:16]}-{Path(upload.name).name}"
        # (rnnviz.compare.base.display_name shows it as the uploaded name)
        if not path.is_file():
            path.write_bytes(content)
        return str(path)
    root = data_directory()
    typed = st.text_input(
        "…or a file in the server's data folder",
        value=default,
        key=KEY + key,
        help=f"Read inside {DATA_ENV} only" if root else f"Typed paths are off until {DATA_ENV} is set",
    )
    try:
        path = resolve_data_path(typed)
    except ValueError as error:
        st.info(escape(str(error)), icon=":material/folder_off:")
        return None
    if not Path(path).is_file():
        st.info(f"No file {escape(typed)} in the data folder: upload it instead.", icon=":material/help:")
        return None
    return str(path)


def task_panel() -> ComparisonTask | None:
    """Pick a task (and its length or file); None with a message when it cannot be built."""
    left, right = st.columns([2, 1])
    name = left.selectbox("Task", list(TASKS), format_func=TASKS.get, key=KEY + "task", bind=BIND)
    length, reviews = DEFAULT_LENGTH, None
    if name in ("adding", "copy", "first-symbol"):
        length = right.slider(
            "Sequence length T (how far back the answer lies)", 10, 200, DEFAULT_LENGTH, step=5, key=KEY + "length", bind=BIND
        )
    elif name == "sentiment":
        with right:
            reviews = _data_file("Reviews CSV (columns text and label)", "imdb_small.csv", ["csv"], "reviews")
        if reviews is None:
            return None
    elif name == "translation":
        with right:
            reviews = _data_file("Pairs file (English<TAB>French a line)", "eng-fra.txt", ["txt", "tsv"], "pairs")
        if reviews is None:
            return None
    try:
        return cached_task(name, length, reviews)
    except ValueError as error:
        st.error(f"That task cannot be used: {escape(str(error))}", icon=":material/error:")
        return None


def configurations_table() -> pd.DataFrame:
    """The editable table of 2–8 configurations."""
    st.markdown(
        "**Configurations** — one row each (add rows at the bottom, delete with the row's checkbox). "
        "The hidden size column counts only under *same hidden size*."
    )
    frame = _linked_rows()
    table = st.data_editor(
        frame,
        num_rows="dynamic",
        key=KEY + "table",
        hide_index=True,
        width="stretch",
        column_config={
            "cell": st.column_config.SelectboxColumn(
                "cell", options=[kind_info(kind).label for kind in MENU_ORDER], required=True
            ),
            "layers": st.column_config.NumberColumn("layers", min_value=1, max_value=MAX_LAYERS, step=1, required=True),
            "bidirectional": st.column_config.CheckboxColumn("bidirectional"),
            "hidden size": st.column_config.NumberColumn("hidden size", min_value=1, max_value=MAX_HIDDEN, step=1),
        },
    )
    _keep_rows_in_link(table)
    return table


def _linked_rows() -> pd.DataFrame:
    """The table's starting rows: a link's `compare:rows` (read once per session, so edits do not apply twice)."""
    if ROWS_BASE_KEY not in st.session_state:
        st.session_state[ROWS_BASE_KEY] = _rows_of_link(st.query_params.get(ROWS_KEY))
    return pd.DataFrame(st.session_state[ROWS_BASE_KEY])


def _rows_of_link(text: str | None) -> list[dict]:
    """The rows a link names, or the defaults when it names none or rows that cannot be used (the note says so)."""
    try:
        return rows_from_text(text) if text else DEFAULT_ROWS
    except ValueError:
        return DEFAULT_ROWS


def _keep_rows_in_link(table: pd.DataFrame) -> None:
    """Write the edited table into the URL (left out while it is the default), so a copied link races the same rows."""
    try:
        text = rows_text(row for row in table.to_dict("records") if str(row.get("cell") or "").strip())
    except ValueError:
        return  # a half-typed row: the link keeps the last complete table
    st.session_state[ROWS_KEY] = text
    if text == rows_text(DEFAULT_ROWS):
        st.query_params.pop(ROWS_KEY, None)
    else:
        st.query_params[ROWS_KEY] = text


def budget_panel(task_name: str) -> Budget:
    """Size rule, training length, seeds and learning rate."""
    columns = st.columns(4)
    size = columns[0].radio(
        "Match",
        ["parameters", "hidden"],
        key=KEY + "size",
        bind=BIND,
        format_func={"parameters": "same number of parameters", "hidden": "same hidden size"}.get,
    )
    parameters = columns[0].number_input(
        "Parameters each",
        10,
        5_000_000,
        DEFAULT_PARAMETERS.get(task_name, 2000),
        step=500,
        key=KEY + "parameters." + task_name,
        bind=BIND,
        disabled=size != "parameters",
    )
    length = columns[1].radio(
        "Train each for",
        ["steps", "seconds"],
        key=KEY + "length_rule",
        bind=BIND,
        format_func={"steps": "the same steps", "seconds": "the same seconds"}.get,
    )
    steps = columns[1].number_input("Steps", 1, 100_000, 250, step=50, key=KEY + "steps", bind=BIND, disabled=length != "steps")
    seconds = columns[2].number_input(
        "Seconds per run",
        0.0,
        36_000.0,
        5.0,
        step=1.0,
        key=KEY + "seconds",
        bind=BIND,
        disabled=length != "seconds",
        help=f"More than 0 and at most {MAX_SECONDS:g} s per run.",
    )
    seeds = columns[2].number_input(
        "Seeds", 1, 10, 3, key=KEY + "seeds", bind=BIND, help="Each configuration trains once per seed; 3 gives a mean ± spread."
    )
    rate = columns[3].select_slider("Learning rate (Adam)", [1e-3, 3e-3, 1e-2, 3e-2], 1e-2, key=KEY + "rate", bind=BIND)
    batch = columns[3].select_slider("Batch size", [8, 16, 32, 64, 128], 32, key=KEY + "batch", bind=BIND)
    return Budget(
        size=size,
        parameters=int(parameters),
        length=length,
        steps=int(steps),
        seconds=float(seconds),
        seeds=int(seeds),
        learning_rate=float(rate),
        batch_size=int(batch),
    )


def choose() -> Choice:
    """All the knobs; the sized configurations, or the first problem to fix."""
    task = task_panel()
    table = configurations_table()
    budget = budget_panel(task.name if task else "adding")
    if task is None:
        return Choice(None, [], None, "Pick a task that can be read first.")
    rows = [row for row in table.to_dict("records") if str(row.get("cell") or "").strip()]
    if len(rows) > MAX_CONFIGURATIONS or len(table) > MAX_CONFIGURATIONS:
        return Choice(
            task, [], None, f"There are {len(table)} rows; compare at most {MAX_CONFIGURATIONS} at once: delete some rows."
        )
    try:
        configurations = [configuration_from_row(row) for row in rows]
        return Choice(task, size_configurations(task, configurations, budget), budget)
    except ValueError as error:
        return Choice(task, [], None, str(error))


def sized_table(choice: Choice) -> pd.DataFrame:
    """What each configuration trains as: hidden size (and, for translation, the encoder's units) and parameters."""
    rows = []
    for c in choice.configurations:
        row = {"configuration": c.label, "hidden size": c.hidden_size}
        if choice.task.name == "translation":  # the hidden size is the decoder's; a bidirectional encoder halves it
            row["encoder units per direction"] = encoder_hidden(c)
        rows.append({**row, "parameters": choice.task.parameter_count(c)})
    return pd.DataFrame(rows)
