"""The shared sidebar: a seed for reproducible training, and the CPU threads the server trains with.

The thread count is the server owner's choice (environment variable RNNVIZ_TORCH_THREADS, default 1),
not a widget: `torch.set_num_threads` changes the whole process, so a slider would let any user slow
down every other user's run (two threads made preset 5 take 65 s instead of 12.5 s on a 2-core machine).
"""

from __future__ import annotations

import logging
import os
import sys

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from ui.links import BIND, projector_switch

SEED_KEY = "seed"
DEFAULT_SEED = 0
THREADS_VARIABLE = "RNNVIZ_TORCH_THREADS"
DEFAULT_THREADS = 1
MAX_SEED = 2**31 - 1
LOGGER = logging.getLogger(__name__)
THREADS_HELP = (
    "How many CPU threads PyTorch trains with. Whoever runs the server sets it "
    f"(environment variable {THREADS_VARIABLE}, default {DEFAULT_THREADS}); it is the same for every user, "
    "so a seed gives the same curves for everyone. More threads are often slower here: these models are "
    "small, and each tiny parallel step waits for a second core that the browser or another run keeps busy "
    "(measured: 5 times slower with 2 threads on a 2-core laptop)."
)


def seed() -> int:
    """The seed pages pass to rnnviz so that a run can be repeated exactly."""
    return int(st.session_state.get(SEED_KEY, DEFAULT_SEED))


def max_threads() -> int:
    """The most threads that make sense: the machine's logical CPUs."""
    return max(1, os.cpu_count() or 1)


def configured_threads(environment: dict[str, str] | None = None) -> int:
    """The server's training threads: RNNVIZ_TORCH_THREADS as a whole number in [1, CPUs], else 1."""
    text = (os.environ if environment is None else environment).get(THREADS_VARIABLE, "").strip()
    if not text:
        return DEFAULT_THREADS
    try:
        value = int(text)
    except ValueError:
        LOGGER.warning("%s=%r is not a whole number; using %d thread", THREADS_VARIABLE, text, DEFAULT_THREADS)
        return DEFAULT_THREADS
    return min(max(1, value), max_threads())


def seed_input() -> int:
    """Number input for the seed, kept in st.session_state["seed"] (default 0)."""
    return st.number_input(
        "Seed",
        min_value=0,
        max_value=MAX_SEED,
        value=DEFAULT_SEED,
        step=1,
        key=SEED_KEY,
        bind=BIND,
        help="The same seed gives the same initial weights, data and curves, so a demo can be rehearsed.",
    )


@st.cache_resource
def apply_server_threads() -> int:
    """Once per server: the owner's thread count (1 by default, the fastest for this app's small models).

    Measured on a 2-core machine shared with other work: training a 32-unit RNN for 60 steps
    took 1.3-2.6 s with one thread and 32-104 s with two at load 8-12, and 0.8-2.2 s against
    3-242 s at load 3-4, because every tiny parallel region waits for a second core that is
    busy (a browser on the lecture laptop is enough). Every training job sets it again in its
    own thread (`ui.training.start_job`).
    """
    import torch  # here, not at the top: Home never needs torch (tests/unit/test_startup.py)

    threads = configured_threads()
    torch.set_num_threads(threads)
    return threads


def warm_up() -> None:
    """Set the server's threads as soon as torch is loaded (ui.shell's warm-up calls it right after importing torch)."""
    apply_server_threads()


def threads_note() -> int:
    """One caption with the server's thread count and why users cannot change it."""
    # Applied once torch is loaded (by a page, or by ui.shell's warm-up after Home); until then there is nothing to set.
    threads = apply_server_threads() if "torch" in sys.modules else configured_threads()
    st.caption(f"CPU threads for training: {threads} (set by the server)", help=THREADS_HELP)
    return threads


def render() -> DeltaGenerator:
    """Draw the shared sidebar controls below the page navigation; returns the slot for the page's link."""
    with st.sidebar:
        st.subheader("Settings", divider="gray")
        seed_input()
        projector_switch()
        threads_note()
        return st.container()
