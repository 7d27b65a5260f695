"""The gradient lab's knobs and preset buttons.

Every widget is bounded so that it cannot produce a value `rnnviz.gradlab.recorder.RunSettings`
rejects; the settings object is still built inside a try, and a ValueError becomes a
message on the page. Widget values live under "gradlab:*" keys and survive page switches.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

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
from ui.links import BIND, projector_on
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


def _bound(name: str, *, high: float | None = None) -> dict[str, object]:
    """A knob's key, its default (preset 1's, capped at `high`) and its place in the URL (left out at the default)."""
    value = widget_values(DEFAULT)[name]
    if high is not None:
        value = min(value, high)
    return {"key": _key(name), "value": value, "bind": BIND, "persist_state": "session"}


def _choice(name: str, options: Sequence[object]) -> dict[str, object]:
    """A choice knob's key, the position of its default among `options`, and its place in the URL."""
    return {"key": _key(name), "index": list(options).index(widget_values(DEFAULT)[name]), "bind": BIND,
            "persist_state": "session"}


def _clamp(name: str, low: float, high: float) -> None:
    """Keep a widget's stored value inside bounds that depend on other widgets."""
    value = st.session_state.get(_key(name))
    if value is not None and not low <= value <= high:
        st.session_state[_key(name)] = min(max(value, low), high)


def _task_column() -> dict[str, object]:
    """Task, T, cell, size, layers."""
    st.markdown("**Task and network**")
    task = st.selectbox("Task", TASK_NAMES, format_func=TASK_LABELS.get, **_choice("task", TASK_NAMES))
    length = st.number_input("Dependency length T", 2, gradlab.MAX_LENGTH, step=10, help=SETTINGS_HELP["length"],
                             **_bound("length"))
    cell = st.selectbox("Cell", KINDS, format_func=gradlab.CELL_NAMES.get, **_choice("cell", KINDS))
    left, right = st.columns(2)
    hidden = left.number_input("Hidden size H", 1, gradlab.MAX_HIDDEN, step=8, **_bound("hidden_size"))
    layers = right.number_input("Layers", 1, gradlab.MAX_LAYERS, **_bound("num_layers"))
    return {"task": task, "length": int(length), "cell": cell, "hidden_size": int(hidden), "num_layers": int(layers)}


def _init_column(cell: str) -> dict[str, object]:
    """Recurrent initialization: scheme, scale, spectral radius, forget-gate bias."""
    st.markdown("**Initialization of W_hh**")
    scheme = st.selectbox("Scheme", SCHEMES, format_func=INIT_LABELS.get, help=SETTINGS_HELP["init"],
                          **_choice("init", SCHEMES))
    scale = st.number_input("Scale", 0.01, 10.0, step=0.1, format="%.2f", disabled=scheme == "default",
                            **_bound("init_scale"))
    spectral_on = st.toggle("Set ρ(W_hh)", help=SETTINGS_HELP["spectral_radius"], **_bound("spectral_on"))
    radius = st.number_input("ρ (largest |eigenvalue|)", 0.01, 10.0, step=0.1, format="%.2f",
                             disabled=not spectral_on, **_bound("spectral_radius"))
    gated = cell not in gradlab.VANILLA
    forget_on = st.toggle("Open the forget gate", disabled=not gated, help=SETTINGS_HELP["forget_bias"],
                          **_bound("forget_on"))
    bias = st.number_input("Forget-gate bias b_f", -10.0, 10.0, step=0.5, format="%.1f",
                           disabled=not (gated and forget_on), **_bound("forget_bias"))
    return {"init": scheme, "init_scale": float(scale), "spectral_radius": float(radius) if spectral_on else None,
            "forget_bias": float(bias) if gated and forget_on else None}


def _training_column(num_steps: int) -> dict[str, object]:
    """Clipping, truncation, optimizer, learning rate, steps, batch, recording."""
    st.markdown("**Training**")
    left, right = st.columns(2)
    clip = left.selectbox("Clipping", tuple(CLIP_LABELS), format_func=CLIP_LABELS.get, help=SETTINGS_HELP["clip"],
                          **_choice("clip", tuple(CLIP_LABELS)))
    threshold = right.number_input("Threshold θ", 0.001, gradlab.MAX_CLIP, step=0.1, format="%.3f",
                                   disabled=clip == "none", **_bound("clip_threshold"))
    _clamp("tbptt", 1, num_steps)
    tbptt_on = st.toggle("Truncated BPTT", help=SETTINGS_HELP["tbptt"], **_bound("tbptt_on"))
    k = st.number_input("k (steps back)", 1, num_steps, disabled=not tbptt_on, **_bound("tbptt", high=num_steps))
    left, right = st.columns(2)
    optimizer = left.selectbox("Optimizer", OPTIMIZERS, format_func=OPTIMIZER_LABELS.get,
                               **_choice("optimizer", OPTIMIZERS))
    momentum = right.number_input("Momentum", 0.0, 0.99, step=0.1, format="%.2f",
                                  disabled=optimizer not in ("sgd", "rmsprop"), **_bound("momentum"))
    rate = st.select_slider("Learning rate", LEARNING_RATES, format_func=lambda v: f"{v:g}",
                            **_bound("learning_rate"))
    left, right = st.columns(2)
    steps = left.number_input("Training steps", 1, gradlab.MAX_STEPS, step=100, **_bound("steps"))
    batch = right.number_input("Batch size", 1, gradlab.MAX_BATCH, step=8, **_bound("batch_size"))
    _clamp("record_every", 1, int(steps))
    every = st.number_input("Measure the gradient every n steps", 1, int(steps), help=SETTINGS_HELP["record_every"],
                            **_bound("record_every", high=int(steps)))
    return {"clip": clip, "clip_threshold": float(threshold), "tbptt": (int(k), int(k)) if tbptt_on else None,
            "optimizer": optimizer, "learning_rate": float(rate), "momentum": float(momentum),
            "steps": int(steps), "batch_size": int(batch), "record_every": int(every)}


def settings_panel(seed: int) -> RunSettings | None:
    """Draw the knobs; the settings they describe, or None (with a message) when they do not fit."""
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
    """One button per preset, three to a row (two in the projector view, whose larger text would cut the titles)."""
    per_row = 2 if projector_on() else 3
    for start in range(0, len(PRESETS), per_row):
        row = PRESETS[start:start + per_row]
        for column, item in zip(st.columns(per_row), row):
            column.button(f"{item.number} · {item.title}", key=_key(f"preset{item.number}"), help=item.claim,
                          on_click=on_click, args=(item,), width="stretch")
