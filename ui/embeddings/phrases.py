"""The Phrases tab: the encoder summaries of training phrases, whether properties group, a typed phrase placed."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from rnnviz.embeddings import neighbours, properties
from rnnviz.embeddings.phrases import needs_corpus
from rnnviz.embeddings.placing import PHRASE_STEPS, PhraseSet, Placed, place_phrase
from rnnviz.embeddings.projection import EmbeddingError, Map
from rnnviz.plots.embeddings import agreement_bars, embedding_map
from rnnviz.seq2seq.translator import Translator, language_name
from ui import sidebar
from ui.charts import show
from ui.embeddings import maps
from ui.embeddings.models import model_key, phrase_set
from ui.links import BIND
from ui.markdown import escape

PREFIX = "embeddings:phrases"
COUNTS = (500, 1000, 2000, 5000)
NEAREST = 8
K = 10
KIND_LABELS = {"training": "training phrases", "sub-phrases": "sub-phrases of 2–6 words of the whole corpus"}


def _corpus_upload(translator: Translator):
    """An uploaded copy of the training file when the server has none (None otherwise)."""
    if not needs_corpus(translator.info):
        return None
    with st.expander(f"The training file ({escape(str(translator.info.get('file', 'eng-fra.txt')))}) is read from "
                     "the server's data folder; upload it here if the page says it is missing"):  # fmt: skip
        return st.file_uploader("Training pairs file", type=["txt", "tsv"], key=f"{PREFIX}:corpus")


def _phrase_set(translator: Translator) -> PhraseSet | None:
    """The sampled phrases with their summaries, or None with a message."""
    left, right = st.columns(2)
    kinds = list(KIND_LABELS) if needs_corpus(translator.info) else ["training"]
    kind = left.radio("Phrases", kinds, format_func=KIND_LABELS.get, key=f"{PREFIX}:kind", horizontal=True,
                      help="Cho et al.'s Figure 5 maps phrases of the corpus; the training sentences are what this "
                      "model learned from. Sub-phrases are cut at random places from random corpus lines "
                      "(seeded); only those whose every word the model knows are kept.", bind=BIND)  # fmt: skip
    count = right.select_slider("How many (a seeded sample)", COUNTS, value=2000, key=f"{PREFIX}:count", bind=BIND)
    upload = _corpus_upload(translator)
    key = f"{model_key(translator)}:{getattr(upload, 'file_id', '') if upload is not None else ''}"
    try:
        found = phrase_set(key, kind, int(count), sidebar.seed(), translator, upload)
    except EmbeddingError as error:
        st.warning(escape(str(error)), icon=":material/warning:")
        return None
    if len(found.pairs) < int(count):
        what = "distinct source phrases in the training split" if kind == "training" else \
            "distinct sub-phrases of known words were found"  # fmt: skip
        st.caption(f"{len(found.pairs):,} {what}: all are mapped.")
    return found


@st.cache_data(max_entries=16, show_spinner="Measuring whether the properties group…")
def _agreements(key: str, kind: str, count: int, seed: int, _found: PhraseSet) -> list[tuple[str, float, float]]:
    """Per property: k-NN agreement in the full space and its chance level."""
    return [(name, neighbours.knn_agreement(_found.vectors, labels, K), neighbours.chance_agreement(labels))
            for name, labels in _found.labels.items()]  # fmt: skip


def _grouping(translator: Translator, found: PhraseSet) -> None:
    """The bar chart of agreement against chance, with a sentence that reads it."""
    rows = _agreements(model_key(translator), found.kind, len(found.pairs), sidebar.seed(), found)
    st.markdown(f"**Do similar phrases sit together?** For each phrase, the share of its {K} nearest phrases "
                "(cosine, full space) that share its label, against the share expected if the labels were "
                "shuffled. A bar far above its grey chance bar means the encoder groups phrases by that property.")  # fmt: skip
    show(agreement_bars([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]), name="phrase agreement",
         key=f"{PREFIX}:agreement", theme=None)  # fmt: skip


def _placed(translator: Translator, shown: Map, found: PhraseSet) -> Placed | None:
    """Encode a typed phrase, place it without moving the map, list its nearest phrases; None when nothing typed."""
    text = st.text_input(f"Type a phrase in {language_name(translator.source_language)} to place it in the map",
                         "", key=f"{PREFIX}:typed", placeholder="e.g. " + found.pairs[0][0][:40], bind=BIND)  # fmt: skip
    if not text.strip():
        st.caption("Type a phrase: it is encoded, placed into this map without moving any other point, and its "
                   "nearest phrases are listed and ringed on the map.")  # fmt: skip
        return None
    placed = place_phrase(translator, text, found, shown, NEAREST)
    for note in placed.typed.notes:
        st.info(escape(note), icon=":material/info:")
    if placed.point is None:
        st.warning("Nothing is left to encode after preparation (only spaces, emoji or symbols?): type words.",
                   icon=":material/warning:")  # fmt: skip
        return None
    prepared = placed.typed.prepared
    shown_tokens = "  ".join(f"{t} ⚠" if unknown else t for t, unknown in zip(prepared.tokens, prepared.unknown))
    st.markdown("**The phrase as the model saw it** (⚠ = not in its vocabulary, read as `<unk>`):")
    st.text(shown_tokens)
    if placed.typed.all_unknown:
        st.warning("Every word is unknown to this model: it reads only `<unk>`, so its place says nothing about "
                   "your words.", icon=":material/warning:")  # fmt: skip
    second = "translation" if found.kind == "training" else "cut from the corpus pair"
    st.markdown(f"**Nearest {KIND_LABELS[found.kind]} in the full space** (cosine similarity of the encoder "
                f"summaries; ringed on the map), placed in {1000 * placed.seconds:.0f} ms:")  # fmt: skip
    st.dataframe(pd.DataFrame({"phrase": [found.pairs[r][0] for r, _ in placed.nearest],
                               second: [found.pairs[r][1] for r, _ in placed.nearest],
                               "cosine similarity": [round(v, 3) for _, v in placed.nearest]}),
                 hide_index=True, key=f"{PREFIX}:nearest")  # fmt: skip
    return placed


def phrases_tab(translator: Translator) -> None:
    """The phrases map, colour by property, grouping measure, typed phrase placed."""
    found = _phrase_set(translator)
    if found is None:
        return
    names = list(found.labels)
    projection = maps.projection_controls(PREFIX)
    prop = st.selectbox("Colour by", names, key=f"{PREFIX}:colour", bind=BIND)
    shown = maps.current_map(found.vectors, projection, sidebar.seed(), steps=PHRASE_STEPS)
    if shown is None:
        return
    placed = _placed(translator, shown, found)
    what = "training phrase" if found.kind == "training" else "sub-phrase of the corpus"
    st.markdown(f"**Each point is the encoder's summary of one {what}** (Cho et al.'s vector c, "
                f"{found.vectors.shape[1]} numbers), coloured by {escape(prop)}; hover for the phrase. A typed phrase "
                "is the red star, its nearest phrases are ringed.")  # fmt: skip
    typed = None if placed is None else " ".join(placed.typed.prepared.tokens)
    figure = embedding_map(shown.coordinates, found.phrases, found.labels[prop], method=shown.method,
                           explained=shown.explained, placed=None if placed is None else placed.point[None, :],
                           placed_texts=[] if typed is None else [typed],
                           neighbours=[] if placed is None else [r for r, _ in placed.nearest],
                           neighbour_texts=False, colour_title=prop, order=properties.BAND_ORDER)  # fmt: skip
    show(figure, name="phrase map", key=f"{PREFIX}:map", theme=None)
    maps.quality_caption(found.vectors, shown)
    _grouping(translator, found)
    second = "translation" if found.kind == "training" else "corpus pair"
    maps.downloads(PREFIX, found.vectors, shown, {"phrase": found.phrases, second: [t for _, t in found.pairs],
                                                  **found.labels})  # fmt: skip
