"""Unrolled graph: the RNN unrolled from a real model, BPTT with its own numbers, truncated BPTT, the I/O types."""

from __future__ import annotations

import streamlit as st

from ui import sidebar
from ui.links import BIND
from ui.unrolled.bptt_view import bptt_tab, truncation_tab
from ui.unrolled.controls import TABS, scene_controls
from ui.unrolled.graph_view import graph_tab
from ui.unrolled.io_view import io_types_tab
from ui.unrolled.parallel_view import parallel_tab

st.title("Unrolled graph")
st.markdown("A recurrent network is one cell applied at every step of a sequence. Unrolled in time it becomes "
            "a deep feed-forward graph whose layers all share the same weights, and backpropagation through "
            "time (BPTT) is ordinary backpropagation on that graph. Pick a cell and an input: the first three "
            "tabs are computed from that model, live; the last two train small models of their own.")
scene = scene_controls(seed=sidebar.seed())
graph, bptt, truncated, io_types, parallel = st.tabs(TABS, key="unrolled:tab", bind=BIND)
if scene is not None:
    with graph:
        graph_tab(scene)
    with bptt:
        bptt_tab(scene)
    with truncated:
        truncation_tab(scene)
with io_types:
    io_types_tab(sidebar.seed())
with parallel:
    parallel_tab(sidebar.seed())
