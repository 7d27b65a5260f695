"""Phrase scoring: Cho et al. (2014) used the RNN encoder–decoder to score phrase pairs (Tables 2-3)."""

import streamlit as st

from ui.translate.views import scoring_tab, show_checkpoint_problems

st.title("Phrase scoring")
st.caption("Cho et al. (2014), “Learning Phrase Representations using RNN Encoder–Decoder for Statistical Machine "
           "Translation”: the trained encoder–decoder gives every phrase pair a score log p(target | source), "
           "proposes its own top phrases (their Table 2) and samples (their Table 3).")
show_checkpoint_problems()
scoring_tab()
