"""Helpers for real-browser tests: open a page of the running app, wait for it, check it, screenshot it.

Page tests use these through the fixtures in conftest.py::

    def test_my_page(app_page):
        page = app_page("gradient-lab")          # opened, app idle, no exception
        page.get_by_role("button", name="Train").click()
        wait_until_idle(page)
        assert_no_exception(page)
        save_screenshot(page, "gradient-lab-trained")

Screenshots always go to artifacts/screenshots/ (ignored by git). A test run never writes a tracked
file: the README's pictures in docs/screenshots/ are refreshed only on request, with
RNNVIZ_README_SCREENSHOTS=1 (`save_screenshot(..., readme="translate.png")`, `publish_for_readme`).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
README_SCREENSHOTS = ROOT / "docs" / "screenshots"
README_SWITCH = "RNNVIZ_README_SCREENSHOTS"  # =1: also refresh the README's pictures in docs/screenshots/

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 800}  # a projector-ish size

APP = '[data-testid="stApp"]'
# The shell's error boundary puts its friendly message in a container keyed "page-error-..." (ui/shell.py).
PAGE_ERROR = '[class*="st-key-page-error-"]'
# Everything that means "the app is still working": a run in progress, stale output, spinners, skeletons.
BUSY = ", ".join(
    [
        '[data-testid="stApp"][data-test-script-state="running"]',
        '[data-testid="stApp"][data-test-script-state="rerunRequested"]',
        '[data-testid="stApp"][data-test-script-state="initial"]',
        '[data-testid="stStatusWidgetRunningIcon"]',
        '[data-testid="stStatusWidgetRunningManIcon"]',
        '[data-testid="stSpinner"]',
        '[data-testid="stAppSkeleton"]',
        '[data-testid="stSkeleton"]',
        '[data-stale="true"]',
    ]
)


def chromium_path() -> str | None:
    """Path of Debian's chromium (or chromium-browser), or None when it is not installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def url_for(base_url: str, page_name_or_path: str = "") -> str:
    """Absolute URL of a page: "" or "home" is the start page, "gradient-lab" or "/gradient-lab" a page."""
    path = page_name_or_path.strip().lstrip("/")
    if path.startswith(("http://", "https://")):
        return path
    if path == "home":
        path = ""
    return f"{base_url.rstrip('/')}/{path}"


def _is_busy(page: Page) -> bool:
    """True while the app is running a script, connecting, or showing spinners or stale output."""
    return bool(
        page.evaluate(
            """([app, busy]) => {
                const root = document.querySelector(app);
                if (!root || root.getAttribute("data-test-connection-state") !== "CONNECTED") return true;
                return [...document.querySelectorAll(busy)].some(
                    (el) => el.getClientRects().length > 0 || el.matches(app));
            }""",
            [APP, BUSY],
        )
    )


def wait_until_idle(page: Page, timeout: float = 60.0, settle: float = 0.4) -> None:
    """Wait until the app finished running: connected, not running, no spinner, nothing stale, for `settle` s.

    The settle time covers the gap between a click and the rerun it starts.
    """
    deadline = time.monotonic() + timeout
    quiet_since: float | None = None
    while True:
        now = time.monotonic()
        if _is_busy(page):
            quiet_since = None
        elif quiet_since is None:
            quiet_since = now
        elif now - quiet_since >= settle:
            return
        if now > deadline:
            state = page.evaluate(
                f"""() => {{ const r = document.querySelector('{APP}');
                    return r ? [r.getAttribute('data-test-script-state'),
                                r.getAttribute('data-test-connection-state')] : null; }}"""
            )
            raise TimeoutError(f"app still busy after {timeout:.0f}s (script state, connection: {state})")
        page.wait_for_timeout(100)


def goto(page: Page, base_url: str, page_name_or_path: str = "", timeout: float = 60.0) -> Page:
    """Open a page of the app by key or url path ("", "home", "gradient-lab") and wait until it is idle."""
    page.goto(url_for(base_url, page_name_or_path), wait_until="domcontentloaded")
    page.wait_for_selector(APP, state="attached", timeout=timeout * 1000)
    wait_until_idle(page, timeout=timeout)
    return page


def assert_no_exception(page: Page) -> None:
    """Fail on a Streamlit exception box, the shell's "page stopped because of an error" box, or "Traceback"."""
    boxes = page.locator('[data-testid="stException"]')
    if boxes.count():
        raise AssertionError(f"page shows {boxes.count()} exception box(es): {boxes.first.inner_text()[:500]}")
    caught = page.locator(PAGE_ERROR)
    if caught.count():
        details = caught.first.locator('[data-testid="stText"]')
        detail = details.first.text_content() if details.count() else ""
        raise AssertionError(f"the error boundary caught an exception: {detail}\n(see the server log)")
    text = page.locator("body").inner_text()
    if "Traceback" in text:
        start = text.index("Traceback")
        raise AssertionError(f"page shows a traceback: {text[start:start + 500]}")


def content_height(page: Page) -> int:
    """Height in px of the app's content; Streamlit scrolls inside its own container, not the window."""
    return int(
        page.evaluate(
            """() => Math.max(...['[data-testid="stMain"]', '[data-testid="stAppViewContainer"]',
                                  '[data-testid="stSidebarContent"]', 'body']
                .map((s) => document.querySelector(s)).filter(Boolean).map((el) => el.scrollHeight))"""
        )
    )


def readme_requested() -> bool:
    """True when this run was asked to refresh the README's screenshots (RNNVIZ_README_SCREENSHOTS=1)."""
    return os.environ.get(README_SWITCH) == "1"


def publish_for_readme(shot: Path, readme_name: str) -> Path | None:
    """Copy an artifact screenshot to docs/screenshots/<readme_name> when requested; else write nothing."""
    if not readme_requested():
        return None
    README_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = README_SCREENSHOTS / readme_name
    shutil.copyfile(shot, target)
    return target


def save_screenshot(page: Page, name: str, full_page: bool = False, max_height: int = 8000,
                    readme: str | None = None) -> Path:
    """Save a PNG to artifacts/screenshots/<name>.png (and to docs/screenshots/<readme> when requested).

    full_page grows the window to the content first. Returns the artifact's path.
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    viewport = page.viewport_size
    if full_page and viewport:
        height = min(max(content_height(page), viewport["height"]), max_height)
        page.set_viewport_size({"width": viewport["width"], "height": height})
        page.wait_for_timeout(300)  # let the layout settle at the new size
        try:
            page.screenshot(path=str(path))
        finally:
            page.set_viewport_size(viewport)
    else:
        page.screenshot(path=str(path))
    if readme is not None:
        publish_for_readme(path, readme)
    return path


def nav_links(page: Page) -> list[tuple[str, str]]:
    """(label, href) of every page in the sidebar navigation, in order."""
    links = page.locator('[data-testid="stSidebarNav"] a[data-testid="stSidebarNavLink"]')
    result = []
    for i in range(links.count()):
        link = links.nth(i)
        # The label sits in a markdown container; the icon beside it is a ligature whose text is its name.
        label = link.locator('[data-testid="stMarkdownContainer"]').inner_text().strip()
        result.append((label, link.get_attribute("href") or ""))
    return result
