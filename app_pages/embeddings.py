"""Embeddings: t-SNE maps of a translator's learned words and phrase summaries (Cho et al. 2014, Figures 4-5)."""

import streamlit as st

from ui.embeddings.models import choose_translator
from ui.embeddings.phrases import phrases_tab
from ui.embeddings.words import words_tab

st.title("Embeddings")
st.caption(
    "The last figures of Cho et al. (2014): the learned word vectors and the encoder's phrase summaries of a "
    "translator, mapped to 2-D with t-SNE (openTSNE) or PCA. Trained on Tatoeba pairs (CC BY 2.0 FR)."
)
translator = choose_translator()
if translator is not None:
    tabs = st.tabs(["Words", "Phrases"])  # issue 11 items 4-5 (ui/embeddings/forming.py, hidden.py): their tabs go here
    with tabs[0]:
        words_tab(translator)
    with tabs[1]:
        phrases_tab(translator)
