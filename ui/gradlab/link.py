"""The gradient lab's link: which preset (or its contrast) the lecturer last trained, as `?gradlab:replay=3`.

The knobs and the seed are bound widgets (their keys are query parameters); a preset is a button, so the
page writes its number into the URL itself, and a visitor who opens the link gets the preset's panel and
one button that trains the same run (presets always train with seed 0).
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from rnnviz.gradlab.presets import Preset
from ui.gradlab import runs
from ui.gradlab import settings as knobs

REPLAY_KEY = "gradlab:replay"  # query parameter and session key: "3" (preset 3) or "3-contrast"
CONTRAST = "contrast"


def link_value(preset: Preset, role: str) -> str:
    """The URL's text for a preset's run ("3") or its contrast ("3-contrast")."""
    return f"{preset.number}-{CONTRAST}" if role == CONTRAST else str(preset.number)


def parse(text: str) -> tuple[Preset, str] | None:
    """(the preset, "preset" or "contrast") that a link's text names, or None for anything else."""
    number, _, role = text.strip().partition("-")
    if role not in ("", CONTRAST) or not number.isdigit():
        return None
    found = next((item for item in knobs.PRESETS if str(item.number) == number), None)
    if found is None or (role == CONTRAST and found.contrast is None):
        return None
    return found, role or "preset"


def remember(preset: Preset, role: str) -> None:
    """Put the preset run that just started into the URL (call from its button's callback)."""
    value = link_value(preset, role)
    st.session_state[REPLAY_KEY] = value
    st.query_params[REPLAY_KEY] = value


def forget() -> None:
    """A run of the knobs as they are: the link carries the knobs and the seed, not a preset."""
    st.session_state.pop(REPLAY_KEY, None)
    st.query_params.pop(REPLAY_KEY, None)


def replay_offer(train: Callable[[Preset, str], None]) -> None:
    """If the link names a preset run and this session has not trained yet, a box with one button to train it."""
    text = st.query_params.get(REPLAY_KEY)
    if text is None:
        return
    named = parse(text)
    if named is None:
        st.session_state[REPLAY_KEY] = None  # the page's note names the value it could not use
        st.query_params.pop(REPLAY_KEY, None)
        return
    st.session_state[REPLAY_KEY] = text
    if runs.kept_runs() or st.session_state.get(runs.PRESET_KEY) is not None:
        return  # this session already trains or trained: the link only records what it shows
    preset, role = named
    what = (
        f"the contrast of preset {preset.number} ({preset.contrast_label.lower()})"
        if role == CONTRAST
        else (f"preset {preset.number}: {preset.title}")
    )
    with st.container(border=True):
        st.markdown(
            f"**This link replays {what}.** Press the button to train the same run (seed 0, the "
            "preset's settings): the same curves as in the rehearsal."
        )
        st.button(
            "Train it", type="primary", icon=":material/replay:", key="gradlab:replay-train", on_click=train, args=(preset, role)
        )
