"""The Phrases tab: the encoder summaries of training phrases, whether properties group, a typed phrase placed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from rnnviz.embeddings import neighbours, properties
from rnnviz.embeddings.phrases import needs_corpus
from rnnviz.embeddings.projection import EmbeddingError, Map, place
from rnnviz.embeddings.vectors import typed_phrase
from rnnviz.plots.embeddings import agreement_bars, embedding_map
from rnnviz.seq2seq.translator import Translator, language_name
from ui import sidebar
from ui.embeddings import maps
from ui.embeddings.models import model_key, phrase_set
from ui.markdown import escape

PREFIX = "embeddings:phrases"
COUNTS = (500, 1000, 2000, 5000)
NEAREST = 8
K = 10


def _corpus_upload(translator: Translator):
    """An uploaded copy of the training file when the server has none (None otherwise)."""
    if not needs_corpus(translator.info):
        return None
    with st.expander(f"The training file ({escape(str(translator.info.get('file', 'eng-fra.txt')))}) is read from "
                     "the server's data folder; upload it here if the page says it is missing"):  # fmt: skip
        return st.file_uploader("Training pairs file", type=["txt", "tsv"], key=f"{PREFIX}:corpus")


def _phrase_set(translator: Translator) -> tuple[list, np.ndarray] | None:
    """The sampled training pairs and their summaries, or None with a message."""
    count = st.select_slider("Training phrases to map (a seeded sample)", COUNTS, value=2000, key=f"{PREFIX}:count")
    upload = _corpus_upload(translator)
    key = f"{model_key(translator)}:{getattr(upload, 'file_id', '') if upload is not None else ''}"
    try:
        pairs, found = phrase_set(key, int(count), sidebar.seed(), translator, upload)
    except EmbeddingError as error:
        st.warning(escape(str(error)), icon=":material/warning:")
        return None
    if len(pairs) < int(count):
        st.caption(f"The training split has {len(pairs):,} distinct source phrases: all are mapped.")
    return pairs, found


@st.cache_data(max_entries=16, show_spinner="Measuring whether the properties group…")
def _agreements(key: str, count: int, seed: int, _vectors: np.ndarray, _labels: dict) -> list[tuple[str, float, float]]:
    """Per property: k-NN agreement in the full space and its chance level."""
    return [(name, neighbours.knn_agreement(_vectors, labels, K), neighbours.chance_agreement(labels))
            for name, labels in _labels.items()]  # fmt: skip


def _grouping(translator: Translator, pairs: list, found: np.ndarray, all_labels: dict[str, list[str]]) -> None:
    """The bar chart of agreement against chance, with a sentence that reads it."""
    rows = _agreements(model_key(translator), len(pairs), sidebar.seed(), found, all_labels)
    st.markdown(f"**Do similar phrases sit together?** For each phrase, the share of its {K} nearest phrases "
                "(cosine, full space) that share its label, against the share expected if the labels were "
                "shuffled. A bar far above its grey chance bar means the encoder groups phrases by that property.")  # fmt: skip
    st.plotly_chart(agreement_bars([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]),
                    key=f"{PREFIX}:agreement", theme=None)  # fmt: skip


def _placed(translator: Translator, shown: Map, pairs: list, found: np.ndarray):
    """Encode a typed phrase, place it without moving the map, list its nearest phrases; (point, text) or None."""
    text = st.text_input(f"Type a phrase in {language_name(translator.source_language)} to place it in the map",
                         "", key=f"{PREFIX}:typed", placeholder="e.g. " + pairs[0][0][:40])  # fmt: skip
    if not text.strip():
        st.caption("Type a phrase: it is encoded, placed into this map without moving any other point, and its "
                   "nearest training phrases are listed with their translations.")  # fmt: skip
        return None
    typed = typed_phrase(translator, text)
    for note in typed.notes:
        st.info(escape(note), icon=":material/info:")
    if typed.vector is None:
        st.warning("Nothing is left to encode after preparation (only spaces, emoji or symbols?): type words.",
                   icon=":material/warning:")  # fmt: skip
        return None
    shown_tokens = "  ".join(f"{t} ⚠" if unknown else t for t, unknown in zip(typed.prepared.tokens,
                                                                              typed.prepared.unknown))  # fmt: skip
    st.markdown("**The phrase as the model saw it** (⚠ = not in its vocabulary, read as `<unk>`):")
    st.text(shown_tokens)
    if typed.all_unknown:
        st.warning("Every word is unknown to this model: it reads only `<unk>`, so its place says nothing about "
                   "your words.", icon=":material/warning:")  # fmt: skip
    point = place(shown, typed.vector)
    near = neighbours.nearest(found, typed.vector, NEAREST)
    st.markdown("**Nearest training phrases in the full space** (cosine similarity of the encoder summaries), "
                "with their translations from the corpus:")  # fmt: skip
    st.dataframe(pd.DataFrame({"phrase": [pairs[r][0] for r, _ in near], "translation": [pairs[r][1] for r, _ in near],
                               "cosine similarity": [round(v, 3) for _, v in near]}),
                 hide_index=True, key=f"{PREFIX}:nearest")  # fmt: skip
    return point, " ".join(typed.prepared.tokens)


def phrases_tab(translator: Translator) -> None:
    """The phrases map, colour by property, grouping measure, typed phrase placed."""
    found_set = _phrase_set(translator)
    if found_set is None:
        return
    pairs, found = found_set
    language = translator.source_language
    sources = [source for source, _ in pairs]
    names = properties.properties_for(language)
    targets = [target for _, target in pairs]
    all_labels = {name: properties.phrase_labels(sources, name, language, targets) for name in names}
    projection = maps.projection_controls(PREFIX)
    prop = st.selectbox("Colour by", names, key=f"{PREFIX}:colour")
    shown = maps.current_map(found, projection, sidebar.seed())
    if shown is None:
        return
    typed = _placed(translator, shown, pairs, found)
    st.markdown(f"**Each point is the encoder's summary of one training phrase** (Cho et al.'s vector c, "
                f"{found.shape[1]} numbers), coloured by {escape(prop)}; hover for the phrase. A typed phrase is the "
                "red star.")  # fmt: skip
    figure = embedding_map(shown.coordinates, sources, all_labels[prop], method=shown.method, explained=shown.explained,
                           placed=None if typed is None else typed[0], placed_texts=[] if typed is None else [typed[1]],
                           colour_title=prop, order=properties.BAND_ORDER)  # fmt: skip
    st.plotly_chart(figure, key=f"{PREFIX}:map", theme=None)
    maps.quality_caption(found, shown)
    _grouping(translator, pairs, found, all_labels)
    maps.downloads(PREFIX, found, shown, {"phrase": sources, "translation": targets, **all_labels})
