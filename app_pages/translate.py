"""Translate and attend: type a sentence, watch where the encoder–decoder looks; compare; train live."""

import streamlit as st

from ui.translate.views import compare_tab, scoring_tab, show_checkpoint_problems, train_tab, translate_tab

st.title("Translate and attend")
st.caption("The lecture's encoder–decoder (Cho et al. 2014) with attention (Bahdanau et al. 2015; Luong et al. "
           "2015), trained on Tatoeba pairs (tatoeba.org via manythings.org/anki, CC BY 2.0 FR) prepared as in "
           "the PyTorch tutorial.")
show_checkpoint_problems()
tabs = st.tabs(["Translate", "Compare attention kinds", "Train live", "Score phrases (Cho et al.)"])
with tabs[0]:
    translate_tab()
with tabs[1]:
    compare_tab()
with tabs[2]:
    train_tab()
with tabs[3]:
    scoring_tab()
