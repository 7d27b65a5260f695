"""The app shell: navigation built from the catalog, and the error boundary every page runs inside."""

from __future__ import annotations

import argparse
import ast
import contextlib
import importlib
import importlib.util
import logging
import os
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

import streamlit as st
from streamlit.delta_generator import DeltaGenerator
from streamlit.logger import get_logger
from streamlit.runtime.scriptrunner_utils import script_run_context

from rnnviz.io import data_directory
from ui import catalog, links
from ui.markdown import escape

# Streamlit's logger writes to the server console with its own format and level.
log = get_logger("rnnviz.app")

APP_DIR = Path(__file__).resolve().parents[1]
APP_TITLE = "rnnviz"
APP_ICON = "🌀"  # an emoji favicon is an inline SVG; a :material/ one is fetched from fonts.gstatic.com

ERROR_KEY_PREFIX = "page-error-"
CHECKED_QUERY_KEY = "links:checked-query"  # the last link whose settings were checked, so its note shows once
# rnnviz.io.checkpoints.DIRECTORY_ENV, written out: importing that module imports torch, which Home does not need
# (tests/unit/test_startup.py checks that the two names agree).
CHECKPOINTS_ENV = "RNNVIZ_CHECKPOINTS"
WHAT_TO_TRY = (
    "Try a smaller setting (shorter sequence, fewer units, fewer steps), "
    "change back the last control you moved, or reload the browser tab to start over with the defaults."
)


def option_parser() -> argparse.ArgumentParser:
    """The app's own options, given after `--`: `streamlit run app.py -- --checkpoints DIR`."""
    parser = argparse.ArgumentParser(prog="streamlit run app.py --", add_help=False, allow_abbrev=False, exit_on_error=False)
    parser.add_argument(
        "--checkpoints",
        metavar="DIR",
        help=f"folder of the checkpoints the pages open (default: ${CHECKPOINTS_ENV}, else the repository's checkpoints/)",
    )
    parser.add_argument(
        "--data",
        metavar="DIR",
        help=f"the one folder whose files a page may read by typed name (default: ${data_directory.DATA_ENV}; "
        "unset: off, users upload files instead)",
    )
    return parser


def apply_options(argv: Sequence[str]) -> None:
    """Apply the app's options from `argv`; other arguments, and a malformed option, are logged and ignored."""
    try:
        options, _others = option_parser().parse_known_args(list(argv))
    except argparse.ArgumentError as error:
        log.warning("ignoring the command line (%s)", error)
        return
    if options.checkpoints:  # as rnnviz.io.checkpoints.set_checkpoint_directory does, without importing torch
        os.environ[CHECKPOINTS_ENV] = str(Path(options.checkpoints).expanduser().resolve())
    if options.data:
        data_directory.set_data_directory(options.data)


def configure_page() -> None:
    """Set the browser title, icon and wide layout; call first in app.py."""
    st.set_page_config(page_title=APP_TITLE, page_icon=APP_ICON, layout="wide", initial_sidebar_state="expanded")


def available_pages(app_dir: Path = APP_DIR) -> list[catalog.PageSpec]:
    """Built pages whose file exists; a missing file is logged and left out, never crashes the app."""
    found = []
    for spec in catalog.built_pages():
        assert spec.path is not None
        if (app_dir / spec.path).is_file():
            found.append(spec)
        else:
            log.warning("page %r is turned on but %s does not exist; leaving it out", spec.key, spec.path)
    return found


def streamlit_page(spec: catalog.PageSpec) -> st.Page:
    """The st.Page for a built page: title, icon, url path = key, home is the default."""
    assert spec.path is not None, f"page {spec.key!r} is not built"
    return st.Page(
        spec.path,
        title=spec.title,
        icon=spec.icon,
        url_path=spec.key,
        default=spec.key == "home",
        help=spec.summary,
    )


def navigation() -> st.Page:
    """Register the built pages, grouped by section in lecture order; return the selected page."""
    groups = catalog.pages_by_section(tuple(available_pages()))
    nav = {section: [streamlit_page(spec) for spec in specs] for section, specs in groups.items()}
    return st.navigation(nav, position="sidebar", expanded=True)


def show_failure(what: str, exc: Exception) -> None:
    """A friendly error for the audience: what failed and what to try, never a traceback."""
    # The key gives the box a CSS class (st-key-page-error-...) that browser tests look for.
    with st.container(key=f"{ERROR_KEY_PREFIX}{uuid.uuid4().hex[:8]}"):
        st.error(f"**{escape(what)}** stopped because of an error.\n\n{WHAT_TO_TRY}", icon=":material/error:")
        with st.expander("Technical details"):
            st.text(_one_line(exc))
            st.caption("The full traceback is in the server log (the terminal running `streamlit run`).")


def _one_line(exc: Exception, limit: int = 300) -> str:
    """Exception type and message on one short line, for the details box."""
    message = " ".join(str(exc).split())
    if len(message) > limit:
        message = message[: limit - 1] + "…"
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


@contextlib.contextmanager
def error_boundary(what: str) -> Iterator[None]:
    """Catch any Exception in the block, log its traceback, show a friendly error instead.

    Streamlit's control flow (st.rerun, st.stop, st.switch_page, a rerun request from the
    browser) raises ScriptControlException, a BaseException, so it passes through untouched.
    Usable inside an @st.fragment too, whose reruns do not go through run_page.
    """
    slot = st.container()
    try:
        yield
    except Exception as exc:
        log.exception("%s failed", what)
        with slot:
            show_failure(what, exc)


def asked_query() -> dict[str, list[str]]:
    """The link's query as the browser sent it (for the note); from here on an infinite number cannot crash a widget."""
    links.guard_number_inputs()
    return links.asked_query()


def run_page(page: st.Page, link_slot: DeltaGenerator | None = None, asked: dict[str, list[str]] | None = None) -> None:
    """Run the selected page inside the error boundary; then say which link settings it could not use."""
    asked = asked_query() if asked is None else asked
    note = st.container()
    with error_boundary(page.title):
        page.run()
    _note_rejected(note, asked)
    if link_slot is not None:
        with link_slot:
            links.copy_link_box()


def _note_rejected(slot: DeltaGenerator, asked: dict[str, list[str]]) -> None:
    """A visible note, once per link, naming the query values the page fell back from."""
    if not asked or st.session_state.get(CHECKED_QUERY_KEY) == asked:
        return
    st.session_state[CHECKED_QUERY_KEY] = asked
    rejected = links.rejected_parameters(asked, st.session_state, links.asked_query())
    if rejected:
        slot.info(links.note_text(rejected), icon=":material/link_off:")
    for unknown in (r.name for r in rejected if r.name not in st.session_state):
        st.query_params.pop(unknown, None)  # the copied link keeps only what the page uses


# ---------------------------------------------------------------- warm-up after the first page


WARM_ENV = "RNNVIZ_WARM_UP"  # "0": no background warm-up (to measure without it)
WARM_DELAY_SECONDS = 0.3  # after the first script run: the browser fetches the JS of the elements it draws (the server answers)
# A page's module may define warm_up(): fill its server-wide caches, draw nothing; a generator yields between steps.
WARM_HOOK = "warm_up"
# What most pages need, before any page's own. torch._dynamo: torch imports it lazily at a model's first
# random initialisation and an optimizer's first step (1-1.5 s on 2 cores).
# ui.sidebar's hook sets the server's torch threads once torch is loaded.
FIRST_MODULES = ("torch", "ui.sidebar", "torch._dynamo", "plotly.graph_objects", "plotly.io", "pandas", "rnnviz.plots.base")
# Imported inside functions of the Embeddings page, so no page file names them: last, they are the heaviest.
LAST_MODULES = ("threadpoolctl", "sklearn.manifold", "sklearn.cluster", "openTSNE")
WARM_THREAD = "rnnviz-warm-up"
# The warm-up thread's nice value between page runs: the browser drawing a page gets the CPU first. During a page
# run it goes back to 0, since the page may be waiting for a module it is importing (where the system allows it).
WARM_NICE = 10
_warm_lock = threading.Lock()
_warm_thread: threading.Thread | None = None
_running_scripts = 0  # script runs in progress on this server (any session); the warm-up waits while there are any
_warm_thread_id: int | None = None  # the warm-up thread's native id, for its nice value
_base_nice = 0  # the server's own nice value: the warm-up goes WARM_NICE above it between page runs


@contextlib.contextmanager
def script_run() -> Iterator[None]:
    """Mark a script run in progress, so the warm-up yields the CPU to it between its steps."""
    global _running_scripts
    with _warm_lock:
        _running_scripts += 1
        if _running_scripts == 1:
            _warm_priority(_base_nice)
    try:
        yield
    finally:
        with _warm_lock:
            _running_scripts -= 1
            if _running_scripts == 0:
                _warm_priority(_base_nice + WARM_NICE)


def _warm_priority(nice: int) -> None:
    """Set the warm-up thread's nice value (Linux: per thread); nothing where the system does not allow it."""
    if _warm_thread_id is None or not hasattr(os, "setpriority"):
        return
    with contextlib.suppress(OSError):  # lowering it again needs privileges a laptop user may not have
        os.setpriority(os.PRIO_PROCESS, _warm_thread_id, nice)


def page_modules(spec: catalog.PageSpec, app_dir: Path = APP_DIR) -> list[str]:
    """The modules a page file imports at its top (`from ui.x import a` counts ui.x.a when that is a module)."""
    assert spec.path is not None
    tree = ast.parse((app_dir / spec.path).read_text(encoding="utf-8"))
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level and node.module != "__future__":
            names.append(node.module)
            names += [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def warm_modules(app_dir: Path = APP_DIR) -> list[list[str]]:
    """What the warm-up imports, in groups: the common heavy modules, each page's (catalog order), the last ones."""
    groups, seen = [list(FIRST_MODULES)], set(FIRST_MODULES)
    for spec in available_pages(app_dir):
        names = [name for name in dict.fromkeys(page_modules(spec, app_dir)) if name not in seen]
        seen.update(names)
        groups.append(names)
    groups.append([name for name in LAST_MODULES if name not in seen])
    return groups


def _import_quietly(name: str) -> object | None:
    """The module `name`, imported (None when it names a constant or class); logs, never raises, on failure."""
    parent = name.rpartition(".")[0]
    if parent and not hasattr(sys.modules.get(parent) or _import_quietly(parent), "__path__"):
        return None  # `from ui.links import BIND`: BIND is a name in a module, not a module
    try:
        return importlib.import_module(name) if importlib.util.find_spec(name) is not None else None
    except Exception:
        log.warning("warm-up: importing %s failed (the page will say why when it is opened)", name, exc_info=True)
        return None


def _run_hook(module: object) -> None:
    """Call the module's warm_up(), if it has one (a generator pauses at each yield while a page runs); never raise."""
    hook = getattr(module, WARM_HOOK, None)
    if not callable(hook):
        return
    try:
        steps = hook()
        for _step in steps if isinstance(steps, Iterator) else ():
            _wait_for_quiet()
    except Exception:
        log.warning("warm-up: %s.%s failed", getattr(module, "__name__", module), WARM_HOOK, exc_info=True)


def _first_figure() -> None:
    """Draw and serialise one styled figure: Plotly loads its template and validators at the first figure."""
    import plotly.graph_objects as go
    import plotly.io

    from rnnviz.plots.base import style

    figure = go.Figure([go.Heatmap(z=[[0.0, 1.0]]), go.Scatter(x=[0, 1], y=[0, 1])])
    plotly.io.to_json(style(figure, title="warm-up", x_title="x", y_title="y"), validate=False)


def _wait_for_quiet() -> None:
    """Until no script run is in progress (a page being drawn gets the CPU first)."""
    while _running_scripts:
        time.sleep(0.05)


def _warm_up(delay: float) -> None:
    """The warm-up thread: import the pages' modules and run their hooks one by one, pausing while any page runs."""
    global _warm_thread_id, _base_nice
    with _warm_lock:
        _warm_thread_id = threading.get_native_id()
        _base_nice = os.getpriority(os.PRIO_PROCESS, 0) if hasattr(os, "getpriority") else 0
        _warm_priority(_base_nice if _running_scripts else _base_nice + WARM_NICE)
    time.sleep(delay)
    started = time.perf_counter()
    for index, group in enumerate(warm_modules()):
        for name in group:
            _wait_for_quiet()
            module = _import_quietly(name)
            if module is not None and name.startswith("ui."):
                _wait_for_quiet()
                _run_hook(module)
        if index == 0:
            _wait_for_quiet()
            try:
                _first_figure()
            except Exception:
                log.warning("warm-up: the first figure failed (the pages will draw theirs anyway)", exc_info=True)
    log.info("warm-up: every page's modules loaded in %.1f s", time.perf_counter() - started)


class _WarmUpFilter(logging.Filter):
    """Drops Streamlit's "missing ScriptRunContext" warning for the warm-up thread: it draws nothing, on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        """False for the warm-up thread's missing-context warning."""
        return not (record.threadName == WARM_THREAD and "missing ScriptRunContext" in record.getMessage())


def warm_up_later(delay: float = WARM_DELAY_SECONDS) -> threading.Thread | None:
    """Once per server, after the first script run: load the other pages' modules in the background.

    Home imports no torch, no Plotly figure code, no page module, so it draws fast; by the time a person
    clicks a page, its modules (and the caches its `warm_up` hooks fill) are ready. Off with RNNVIZ_WARM_UP=0.
    """
    global _warm_thread
    if os.environ.get(WARM_ENV, "1") == "0" or "streamlit.testing.v1.app_test" in sys.modules:
        return None  # off, or an AppTest, which runs app.py inside the test process: nothing to warm for a browser
    with _warm_lock:
        if _warm_thread is None:
            logging.getLogger(script_run_context.__name__).addFilter(_WarmUpFilter())
            _warm_thread = threading.Thread(target=_warm_up, args=(delay,), name=WARM_THREAD, daemon=True)
            _warm_thread.start()
        return _warm_thread
