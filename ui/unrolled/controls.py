"""The Unrolled graph page's knobs: the cell, its sizes, the input sequence; one cached scene per setting."""

from __future__ import annotations

import streamlit as st

from rnnviz.core.kinds import MENU_ORDER, label
from rnnviz.unrolled.graph import MAX_STEPS
from rnnviz.unrolled.scene import MAX_HIDDEN, MAX_LAYERS, Scene, SceneSettings, make_scene
from ui.links import BIND
from ui.markdown import escape

INPUTS = {"text": "characters you type (one-hot; target: the next character)",
          "numbers": "numbers you type (one x_t per number; target: is x_t > 0?)",
          "random": "random vectors (seeded; random targets)"}
KEY = "unrolled:"
TABS = ("The graph", "BPTT in numbers", "Truncated BPTT", "Five I/O types", "Is it parallelizable?")


@st.cache_resource(max_entries=64, show_spinner=False)
def cached_scene(settings: SceneSettings) -> Scene:
    """The model and sequence of one setting, shared by every session (read-only)."""
    return make_scene(settings)


def scene_controls(seed: int) -> Scene | None:
    """The knobs in two rows; the scene they give, or None after an error message."""
    top = st.columns([1.6, 1, 1, 1.7, 2.4])
    kind = top[0].selectbox("Cell", MENU_ORDER, index=MENU_ORDER.index("rnn"), format_func=label, key=KEY + "kind", bind=BIND,
                            help="The tanh RNN is the lecture's graph: h_t = tanh(W h_(t-1) + U x_t).")
    hidden = top[1].number_input("Hidden size", 1, MAX_HIDDEN, 3, key=KEY + "hidden", bind=BIND,
                                 help="Units per layer and direction; small sizes keep the numbers readable.")
    layers = top[2].number_input("Layers", 1, MAX_LAYERS, 1, key=KEY + "layers", bind=BIND)
    both = top[3].toggle("Bidirectional", key=KEY + "bidirectional", bind=BIND,
                         help="A second chain reads the sequence backwards; h_t joins both.")
    mode = top[4].selectbox("Input", list(INPUTS), format_func=INPUTS.get, key=KEY + "mode", bind=BIND)
    options = {"kind": kind, "hidden_size": int(hidden), "num_layers": int(layers), "bidirectional": both,
               "input_mode": mode, "seed": seed}
    if mode == "text":
        options["text"] = st.text_input("Characters (each one is a step)", "hello", key=KEY + "text", bind=BIND)
    elif mode == "numbers":
        options["numbers"] = st.text_input("Numbers, one per step (commas or spaces)", "0.5, -1, 2, 0, 1, -0.5",
                                           key=KEY + "numbers", bind=BIND)
    else:
        options["steps"] = st.number_input("Steps T", 1, MAX_STEPS, 6, key=KEY + "steps", bind=BIND,
                                           help=f"Up to {MAX_STEPS:,}; longer sequences draw the first and last "
                                                "steps with an ellipsis between.")
    try:
        scene = cached_scene(SceneSettings(**options))
    except ValueError as error:
        st.error(escape(str(error)), icon=":material/error:")
        return None
    for note in scene.notes:
        st.info(escape(note), icon=":material/content_cut:")
    return scene
