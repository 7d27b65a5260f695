"""Inside the cell: the gates of LSTM, GRU and SRU character models at work on text a person types."""

import streamlit as st

from ui.inside_cell import data, panels, views
from ui.inside_cell.train import train_panel
from ui.links import BIND

st.title("Inside the cell")
st.markdown("A character-level language model reads your text one character at a time and guesses the next. "
            "Watch its gates open and close: the LSTM's **forget** (what to forget), **input** (what to write) "
            "and **output** (what to show) gates, the GRU's **reset** and **update** gates, the SRU's "
            "**forget** and **reset** gates.")

choices, broken, folder_problem = data.list_models()
choice = panels.choose_model(choices, broken, folder_problem)
with st.expander("Train your own model", icon=":material/model_training:"):
    train_panel()
loaded = panels.load(choice) if choice is not None else None
if loaded is not None:
    model, vocab = loaded
    prepared = panels.text_input(choice)
    if not prepared.text:
        st.info("Type some text above to look inside the cell.", icon=":material/keyboard:")
        st.stop()
    trace = data.traced(choice, prepared.text)
    panels.unknown_note(trace)
    layer = panels.layer_choice(model)
    hidden = model.recurrent.hidden_size
    panels.keep_cell_in_range(trace, hidden, data.default_unit(trace, layer))

    st.header("Gates and states, character by character")
    left, right = st.columns([3, 1])
    with left:
        state = panels.state_choice(trace.kind)
    with right:
        units = panels.units_choice(trace, layer, state)
    panels.heatmap(trace, layer, state, units)

    st.header("One cell, one character: the equations")
    t, unit = panels.cell_inputs(trace, hidden)
    panels.equations(model, trace, layer, t, unit)
    panels.unit_text(trace, layer, state, unit)

    st.header("Look closer")
    tabs = st.tabs(views.VIEWS, key=panels.VIEW_KEY, on_change="rerun", bind=BIND)
    find, span, saturation, guesses, compare, made = tabs
    if find.open:
        with find:
            views.find_the_unit(trace, layer)
    if span.open:
        with span:
            views.select_span(trace, layer, state)
    if saturation.open:
        with saturation:
            views.gate_saturation(trace, layer)
    if guesses.open:
        with guesses:
            views.next_characters(trace)
    if compare.open:
        with compare:
            views.compare_models(choices, choice, prepared.text)
    if made.open:
        with made:
            views.how_made(choice)
