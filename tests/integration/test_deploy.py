"""Two Streamlit processes behind nginx on loopback (`deploy.start`): both serve, a browser sticks, one may die.

Which process answered is read from the proxy's `X-Upstream` header (page loads, health checks) and from its
access log, which names the process of every request, the websocket `/_stcore/stream` included, with the
browser's sticky cookie. Skipped where nginx or Chromium is not installed (`.ci/run` installs both).
"""

from __future__ import annotations

import re
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

import deploy
from tests.e2e import browser as br

NO_NGINX = "nginx is not installed (apt-get install nginx; .ci/run installs it)"
NO_CHROMIUM = "Debian's chromium is not installed (apt-get install chromium; .ci/run installs it)"
needs_nginx = pytest.mark.skipif(deploy.nginx_path() is None, reason=NO_NGINX)
NEW_SESSIONS = 16  # new browsers tried until both processes have one (all on one process: 2 * 0.5**16)
LOG_LINE = re.compile(  # deploy/nginx_config.py's log_format "sticky"
    r'"(?P<method>\S+) (?P<path>\S+) [^"]*" (?P<status>\d+) \S+ upstream=(?P<upstream>.*?) sticky=(?P<key>\S+)$'
)


@pytest.fixture(scope="module")
def deployment() -> Iterator[deploy.Deployment]:
    """Two processes on free loopback ports, nginx on another; everything stopped afterwards."""
    if deploy.nginx_path() is None:
        pytest.skip(NO_NGINX)
    if br.chromium_path() is None:
        pytest.skip(NO_CHROMIUM)
    with deploy.start(2, listen="127.0.0.1:0") as running:
        yield running


@pytest.fixture(scope="module")
def chromium(browser: object) -> object:
    """The test run's one headless chromium (tests/conftest.py)."""
    return browser


def open_app(context: object, url: str) -> tuple[object, str]:
    """A tab of `context` on the app, connected and idle; (page, the process that served the page load)."""
    page = context.new_page()
    page.set_default_timeout(60_000)
    response = page.goto(url, wait_until="domcontentloaded")
    br.wait_until_idle(page, timeout=90)
    br.assert_no_exception(page)
    return page, deploy.last_upstream(response.headers[deploy.UPSTREAM_HEADER.lower()])


def sticky_key(context: object) -> str:
    """The proxy's cookie in this browser context."""
    return next(c["value"] for c in context.cookies() if c["name"] == deploy.COOKIE)


def logged_requests(deployment: deploy.Deployment, key: str, wanted: int, seconds: float = 20.0) -> list[dict]:
    """Access-log entries of one sticky key, once at least `wanted` websocket entries are written (at their close)."""
    deadline = time.monotonic() + seconds
    while True:
        lines = (deployment.folder / "access.log").read_text().splitlines()
        found = [m.groupdict() for m in map(LOG_LINE.search, lines) if m and m["key"] == key]
        if sum(entry["path"] == "/_stcore/stream" for entry in found) >= wanted or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


@needs_nginx
def test_the_generated_configuration_is_accepted_by_nginx(tmp_path: Path) -> None:
    (tmp_path / "temp").mkdir()
    config = tmp_path / "nginx.conf"
    config.write_text(deploy.render(["127.0.0.1:8601", "10.0.0.2:8601"], tmp_path))
    command = [deploy.nginx_path(), "-p", str(tmp_path), "-c", str(config), "-e", str(tmp_path / "error.log"), "-t"]
    checked = subprocess.run(command, capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr
    assert "hash $sticky_key consistent" in config.read_text()


def test_a_deployment_without_any_process_is_refused_with_a_message() -> None:
    with pytest.raises(ValueError, match="at least one Streamlit process"):
        deploy.render([], Path("/tmp"))
    with pytest.raises(ValueError, match="--upstream HOST:PORT"):
        deploy.start(0)


@pytest.mark.e2e
@pytest.mark.slow
def test_both_processes_serve_new_sessions(deployment: deploy.Deployment, chromium: object) -> None:
    served: set[str] = set()
    for _ in range(NEW_SESSIONS):
        context = chromium.new_context(viewport=br.VIEWPORT)
        try:
            served.add(open_app(context, deployment.url)[1])
        finally:
            context.close()
        if len(served) == 2:
            break
    assert served == set(deployment.streamlits)


@pytest.mark.e2e
@pytest.mark.slow
def test_one_browser_stays_on_one_process_across_reloads(deployment: deploy.Deployment, chromium: object) -> None:
    context = chromium.new_context(viewport=br.VIEWPORT)
    answered: list[str] = []
    try:
        page, first = open_app(context, deployment.url)
        page.on("response", lambda r: answered.append(r.headers.get(deploy.UPSTREAM_HEADER.lower(), "")))
        for _ in range(3):
            response = page.reload(wait_until="domcontentloaded")
            br.wait_until_idle(page, timeout=90)
            answered.append(response.headers[deploy.UPSTREAM_HEADER.lower()])
        key = sticky_key(context)
    finally:
        context.close()
    assert {deploy.last_upstream(value) for value in answered if value} == {first}
    entries = logged_requests(deployment, key, wanted=4)
    streams = [entry for entry in entries if entry["path"] == "/_stcore/stream"]
    assert len(streams) >= 4, f"expected a websocket per page load, the log has {len(streams)}"
    assert {"/_stcore/health", "/_stcore/stream"} <= {entry["path"] for entry in entries}
    assert {deploy.last_upstream(entry["upstream"]) for entry in entries} == {first}


@pytest.mark.e2e
@pytest.mark.slow
def test_killing_one_process_sends_its_users_to_the_other(deployment: deploy.Deployment, chromium: object) -> None:
    context = chromium.new_context(viewport=br.VIEWPORT)
    try:
        page, victim = open_app(context, deployment.url)
        survivor = next(address for address in deployment.streamlits if address != victim)
        deployment.streamlits[victim].kill()
        deployment.streamlits[victim].wait(timeout=10)
        page.wait_for_function(  # Streamlit's client notices, reconnects through the proxy, and reruns
            """() => document.querySelector('[data-testid="stApp"]')
                       ?.getAttribute('data-test-connection-state') !== 'CONNECTED'""",
            timeout=30_000,
        )
        br.wait_until_idle(page, timeout=90)
        br.assert_no_exception(page)
        response = page.reload(wait_until="domcontentloaded")
        br.wait_until_idle(page, timeout=90)
        assert deploy.last_upstream(response.headers[deploy.UPSTREAM_HEADER.lower()]) == survivor
    finally:
        context.close()
    for _ in range(3):  # new students land on the survivor too
        fresh = chromium.new_context(viewport=br.VIEWPORT)
        try:
            assert open_app(fresh, deployment.url)[1] == survivor
        finally:
            fresh.close()
    with urllib.request.urlopen(f"{deployment.url}/_stcore/health", timeout=10) as answer:
        assert answer.status == 200
        assert deploy.last_upstream(answer.headers[deploy.UPSTREAM_HEADER]) == survivor
