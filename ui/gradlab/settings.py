"""The gradient lab's knobs and preset buttons.

Every widget is bounded so that it cannot produce a value `rnnviz.gradlab.recorder.RunSettings`
rejects; the settings object is still built inside a try, and a ValueError becomes a
message on the page. Widget values live under "gradlab:*" keys and survive page switches.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import streamlit as st

from rnnviz import gradlab
from rnnviz.core.cells import KINDS
from rnnviz.core.initialization import SCHEMES
from rnnviz.data.tasks import TASK_NAMES
from rnnviz.gradlab import RunSettings
from rnnviz.gradlab.presets import PRESETS, Preset
from rnnviz.gradlab.settings import TRAINING
from rnnviz.training.loop import OPTIMIZERS, TRAIN_KNOBS
from ui.gradlab import estimate
from ui.gradlab.text import SETTINGS_HELP
from ui.training import duration_text

PREFIX = "gradlab:"
DEFAULT = PRESETS[0].settings
LEARNING_RATES = (1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 3e-3, 5e-3, 1e-2, 2e-2, 5e-2, 0.1, 0.2, 0.5, 1.0)
TASK_LABELS = {"adding": "Adding problem", "copy": "Copy after a delay", "first-symbol": "Remember the first symbol"}
INIT_LABELS = {"default": "Default (uniform ±1/√H)", "normal": "Normal × scale",
               "orthogonal": "Orthogonal × scale", "identity": "Identity × scale (IRNN)", "xavier": "Xavier (Glorot)"}
OPTIMIZER_LABELS = {"adam": "Adam", "sgd": "SGD", "rmsprop": "RMSprop", "adamw": "AdamW"}
LONG_RUN_SECONDS = 180
LOGGER = logging.getLogger(__name__)
CLIP_LABELS = {"none": "none", "norm": "by norm", "value": "by value"}


def _key(name: str) -> str:
    """Session-state key of a widget."""
    return PREFIX + name


def widget_values(settings: RunSettings) -> dict[str, object]:
    """What each widget shows for `settings` (optional values become a toggle and a number)."""
    train = settings.train
    return {
        "task": settings.task, "length": settings.length, "cell": settings.cell,
        "hidden_size": settings.hidden_size, "num_layers": settings.num_layers, "init": settings.init,
        "init_scale": settings.init_scale, "spectral_on": settings.spectral_radius is not None,
        "spectral_radius": settings.spectral_radius or 1.0, "forget_on": settings.forget_bias is not None,
        "forget_bias": settings.forget_bias if settings.forget_bias is not None else 1.0,
        "clip": train.clip, "clip_threshold": train.clip_threshold, "tbptt_on": train.tbptt is not None,
        "tbptt": settings.tbptt_k or min(10, settings.num_steps), "optimizer": train.optimizer,
        "learning_rate": train.learning_rate, "momentum": train.momentum, "steps": train.steps,
        "batch_size": train.batch_size, "record_every": settings.record_every,
    }


def load_into_widgets(settings: RunSettings) -> None:
    """Show `settings` in the widgets (call from a callback, before the widgets are drawn)."""
    for name, value in widget_values(settings).items():
        st.session_state[_key(name)] = value


def _ensure_defaults() -> None:
    """Give every widget a value the first time the page opens."""
    for name, value in widget_values(DEFAULT).items():
        st.session_state.setdefault(_key(name), value)


def _clamp(name: str, low: float, high: float) -> None:
    """Keep a widget's stored value inside bounds that depend on other widgets."""
    value = st.session_state.get(_key(name))
    if value is not None and not low <= value <= high:
        st.session_state[_key(name)] = min(max(value, low), high)


def _task_column() -> dict[str, object]:
    """Task, T, cell, size, layers."""
    st.markdown("**Task and network**")
    task = st.selectbox("Task", TASK_NAMES, format_func=TASK_LABELS.get, key=_key("task"), persist_state="session")
    length = st.number_input("Dependency length T", 2, gradlab.MAX_LENGTH, step=10, key=_key("length"),
                             help=SETTINGS_HELP["length"], persist_state="session")
    cell = st.selectbox("Cell", KINDS, format_func=gradlab.CELL_NAMES.get, key=_key("cell"), persist_state="session")
    left, right = st.columns(2)
    hidden = left.number_input("Hidden size H", 1, gradlab.MAX_HIDDEN, step=8, key=_key("hidden_size"),
                               persist_state="session")
    layers = right.number_input("Layers", 1, gradlab.MAX_LAYERS, key=_key("num_layers"), persist_state="session")
    return {"task": task, "length": int(length), "cell": cell, "hidden_size": int(hidden), "num_layers": int(layers)}


def _init_column(cell: str) -> dict[str, object]:
    """Recurrent initialization: scheme, scale, spectral radius, forget-gate bias."""
    st.markdown("**Initialization of W_hh**")
    scheme = st.selectbox("Scheme", SCHEMES, format_func=INIT_LABELS.get, key=_key("init"),
                          help=SETTINGS_HELP["init"], persist_state="session")
    scale = st.number_input("Scale", 0.01, 10.0, step=0.1, format="%.2f", key=_key("init_scale"),
                            disabled=scheme == "default", persist_state="session")
    spectral_on = st.toggle("Set ρ(W_hh)", key=_key("spectral_on"),
                            help=SETTINGS_HELP["spectral_radius"], persist_state="session")
    radius = st.number_input("ρ (largest |eigenvalue|)", 0.01, 10.0, step=0.1, format="%.2f",
                             key=_key("spectral_radius"), disabled=not spectral_on, persist_state="session")
    gated = cell not in gradlab.VANILLA
    forget_on = st.toggle("Open the forget gate", key=_key("forget_on"), disabled=not gated,
                          help=SETTINGS_HELP["forget_bias"], persist_state="session")
    bias = st.number_input("Forget-gate bias b_f", -10.0, 10.0, step=0.5, format="%.1f", key=_key("forget_bias"),
                           disabled=not (gated and forget_on), persist_state="session")
    return {"init": scheme, "init_scale": float(scale), "spectral_radius": float(radius) if spectral_on else None,
            "forget_bias": float(bias) if gated and forget_on else None}


def _training_column(num_steps: int) -> dict[str, object]:
    """Clipping, truncation, optimizer, learning rate, steps, batch, recording."""
    st.markdown("**Training**")
    left, right = st.columns(2)
    clip = left.selectbox("Clipping", tuple(CLIP_LABELS), format_func=CLIP_LABELS.get, key=_key("clip"),
                          help=SETTINGS_HELP["clip"], persist_state="session")
    threshold = right.number_input("Threshold θ", 0.001, gradlab.MAX_CLIP, step=0.1, format="%.3f",
                                   key=_key("clip_threshold"), disabled=clip == "none", persist_state="session")
    _clamp("tbptt", 1, num_steps)
    tbptt_on = st.toggle("Truncated BPTT", key=_key("tbptt_on"), help=SETTINGS_HELP["tbptt"],
                         persist_state="session")
    k = st.number_input("k (steps back)", 1, num_steps, key=_key("tbptt"), disabled=not tbptt_on,
                        persist_state="session")
    left, right = st.columns(2)
    optimizer = left.selectbox("Optimizer", OPTIMIZERS, format_func=OPTIMIZER_LABELS.get, key=_key("optimizer"),
                               persist_state="session")
    momentum = right.number_input("Momentum", 0.0, 0.99, step=0.1, format="%.2f", key=_key("momentum"),
                                  disabled=optimizer not in ("sgd", "rmsprop"), persist_state="session")
    rate = st.select_slider("Learning rate", LEARNING_RATES, format_func=lambda v: f"{v:g}",
                            key=_key("learning_rate"), persist_state="session")
    left, right = st.columns(2)
    steps = left.number_input("Training steps", 1, gradlab.MAX_STEPS, step=100, key=_key("steps"),
                              persist_state="session")
    batch = right.number_input("Batch size", 1, gradlab.MAX_BATCH, step=8, key=_key("batch_size"),
                               persist_state="session")
    _clamp("record_every", 1, int(steps))
    every = st.number_input("Measure the gradient every n steps", 1, int(steps), key=_key("record_every"),
                            help=SETTINGS_HELP["record_every"], persist_state="session")
    return {"clip": clip, "clip_threshold": float(threshold), "tbptt": (int(k), int(k)) if tbptt_on else None,
            "optimizer": optimizer, "learning_rate": float(rate), "momentum": float(momentum),
            "steps": int(steps), "batch_size": int(batch), "record_every": int(every)}


def settings_panel(seed: int) -> RunSettings | None:
    """Draw the knobs; the settings they describe, or None (with a message) when they do not fit."""
    _ensure_defaults()
    task_column, init_column, train_column = st.columns(3, gap="large")
    with task_column:
        values = _task_column()
    with init_column:
        values.update(_init_column(values["cell"]))
    try:
        num_steps = RunSettings(task=values["task"], length=values["length"]).num_steps
    except ValueError:
        num_steps = values["length"]
    with train_column:
        values.update(_training_column(num_steps))
    training = {name: values.pop(name) for name in list(values) if name in TRAIN_KNOBS}
    try:
        settings = RunSettings(**values, train=TRAINING.replace(**training, seed=seed))
    except ValueError as error:
        st.error(f"These settings cannot run: {error}", icon=":material/error:")
        return None
    long_run_warning(settings)
    return settings


def long_run_warning(settings: RunSettings) -> float | None:
    """Warn before a run longer than LONG_RUN_SECONDS, timed from real steps of its settings; its seconds."""
    try:
        costs = estimate.known_costs(settings)
        if costs is None:
            with st.spinner("Timing a training step of these settings on this server…"):
                costs = estimate.cached_costs(settings)
        seconds = estimate.run_seconds(settings, costs)
    except Exception:  # the estimate is a courtesy: never a traceback for it
        LOGGER.exception("timing the gradient-lab settings failed")
        return None
    if seconds > LONG_RUN_SECONDS:
        st.warning(f"This run would take about {duration_text(seconds)} on this server (timed from real training "
                   "steps of these settings). For a live demo, lower the steps, T, hidden size, layers or batch "
                   "size (Stop ends a run at any time).", icon=":material/hourglass_top:")
    return seconds


def preset_buttons(on_click: Callable[[Preset], None]) -> None:
    """One button per preset in two rows of three; each trains its preset at once."""
    for row in (PRESETS[:3], PRESETS[3:]):
        for column, item in zip(st.columns(3), row):
            column.button(f"{item.number} · {item.title}", key=_key(f"preset{item.number}"), help=item.claim,
                          on_click=on_click, args=(item,), width="stretch")
