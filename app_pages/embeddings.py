"""Embeddings: t-SNE maps of a translator's learned words and phrase summaries (Cho et al. 2014, Figures 4-5)."""

import streamlit as st

from ui.embeddings.forming import render_forming
from ui.embeddings.hidden import render_hidden
from ui.embeddings.models import choose_translator
from ui.embeddings.phrases import phrases_tab
from ui.embeddings.words import words_tab
from ui.links import BIND

st.title("Embeddings")
st.caption(
    "The last figures of Cho et al. (2014): the learned word vectors and the encoder's phrase summaries of a "
    "translator, mapped to 2-D with t-SNE (openTSNE) or PCA. Trained on Tatoeba pairs (CC BY 2.0 FR)."
)
translator = choose_translator()  # for the Words and Phrases tabs
words, phrases, forming, hidden = st.tabs(["Words", "Phrases", "Watch it form", "Hidden states"], key="embeddings:tab", bind=BIND)
with words:
    if translator is not None:
        words_tab(translator)
with phrases:
    if translator is not None:
        phrases_tab(translator)
with forming:
    render_forming()
with hidden:
    render_hidden()
