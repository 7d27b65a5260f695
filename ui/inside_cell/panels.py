"""Inside the cell, the always-visible panels: model and text, the units x time heatmap, one cell's equations, one unit's text."""

from __future__ import annotations

import streamlit as st

from rnnviz.charlm.model import CharLM
from rnnviz.charlm.trace import STATE_NAMES, TextTrace, explain_char, value_range
from rnnviz.data.text import Vocabulary
from rnnviz.io import checkpoints
from rnnviz.plots.cell_text import colored_text
from rnnviz.plots.gates import selected_cell, selected_span, state_heatmap
from ui import charts
from ui.inside_cell import data
from ui.links import BIND
from ui.markdown import escape

MODEL_KEY, TEXT_KEY, LAYER_KEY, STATE_KEY = "ic_model", "ic_text", "ic_layer", "ic_state"
T_KEY, UNIT_KEY, SPAN_KEY, VIEW_KEY, CHART_KEY = "ic_t", "ic_unit", "ic_span", "ic_view", "ic_heatmap"
UNITS_KEY, UNITS_SHOWN_KEY = "ic_units", "ic_units_shown"
PENDING_MODEL, PENDING_TEXT = "ic_pending_model", "ic_pending_text"  # set by a finished training run
MANY_UNITS = 48  # more units than this: show the most varying ones unless asked for all
# The lecture's words for each gate and state.
MEANINGS = {
    "input": "input gate: what to write into the cell state",
    "forget": "forget gate: what to forget (1 keeps the memory, 0 wipes it)",
    "output": "output gate: what to show of the cell state",
    "candidate": "candidate: the new content that may be written",
    "cell": "cell state: the memory itself",
    "hidden": "hidden state: what the cell passes on (and what predicts the next character)",
    "reset": "reset gate: how much of the past to use",
    "update": "update gate: how much of the past passes to the next step",
    "preactivation": "pre-activation: input and past, weighted and summed, before tanh",
}
CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d", "autoScale2d"]}


def _on_model_change(previous_samples: dict[str, str]) -> None:
    """Swap the sample text when the model's corpus changes, unless the person typed their own."""
    for key in (T_KEY, UNIT_KEY):  # another model: its own default cell, not the old model's unit
        st.session_state.pop(key, None)
    text = st.session_state.get(TEXT_KEY, "")
    choice = st.session_state.get(MODEL_KEY)
    if text in set(previous_samples.values()) and choice in previous_samples:
        st.session_state[TEXT_KEY] = previous_samples[choice]


def choose_model(choices: list[data.ModelChoice], broken: list[tuple[str, str]],
                 folder_problem: str = "") -> data.ModelChoice | None:
    """The model selector, with a warning naming a checkpoint folder or file that could not be opened."""
    if folder_problem:
        st.warning(escape(folder_problem), icon=":material/warning:")
    if broken:
        lines = "\n".join(f"- **{escape(name)}**: {escape(problem)}" for name, problem in broken)
        what = "1 checkpoint file could not be opened and is" if len(broken) == 1 else \
            f"{len(broken)} checkpoint files could not be opened and are"
        st.warning(f"{what} left out; the others work as usual.\n\n{lines}", icon=":material/warning:")
    if not choices:
        st.info("No character models found. Train one below, or run "
                "`python -m rnnviz.charlm train --corpus brackets --cell lstm --seconds 60 "
                "--out checkpoints/charlm-brackets-lstm.safetensors`.", icon=":material/info:")
        return None
    by_key = {choice.key: choice for choice in choices}
    if st.session_state.get(PENDING_MODEL) in by_key:
        st.session_state[MODEL_KEY] = st.session_state.pop(PENDING_MODEL)
    if PENDING_TEXT in st.session_state:
        st.session_state[TEXT_KEY] = st.session_state.pop(PENDING_TEXT)
    if st.session_state.get(MODEL_KEY) not in by_key:
        st.session_state.pop(MODEL_KEY, None)
    samples = {choice.key: choice.sample for choice in choices}
    key = st.selectbox("Model", list(by_key), format_func=lambda k: by_key[k].label, key=MODEL_KEY, bind=BIND,
                       on_change=_on_model_change, args=(samples,),
                       help="Character-level language models trained with `python -m rnnviz.charlm train`. "
                            "bits/char: how surprised the model is by held-out text (lower is better).")
    return by_key[key]


def load(choice: data.ModelChoice) -> tuple[CharLM, Vocabulary] | None:
    """The chosen model, or a clear message if its file is damaged."""
    try:
        return data.load_model(choice)
    except checkpoints.CheckpointError as error:
        st.error(f"This checkpoint cannot be used: {escape(error.problem)}. "
                 "Choose another model above.", icon=":material/error:")
        return None


def text_input(choice: data.ModelChoice) -> data.PreparedText:
    """The text box, with notes on truncation and unknown characters."""
    st.session_state.setdefault(TEXT_KEY, choice.sample)
    typed = st.text_area("Text to read (type or paste your own)", key=TEXT_KEY, height=130, bind=BIND,
                         help=f"Up to {data.TEXT_CAP:,} characters are read. Characters the model never "
                              "saw are read as <unk> and shown in red.")
    prepared = data.prepare(typed)
    if prepared.truncated:
        st.warning(f"The text has {prepared.typed_length:,} characters; the model reads the first "
                   f"{data.TEXT_CAP:,}.", icon=":material/content_cut:")
    return prepared


def unknown_note(trace: TextTrace) -> None:
    """Say which characters the model never saw."""
    unknown = sorted({c for c, flag in zip(trace.text, trace.unknown) if flag})
    if unknown:
        shown = ", ".join(data.shown_char(c) for c in unknown[:12]) + (" …" if len(unknown) > 12 else "")
        st.caption(f":red[{int(trace.unknown.sum())} character(s) the model never saw] ({shown}): "
                   "read as \\<unk\\>, marked red on the time axes, no surprise is counted for them.")


def layer_choice(model: CharLM) -> int:
    """Which layer to look at (only when there are several)."""
    layers = model.recurrent.num_layers
    if layers == 1:
        return 0
    if st.session_state.get(LAYER_KEY, 0) >= layers:
        st.session_state[LAYER_KEY] = 0
    return st.selectbox("Layer", list(range(layers)), key=LAYER_KEY, bind=BIND,
                        format_func=lambda i: f"layer {i + 1} of {layers}" + (" (reads the characters)" if i == 0 else ""))


def state_choice(kind: str) -> str:
    """Which gate or state to draw."""
    names = STATE_NAMES[kind]
    if st.session_state.get(STATE_KEY) not in names:
        st.session_state[STATE_KEY] = "cell" if "cell" in names else "hidden"  # where counters show best
    return st.radio("Gate or state", names, key=STATE_KEY, horizontal=True, format_func=str.capitalize, bind=BIND)


def _on_heatmap_select() -> None:
    """A click picks a (character, unit) cell; a box picks a span of text."""
    event = st.session_state.get(CHART_KEY)
    span = selected_span(event)
    if span is not None and (event or {}).get("selection", {}).get("box"):
        st.session_state[SPAN_KEY] = span
        st.session_state[VIEW_KEY] = "Select a span"
        return
    cell = selected_cell(event, st.session_state.get(UNITS_SHOWN_KEY, []))
    if cell is not None:
        st.session_state[T_KEY], st.session_state[UNIT_KEY] = cell


def units_choice(trace: TextTrace, layer: int, state: str) -> list[int]:
    """All units, or (for big layers) the ones that vary most on this text."""
    values = trace.state(state, layer)
    hidden = values.shape[1]
    if hidden <= MANY_UNITS:
        return list(range(hidden))
    mode = st.selectbox("Units shown", ["most", "all"], key=UNITS_KEY, bind=BIND,
                        format_func=lambda m: f"the {MANY_UNITS // 2} that vary most" if m == "most" else f"all {hidden}")
    if mode == "all":
        return list(range(hidden))
    chosen = st.session_state.get(UNIT_KEY)
    units = set(data.most_varying(values, MANY_UNITS // 2))
    if isinstance(chosen, int) and 0 <= chosen < hidden:
        units.add(chosen)  # the unit whose equations are shown stays in view
    return sorted(units)


def heatmap(trace: TextTrace, layer: int, state: str, units: list[int]) -> None:
    """The units x time heatmap of one gate or state."""
    st.markdown(f"**{MEANINGS.get(state, state).capitalize()}.** One row per unit, one column per character "
                "(left to right, as the model reads). **Click a cell** to see its equations below; to select a "
                "span, pick the box tool (⬚, top right) and drag across characters.")
    st.session_state[UNITS_SHOWN_KEY] = units  # rows -> units, for the click handler on the next run
    chosen = (st.session_state.get(T_KEY), st.session_state.get(UNIT_KEY))
    highlight = chosen if all(isinstance(v, int) for v in chosen) else None
    figure = data.figure(trace, "heatmap", lambda: state_heatmap(
        trace.state(state, layer), trace.chars, name=state, highlight=highlight,
        value_range=value_range(trace.kind, state), units=units, unknown=trace.unknown),
        layer, state, tuple(units), highlight)
    charts.show(figure, name=f"{state} heatmap", key=CHART_KEY, on_select=_on_heatmap_select,
                selection_mode=("points", "box"), config=CONFIG, width="stretch")


def asked_int(key: str, fallback: int) -> int:
    """A whole-number setting: this session's, else the link's on its first run (before its widget), else `fallback`."""
    if key in st.session_state:
        return int(st.session_state[key])
    try:
        return int(st.query_params.get(key, ""))
    except ValueError:
        return fallback


def keep_cell_in_range(trace: TextTrace, hidden: int, default_unit: int) -> None:
    """Before any widget uses them: a position inside the text and a unit inside the layer."""
    last = len(trace.text) - 1
    st.session_state[T_KEY] = min(max(asked_int(T_KEY, min(8, last)), 0), last)
    st.session_state[UNIT_KEY] = min(max(asked_int(UNIT_KEY, default_unit), 0), hidden - 1)


def cell_inputs(trace: TextTrace, hidden: int) -> tuple[int, int]:
    """Position and unit of the cell to explain: set by a click on the heatmap, or typed here."""
    last = len(trace.text) - 1
    left, right = st.columns(2)
    t = left.number_input("Character position", min_value=0, max_value=last, step=1, key=T_KEY, bind=BIND,
                          help="0 is the first character. A click on the heatmap sets it.")
    unit = right.number_input("Unit", min_value=0, max_value=hidden - 1, step=1, key=UNIT_KEY, bind=BIND,
                              help="Which hidden unit (row of the heatmap). A click on the heatmap sets it.")
    return int(t), int(unit)


def equations(model: CharLM, trace: TextTrace, layer: int, t: int, unit: int) -> None:
    """The lecture's equations for one cell, with this step's numbers."""
    char = trace.text[t]
    unknown = " (unknown to the model, read as <unk>)" if trace.unknown[t] else ""
    st.markdown(f"**Unit {unit} at position {t}**, reading {data.shown_char(char)}{escape(unknown)}. "
                "Each pre-activation is split into what comes from the input $x_t$, what comes from the past, "
                "and the bias; the last number on each line is the value in the heatmap.")
    for equation in explain_char(model, trace, layer, t, unit):
        st.caption(f"**{equation.name.capitalize()}** — {equation.meaning}")
        st.latex(equation.line())


def unit_text(trace: TextTrace, layer: int, state: str, unit: int) -> None:
    """The text coloured by one unit (Karpathy, Johnson & Fei-Fei 2015)."""
    values = trace.state(state, layer)[:, unit]
    bounds = value_range(trace.kind, state)
    scale = "the colour runs from 0 (dark) to 1 (bright)" if bounds and bounds[0] >= 0 else \
        "blue is negative, red positive, white near 0"
    st.markdown(f"**Unit {unit}'s {state} along your text** ({scale}). Units that track something "
                "(a quote, the depth of brackets, the position in a line) light up in a visible pattern.")
    figure = data.figure(trace, "unit text", lambda: colored_text(
        trace.chars, values, name=f"{state} {unit}", value_range=bounds, unknown=trace.unknown), layer, state, unit)
    charts.show(figure, name=f"unit {unit} {state} along the text", key="ic_unit_text", config=CONFIG, width="stretch")
