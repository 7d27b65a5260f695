"""The graph tab: unrolled or rolled, one weight highlighted, the forward pass step by step, a node's equations."""

from __future__ import annotations

import streamlit as st

from rnnviz.plots.unrolled import graph_figure, node_strip, rolled_figure
from rnnviz.unrolled import UnrolledGraph, build_graph, rolled_graph
from rnnviz.unrolled.scene import Scene, node_equations
from ui import charts
from ui.links import BIND
from ui.markdown import escape
from ui.unrolled.controls import KEY

HIGHLIGHTS = {"W": "W (W_hh): the recurrent weight", "U": "U (W_xh): input to hidden", "V": "V (W_hy): hidden to output",
              "none": "nothing"}
HIGHLIGHT_KEY, NODE_KEY, STEP_KEY, CHART_KEY = KEY + "highlight", KEY + "node", KEY + "step", KEY + "chart"
PLAY_KEY = KEY + "play"


@st.cache_resource(max_entries=64, show_spinner=False)
def cached_graph(_scene: Scene, settings_key: object) -> UnrolledGraph:
    """The unrolled graph of a cached scene (keyed by its settings)."""
    return build_graph(_scene.model, _scene.x, targets=_scene.targets)


def _on_click() -> None:
    """A click on the chart: a U/W/V label highlights that weight, a node opens its equations."""
    event = st.session_state.get(CHART_KEY) or {}
    for point in (event.get("selection") or {}).get("points", []):
        data = point.get("customdata")
        data = data[0] if isinstance(data, list) and data else data
        if isinstance(data, str) and data.startswith("weight:"):
            st.session_state[HIGHLIGHT_KEY] = data.split(":", 1)[1]
            return
        if isinstance(data, str) and data[:1] in ("h", "c"):
            st.session_state[NODE_KEY] = data
            return


def _advance(steps: tuple[int, ...]) -> None:
    """Next step button: ring the next drawn step (after the last, start again)."""
    current = st.session_state.get(STEP_KEY)
    later = [t for t in steps if current is None or t > current]
    st.session_state[STEP_KEY] = later[0] if later else steps[0]


def graph_tab(scene: Scene) -> None:
    """The unrolled graph with its controls, then the clicked node's equations."""
    graph = cached_graph(scene, scene.settings)
    st.markdown("Every step applies **the same weights**: U reads the input, W carries the state from one step "
                "to the next, V reads the output (the lecture's *RNN computational graph*). Hover a node for its "
                "numbers; **click a U, W or V label** to light up every use of that matrix; **click an h node** "
                "for its equations with these numbers.")
    left, right = st.columns([3, 1])
    rolled = left.toggle("Rolled form (the core cell and its loop)", key=KEY + "rolled", bind=BIND)
    right.toggle("Play", key=PLAY_KEY, bind=BIND, disabled=rolled, help="Step through the forward pass, one step a second.")
    if rolled:
        highlight = _highlight_choice()
        charts.show(rolled_figure(rolled_graph(graph), highlight=highlight), name="rolled graph",
                    key=KEY + "rolled-chart", theme=None)
        st.caption("The rolled form: one cell per layer, its state fed back into itself through W at every step.")
        return
    _chart(scene, graph)


def _highlight_choice() -> str | None:
    """The weight whose uses are highlighted (a click on a label sets it too)."""
    choice = st.selectbox("Highlight every use of", list(HIGHLIGHTS), format_func=HIGHLIGHTS.get, key=HIGHLIGHT_KEY,
                          bind=BIND)
    return None if choice == "none" else choice


def _step_controls(graph: UnrolledGraph) -> None:
    """A step slider, Next step and Play: ring what one step reads and writes."""
    steps = tuple(graph.drawn_steps)
    if st.session_state.get(STEP_KEY) not in (None, *steps):
        st.session_state[STEP_KEY] = None
    columns = st.columns([4, 1])
    columns[0].select_slider("Forward pass, step by step", [None, *steps], key=STEP_KEY, bind=BIND,
                             format_func=lambda t: "off" if t is None else f"t = {t}")
    columns[1].button("Next", on_click=_advance, args=(steps,), key=KEY + "next", icon=":material/skip_next:",
                      help="Ring the next step: what it reads (x_t, the previous state) and what it writes.")


def _chart(scene: Scene, graph: UnrolledGraph) -> None:
    """Highlight, steps, the figure and the clicked node's equations, in a fragment: a click reruns only this.

    While Play is on, the fragment advances one step a second.
    """
    playing = bool(st.session_state.get(PLAY_KEY))

    @st.fragment(run_every=1.0 if playing else None)
    def draw() -> None:
        if playing and st.session_state.get(PLAY_KEY):
            _advance(tuple(graph.drawn_steps))  # before the slider exists in this run
        highlight = _highlight_choice()
        _step_controls(graph)
        figure = graph_figure(graph, highlight=highlight, step=st.session_state.get(STEP_KEY))
        charts.show(figure, name="unrolled graph", key=CHART_KEY, export=not playing, on_select=_on_click,
                    selection_mode="points", theme=None)
        if graph.note:
            st.caption(escape(graph.note))
        _equations(scene, graph)

    draw()


def _equations(scene: Scene, graph: UnrolledGraph) -> None:
    """The lecture's equations of one unit of the clicked node, with the numbers of this sequence."""
    node = st.session_state.get(NODE_KEY)
    if node is None:
        st.caption("Click an h (or c) node above to see the cell's equations for it with these numbers.")
        return
    described = graph.nodes[node].description if node in graph.nodes else node
    try:
        hidden = scene.settings.hidden_size
        unit = st.number_input(f"Unit of {described} (0 to {hidden - 1})", 0, hidden - 1, 0, key=KEY + "unit", bind=BIND)
        equations = node_equations(scene, node, int(unit))
    except (ValueError, IndexError):
        st.session_state.pop(NODE_KEY, None)
        st.caption("That node is not in this graph any more: click an h node again.")
        return
    if node in graph.nodes:
        st.markdown(f"**{escape(described[:1].upper() + described[1:])}**, unit by unit (red above 0, blue below)"
                    + (", with the gates at this step:" if graph.nodes[node].gates else ":"))
        charts.show(node_strip(graph.nodes[node]), name=f"node {node}", key=KEY + "strip", theme=None)
    st.markdown(f"**{escape(described[:1].upper() + described[1:])}, unit {int(unit)}**: each pre-activation "
                "split into what comes from the input, from the past and from the bias.")
    for equation in equations:
        st.latex(equation.line())
