"""The Embeddings page's models: the shipped translators (opened once per server), an uploaded one, and caches."""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from rnnviz.embeddings import placing, vectors
from rnnviz.embeddings.placing import PhraseSet
from rnnviz.io.checkpoints import CheckpointError, checkpoint_directory
from rnnviz.seq2seq.translator import DirectionError, Translator, language_name, list_translators
from ui.links import BIND
from ui.markdown import escape

TAB_PREFIXES = ("embeddings:words:", "embeddings:phrases:", "embeddings:forming:", "embeddings:hidden:")
TRANSLATE_TRAINED_KEY = "translate:trained"  # a model trained on the Translate page in this session
DEFAULT_CHECKPOINT = "translate-eng-fra-corpus.safetensors"  # the one whose words learned the most


@st.cache_resource(show_spinner="Opening the checkpoint…")
def open_checkpoint(path: str, modified: float) -> Translator:
    """A shipped checkpoint, shared by every session (read-only: nothing here changes it)."""
    return Translator.load(path)


@st.cache_data(ttl=60)
def _listed(directory: str) -> tuple[list, list[str]]:
    """The translation checkpoints in `directory` and one message per problem."""
    return list_translators(directory)


def direction_label(translator: Translator) -> str:
    """'French → English' for a translator."""
    return f"{language_name(translator.source_language)} → {language_name(translator.target_language)}"


def _choices() -> dict[str, object]:
    """label -> checkpoint info or a Translator, the whole-corpus translator first."""
    found, problems = _listed(str(checkpoint_directory()))
    for message in problems:
        st.warning(escape(message), icon=":material/warning:")
    ordered = sorted(found, key=lambda c: (c.path.name != DEFAULT_CHECKPOINT, "small" in c.path.name, c.path.name))
    choices: dict[str, object] = {}
    for item in ordered:
        choices[f"{language_name(item.source)} → {language_name(item.target)}: {item.label}"] = item
    trained = st.session_state.get(TRANSLATE_TRAINED_KEY)
    if isinstance(trained, Translator):
        choices[f"trained on the Translate page: {direction_label(trained)}"] = trained
    return choices


def _uploaded(upload) -> Translator | None:
    """A translator from an uploaded .safetensors file (safetensors never runs code), or None with a message."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "uploaded.safetensors"
        path.write_bytes(upload.getvalue())
        try:
            return Translator.load(path)
        except (CheckpointError, DirectionError, ValueError, KeyError) as error:
            st.error(f"This file is not a translator checkpoint: {escape(str(error))}", icon=":material/error:")
            return None


def choose_translator() -> Translator | None:
    """The translator the person picks (a shipped one, the Translate page's, or an upload); None if none."""
    choices = _choices()
    with st.expander("Map your own translator (.safetensors from `python -m rnnviz.translate train`)"):
        upload = st.file_uploader("Checkpoint file", type=["safetensors"], key="embeddings:upload")
    if upload is not None:
        return _uploaded(upload)
    if not choices:
        st.info("No translator checkpoint is in the checkpoint folder: upload one above, or train one on the "
                "Translate page.", icon=":material/info:")  # fmt: skip
        return None
    label = st.selectbox("Translator (its words and phrases are mapped)", list(choices), key="embeddings:model", bind=BIND)
    choice = choices[label]
    if isinstance(choice, Translator):
        return choice
    return open_checkpoint(str(choice.path), choice.path.stat().st_mtime)


def shown_tabs(tabs: list) -> list[bool]:
    """Which tabs run: the open one, and every tab this session or its link has set up (its settings are known).

    Streamlit runs every tab by default; the Phrases tab alone reads the whole corpus and encodes thousands
    of phrases, so the first open runs only the open tab. A tab that ran once keeps running (from its caches):
    Streamlit drops a closed tab's settings from the URL, and the copied link must replay every tab."""
    known = [str(name) for name in (*st.query_params, *st.session_state)]
    return [tab.open is not False or any(name.startswith(prefix) for name in known)
            for tab, prefix in zip(tabs, TAB_PREFIXES)]  # fmt: skip


def model_key(translator: Translator) -> str:
    """What identifies this model's vectors across sessions: its weights' hash (kept per model object)."""
    cache: dict[int, str] = st.session_state.setdefault("embeddings:digests", {})
    if id(translator) not in cache:
        cache.clear()
        cache[id(translator)] = vectors.model_digest(translator.model)
    return cache[id(translator)]


@st.cache_resource(show_spinner="Encoding the phrases…", max_entries=8)
def phrase_set(key: str, kind: str, count: int, seed: int, _translator: Translator, _corpus=None) -> PhraseSet:
    """`count` phrases of `kind` with their summaries, index and labels, once per server per model."""
    return placing.phrase_set(_translator, kind, count, seed, _corpus)


@st.cache_resource(show_spinner=False, max_entries=32)
def word_set(key: str, side: str, count: int | None, trained: bool, _translator: Translator) -> vectors.WordVectors:
    """The `count` most frequent words (None: all) of one side, as stored or their trained parts, once per server."""
    found = vectors.word_vectors(_translator, side)[:count]
    return found.trained_part() if trained else found
