"""Translate and attend: type a sentence, watch where the encoder–decoder looks; compare; train live."""

import streamlit as st

from ui.links import BIND
from ui.translate.train import train_tab
from ui.translate.views import TABS, compare_tab, scoring_tab, show_checkpoint_problems, translate_tab

st.title("Translate and attend")
st.caption("The lecture's encoder–decoder (Cho et al. 2014) with attention (Bahdanau et al. 2015; Luong et al. "
           "2015), trained on Tatoeba pairs (tatoeba.org via manythings.org/anki, CC BY 2.0 FR) prepared as in "
           "the PyTorch tutorial.")
show_checkpoint_problems()
tabs = st.tabs(TABS, key="translate:tab", bind=BIND)
with tabs[0]:
    translate_tab()
with tabs[1]:
    compare_tab()
with tabs[2]:
    train_tab()
with tabs[3]:
    scoring_tab()
