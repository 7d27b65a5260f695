"""Signature verification: Tolosana et al. (2018) on SVC2004 Task 2: time functions, the DTW baseline, EER and DET."""

import streamlit as st

from ui.signatures import data, text, views

st.title("Signature verification")
st.markdown(text.INTRO)
dataset, source = views.choose_dataset()
columns = views.pressure_choice()
if dataset is not None:
    views.show_problems(dataset)
if dataset is not None and dataset.signatures:
    views.signature_section(dataset, source, columns)
views.results_section(data.summary(columns))
if dataset is not None and dataset.signatures:
    views.verify_section(dataset, source, columns, data.summary(columns))
