"""The app shell under Streamlit's AppTest: Home, navigation, sidebar, and the error boundary."""

from __future__ import annotations

import logging
import textwrap
from pathlib import Path

import pytest
from streamlit.runtime.scriptrunner_utils.exceptions import (
    RerunException,
    ScriptControlException,
    StopException,
)
from streamlit.testing.v1 import AppTest

from ui import catalog, shell, sidebar

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app.py"
TIMEOUT = 60  # the first run imports torch


def page_text(at: AppTest) -> str:
    """All text a person would read on the page (markdown, headings, alerts, captions, plain text)."""
    parts: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "text", "error", "warning", "info"):
        parts.extend(str(element.value) for element in at.get(kind))
    parts.extend(link.value for link in at.get("page_link"))
    return "\n".join(parts)


@pytest.fixture()
def app() -> AppTest:
    """The real app, run once on Home."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    return at.run()


def test_home_renders_without_exception(app: AppTest) -> None:
    """Home runs cleanly and shows its title and every lecture topic."""
    assert not app.exception
    assert not app.error
    text = page_text(app)
    assert "rnnviz" in text
    for topic, _keys in catalog.LECTURE_TOPICS:
        assert topic in text, f"topic {topic!r} missing from Home"


def test_home_links_built_pages_and_lists_coming_ones(app: AppTest) -> None:
    """Built teaching pages get a page link; pages not built yet are named and marked "coming"."""
    taught = {key for _topic, keys in catalog.LECTURE_TOPICS for key in keys}
    linked = {link.proto.page for link in app.get("page_link")}
    built = {spec.key for spec in catalog.built_pages() if spec.key in taught}
    assert {page.strip("/") for page in linked} == built
    text = page_text(app)
    for spec in catalog.PAGES:
        if spec.key in taught and not spec.built:
            assert spec.title in text
            assert "coming" in text


def test_navigation_lists_the_built_pages(app: AppTest) -> None:
    """st.navigation registered exactly the built pages, under their keys."""
    # AppTest keeps the pages st.navigation registered; url_pathname is "" for the default page.
    registered = {info.get("url_pathname") for info in app._registered_pages.values()}
    expected = {"" if spec.key == "home" else spec.key for spec in catalog.built_pages()}
    assert registered == expected


@pytest.mark.parametrize("spec", catalog.built_pages(), ids=lambda spec: spec.key)
def test_each_built_page_runs_without_exception(app: AppTest, spec: catalog.PageSpec) -> None:
    """Switching to each built page runs it inside the shell with no exception and no error box."""
    assert spec.path is not None
    app.switch_page(spec.path).run()
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]


def test_seed_is_in_session_state_and_survives_page_changes(app: AppTest) -> None:
    """The sidebar seed defaults to 0, lives in st.session_state["seed"], and keeps its value."""
    seed = app.sidebar.number_input(key="seed")
    assert seed.value == 0
    assert app.session_state["seed"] == 0
    seed.set_value(42).run()
    assert app.session_state["seed"] == 42
    app.switch_page("app_pages/home.py").run()
    assert app.session_state["seed"] == 42
    assert app.sidebar.number_input(key="seed").value == 42


def test_no_user_can_change_the_servers_threads(app: AppTest) -> None:
    """No threads slider: a caption names the server's count and says more threads can be slower."""
    assert not [s for s in app.sidebar.slider if "thread" in s.label.lower()]
    notes = [c for c in app.sidebar.caption if "CPU threads" in c.value]
    assert notes and f"{sidebar.configured_threads()}" in notes[0].value
    assert "slower" in notes[0].proto.help and sidebar.THREADS_VARIABLE in notes[0].proto.help


@pytest.mark.parametrize(("text", "threads"), [("", 1), ("1", 1), ("2", 2), (" 2 ", 2), ("0", 1), ("-3", 1),
                                               ("lots", 1), ("2.5", 1), ("100000", None)])
def test_the_owner_sets_the_threads_with_an_environment_variable(text: str, threads: int | None) -> None:
    """RNNVIZ_TORCH_THREADS: a whole number, clamped to [1, CPUs]; anything else means one thread."""
    expected = sidebar.max_threads() if threads is None else min(threads, sidebar.max_threads())
    assert sidebar.configured_threads({sidebar.THREADS_VARIABLE: text}) == expected
    assert sidebar.configured_threads({}) == sidebar.DEFAULT_THREADS == 1


def test_a_turned_on_page_without_its_file_is_left_out(monkeypatch, tmp_path: Path) -> None:
    """A catalog path whose file is missing is logged and skipped, so the app still starts."""
    ghost = catalog.PageSpec("ghost", "Ghost", ":material/help:", "Lab", "Nothing.", "app_pages/ghost.py")
    monkeypatch.setattr(catalog, "built_pages", lambda: (catalog.page("home"), ghost))
    (tmp_path / "app_pages").mkdir()
    (tmp_path / "app_pages" / "home.py").write_text("")
    assert [spec.key for spec in shell.available_pages(tmp_path)] == ["home"]


# ---- the error boundary -------------------------------------------------------------------------

ENTRY = """
import streamlit as st
from ui import shell

page = st.navigation([st.Page("broken.py", title="Broken page", url_path="broken", default=True)])
shell.run_page(page)
"""


def boundary_app(tmp_path: Path, page_body: str) -> AppTest:
    """A throwaway two-file app: an entry point using the real shell, and one page with `page_body`."""
    (tmp_path / "entry.py").write_text(textwrap.dedent(ENTRY))
    (tmp_path / "broken.py").write_text("import streamlit as st\n" + textwrap.dedent(page_body))
    return AppTest.from_file(str(tmp_path / "entry.py"), default_timeout=TIMEOUT)


def test_boundary_turns_an_exception_into_a_friendly_error(tmp_path: Path, caplog) -> None:
    """A page that raises shows st.error naming the page and what to try; no exception box, no traceback."""
    at = boundary_app(tmp_path, """
        st.title("Before the failure")
        raise ValueError("hidden <b>detail</b>")
    """)
    with caplog.at_level(logging.ERROR):
        at.run()
    assert not at.exception, "the exception escaped the boundary"
    assert len(at.error) == 1
    message = at.error[0].value
    assert "Broken page" in message and "Try" in message
    assert "Traceback" not in page_text(at)
    assert "Before the failure" in page_text(at)  # what the page drew before failing stays
    assert any(t.value == "ValueError: hidden <b>detail</b>" for t in at.text)  # details box, as plain text


def test_boundary_logs_the_traceback(tmp_path: Path, caplog) -> None:
    """The full traceback goes to the server log, where a developer can read it."""
    at = boundary_app(tmp_path, """
        def deep():
            raise RuntimeError("from deep inside")
        deep()
    """)
    with caplog.at_level(logging.ERROR, logger="rnnviz.app"):
        at.run()
    records = [r for r in caplog.records if r.name == "rnnviz.app" and r.levelno == logging.ERROR]
    assert len(records) == 1
    assert records[0].getMessage() == "Broken page failed"
    assert records[0].exc_info and "from deep inside" in caplog.text and "Traceback" in caplog.text


def test_boundary_lets_st_stop_through(tmp_path: Path) -> None:
    """st.stop() raises a control exception (a BaseException): it ends the page, it is not an error."""
    at = boundary_app(tmp_path, """
        st.markdown("shown")
        st.stop()
        st.markdown("never shown")
    """)
    at.run()
    assert not at.exception and not at.error
    text = page_text(at)
    assert "shown" in text and "never shown" not in text


def test_boundary_lets_st_rerun_through(tmp_path: Path) -> None:
    """st.rerun() must rerun the script, not be swallowed as an error."""
    at = boundary_app(tmp_path, """
        st.session_state.runs = st.session_state.get("runs", 0) + 1
        if st.session_state.runs == 1:
            st.rerun()
        st.markdown(f"runs: {st.session_state.runs}")
    """)
    at.run()
    assert not at.exception and not at.error
    assert at.session_state["runs"] == 2


def test_streamlit_control_exceptions_are_not_exceptions() -> None:
    """The boundary catches Exception; it relies on Streamlit's control flow deriving from BaseException."""
    for cls in (ScriptControlException, StopException, RerunException):
        assert issubclass(cls, BaseException) and not issubclass(cls, Exception), cls


@pytest.mark.parametrize("exc", [StopException(), KeyboardInterrupt(), SystemExit(0)])
def test_error_boundary_reraises_base_exceptions(exc: BaseException) -> None:
    """Outside any app run too: BaseExceptions pass through the context manager untouched."""
    with pytest.raises(type(exc)), shell.error_boundary("test"):
        raise exc
