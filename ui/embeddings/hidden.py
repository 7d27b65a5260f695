"""Hidden states too: the map of a character model's states on typed text, coloured by bracket depth or quote."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from rnnviz.charlm.model import CharLM
from rnnviz.core import kinds
from rnnviz.data.text import Vocabulary
from rnnviz.embeddings.hidden import (
    DEFAULT_TEXT,
    LABELINGS,
    MAX_CHARS,
    HiddenStates,
    hidden_states,
    state_map,
    structure_agreement,
)
from rnnviz.embeddings.projection import EmbeddingError
from rnnviz.io import checkpoints
from rnnviz.plots.embeddings import agreement_bars, embedding_map
from ui import sidebar
from ui.charts import show
from ui.links import BIND
from ui.markdown import escape

CORPUS_NAMES = {"brackets": "bracket language", "tinyshakespeare.txt": "Shakespeare"}
STATE_LABELS = {"hidden": "hidden state h", "cell": "cell state c (LSTM)"}
METHOD_LABELS = {"tsne": "t-SNE", "pca": "PCA (instant)"}
STATES_CACHE, STATES_CACHE_SIZE = "embeddings:hidden:states", 6  # per session: the last texts mapped
INSIDE_CELL_TRAINED = "inside_cell_trained"  # where Inside the cell keeps the models trained in a session


@st.cache_resource(max_entries=8, show_spinner=False)
def _load(path: str, stamp: tuple[int, int]) -> tuple[CharLM, Vocabulary]:
    """A character model and its vocabulary, loaded once per server per file version (read-only)."""
    loaded = checkpoints.load(path, expected_model="charlm")
    return loaded.model, Vocabulary.from_json(loaded.vocab)


@dataclass(frozen=True)
class CharModel:
    """A character model the view can map: a checkpoint file, or one trained on Inside the cell in this session."""

    label: str
    config: dict
    path: Path | None = None
    model: CharLM | None = None
    vocab: Vocabulary | None = None

    def load(self) -> tuple[CharLM, Vocabulary | None]:
        """The model and its vocabulary (a file is read once per server per version)."""
        if self.model is not None:
            return self.model, self.vocab
        assert self.path is not None
        info = self.path.stat()
        return _load(str(self.path), (info.st_mtime_ns, info.st_size))


def _session_models() -> dict[str, CharModel]:
    """Models trained on Inside the cell in this session (its session list, read only)."""
    models = {}
    for key, choice in dict(st.session_state.get(INSIDE_CELL_TRAINED, {})).items():
        model = getattr(choice, "model", None)
        if isinstance(model, CharLM):
            label = f"{getattr(choice, 'label', key)} (trained in this session)"
            models[f"session:{key}"] = CharModel(label, model.config, model=model, vocab=getattr(choice, "vocab", None))
    return models


def _models() -> dict[str, CharModel]:
    """The shipped character models by file name, then this session's; a warning if the folder is unusable."""
    try:
        listing = checkpoints.list_checkpoints(checkpoints.checkpoint_directory(), model="charlm")
    except checkpoints.CheckpointDirectoryError as error:
        st.warning(escape(str(error)), icon=":material/warning:")
        return _session_models()
    models = {}
    for path, meta in listing.usable:
        config, corpus = meta["config"], str(meta.get("extra", {}).get("corpus", "text"))
        label = f"{kinds.label(config['kind'])} · {CORPUS_NAMES.get(corpus, corpus)} · {config['hidden_size']} units"
        models[path.name] = CharModel(label, config, path=path)
    order = sorted(models, key=lambda name: ("brackets" not in name, "lstm" not in name, name))
    return {name: models[name] for name in order} | _session_models()


def _states(name: str, choice: CharModel, text: str, layer: int, state: str) -> HiddenStates:
    """The states of a text, kept in this session so that other widgets' reruns do not run the model again."""
    cache: dict = st.session_state.setdefault(STATES_CACHE, {})
    stamp = choice.path.stat().st_mtime_ns if choice.path is not None else id(choice.model)
    key = (name, stamp, text, layer, state)
    if key not in cache:
        model, vocab = choice.load()
        cache[key] = hidden_states(model, vocab, text, layer=layer, state=state)
        while len(cache) > STATES_CACHE_SIZE:
            cache.pop(next(iter(cache)))
    return cache[key]


def render_hidden() -> None:
    """Model pick, typed text, the map of its states coloured by a structure label, and the agreement bars."""
    st.markdown(
        "The same kind of map for a character model's **hidden states**: the text below runs through a "
        "model of *Inside the cell*, and each character becomes one point, the state right after reading "
        "it. Colour the points by the bracket depth or by whether they sit inside a quote: if points of "
        "one colour gather, the state encodes that structure (LSTMVis's question, answered as a picture)."
    )
    models = _models()
    if not models:
        st.info(
            "No character model found: train one on *Inside the cell*, or start the app with "
            "`--checkpoints DIR` pointing at the shipped checkpoints/.",
            icon=":material/info:",
        )
        return
    left, middle, right = st.columns([3, 2, 2])
    name = left.selectbox(
        "Character model", list(models), format_func=lambda n: models[n].label, key="embeddings:hidden:model", bind=BIND
    )
    choice = models[name]
    config = choice.config
    states = ["hidden", "cell"] if config.get("kind") == "lstm" else ["hidden"]
    state = middle.radio("State", states, format_func=STATE_LABELS.get, key="embeddings:hidden:state", bind=BIND)
    layer = (
        right.number_input(
            "Layer",
            1,
            int(config.get("num_layers", 1)),
            int(config.get("num_layers", 1)),
            key="embeddings:hidden:layer",
            bind=BIND,
        )
        if config.get("num_layers", 1) > 1
        else 1
    )
    text = st.text_area(
        f"Text (at most {MAX_CHARS:,} characters, one point each)",
        value=DEFAULT_TEXT,
        height=180,
        key="embeddings:hidden:text",
        bind=BIND,
    )
    try:
        result = _states(name, choice, text, int(layer) - 1, state)
    except (EmbeddingError, ValueError, OSError) as error:
        st.warning(f"No map: {escape(str(error))}", icon=":material/warning:")
        return
    for note in result.notes:
        st.caption(escape(note))
    _map_view(result)


def _map_view(result: HiddenStates) -> None:
    """Colour and projection choices, the map, then how well each label groups in the full space."""
    left, right = st.columns(2)
    colour = left.radio(
        "Colour by", list(LABELINGS), format_func=LABELINGS.get, horizontal=True, key="embeddings:hidden:colour", bind=BIND
    )
    method = right.radio(
        "Map", list(METHOD_LABELS), format_func=METHOD_LABELS.get, horizontal=True, key="embeddings:hidden:method", bind=BIND
    )
    try:
        with st.spinner("Mapping the states…"):
            reference, notes = state_map(result.vectors, method, seed=sidebar.seed())
    except EmbeddingError as error:
        st.warning(f"No map: {escape(str(error))}", icon=":material/warning:")
        return
    for note in notes:
        st.caption(escape(note))
    st.markdown(
        f"**{len(result.vectors)} characters, one point each**, coloured by {LABELINGS[colour]}. Hover a "
        "point: the character in ⟦ ⟧ with the text around it (⏎ is a line end, ␣ a space)."
    )
    show(
        embedding_map(
            reference.coordinates,
            result.contexts,
            result.labels[colour],
            method=reference.method,
            explained=reference.explained,
            colour_title=LABELINGS[colour],
            height=600,
        ),
        name="hidden states map",
        key="embeddings:hidden:map",
    )
    _agreement_view(result)


def _agreement(result: HiddenStates) -> dict:
    """`structure_agreement` of these states, once per states object (not again on every rerun of the page)."""
    cache: dict = st.session_state.setdefault(f"{STATES_CACHE}:agreement", {})
    if id(result) not in cache:
        cache.clear()
        cache[id(result)] = (result, structure_agreement(result.vectors, result.labels))
    return cache[id(result)][1]


def _agreement_view(result: HiddenStates) -> None:
    """Bars: for each label, the share of nearest states (full space) that share it, against chance."""
    try:
        scores = _agreement(result)
    except EmbeddingError as error:
        st.caption(escape(str(error)))
        return
    k = min(10, len(result.vectors) - 1)
    st.markdown(
        f"**Does the state group by structure?** For each character, the share of its {k} nearest states "
        f"(cosine, in the full {result.vectors.shape[1]}-dimensional space, not on the map) with the same "
        "label, beside the share expected by chance. A label well above its chance is encoded in the state; "
        "compare structure with the character just read."
    )
    names = list(scores)
    figure = agreement_bars([LABELINGS[n] for n in names], [scores[n][0] for n in names], [scores[n][1] for n in names])
    figure.update_layout(legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"})
    show(figure, name="hidden states agreement", key="embeddings:hidden:agreement")
    lifts = {n: (scores[n][0] - scores[n][1]) / max(1e-9, 1 - scores[n][1]) for n in names}
    best = max(lifts, key=lifts.get)
    st.caption(
        f"Measured on this text: the states group most by {LABELINGS[best]} "
        f"({100 * scores[best][0]:.0f} % of neighbours agree against {100 * scores[best][1]:.0f} % by chance). "
        "Compare an LSTM's cell state with its hidden state, and the bracket model with the Shakespeare one."
    )
