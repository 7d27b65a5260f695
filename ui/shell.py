"""The app shell: navigation built from the catalog, and the error boundary every page runs inside."""

from __future__ import annotations

import argparse
import contextlib
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

import streamlit as st
from streamlit.delta_generator import DeltaGenerator
from streamlit.logger import get_logger

from rnnviz.io import checkpoints, data_directory
from ui import catalog, links
from ui.markdown import escape

# Streamlit's logger writes to the server console with its own format and level.
log = get_logger("rnnviz.app")

APP_DIR = Path(__file__).resolve().parents[1]
APP_TITLE = "rnnviz"
APP_ICON = "🌀"  # an emoji favicon is an inline SVG; a :material/ one is fetched from fonts.gstatic.com

ERROR_KEY_PREFIX = "page-error-"
CHECKED_QUERY_KEY = "links:checked-query"  # the last link whose settings were checked, so its note shows once
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
        help=f"folder of the checkpoints the pages open (default: ${checkpoints.DIRECTORY_ENV}, "
        "else the repository's checkpoints/)",
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
    if options.checkpoints:
        checkpoints.set_checkpoint_directory(options.checkpoints)
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
