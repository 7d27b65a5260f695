"""Fixtures for real-browser tests: the app under `streamlit run`, headless Chromium, and `goto`.

- `app_url` (session): starts `streamlit run app.py` on a free port, waits on /_stcore/health,
  stops it at the end; its log is printed if a test failed.
- `browser` (session, in tests/conftest.py so tests/integration shares the one Playwright per process).
- `page` (function): a fresh tab, 1280x800.
- `goto` (function): `goto("gradient-lab")` opens a page by key or url path, waits until idle,
  checks there is no exception, and returns the Playwright page.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e import browser as br

STARTUP_TIMEOUT = 90.0
LOG_DIR = br.ROOT / "artifacts" / "logs"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test under tests/e2e as e2e, so `-m "not e2e"` leaves them out."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """Remember on the session whether any e2e test failed, so the server log gets printed."""
    report = yield
    if report.failed:
        item.session.e2e_failed = True  # type: ignore[attr-defined]
    return report


def free_port() -> int:
    """A TCP port nobody is listening on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, log_path: Path, timeout: float = STARTUP_TIMEOUT) -> None:
    """Poll /_stcore/health until it answers "ok"; fail with the server log if it never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"streamlit exited with code {proc.returncode}:\n{log_path.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.25)
    pytest.fail(f"streamlit did not become healthy in {timeout:.0f}s:\n{log_path.read_text()}")


@pytest.fixture(scope="session")
def app_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """Base URL of the real app, started with `streamlit run` for this test session."""
    if br.chromium_path() is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium); .ci/run installs it")
    port = free_port()
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log_path = LOG_DIR / "streamlit-e2e.log"
    command = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        "--browser.serverAddress", "127.0.0.1",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with log_path.open("w") as log:
        proc = subprocess.Popen(command, cwd=br.ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc, log_path)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if getattr(request.session, "e2e_failed", False):
            print(f"\n----- streamlit server log ({log_path}) -----\n{log_path.read_text()}", file=sys.stderr)


@pytest.fixture()
def page(browser: object) -> Iterator[object]:
    """A fresh tab (its own context, so its own Streamlit session) at a projector-ish size."""
    context = browser.new_context(viewport=br.VIEWPORT)  # type: ignore[attr-defined]
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    try:
        yield tab
    finally:
        context.close()


@pytest.fixture()
def goto(page: object, app_url: str) -> Callable[..., object]:
    """`goto("gradient-lab")`: open a page by key or url path, wait until idle, assert no exception."""

    def _goto(page_name_or_url_path: str = "", timeout: float = 60.0) -> object:
        br.goto(page, app_url, page_name_or_url_path, timeout=timeout)  # type: ignore[arg-type]
        br.assert_no_exception(page)  # type: ignore[arg-type]
        return page

    return _goto
