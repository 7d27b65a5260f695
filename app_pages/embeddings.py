"""Embeddings: t-SNE maps of a translator's learned words and phrase summaries (Cho et al. 2014, Figures 4-5)."""

import streamlit as st

from ui.embeddings.models import choose_translator, shown_tabs
from ui.links import BIND

st.title("Embeddings")
st.caption(
    "The last figures of Cho et al. (2014): the learned word vectors and the encoder's phrase summaries of a "
    "translator, mapped to 2-D with t-SNE (openTSNE) or PCA. Trained on Tatoeba pairs (CC BY 2.0 FR)."
)
translator = choose_translator()  # for the Words and Phrases tabs
tabs = st.tabs(["Words", "Phrases", "Watch it form", "Hidden states"], key="embeddings:tab", bind=BIND)
words, phrases, forming, hidden = shown_tabs(tabs)  # only the open tab runs (and a tab a link sets up)
if words and translator is not None:
    from ui.embeddings.words import words_tab

    with tabs[0]:
        words_tab(translator)
if phrases and translator is not None:
    from ui.embeddings.phrases import phrases_tab

    with tabs[1]:
        phrases_tab(translator)
if forming:
    from ui.embeddings.forming import render_forming

    with tabs[2]:
        render_forming()
if hidden:
    from ui.embeddings.hidden import render_hidden

    with tabs[3]:
        render_hidden()
