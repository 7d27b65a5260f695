"""The Signature verification page's sections: data source, one signature's time functions, DTW results, verify."""

from __future__ import annotations

import numpy as np
import streamlit as st

from rnnviz.io.data_directory import DATA_ENV, data_directory, resolve_data_path
from rnnviz.plots.signatures import time_functions_figure, trajectory_figure
from rnnviz.signatures import features
from rnnviz.signatures.data import Dataset, SignatureFileError, notes
from rnnviz.signatures.evaluation import DTW, DTW_COHORT, DTW_NORMALISED, PAPER_DTW
from rnnviz.signatures.summary import system_entry
from ui.charts import show
from ui.links import BIND
from ui.markdown import escape
from ui.signatures import data, models, organisers_view, siamese_view, text

MAX_PROBLEMS_SHOWN = 12
SYSTEMS = (DTW, DTW_NORMALISED, DTW_COHORT)


def choose_dataset() -> tuple[Dataset | None, str]:
    """The data source radio and its picker; the data set (or None) and the name its caches use."""
    source = st.radio("Signatures", (data.SERVER, data.FOLDER, data.UPLOAD), horizontal=True, key=data.SOURCE_KEY, bind=BIND)
    if source == data.SERVER:
        dataset = data.server_dataset()
        if dataset is None:
            st.warning(
                "SVC2004 Task 2 is not on this server: its owner can put it in signatures/svc2004 inside the data "
                "folder (RNNVIZ_DATA) or set RNNVIZ_SIGNATURES; or upload a zip of U1S1.TXT … files.",
                icon=":material/folder_off:",
            )
        return dataset, "server"
    if source == data.FOLDER:
        return _folder_dataset()
    upload = st.file_uploader(
        "A zip of SVC2004-format files (U{user}S{sample}.TXT: a count line, then rows X Y T BUTTON AZIMUTH ALTITUDE PRESSURE)",
        type=["zip"],
        key=data.UPLOAD_KEY,
    )
    if upload is None:
        st.info(
            "Upload a zip to see its signatures; S1–S20 of a user are read as genuine, S21–S40 as skilled forgeries.",
            icon=":material/upload_file:",
        )
        return None, "upload"
    contents = upload.getvalue()
    return data.uploaded_dataset(contents, upload.name), f"upload:{len(contents)}:{hash(contents)}"


def data_name(source: str) -> str | None:
    """What a run's script reads for this source: None (SVC2004 on the server), the typed folder, or the zip's name."""
    if source.startswith("folder:"):
        return source.removeprefix("folder:")
    if source.startswith("upload"):
        upload = st.session_state.get(data.UPLOAD_KEY)
        return getattr(upload, "name", None) or "signatures.zip"
    return None


def _folder_dataset() -> tuple[Dataset | None, str]:
    """A folder typed by name inside the server's data folder (RNNVIZ_DATA), read like SVC2004."""
    root = data_directory()
    typed = st.text_input(
        "Folder in the server's data folder",
        key=data.FOLDER_KEY,
        bind=BIND,
        disabled=root is None,
        placeholder="signatures/svc2004" if root else "off: upload a zip instead",
        help=f"A folder inside {root.name}/ on the server."
        if root
        else f"Off: the server's owner can allow one folder with {DATA_ENV}=/that/folder.",
    )
    if root is None:
        st.info(f"Reading folders on the server is off ({DATA_ENV} is not set): upload a zip instead.")
        return None, "folder"
    if not typed.strip():
        st.info("Type a folder name, e.g. signatures/svc2004, relative to the server's data folder.")
        return None, "folder"
    try:
        dataset = data.folder_dataset(str(resolve_data_path(typed)))
    except (ValueError, FileNotFoundError, OSError) as error:
        st.warning(escape(str(error)), icon=":material/folder_off:")
        return None, "folder"
    return dataset, f"folder:{typed.strip()}"


def show_problems(dataset: Dataset) -> None:
    """The files that could not be read, each with its reason (the first few, then a count)."""
    if not dataset.problems:
        return
    shown = dataset.problems[:MAX_PROBLEMS_SHOWN]
    more = len(dataset.problems) - len(shown)
    lines = "\n".join(f"- {escape(problem)}" for problem in shown)
    tail = f"\n\n… and {more:,} more." if more > 0 else ""
    st.warning(f"{len(dataset.problems):,} file(s) skipped, the rest kept:\n\n{lines}{tail}", icon=":material/warning:")


def sample_label(sample: int) -> str:
    """ "S3 · genuine" or "S25 · skilled forgery"."""
    return f"S{sample} · {'genuine' if sample <= 20 else 'skilled forgery'}"


def pressure_choice() -> tuple[int, ...]:
    """The time functions in use: all 23, or the 21 without pressure (for mouse-drawn signatures)."""
    without = st.toggle(
        "Without pressure (21 functions: no z, no ż; for signatures drawn with a mouse)",
        key="signatures:without_pressure",
        bind=BIND,
    )
    return features.WITHOUT_PRESSURE if without else features.ALL


PAPER_PROTOCOL = "the paper's: 5 user folds, 1vs1 and 4vs1"
CHOICE, EVERY, OWN = "our choice: ẋ ẏ z v θ sin α cos α", "all of Table 1", "my own subset"
OWN_KEY = "signatures:dtw_own"


def function_label(column: int) -> str:
    """ "8 ẋ (dx/dn)": a time function's Table 1 number, symbol and short name."""
    return f"{features.TIME_FUNCTIONS[column].number} {features.TIME_FUNCTIONS[column].symbol} ({features.SHORT_NAMES[column]})"


def dtw_choice(columns: tuple[int, ...]) -> tuple[int, ...]:
    """Which time functions DTW compares: our 7, all in use, or a person's subset (pressure dropped if it is off)."""
    choice = st.radio("DTW time functions", (CHOICE, EVERY, OWN), horizontal=True, key="signatures:dtw_functions", bind=BIND)
    if choice == EVERY:
        return columns
    if choice == CHOICE:
        return features.DTW_CHOICE if columns == features.ALL else features.without_pressure(features.DTW_CHOICE)
    own = st.multiselect(
        "Time functions DTW compares",
        columns,
        default=[c for c in features.DTW_CHOICE if c in columns],
        format_func=function_label,
        key=OWN_KEY,
    )
    if not own:
        st.info("Choose at least one time function; until then DTW uses our choice.", icon=":material/info:")
        return features.DTW_CHOICE if columns == features.ALL else features.without_pressure(features.DTW_CHOICE)
    return tuple(sorted(own))


def dtw_summary_of(columns: tuple[int, ...], readable: bool, organisers: bool = False) -> dict | None:
    """The committed summary for these functions, or for a person's subset a live evaluation on a button press."""
    committed = data.summary(columns, data.ORGANISER_PATHS if organisers else data.SUMMARY_PATHS)
    if committed is not None or not readable:
        return committed
    numbers = ", ".join(str(features.TIME_FUNCTIONS[c].number) for c in columns)
    evaluated = st.session_state.setdefault("signatures:live_summaries", {})
    if (columns, organisers) not in evaluated:
        st.info(f"No stored results for the functions {numbers}: evaluate them on all 40 users.")
        key = f"signatures:evaluate_own{':organisers' if organisers else ''}"
        if not st.button("Evaluate with DTW (about 40 s)", icon=":material/play_arrow:", key=key):
            return None
        evaluated[(columns, organisers)] = data.live_summary(columns, organisers)
    return evaluated[(columns, organisers)]


def signature_section(dataset: Dataset, source: str, columns: tuple[int, ...]) -> None:
    """A chosen signature's trajectory, its time functions as small multiples, and Table 1's formulas."""
    st.subheader("A signature and its time functions (Table 1)")
    left, right = st.columns(2)
    user = left.selectbox("User", dataset.users, key="signatures:user", bind=BIND)
    samples = dataset.samples(user)
    sample = right.selectbox("Sample", samples, format_func=sample_label, key="signatures:sample", bind=BIND)
    if sample is None:
        return
    signature = dataset.get(user, sample)
    for note in notes(signature):
        st.info(escape(note), icon=":material/info:")
    st.caption(text.TRAJECTORY)
    show(
        trajectory_figure(signature.points, title=f"U{user}S{sample}: {len(signature.points)} samples"),
        name=f"signature U{user}S{sample}",
        key="signatures:trajectory",
    )
    values = data.time_functions_of(source, user, sample, columns, signature.points)
    one_function(values, columns)
    names = [f"{features.TIME_FUNCTIONS[c].number} {features.SHORT_NAMES[c]}" for c in columns]
    st.caption(text.FUNCTIONS)
    show(time_functions_figure(values, names), name=f"time functions U{user}S{sample}", key="signatures:functions")
    with st.expander("The formulas of all 23 time functions (Table 1)", icon=":material/functions:"):
        st.markdown(formula_table(columns))


def one_function(values: np.ndarray, columns: tuple[int, ...]) -> None:
    """One chosen time function, large, beside its formula."""
    chosen = st.selectbox(
        "Time function",
        range(len(columns)),
        format_func=lambda i: f"{features.TIME_FUNCTIONS[columns[i]].number}. {features.TIME_FUNCTIONS[columns[i]].name}",
        key="signatures:function",
        bind=BIND,
    )
    function = features.TIME_FUNCTIONS[columns[chosen]]
    formula, plot = st.columns([2, 3], vertical_alignment="center")
    formula.latex(function.formula)
    formula.caption(text.FORMULA_NOTE)
    figure = time_functions_figure(
        values[:, [chosen]], [f"{function.number} {function.symbol}: {function.name}"], columns=1, height_per_row=260
    )
    show(figure, name=f"time function {function.number}", key="signatures:one_function", where=plot)


def formula_table(columns: tuple[int, ...]) -> str:
    """Table 1 as a Markdown table with LaTeX formulas; functions not in use are marked."""
    rows = ["| # | time function | formula | used |", "|---|---|---|---|"]
    for index, function in enumerate(features.TIME_FUNCTIONS):
        used = "yes" if index in columns else "no (pressure)"
        rows.append(f"| {function.number} | {function.name} | ${function.formula}$ | {used} |")
    rows.append("")
    rows.append(
        "Derivatives: $\\dot f_n = \\tfrac{1}{10}\\sum_{k=1}^{2} k\\,(f_{n+k} - f_{n-k})$ (ends repeated). "
        "Divisions by a zero speed or angle change use $10^{-6}$ instead, a zero width one tablet unit, so "
        "a pen that does not move gives finite values."
    )
    return "\n".join(rows)


def _eer_cell(summary: dict, system: str, mode: str, kind: str) -> str:
    """One EER in % from the summary, or a dash."""
    entry = system_entry(summary, system, mode)
    value = entry and entry[kind]["eer"]
    return "–" if value is None else f"{100 * value:.2f}"


def _per_user_cell(summary: dict, system: str, mode: str, kind: str) -> str:
    """The mean of each user's own EER in %, or a dash (older summaries lack it)."""
    entry = system_entry(summary, system, mode)
    value = (entry or {}).get("per_user", {}).get(kind)
    return "–" if value is None else f"{100 * value:.2f}"


def results_table(summary: dict) -> None:
    """Our DTW EERs laid out like the paper's Table 4, the paper's BiosecurID numbers beside them in grey."""
    columns = [(mode, kind) for mode in ("1vs1", "4vs1") for kind in ("skilled", "random")]
    rows = ["| EER (%) | " + " | ".join(f"{mode} {kind}" for mode, kind in columns) + " |", "|---" * 5 + "|"]
    for system in SYSTEMS:
        rows.append(f"| {system} | " + " | ".join(_eer_cell(summary, system, *column) for column in columns) + " |")
    paper = " | ".join(f":gray[{PAPER_DTW[column]:.2f}]" for column in columns)
    rows.append(f"| :gray[paper, BiosecurID] | {paper} |")
    for system in SYSTEMS[1:]:
        cells = " | ".join(_per_user_cell(summary, system, *column) for column in columns)
        rows.append(f"| {system}, a threshold per user | {cells} |")
    st.markdown("\n".join(rows))
    st.caption(text.PER_USER)
    entry = system_entry(summary, DTW, "1vs1")
    numbers = summary.get("about", {}).get("time_functions")
    used = f"time functions {', '.join(map(str, numbers))} of Table 1; " if isinstance(numbers, list) else ""
    if entry:
        st.caption(
            f"SVC2004, all 5 folds, {summary['users']} users, each tested once; {used}{summary['scores']:,} scores; 1vs1: "
            f"{entry['genuine_trials']:,} genuine, {entry['skilled']['trials']:,} skilled and "
            f"{entry['random']['trials']:,} random trials. Grey: Tolosana et al. (2018), Table 4, on "
            "BiosecurID (400 users), not our data. Recompute: `python -m rnnviz.signatures evaluate "
            "--out scores.csv`."
        )


def dtw_header() -> None:
    """The DTW section's title, protocol and method (before the choice of time functions)."""
    st.subheader("DTW baseline (Table 4)")
    st.markdown(text.PROTOCOL)
    st.markdown(text.DTW_METHOD)


def results_section(summary: dict | None, columns: tuple[int, ...], readable: bool) -> dict | None:
    """The DTW results under the chosen protocol (the paper's Table 4, or SVC2004's); the summary shown."""
    protocol = st.radio("Protocol", (PAPER_PROTOCOL, organisers_view.ORGANISERS), horizontal=True,
                        key="signatures:protocol", bind=BIND)  # fmt: skip
    if protocol == organisers_view.ORGANISERS:
        shown = dtw_summary_of(columns, readable, organisers=True)
        organisers_view.results(shown)
        return shown
    paper_table_section(summary)
    return summary


def paper_table_section(summary: dict | None) -> None:
    """Table 4 from the paper-protocol summary, or what to run when it is missing."""
    if summary is None:
        st.warning(
            "The DTW summary for these time functions (ui/signatures/dtw_svc2004*.json) is missing or "
            "unreadable: write it with `python -m rnnviz.signatures evaluate --out scores.csv --summary FILE` "
            "(add --without-pressure for the 21 functions)."
        )
        return
    results_table(summary)


def verify_section(dataset: Dataset, source: str, columns: tuple[int, ...], summary: dict | None) -> None:
    """Score one chosen signature against a claimed user's enrolment; accept or reject at the EER threshold."""
    st.subheader("Verify one signature")
    st.caption(text.VERIFY)
    left, middle, right = st.columns(3)
    claimed = left.selectbox("Claimed user", dataset.users, key="signatures:claimed", bind=BIND)
    probe_user = middle.selectbox("Signature of user", dataset.users, key="signatures:probe_user", bind=BIND)
    probe_sample = right.selectbox(
        "Sample",
        dataset.samples(probe_user),
        index=None,
        format_func=sample_label,
        placeholder="choose a signature",
        key="signatures:probe_sample",
        bind=BIND,
    )
    if probe_sample is None or claimed is None:
        return
    try:
        raw, normalised, references = data.verify_4vs1(dataset, source, claimed, (probe_user, probe_sample), columns)
    except (ValueError, KeyError, SignatureFileError) as error:
        st.warning(escape(str(error)), icon=":material/warning:")
        return
    entry = system_entry(summary, DTW_NORMALISED, "4vs1") if summary else None
    threshold = entry["skilled"]["threshold"] if entry else None
    truth = (
        "the claimed user's own signature"
        if probe_user == claimed and probe_sample <= 20
        else "a skilled forgery of the claimed user"
        if probe_user == claimed
        else "another user's signature"
    )
    columns_left, columns_right = st.columns(2)
    columns_left.metric(
        "Score (4vs1, user-normalised)",
        f"{normalised:.3f}",
        help=f"raw 4vs1 score {raw:.3f}; against S{', S'.join(map(str, references))}",
    )
    if threshold is not None:
        accepted = normalised >= threshold
        columns_right.metric(
            "Decision", "accept" if accepted else "reject", delta=f"threshold {threshold:.3f}", delta_color="off"
        )
        right_call = accepted == (probe_user == claimed and probe_sample <= 20)
        st.markdown(f"It is {truth}: the DTW decision is **{'right' if right_call else 'wrong'}**.")
    siamese_view.rnn_verdict(dataset, claimed, (probe_user, probe_sample), normalised, models.siamese_summary())
    overlay = {f"reference S{s}": _centred(dataset.get(claimed, s).points) for s in references}
    show(
        trajectory_figure(
            _centred(dataset.get(probe_user, probe_sample).points),
            overlay=overlay,
            title=f"U{probe_user}S{probe_sample} over user {claimed}'s references (each centred)",
        ),
        name=f"U{probe_user}S{probe_sample} over user {claimed}",
        key="signatures:verify_trajectory",
    )


def _centred(points: np.ndarray) -> np.ndarray:
    """Points with x and y shifted to mean 0, for drawing signatures over each other."""
    shifted = np.array(points, dtype=np.float64)
    shifted[:, :2] -= shifted[:, :2].mean(axis=0)
    return shifted
