"""Answers and figures of the shipped checkpoints, computed once per server: a class types the same sentences.

Building a Plotly figure costs more than the model's answer (profiled: about 9/10 of a Translate rerun), so a
sentence already asked for by anyone reuses its translation and its figure. Only committed checkpoints are
cached (keyed by path and modification time); a model trained or uploaded in a session is computed each time.
Cached objects are shared by every session and used read-only (`st.plotly_chart` only serialises a figure).
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import streamlit as st

from rnnviz.plots.attention import attention_heatmap
from rnnviz.seq2seq.translator import Translation, Translator

ENTRIES = 512  # scoring answers kept: a lecture's phrases, a few MB of plain lists
FIGURES = 32  # translations with figures: ~600 objects each, walked by Streamlit's post-run gc.collect


def checkpoint_key(choice: object) -> str | None:
    """A shipped checkpoint by its path and modification time; None for a session's own or uploaded model."""
    path = getattr(choice, "path", None)
    if path is None or hasattr(choice, "getvalue") or not path.is_file():
        return None
    return f"{path}:{path.stat().st_mtime}"


def _figure(result: Translation, options: tuple) -> go.Figure | None:
    """The attention map of a translation, or None when there is none to draw."""
    if result.attention is None or result.prepared.empty:
        return None
    return attention_heatmap(
        result.attention,
        result.source_tokens,
        [*result.output_tokens, "</s>"],
        unknown=[*result.prepared.unknown, False],
        **dict(options),
    )


@st.cache_resource(max_entries=FIGURES, show_spinner=False)
def _translation(_translator: Translator, key: str, text: str, beam: int, options: tuple) -> tuple[Translation, go.Figure | None]:
    """One checkpoint's translation of `text` and its attention map, once per server."""
    result = _translator.translate(text, beam=beam)
    return result, _figure(result, options)


def translation(
    translator: Translator, key: str | None, text: str, beam: int = 1, **options: Any
) -> tuple[Translation, go.Figure | None]:
    """The translation and its attention map (`options` go to attention_heatmap); cached for a checkpoint."""
    frozen = tuple(sorted(options.items()))
    if key is None:
        result = translator.translate(text, beam=beam)
        return result, _figure(result, frozen)
    return _translation(translator, key, str(text), beam, frozen)


def answer(translator: Translator, key: str | None, method: str, *arguments: Any, **named: Any) -> Any:
    """A scoring answer of the translator (`method` is score, top_phrases or samples); cached for a checkpoint."""
    if key is None:
        return getattr(translator, method)(*arguments, **named)
    return _answer(translator, key, method, arguments, tuple(sorted(named.items())))


@st.cache_resource(max_entries=ENTRIES, show_spinner=False)
def _answer(_translator: Translator, key: str, method: str, arguments: tuple, named: tuple) -> Any:
    """`translator.method(*arguments, **named)` of one checkpoint, once per server."""
    return getattr(_translator, method)(*arguments, **dict(named))
