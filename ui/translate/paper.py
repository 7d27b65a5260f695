"""Phrase scoring's comparison with Cho et al. (2014), Tables 2-3: the paper's phrases, its answers and ours."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from rnnviz.seq2seq.cho2014 import FREQUENT, compare_with_paper
from rnnviz.seq2seq.translator import Translator
from ui.markdown import escape

COLUMNS = {
    name: st.column_config.TextColumn(name, width="medium")
    for name in ("paper: top phrases", "ours: top phrases", "paper: samples", "ours: samples")
}


@st.cache_data(max_entries=8, show_spinner="Asking the model for the paper's ten phrases …")
def _rows(_translator: Translator, key: str, seed: int) -> list[dict[str, str]]:
    """The comparison rows of one checkpoint (keyed by its path and time), computed once per server."""
    return compare_with_paper(_translator, seed=seed)


def _cache_key(translator: Translator) -> str:
    """A checkpoint by its path and modification time; a model trained in a session by its identity."""
    path = translator.path
    return f"{path}:{path.stat().st_mtime}" if path is not None and path.is_file() else f"session:{id(translator)}"


def paper_rows(translator: Translator, seed: int) -> list[dict[str, str]]:
    """The comparison rows of an English -> French translator, computed once per server."""
    return _rows(translator, _cache_key(translator), seed)


def paper_tables(translator: Translator, seed: int) -> None:
    """Tables 2-3 of the paper beside this model's beam-search phrases and samples (English -> French only)."""
    st.markdown("#### The paper's phrases (Cho et al. 2014, Tables 2–3)")
    if (translator.source_language, translator.target_language) != ("eng", "fra"):
        st.info("The paper's phrases are English → French: choose an English → French model above to see them.")
        return
    st.markdown(
        "The paper's encoder–decoder learned from 348 M words of WMT'14; ours from the 135,842 short Tatoeba "
        "pairs of eng-fra.txt. Read the rows as *does the model find the phrase?*, not as equal figures. "
        "Top phrases: beam search (3 best); samples: the 3 likeliest of 50 draws at temperature 1, "
        "(×n) = drawn n times. Words the model does not know read as <unk>."
    )
    if "tutorial_filter" in translator.info and translator.info.get("tutorial_filter"):
        st.caption(
            "This model saw only the tutorial's 'i am / he is …' sentences, so these phrases are out of its "
            "domain: choose the model trained on the whole corpus to see what more data gives."
        )
    rows = paper_rows(translator, seed)
    for group, title in ((FREQUENT, "Long, frequent source phrases"), (None, "Long, rare source phrases")):
        chosen = [r for r in rows if (r["group"] == FREQUENT) == (group == FREQUENT)]
        st.markdown(f"**{escape(title)}**")
        st.dataframe(pd.DataFrame(chosen).drop(columns="group"), hide_index=True, column_config=COLUMNS)
