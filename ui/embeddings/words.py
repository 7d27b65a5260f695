"""The Words tab: the map of a translator's source or target embedding rows, colour, search, neighbours."""

from __future__ import annotations

import difflib

import numpy as np
import streamlit as st

from rnnviz.embeddings import neighbours, properties
from rnnviz.embeddings.projection import EmbeddingError
from rnnviz.embeddings.vectors import BARELY_TRAINED, WordVectors
from rnnviz.plots.embeddings import embedding_map, padded_ranges
from rnnviz.seq2seq.translator import Translator, language_name
from ui import sidebar
from ui.charts import show
from ui.embeddings import maps
from ui.embeddings.models import model_key, word_set
from ui.links import BIND
from ui.markdown import escape

PREFIX = "embeddings:words"
LABELLED = 25  # the most frequent words written on the map
NEIGHBOURS = 10
OWN_LIST = "my own list"
COMPONENTS = 50  # t-SNE of the words reads their top 50 principal components
TRAINED, STORED = "what training wrote (row − its random start)", "the rows as stored"


def _side(translator: Translator) -> str:
    """Source or target embedding matrix, named by language."""
    names = {side: f"{side}: {language_name(getattr(translator, f'{side}_language'))} words"
             for side in ("source", "target")}  # fmt: skip
    label = st.radio("Embedding matrix", list(names.values()), key=f"{PREFIX}:side", horizontal=True,
                     help="The encoder reads source words through one matrix, the decoder writes target words "
                     "with another: each row is one word's learned vector.", bind=BIND)  # fmt: skip
    return next(side for side, name in names.items() if name == label)


def _words(translator: Translator, side: str) -> tuple[WordVectors, bool] | None:
    """The word vectors, cut to the most frequent words the person asks for; whether they are trained parts."""
    try:
        found = word_set(model_key(translator), side, None, False, translator)  # every word
    except EmbeddingError as error:
        st.warning(escape(str(error)), icon=":material/warning:")
        return None
    total = len(found.words)
    count = st.number_input(f"Words to map (the most frequent first; {total:,} in this vocabulary)", min_value=3,
                            max_value=max(3, total), value=min(1000, total), step=100, key=f"{PREFIX}:count",
                            help="The vocabulary is ordered by how often each word occurs in the training data; "
                            "rare words were seen a few times only.", bind=BIND)  # fmt: skip
    return _trained_or_stored(translator, side, int(min(count, total)))


def _trained_or_stored(translator: Translator, side: str, count: int) -> tuple[WordVectors, bool]:
    """The rows as stored, or minus their random start (the default when training moved them little)."""
    found = word_set(model_key(translator), side, count, False, translator)
    correlation = found.start_correlation()
    if correlation is None:
        st.caption("This model's random start cannot be rebuilt (its seed is not in the checkpoint): the map shows "
                   "the rows as stored.")  # fmt: skip
        return found, False
    barely = correlation >= BARELY_TRAINED
    owner = (model_key(translator), side)
    if st.session_state.get(f"{PREFIX}:vectors_of") != owner:  # another model or side starts on its own default
        st.session_state[f"{PREFIX}:vectors_of"] = owner
        st.session_state[f"{PREFIX}:vectors"] = TRAINED if barely else STORED
    choice = st.radio("Vectors to map", [TRAINED, STORED], key=f"{PREFIX}:vectors",
                      horizontal=True, help=f"Each row started as {found.vectors.shape[1]} random numbers N(0, 1) drawn "
                      "from the checkpoint's seed; that start is rebuilt exactly and can be subtracted.")  # fmt: skip
    moved = "barely moved them" if barely else "moved them a good deal"
    st.caption(f"Each row still correlates {correlation:.2f} (median) with its random start: training {moved}. "
               + ("A map of the stored rows is then a map of random numbers (it scores what random vectors "
                  "score); the part training wrote holds what the model learned. " if barely else "")
               + "Neighbours below are measured in the same vectors as the map.")  # fmt: skip
    if choice == STORED:
        return found, False
    try:
        trained = word_set(model_key(translator), side, count, True, translator)
    except EmbeddingError as error:
        st.info(escape(str(error)), icon=":material/info:")
        return found, False
    if len(trained.words) < len(found.words):
        st.caption(f"{len(found.words) - len(trained.words):,} words training never changed are left out.")
    return trained, True


def _colours(words: WordVectors, seed: int) -> tuple[str, list[str]]:
    """The property to colour by and one label per word."""
    prop = st.selectbox("Colour by", [*properties.WORD_PROPERTIES, OWN_LIST], key=f"{PREFIX}:colour", bind=BIND)
    if prop == OWN_LIST:
        typed = st.text_input("Your words, separated by commas or spaces", "", key=f"{PREFIX}:own", max_chars=2000, bind=BIND)
        chosen = {w for w in typed.lower().replace(",", " ").split() if w}
        missing = sorted(chosen - set(words.words))
        if missing:
            st.caption(f"Not among the mapped words: {escape(', '.join(missing[:20]))}")
        return prop, ["your list" if w in chosen else properties.OTHER for w in words.words]
    if prop == "cluster in the full space":
        clusters = st.slider("Clusters (k-means on the full vectors, by cosine)", 2, 16, 8, key=f"{PREFIX}:clusters", bind=BIND)
        return prop, properties.word_labels(words.words, prop, vectors=words.vectors, clusters=clusters, seed=seed)
    return prop, properties.word_labels(words.words, prop, language=words.language)


def _search(words: WordVectors) -> tuple[int | None, list[tuple[int, float]]]:
    """A searched word and its nearest neighbours in the full space (row, cosine)."""
    typed = st.text_input("Search a word", "", key=f"{PREFIX}:search", max_chars=100, placeholder="e.g. three", bind=BIND)
    word = " ".join(typed.strip().lower().split())
    if not word:
        return None, []
    if word not in words.words:
        close = difflib.get_close_matches(word, words.words, n=5)
        hint = f" Close ones: {', '.join(close)}." if close else ""
        st.warning(f"'{escape(word)}' is not among the {len(words.words):,} mapped words (raise the number of "
                   f"words, or try another spelling).{escape(hint)}", icon=":material/search_off:")  # fmt: skip
        return None, []
    row = words.words.index(word)
    return row, neighbours.nearest(words.vectors, words.vectors[row], NEIGHBOURS, exclude=row)


def words_tab(translator: Translator) -> None:
    """The words map, its controls and the neighbour table."""
    side = _side(translator)
    chosen = _words(translator, side)
    if chosen is None:
        return
    words, trained = chosen
    projection = maps.projection_controls(PREFIX)
    left, right = st.columns(2)
    with left:
        prop, labels = _colours(words, sidebar.seed())
    with right:
        highlight, found = _search(words)
    shown = maps.current_map(words.vectors, projection, sidebar.seed(), components=COMPONENTS)
    if shown is None:
        return
    zoom = None
    if highlight is not None and st.toggle("Zoom on the searched word and its neighbours", key=f"{PREFIX}:zoom", bind=BIND):
        zoom = padded_ranges(shown.coordinates[[highlight, *(r for r, _ in found)]], margin=0.4)
    what = "what training wrote into one word's row" if trained else "one word's row"
    st.markdown(f"**Each point is {what} of the {side} embedding matrix**, placed so that words with "
                f"similar vectors sit together; hover for the word. The {LABELLED} most frequent words are "
                "written on the map; the searched word is ringed in black, its nearest neighbours in orange.")  # fmt: skip
    figure = embedding_map(shown.coordinates, words.words, labels, method=shown.method, explained=shown.explained,
                           labelled=range(min(LABELLED, len(words.words))), highlight=highlight,
                           neighbours=[r for r, _ in found], colour_title=prop, ranges=zoom,
                           order=properties.BAND_ORDER)  # fmt: skip
    show(figure, name=f"word map {side}", key=f"{PREFIX}:map", width="stretch")
    maps.quality_caption(words.vectors, shown)
    if highlight is not None:
        import pandas as pd  # imported when a word is searched (1 s on a busy machine)

        st.markdown(f"**Nearest words to '{escape(words.words[highlight])}' by cosine similarity in the full "
                    f"{words.vectors.shape[1]}-dimensional space** (1 = same direction, 0 = unrelated):")  # fmt: skip
        table = pd.DataFrame({"word": [words.words[r] for r, _ in found],
                              "cosine similarity": [round(v, 3) for _, v in found],
                              "frequency rank": [r + 1 for r, _ in found]})  # fmt: skip
        st.dataframe(table, hide_index=True, key=f"{PREFIX}:neighbours")
    maps.downloads(
        PREFIX,
        words.vectors,
        shown,
        {"word": words.words, prop: labels, "frequency rank": list(np.arange(1, len(words.words) + 1))},
    )
