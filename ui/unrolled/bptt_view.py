"""BPTT in numbers and truncated BPTT: the slide's derivations with the model's own numbers."""

from __future__ import annotations

import streamlit as st

from rnnviz.plots.unrolled import decay_figure, graph_figure, term_heatmap
from rnnviz.unrolled import BPTTTerms, ReadoutGradient, Truncation, path_terms, readout_gradient, term_decay, truncated_bptt
from rnnviz.unrolled.scene import AutogradCheck, Scene, check_against_autograd
from ui import charts
from ui.links import BIND
from ui.markdown import escape
from ui.unrolled.controls import KEY
from ui.unrolled.graph_view import cached_graph

MAX_BPTT_STEPS = 200  # the per-path terms keep a (T, T) table of gradients


@st.cache_resource(max_entries=32, show_spinner="Splitting the gradient into one term per step…")
def cached_terms(_scene: Scene, settings_key: object, layer: int,
                 direction: str) -> tuple[ReadoutGradient, BPTTTerms, AutogradCheck]:
    """∂E_t/∂V both ways, the per-path terms of one layer and direction, and their check against autograd."""
    terms = path_terms(_scene.model, _scene.x, _scene.targets, layer=layer, direction=direction)
    readout = readout_gradient(_scene.model, _scene.x, _scene.targets)
    return readout, terms, check_against_autograd(_scene, terms)


@st.cache_resource(max_entries=32, show_spinner="Truncating…")
def cached_truncation(_scene: Scene, settings_key: object, k1: int, k2: int) -> Truncation:
    """Truncated against full BPTT for one (k1, k2)."""
    graph = cached_graph(_scene, settings_key)
    return truncated_bptt(_scene.model, _scene.x, _scene.targets, k1, k2, graph=graph)


def _too_long(scene: Scene) -> bool:
    """Say so when the sequence is too long for the per-path table."""
    if scene.x.shape[1] <= MAX_BPTT_STEPS:
        return False
    st.info(f"The per-path terms keep a T × T table: use at most {MAX_BPTT_STEPS} steps here "
            f"(this sequence has {scene.x.shape[1]:,}).", icon=":material/straighten:")
    return True


def bptt_tab(scene: Scene) -> None:
    """∂E_t/∂V by the formula, the t × k terms of ∂E_t/∂W, their decay against the bound."""
    if _too_long(scene):
        return
    recurrent = scene.model.recurrent
    left, right = st.columns(2)
    layer = left.selectbox("Layer", range(recurrent.num_layers), format_func=lambda n: f"layer {n + 1}",
                           key=KEY + "bptt-layer", bind=BIND)
    direction = right.selectbox("Direction", recurrent.directions, key=KEY + "bptt-direction", bind=BIND)
    readout, terms, check = cached_terms(scene, scene.settings, int(layer), direction)
    st.markdown(r"**The output weights V.** The slide: $\partial E_t/\partial V = (\hat y_t - y_t) \otimes s_t$ "
                "depends on step t alone. Computed from that formula and by autograd, for every step with a loss: "
                f"the largest difference is **{readout.max_difference:.1e}** (float64).")
    st.markdown(r"**The recurrent weights W.** $\partial E_t/\partial W = \sum_k \frac{\partial E_t}{\partial \hat y_t}"
                r"\frac{\partial \hat y_t}{\partial s_t}\frac{\partial s_t}{\partial s_k}\frac{\partial s_k}"
                r"{\partial W}$: one term per step k. Each cell of the map is the size of the term for the loss at "
                "step t (row) coming through step k (column). Nothing comes from steps after t, so the upper "
                "right is empty; column 0 is empty too, because at the first step W multiplies the zero "
                "initial state.")
    charts.show(term_heatmap(terms.terms["W"].norms, terms.loss_steps, weight="W"), name="BPTT terms of W",
                key=KEY + "terms", theme=None)
    st.caption(f"Check: the terms of each row add up to autograd's ∂E_t/∂W (largest difference {check.rows:.1e}), "
               f"and all of them to ∂E/∂W (largest difference {check.total:.1e}; ‖∂E/∂W‖ = "
               f"{check.gradient_norm:.3g}), in float64.")
    decay = term_decay(terms)
    st.markdown("**How fast the terms shrink** with the distance t − k, against the bound (γ·σ_max(W))^(t−k) "
                f"(σ_max(W) = {decay.sigma_max:.3g}). {escape(decay.note[:1].upper() + decay.note[1:])}.")
    charts.show(decay_figure(decay.distance, decay.relative, decay.bound, low=decay.low, high=decay.high,
                             proven=decay.proven), name="decay of the BPTT terms", key=KEY + "decay", theme=None)
    st.page_link("app_pages/gradient_lab.py", label="The same decay during training: Gradient lab",
                 icon=":material/trending_down:")


def truncation_tab(scene: Scene) -> None:
    """Pick k1 and k2: the cut edges fade, the terms beyond k2 vanish, the error and the time saved."""
    if _too_long(scene):
        return
    if scene.settings.bidirectional:
        st.info("Truncated BPTT cuts the past of each window; a bidirectional network also reads the future. "
                "Switch Bidirectional off to try it.", icon=":material/swap_horiz:")
        return
    steps = scene.x.shape[1]
    left, right = st.columns(2)
    k1 = left.number_input("k1: a new window every k1 steps", 1, steps, min(2, steps), key=KEY + "k1", bind=BIND)
    k2 = right.number_input("k2: each window backpropagates k2 steps (k2 ≥ k1)", 1, steps, min(3, steps),
                            key=KEY + "k2", bind=BIND)
    try:
        result = cached_truncation(scene, scene.settings, int(k1), int(k2))
    except ValueError as error:
        st.warning(escape(str(error)), icon=":material/warning:")
        return
    error = result.relative_error.get("W", 0.0)
    ratio = result.seconds_truncated / result.seconds_full if result.seconds_full > 0 else 1.0
    cost = (f"{100 * (1 - ratio):.0f} % less time" if ratio < 1 else
            "no time saved: on a sequence this short the windows cost more than they save (try random input "
            "with T in the hundreds)")
    st.markdown(f"With k1 = {int(k1)}, k2 = {int(k2)} the gradient for W is **{100 * error:.1f} %** away from the "
                f"full one (relative error). One training step's backward pass takes "
                f"{1000 * result.seconds_truncated:.2f} ms instead of {1000 * result.seconds_full:.2f} ms: {cost}.")
    graph = cached_graph(scene, scene.settings)
    charts.show(graph_figure(graph, highlight=None, faded_edges=result.cut_edges), name="truncated graph",
                key=KEY + "cut-graph", theme=None)
    st.caption("Dotted edges with a red ✕ are where truncation stops the gradient: no loss after them "
               "sends anything back through them.")
    charts.show(term_heatmap(result.truncated.terms["W"].norms, result.truncated.loss_steps, weight="W"),
                name="truncated BPTT terms of W", key=KEY + "cut-terms", theme=None)
    st.caption("The same map as on the BPTT tab after truncation: the terms beyond k2 steps back are exactly zero.")
