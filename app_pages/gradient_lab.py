"""Gradient lab: train live and watch gradients vanish or explode; clipping, IRNN, LSTM, truncated BPTT."""

from __future__ import annotations

import streamlit as st

from rnnviz.gradlab.presets import Preset
from rnnviz.gradlab.settings import RunSettings
from ui import sidebar
from ui.gradlab import link, runs, view
from ui.gradlab import settings as knobs
from ui.gradlab.text import INTRO
from ui.training import live_training


def train_preset(preset: Preset) -> None:
    """Preset button: show its settings in the knobs and train it."""
    replay(preset, "preset")


def train_contrast(preset: Preset) -> None:
    """Contrast button: the other side of the preset's claim."""
    replay(preset, "contrast")


def replay(preset: Preset, role: str) -> None:
    """Train a preset's run or its contrast, with its settings in the knobs and its number in the link."""
    settings = preset.contrast if role == "contrast" else preset.settings
    knobs.load_into_widgets(settings)
    link.remember(preset, role)
    runs.start_run(settings, preset, role)


def train_settings(settings: RunSettings) -> None:
    """Train button: the knobs as they are."""
    link.forget()
    runs.start_run(settings)


st.title("Gradient lab")
st.markdown(INTRO)
runs.collect_finished()

st.subheader("Presets: one click, one claim of the lecture")
knobs.preset_buttons(train_preset)
link.replay_offer(replay)
view.preset_panel(train_contrast)

with st.expander("Settings: change any knob, then press Train", expanded=False, icon=":material/tune:"):
    settings = knobs.settings_panel(seed=sidebar.seed())
    st.button("Train", type="primary", icon=":material/play_arrow:", disabled=settings is None,
              on_click=train_settings, args=(settings,), key="gradlab:train")
    st.caption(f"Seed {sidebar.seed()} (set it in the sidebar); the presets always use seed 0.")

job = live_training(runs.JOB_KEY, view.render_live)
if job is None or not job.active:
    view.results()
