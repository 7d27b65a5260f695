"""Inside the cell, the data side: which models there are, loading them once, tracing typed text.

Committed checkpoints are loaded once per server (`st.cache_resource`, used read-only: a
trace runs under inference mode and never writes to the model). Models trained on the page
live in the session. Traces are kept per session, so a click on the heatmap does not rerun
the network.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import streamlit as st

from rnnviz.charlm.model import CharLM, prepare_text
from rnnviz.charlm.trace import TextTrace, trace_text
from rnnviz.core.kinds import MENU_ORDER, TABLE
from rnnviz.data.languages import BRACKET_SAMPLE
from rnnviz.data.text import Vocabulary, cap_text
from rnnviz.io import checkpoints
from ui.markdown import escape

CHECKPOINT_ENV = checkpoints.DIRECTORY_ENV  # another folder of checkpoints (tests use it)
TEXT_CAP = 2_000
TRACE_CACHE_SIZE = 12
SHARED_TRACES = 256  # committed models' traces kept per server: a class types the same presets
FIGURES = 32  # figures kept per server, each tied to its trace (~600 objects each for the post-run gc.collect)
KIND_NAMES = {name: kind.label for name, kind in TABLE.items()}
CORPUS_NAMES = {"brackets": "bracket language", "tinyshakespeare.txt": "Shakespeare"}
KIND_ORDER = MENU_ORDER

SHAKESPEARE_SAMPLE = (
    "HAMLET:\n"
    "To be, or not to be: that is the question:\n"
    "Whether 'tis nobler in the mind to suffer\n"
    "The slings and arrows of outrageous fortune,\n"
    "Or to take arms against a sea of troubles,\n"
    "And by opposing end them? To die: to sleep;\n"
    "No more; and by a sleep to say we end\n"
    "The heart-ache and the thousand natural shocks\n"
    "That flesh is heir to, 'tis a consummation\n"
    "Devoutly to be wish'd.\n"
)


@dataclass
class ModelChoice:
    """A model the page can show: a committed checkpoint or one trained in this session."""

    key: str  # "file:<name>" or "trained:<n>"
    label: str
    kind: str
    corpus: str
    metadata: dict[str, Any]
    path: Path | None = None
    model: CharLM | None = None  # set for session models
    vocab: Vocabulary | None = None
    sample: str = field(default="", repr=False)  # a text to start from


def checkpoint_dir() -> Path:
    """Where the page looks for checkpoints (see `rnnviz.io.checkpoints.checkpoint_directory`)."""
    return checkpoints.checkpoint_directory()


def describe(kind: str, corpus: str, config: dict[str, Any], metrics: dict[str, Any]) -> str:
    """'LSTM · bracket language · 64 units · 1.98 bits/char'."""
    layers = config.get("num_layers", 1)
    size = f"{config.get('hidden_size', '?')} units" + (f" × {layers} layers" if layers != 1 else "")
    bpc = metrics.get("validation_bpc")
    quality = f" · {bpc:.2f} bits/char" if isinstance(bpc, (int, float)) else ""
    return f"{KIND_NAMES.get(kind, kind)} · {CORPUS_NAMES.get(corpus, corpus)} · {size}{quality}"


def sample_for(corpus: str) -> str:
    """A text that suits a corpus, for the text box."""
    return SHAKESPEARE_SAMPLE if "shakespeare" in corpus.lower() else BRACKET_SAMPLE


def list_models() -> tuple[list[ModelChoice], list[tuple[str, str]], str]:
    """Usable models (committed, then this session's), (name, problem) per broken file, the folder's problem or ""."""
    try:
        listing = checkpoints.list_checkpoints(checkpoint_dir(), model="charlm")
    except checkpoints.CheckpointDirectoryError as error:
        return session_models(), [], str(error)
    choices = []
    for path, meta in listing.usable:
        config, extra = meta["config"], meta.get("extra", {})
        corpus = str(extra.get("corpus", "text"))
        choices.append(ModelChoice(f"file:{path.name}", describe(config["kind"], corpus, config, meta.get("metrics", {})),
                                   config["kind"], corpus, meta, path=path, sample=sample_for(corpus)))
    labels = [choice.label for choice in choices]
    for choice in choices:  # two files with the same description: tell them apart by name
        if labels.count(choice.label) > 1:
            choice.label += f" · {choice.path.name}"
    order = {kind: index for index, kind in enumerate(KIND_ORDER)}
    choices.sort(key=lambda c: (c.corpus != "brackets", c.corpus, order.get(c.kind, 9), c.label))
    broken = [(path.name, _problem(message)) for path, message in listing.broken]
    return choices + session_models(), broken, ""


def _problem(message: str) -> str:
    """A CheckpointError message without the full path in front."""
    return re.sub(r"^checkpoint '[^']*': ", "", message)


def session_models() -> list[ModelChoice]:
    """Models trained on this page in this session."""
    return list(st.session_state.get("inside_cell_trained", {}).values())


def add_session_model(choice: ModelChoice) -> None:
    """Remember a model trained on the page."""
    st.session_state.setdefault("inside_cell_trained", {})[choice.key] = choice


@st.cache_resource(max_entries=16, show_spinner=False)
def _load(path: str, stamp: tuple[int, int]) -> tuple[CharLM, Vocabulary]:
    """A checkpoint's model and vocabulary, loaded once per server (per file version)."""
    loaded = checkpoints.load(path, expected_model="charlm")
    return loaded.model, Vocabulary.from_json(loaded.vocab)


def load_model(choice: ModelChoice) -> tuple[CharLM, Vocabulary]:
    """The model and vocabulary of a choice; CheckpointError if its file is damaged."""
    if choice.model is not None and choice.vocab is not None:
        return choice.model, choice.vocab
    assert choice.path is not None
    try:
        info = choice.path.stat()
    except OSError as error:
        raise checkpoints.CheckpointError(choice.path, f"cannot be read ({error})") from error
    return _load(str(choice.path), (info.st_mtime_ns, info.st_size))


@dataclass
class PreparedText:
    """Typed text as the model reads it, and what was done to it."""

    text: str
    typed_length: int
    truncated: bool


def prepare(typed: str, cap: int = TEXT_CAP) -> PreparedText:
    """Clean the typed text (Unicode, line ends) and cap its length."""
    cleaned = prepare_text(typed or "")
    text, truncated = cap_text(cleaned, cap) if cleaned else ("", False)
    return PreparedText(text, len(cleaned), truncated)


@st.cache_resource(max_entries=SHARED_TRACES, show_spinner=False)
def _shared_trace(_model: CharLM, _vocab: Vocabulary, key: tuple, text: str) -> TextTrace:
    """A committed model's trace of `text`, shared by every session (read-only, like the model)."""
    return trace_text(_model, _vocab, text)


def traced(choice: ModelChoice, text: str) -> TextTrace:
    """The trace of `text`: per server for a committed model, kept in this session for one trained here."""
    if choice.path is not None:
        model, vocab = load_model(choice)
        return _shared_trace(model, vocab, (str(choice.path), choice.metadata.get("weights_sha256", "")), text)
    cache: dict = st.session_state.setdefault("inside_cell_traces", {})
    key = (choice.key, choice.metadata.get("weights_sha256", ""), text)
    if key not in cache:
        model, vocab = load_model(choice)
        cache[key] = trace_text(model, vocab, text)
        while len(cache) > TRACE_CACHE_SIZE:
            cache.pop(next(iter(cache)))
    return cache[key]


@st.cache_resource(show_spinner=False)
def _figure_store() -> tuple[threading.Lock, OrderedDict]:
    """(lock, trace id and figure arguments -> (trace, figure)), one per server."""
    return threading.Lock(), OrderedDict()


def figure(trace: TextTrace, name: str, build: Callable[[], Any], *arguments: object) -> Any:
    """`build()` for this trace and arguments, drawn once: a rerun that changes another widget reuses it.

    Each entry keeps its trace alive and is used only for that very trace object, so an id is never reused
    for another text; figures are shared read-only (st.plotly_chart only serialises them).
    """
    lock, entries = _figure_store()
    key = (id(trace), name, arguments)
    with lock:
        found = entries.get(key)
        if found is not None and found[0] is trace:
            entries.move_to_end(key)
            return found[1]
    built = build()
    with lock:
        entries[key] = (trace, built)
        while len(entries) > FIGURES:
            entries.popitem(last=False)
    return built


def shown_char(char: str) -> str:
    """A character for a sentence: whitespace named, markup escaped."""
    names = {" ": "space", "\n": "new line", "\t": "tab"}
    return names.get(char, f"‘{escape(char)}’" if char.isprintable() else "a control character")


def most_varying(values: np.ndarray, count: int) -> list[int]:
    """The `count` units whose values vary most over the text, in unit order."""
    if values.shape[1] <= count:
        return list(range(values.shape[1]))
    return sorted(int(u) for u in np.argsort(-values.std(axis=0), kind="stable")[:count])


def default_unit(trace: TextTrace, layer: int) -> int:
    """A unit worth explaining first: the one that best follows the bracket depth, else the most varying one."""
    from rnnviz.probes.units import find_signal_units

    state = "cell" if "cell" in trace.layers[layer].states else "hidden"
    ranking = find_signal_units(trace, state, layer, top=1)["nesting depth"]
    if isinstance(ranking, list) and ranking:
        return ranking[0].unit
    return most_varying(trace.state("hidden", layer), 1)[0]
