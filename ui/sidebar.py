"""The shared sidebar: a seed for reproducible training and the CPU threads torch may use."""

from __future__ import annotations

import os

import streamlit as st
import torch

SEED_KEY = "seed"
THREADS_KEY = "cpu_threads"
DEFAULT_THREADS = 1
MAX_SEED = 2**31 - 1


def seed() -> int:
    """The seed pages pass to rnnviz so that a run can be repeated exactly."""
    return int(st.session_state.get(SEED_KEY, 0))


def max_threads() -> int:
    """How many CPU threads the slider offers: the machine's logical CPUs."""
    return max(1, os.cpu_count() or 1)


def _apply_threads() -> None:
    """Apply the slider's value to torch (process-wide, so only when someone moves it)."""
    torch.set_num_threads(int(st.session_state[THREADS_KEY]))


def seed_input() -> int:
    """Number input for the seed, kept in st.session_state["seed"] (default 0)."""
    return st.number_input(
        "Seed",
        min_value=0,
        max_value=MAX_SEED,
        value=0,
        step=1,
        key=SEED_KEY,
        help="The same seed gives the same initial weights, data and curves, so a demo can be rehearsed.",
    )


@st.cache_resource
def start_with_one_thread() -> int:
    """Once per server: one intra-op thread, the fastest setting for this app's small models.

    Measured on a 2-core machine shared with other work: training a 32-unit RNN for 60 steps
    took 1.3-2.6 s with one thread and 32-104 s with two at load 8-12, and 0.8-2.2 s against
    3-242 s at load 3-4, because every tiny parallel region waits for a second core that is
    busy (a browser on the lecture laptop is enough). The slider below can still raise it.
    """
    torch.set_num_threads(DEFAULT_THREADS)
    return DEFAULT_THREADS


def threads_slider() -> int:
    """Slider for torch's CPU threads; shows a plain line when there is only one CPU."""
    top = max_threads()
    current = min(max(1, torch.get_num_threads()), top)
    if top == 1:
        st.caption("CPU threads: 1 (this machine has one CPU)")
        return 1
    return st.slider(
        "CPU threads",
        min_value=1,
        max_value=top,
        value=current,
        key=THREADS_KEY,
        on_change=_apply_threads,
        help=(
            "How many CPU threads PyTorch uses. This applies to the whole server: "
            "every open tab and every user of this app, not just this page."
        ),
    )


def render() -> None:
    """Draw the shared sidebar controls below the page navigation."""
    with st.sidebar:
        st.subheader("Settings", divider="gray")
        seed_input()
        start_with_one_thread()
        threads_slider()
