"""Inside the cell, the views in tabs: find the unit, select a span, gate saturation, next-character guesses,
compare models, and how a model was made. Only the open tab runs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from rnnviz.charlm.trace import TextTrace, value_range
from rnnviz.plots.base import loss_curve
from rnnviz.plots.cell_text import colored_text, compare_surprise, predictions_figure
from rnnviz.plots.gates import saturation_scatter, state_heatmap, units_over_text
from rnnviz.probes.units import find_signal_units, matching_spans, saturation, span_units, text_signals
from ui import charts
from ui.inside_cell import data
from ui.inside_cell.panels import CONFIG, SPAN_KEY, STATE_KEY, UNIT_KEY
from ui.links import BIND, projector_on
from ui.markdown import escape

SIGNAL_PHRASES = {"nesting depth": "the nesting depth", "inside a quote": "being inside a quote",
                  "position in the line": "the position in the line"}  # "Units that follow …"
VIEWS = ("Find the unit", "Select a span", "Gate saturation", "Next-character guesses", "Compare models",
         "How this model was made")
FIND_STATE_KEY, THRESHOLD_KEY, COMPARE_KEY = "ic_find_state", "ic_threshold", "ic_compare"


def _show_unit(unit: int, state: str) -> None:
    """Button callback: put a unit in the heatmap, the equations and the coloured text."""
    st.session_state[UNIT_KEY] = unit
    st.session_state[STATE_KEY] = state


def find_the_unit(trace: TextTrace, layer: int) -> None:
    """Units ranked by correlation with nesting depth and with being inside a quote."""
    names = [name for name in ("cell", "hidden") if name in trace.layers[layer].states]
    state = st.radio("Search in", names, key=FIND_STATE_KEY, horizontal=True, format_func=lambda n: f"{n} state",
                     bind=BIND)
    st.markdown("For every character of your text we know **how deep inside brackets** it is, **whether it is "
                "inside a quote** and **how far into its line** it is. Every unit is ranked by how closely "
                "(Pearson *r*) it follows each of them; *r* near +1 or −1 means the unit is a counter or a "
                "switch (Karpathy, Johnson & Fei-Fei, 2015). The bracket models learnt depth and quote units; "
                "try deep nesting.")
    found = find_signal_units(trace, state, layer, top=5)
    signals = text_signals(trace.text)
    values = trace.state(state, layer)
    for name, ranking in found.items():
        st.subheader(f"Units that follow {SIGNAL_PHRASES.get(name, name)}")
        if isinstance(ranking, str):
            st.info(ranking.capitalize() + ".", icon=":material/info:")
            continue
        table = pd.DataFrame({"unit": [s.unit for s in ranking], "r": [round(s.correlation, 3) for s in ranking]})
        left, right = (st.container(), st.container()) if projector_on() else st.columns([1, 3])  # projector: wide
        left.dataframe(table, hide_index=True, width="stretch")
        best = ranking[0].unit
        left.button(f"Look at unit {best}", key=f"ic_show_{name}", on_click=_show_unit, args=(best, state),
                    help="Shows this unit in the equations and the coloured text above.")
        top = ranking[:3]
        figure = data.figure(trace, "signal units", lambda name=name, top=top: units_over_text(
            trace.chars, signals[name], name, values[:, [s.unit for s in top]], [s.unit for s in top],
            [s.correlation for s in top]), layer, state, name)
        charts.show(figure, name=f"units following {name}", where=right, config=CONFIG, width="stretch")


def _default_span(text: str) -> tuple[int, int]:
    """The first quoted passage, else the first ten characters."""
    start = text.find('"')
    end = text.find('"', start + 1) if start >= 0 else -1
    return (start, end + 1) if start >= 0 and end > start else (0, min(len(text), 10))


def _asked_span() -> tuple[int, int] | None:
    """The span a link asked for (`?ic_span=3&ic_span=9`) on its first run, before the slider takes it."""
    try:
        start, end = (int(value) for value in st.query_params.get_all(SPAN_KEY))
    except ValueError:
        return None
    return start, end


def select_span(trace: TextTrace, layer: int, state: str) -> None:
    """LSTMVis: the units on all through a span, then the other places they fire together."""
    steps = len(trace.text)
    if steps < 2:
        st.info("Type at least two characters to select a span.", icon=":material/info:")
        return
    current = st.session_state.get(SPAN_KEY) or _asked_span() or _default_span(trace.text)
    start, end = sorted((min(max(int(current[0]), 0), steps - 1), min(max(int(current[1]), 1), steps)))
    st.session_state[SPAN_KEY] = (start, max(end, start + 1))
    st.markdown(f"Pick a span of your text (or drag a box over the heatmap above). The units whose **{state}** "
                "stays above the threshold all through the span are listed; below, the text is coloured by how "
                "many of them are on, and the other spans where they fire together are listed (Strobelt et al., "
                "LSTMVis, 2018).")
    start, end = st.slider("Span (character positions)", 0, steps, key=SPAN_KEY, bind=BIND)
    if end <= start:
        st.info("The span is empty: move the two handles apart.", icon=":material/info:")
        return
    low, high = value_range(trace.kind, state) or (-1.0, 1.0)
    default = 0.5 if low >= 0 else 0.3
    if THRESHOLD_KEY not in st.session_state or not low <= st.session_state[THRESHOLD_KEY] <= high:
        st.session_state[THRESHOLD_KEY] = default
    threshold = st.slider("Threshold: a unit is on above", float(low), float(high), step=0.05, key=THRESHOLD_KEY,
                          bind=BIND)
    st.text("Span: " + trace.text[start:end].replace("\n", "⏎"))
    values = trace.state(state, layer)
    units = span_units(values, start, end, threshold, top=5)
    if not units:
        st.info("No unit stays above the threshold all through this span; lower the threshold or shorten the span.",
                icon=":material/info:")
        return
    st.markdown(f"**Units on throughout:** {', '.join(str(u) for u in units)} (most distinctive first).")
    firing = (values[:, units] > threshold).mean(axis=1)
    charts.show(colored_text(trace.chars, firing, name="units on", value_range=(0.0, 1.0), unknown=trace.unknown,
                             colorscale="Greens"), name="units on along the text", config=CONFIG, width="stretch")
    spans = matching_spans(values, units, threshold, min_length=2)
    rows = [{"from": s, "to": e, "length": e - s, "text": trace.text[s:e].replace("\n", "⏎"),
             "your span": s < end and start < e} for s, e in spans[:20]]
    which = "the chosen unit is on" if len(units) == 1 else f"all {len(units)} units are on together"
    st.markdown(f"**Spans where {which}** (longest first):")
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def gate_saturation(trace: TextTrace, layer: int) -> None:
    """The saturation scatter of Karpathy, Johnson & Fei-Fei (2015)."""
    result = saturation(trace, layer)
    if not result:
        st.info("A plain RNN has no gates: try an LSTM, GRU or SRU model.", icon=":material/info:")
        return
    st.markdown("Each dot is one unit's gate. Left: how often it is nearly **closed** (below 0.1) on your text; "
                "up: how often it is nearly **open** (above 0.9). Dots near the top left are gates that stay "
                "open (forget gates that keep a memory for long); dots near the diagonal switch hard between "
                "closed and open; dots near the origin are rarely saturated. Longer texts give steadier dots.")
    charts.show(saturation_scatter(result), name="gate saturation", config=CONFIG, width="stretch")


def next_characters(trace: TextTrace) -> None:
    """Top-5 guesses for the next character, and the surprise of each character."""
    chars, probs = trace.top_k(5)
    mean = trace.mean_bits()
    st.markdown("Top: how **surprised** the model was by each character, −log₂ p (in bits; 0 = certain, "
                "high = unexpected). Bottom: after each character, its **five best guesses** for the next one, "
                "darker for more probable. Hover for details." +
                (f" Mean over this text: **{mean:.2f} bits per character**." if np.isfinite(mean) else ""))
    charts.show(predictions_figure(trace.chars, trace.surprise_bits, chars, probs, unknown=trace.unknown),
                name="next-character guesses", config=CONFIG, width="stretch")


def compare_models(choices: list[data.ModelChoice], current: data.ModelChoice, text: str) -> None:
    """The same text through 2 to 4 models: surprise and hidden states side by side."""
    by_key = {choice.key: choice for choice in choices}
    same = [c.key for c in choices if c.corpus == current.corpus][:4]
    if not [k for k in st.session_state.get(COMPARE_KEY, []) if k in by_key]:
        st.session_state[COMPARE_KEY] = same if len(same) >= 2 else [c.key for c in choices[:2]]
    else:
        st.session_state[COMPARE_KEY] = [k for k in st.session_state[COMPARE_KEY] if k in by_key]
    keys = st.multiselect("Models to compare (2 to 4)", list(by_key), key=COMPARE_KEY, max_selections=4, bind=BIND,
                          format_func=lambda k: by_key[k].label)
    if len(keys) < 2:
        st.info("Pick at least two models.", icon=":material/info:")
        return
    traces = {}
    for key in keys:
        try:
            traces[by_key[key].label] = data.traced(by_key[key], text)
        except ValueError as error:  # a damaged file: say so, compare the others
            st.warning(f"{escape(by_key[key].label)} is left out: {escape(str(error))}",
                       icon=":material/warning:")
    if len(traces) < 2:
        return
    st.markdown("**Surprise per character** for each model on your text (lower is better; the legend gives the "
                "mean). Where the lines part, one cell has learnt something the other has not.")
    first = next(iter(traces.values()))
    charts.show(compare_surprise(first.chars, {name: t.surprise_bits for name, t in traces.items()}),
                name="surprise per model", config=CONFIG, width="stretch")
    st.markdown("**Hidden state of the last layer** of each model (the 16 units that vary most), same text.")
    columns = st.columns(1 if projector_on() else 2)  # projector: one wide map a row, its 20 px characters apart
    for index, (name, trace) in enumerate(traces.items()):
        values = trace.state("hidden", len(trace.layers) - 1)
        figure = state_heatmap(values, trace.chars, name="hidden", value_range=value_range(trace.kind, "hidden"),
                               units=data.most_varying(values, 16), unknown=trace.unknown, title=name,
                               clickable=False, window=40, height=360)
        charts.show(figure, name=f"hidden state of model {index + 1}", where=columns[index % len(columns)], config=CONFIG,
                    width="stretch")


def how_made(choice: data.ModelChoice) -> None:
    """The command, data and training curve behind a model."""
    meta, extra = choice.metadata, choice.metadata.get("extra", {})
    metrics = meta.get("metrics", {})
    cols = st.columns(3)
    bpc = metrics.get("validation_bpc")
    cols[0].metric("Validation bits/char", f"{bpc:.3f}" if isinstance(bpc, (int, float)) else "—",
                   help="Mean −log₂ p(next character) on held-out text the model never trained on.")
    cols[1].metric("Training steps", f"{meta.get('step', 0):,}")
    seconds = metrics.get("train_seconds")
    cols[2].metric("Training time", f"{seconds:.0f} s" if isinstance(seconds, (int, float)) else "—")
    if extra.get("command"):
        st.markdown("Made with this command:")
        st.code(extra["command"], language="bash", wrap_lines=True)
    source = extra.get("corpus_source") or {}
    st.caption(f"Corpus: {escape(str(extra.get('corpus', '?')))} · "
               f"{extra.get('train_chars', 0):,} training characters · "
               f"{metrics.get('validation_chars', 0):,} held-out characters"
               + (f" · seed {source['seed']}" if "seed" in source else ""))
    curve = meta.get("history") or []
    if curve and all(isinstance(p, list) and len(p) == 2 for p in curve):
        st.markdown("**Training curve**: bits per character on training batches (averaged), by step.")
        charts.show(loss_curve([p[0] for p in curve], [p[1] for p in curve], y_title="bits per character"),
                    name="training curve of this model", config=CONFIG, width="stretch")
