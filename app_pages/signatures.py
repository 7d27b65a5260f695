"""Signature verification: Tolosana et al. (2018) on SVC2004 Task 2: time functions, DTW, Siamese RNNs, EER and DET."""

import streamlit as st

from ui.signatures import charts, models, pad, siamese_view, text, views

st.title("Signature verification")
st.markdown(text.INTRO)
dataset, source = views.choose_dataset()
columns = views.pressure_choice()
readable = dataset is not None and bool(dataset.signatures)
if dataset is not None:
    views.show_problems(dataset)
if readable:
    views.signature_section(dataset, source, columns)
views.dtw_header()
dtw_columns = views.dtw_choice(columns)
dtw_summary, siamese_summary = views.dtw_summary_of(dtw_columns, readable), models.siamese_summary()
shown = views.results_section(dtw_summary, dtw_columns, readable)
siamese_view.results_section(siamese_summary)
systems = charts.merged(shown, siamese_summary)
if systems:
    charts.det_section(systems)
    charts.histogram_section(systems)
if readable:
    siamese_view.training_section(dataset, columns, st.session_state.get("seed", 0), views.data_name(source))
    views.verify_section(dataset, source, dtw_columns, dtw_summary)
pad.pad_section(dtw_columns)
