"""Lecture links: a page's state lives in the URL, a link replays it, and the projector view is one switch.

Widgets keep their state in the URL with Streamlit's own `bind="query-params"` (the widget's key is the
query parameter's name; a default value is left out of the URL). Streamlit drops a value it cannot use;
`QueryCheck` notices which ones it dropped, so the page can say so instead of silently ignoring them.
"""

from __future__ import annotations

import functools
import math
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import streamlit as st
from streamlit.elements.widgets.number_input import NumberInputSerde

from ui.markdown import escape

PROJECTOR_KEY = "projector"
BIND = "query-params"
NOTE_LIMIT = 40  # characters of a rejected value shown in the note
PROJECTOR_HELP = (
    "Larger text, tick labels and hover labels on every chart (at least 20 px), thicker lines, and "
    "colours that colour-blind viewers and a washed-out projector still tell apart. Kept in the link."
)
# Page text for the projector: Streamlit sizes its text in rem, so one root size scales all of it.
PROJECTOR_CSS = """<style>
html { font-size: 20px; }
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li,
[data-testid="stCaptionContainer"], [data-testid="stWidgetLabel"] p { font-size: 1.05rem !important; }
</style>"""


def projector_on() -> bool:
    """Whether the projector view is switched on for this session (sidebar switch or `?projector=true`)."""
    return bool(st.session_state.get(PROJECTOR_KEY, False))


def projector_switch() -> bool:
    """The sidebar's projector switch, kept in the URL; applies the page-wide larger text when on."""
    on = st.toggle("Projector view", key=PROJECTOR_KEY, bind=BIND, help=PROJECTOR_HELP)
    if on:
        st.html(PROJECTOR_CSS)
    return on


def link_to_view(base_url: str | None, query: Mapping[str, object]) -> str:
    """The full link to this view, as the browser's address bar writes it (lists become repeated parameters).

    `st.context.url` gives the home page without its "/" (http://host:8501), the address bar with it.
    """
    text = urllib.parse.urlencode({key: value for key, value in query.items()}, doseq=True)
    parts = urllib.parse.urlsplit(base_url or "")
    base = urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path or ("/" if parts.netloc else ""), "", ""))
    return f"{base}?{text}" if text else base


def copy_link_box() -> None:
    """ "Copy link to this view": the link, with Streamlit's copy button, to paste into slides or a chat."""
    with st.expander("Copy link to this view", icon=":material/link:"):
        query = {key: st.query_params.get_all(key) for key in st.query_params}
        st.code(link_to_view(st.context.url, query), language=None, wrap_lines=True)
        st.caption(
            "Opening it shows this page with the same settings and seed: the same curves on any CPU "
            "after you press the page's train button."
        )


@dataclass(frozen=True)
class Rejected:
    """One query parameter the page did not use, and why."""

    name: str
    value: str
    reason: str


def rejected_parameters(
    asked: Mapping[str, list[str]], state: Mapping[str, object], kept: Mapping[str, list[str]] | None = None
) -> list[Rejected]:
    """The parameters of the link that the page did not take as given: unknown names, or values it changed.

    `kept` is the URL's query after the page ran: a value Streamlit left there as sent was taken (a
    selectbox keeps its option's label, "S25 · skilled forgery", while its state holds 25); one it
    dropped or corrected was not, unless it was the default, which the URL leaves out.
    """
    rejected = []
    for name, values in asked.items():
        if name not in state:
            rejected.append(Rejected(name, values[0] if values else "", "not a setting of this page"))
        elif kept is not None and list(kept.get(name, [])) == list(values):
            continue
        elif not _same(values, state[name]):
            rejected.append(Rejected(name, values[0] if values else "", "not a value this setting can take"))
    return rejected


def _same(values: list[str], used: object) -> bool:
    """Whether the widget's value is what the query asked for (compared as the widget's own type)."""
    if isinstance(used, (list, tuple)):
        return [str(item) for item in used] == list(values)
    text = values[-1] if values else ""
    if isinstance(used, bool):
        return text.strip().lower() in (("true", "1") if used else ("false", "0"))
    if isinstance(used, (int, float)):
        try:
            return math.isclose(float(text), float(used), rel_tol=1e-9, abs_tol=1e-12)
        except ValueError:
            return False
    return text == str(used)


def note_text(rejected: list[Rejected]) -> str:
    """One Markdown note listing what the link asked for and the page did not use."""
    parts = [f"`{_code(r.name[:NOTE_LIMIT])}` = {escape(_short(r.value))} ({r.reason})" for r in rejected]
    return "This link asked for settings the page cannot use, so it shows its defaults for them: " + "; ".join(parts) + "."


def _code(text: str) -> str:
    """Text for inside a Markdown code span: shown as typed (no backslashes), backticks and line breaks removed."""
    return " ".join(text.replace("`", "'").split()) or "?"


def _short(value: str) -> str:
    """A rejected value cut to NOTE_LIMIT characters, with its length when it was longer."""
    return value if len(value) <= NOTE_LIMIT else f"{value[:NOTE_LIMIT]}… ({len(value):,} characters)"


def asked_query() -> dict[str, list[str]]:
    """The query parameters of this run, as the browser sent them (before any widget took them)."""
    return {key: st.query_params.get_all(key) for key in st.query_params}


def _finite_or_default(deserialize: Callable[[NumberInputSerde, object], object]) -> Callable[[NumberInputSerde, object], object]:
    """`deserialize` that reads an infinite value from the URL as no value, so the widget takes its default."""

    @functools.wraps(deserialize)
    def guarded(serde: NumberInputSerde, ui_value: object) -> object:
        if isinstance(ui_value, float) and not math.isfinite(ui_value):
            ui_value = None
        return deserialize(serde, ui_value)

    guarded.rnnviz_guard = True  # type: ignore[attr-defined]
    return guarded


def guard_number_inputs() -> None:
    """Make `?seed=1e999` fall back like any bad value instead of crashing the app (Streamlit 1.67 bug).

    A bound whole-number input turns its URL text into int(float(text)); float gives inf for "inf",
    "1e999" or 400 nines, and int(inf) raises OverflowError, which Streamlit's binding does not catch
    (it catches ValueError), so the app shows a traceback. Guarded, the value is treated as absent: the
    widget shows its default, Streamlit clears it from the URL, and the shell's note names it.
    """
    if not getattr(NumberInputSerde.deserialize, "rnnviz_guard", False):
        NumberInputSerde.deserialize = _finite_or_default(NumberInputSerde.deserialize)
