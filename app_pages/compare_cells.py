"""Compare cells: RNN, LSTM, GRU and SRU (layers, directions) raced on one task at matched budgets, over seeds."""

from __future__ import annotations

import streamlit as st

from ui import sidebar
from ui.compare import settings, view
from ui.compare.homework import homework_view
from ui.compare.text import INTRO
from ui.links import BIND
from ui.training import live_training

st.title("Compare cells")
st.markdown(INTRO)
race, answered = st.tabs(["Race cells live", "The homework, answered"], key="compare:tab", bind=BIND)
with race:
    view.collect_finished()
    choice = settings.choose()
    if choice.problem:
        st.warning(choice.problem, icon=":material/edit:")
    else:
        st.dataframe(settings.sized_table(choice), hide_index=True)
    st.button(
        "Train all",
        type="primary",
        icon=":material/play_arrow:",
        disabled=choice.problem is not None,
        on_click=view.start,
        args=(choice, sidebar.seed()),
        key="compare:train",
    )
    job = live_training(view.JOB_KEY, view.render_live)
    if job is None or not job.active:
        view.kept_results()
with answered:
    homework_view()
