"""The gradient lab's lecture link in a real browser: a link replays a run, hostile values fall back with a
note, the projector view enlarges the tick labels, the PNG/CSV/script downloads parse, screenshots both modes."""

from __future__ import annotations

import csv
import io
import re
import urllib.parse
from pathlib import Path

from PIL import Image

from tests.e2e import browser as br

TRAINING_TIMEOUT_MS = 240_000  # a few tiny steps; long only on a busy shared machine
SMALL_RUN = {
    "gradlab:length": "12",
    "gradlab:steps": "6",
    "gradlab:hidden_size": "8",
    "gradlab:batch_size": "8",
    "gradlab:record_every": "2",
    "gradlab:cell": "GRU",
    "seed": "3",
}
SMALL = {"width": 1280, "height": 720}


def link(app_url: str, query: dict[str, str]) -> str:
    """The gradient lab's address with `query`, and a last empty parameter `end`.

    Streamlit 1.67's frontend here appends "/" to the last value of a query it is opened with (a bare app
    does it too: `/?seed=3` becomes `?seed=3/`), so the link ends with a parameter that carries nothing.
    """
    return f"{app_url}/gradient-lab?{urllib.parse.urlencode({**query, 'end': ''})}"


def open_link(page, url: str) -> None:
    """Open `url` and wait for the app to settle."""
    br.goto(page, url)
    br.assert_no_exception(page)


def train_and_read(page) -> list[dict]:
    """Press Train, wait for the run to end, return the numbers of every Plotly chart (names hold the run number)."""
    main = page.get_by_test_id("stMainBlockContainer")
    main.get_by_text(re.compile(r"^Settings: change any knob")).click()
    train = main.get_by_role("button", name="Train", exact=True)
    train.wait_for(state="visible")
    br.wait_until_idle(page)
    train.click()
    page.get_by_text(re.compile(r"finished \d+ steps")).wait_for(timeout=TRAINING_TIMEOUT_MS)
    br.wait_until_idle(page)
    br.assert_no_exception(page)
    return page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot')].map(
        (plot) => plot.data.map((trace) => ({x: trace.x ?? null, y: trace.y ?? null,
                                             z: trace.z ?? null})))""")


def tick_font_size(page) -> float:
    """The computed font size (px) of the first x tick label of the first chart."""
    page.locator(".js-plotly-plot .xtick text").first.wait_for()
    return page.evaluate("""() => parseFloat(getComputedStyle(
        document.querySelector('.js-plotly-plot .xtick text')).fontSize)""")


def test_a_link_replays_the_same_run_in_a_fresh_browser(browser, app_url) -> None:
    """The lecturer's link, opened in a new context (a new session), trains the same curves after Train."""
    figures = []
    for _ in range(2):
        context = browser.new_context(viewport=br.VIEWPORT)
        page = context.new_page()
        page.set_default_timeout(30_000)
        try:
            open_link(page, link(app_url, SMALL_RUN))
            figures.append(train_and_read(page))
            kept = urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query)
            assert kept.get("gradlab:length") == ["12"] and kept.get("seed") == ["3"]
        finally:
            context.close()
    assert figures[0] and figures[0] == figures[1]


def test_hostile_link_values_fall_back_with_a_note(page, app_url) -> None:
    """Unknown names, out-of-range numbers, unknown options, 100 kB text and a script tag: a note, no traceback."""
    hostile = {
        "gradlab:length": "100000",
        "gradlab:cell": "<script>alert(1)</script>",
        "gradlab:replay": "x" * 100_000,
        "no-such-knob": "1",
    }
    open_link(page, link(app_url, hostile))
    main = page.get_by_test_id("stMainBlockContainer")
    note = main.get_by_text(re.compile("This link asked for settings the page cannot use")).inner_text()
    note = note.replace("\\", "")  # ui.links escapes the names inside code spans, where the backslashes show
    for name in ("gradlab:length", "gradlab:cell", "gradlab:replay", "no-such-knob"):
        assert name in note
    assert "100,000 characters" in note
    query = urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query)
    assert "no-such-knob" not in query and "gradlab:replay" not in query


def test_a_preset_link_offers_the_preset(page, app_url) -> None:
    open_link(page, link(app_url, {"gradlab:replay": "6"}))
    main = page.get_by_test_id("stMainBlockContainer")
    assert main.get_by_text(re.compile("This link replays preset 6")).is_visible()
    assert main.get_by_role("button", name="Train it").is_visible()


def test_projector_view_downloads_and_screenshots(page, app_url) -> None:
    """Both modes at 1280x720; the projector switch enlarges tick labels; PNG, CSV and script downloads parse."""
    page.set_viewport_size(SMALL)
    open_link(page, link(app_url, SMALL_RUN))
    train_and_read(page)
    normal = tick_font_size(page)
    br.save_screenshot(page, "gradient-lab-normal")
    br.save_screenshot(page, "gradient-lab-normal-full", full_page=True)
    page.get_by_test_id("stSidebar").get_by_text("Projector view").click()
    br.wait_until_idle(page)
    projector = tick_font_size(page)
    assert projector >= 18 > normal or projector > normal * 1.3
    br.save_screenshot(page, "gradient-lab-projector")
    br.save_screenshot(page, "gradient-lab-projector-full", full_page=True)
    main = page.get_by_test_id("stMainBlockContainer")
    with page.expect_download() as csv_download:
        main.get_by_role("button", name="Data (CSV)").first.click()
    rows = list(csv.reader(io.StringIO(Path(csv_download.value.path()).read_text(encoding="utf-8"))))
    assert len(rows) > 2 and len(rows[0]) >= 2
    chart = page.locator(".js-plotly-plot").first
    chart.hover()
    with page.expect_download(timeout=60_000) as png_download:
        chart.locator('.modebar-btn[data-title="Download plot as a PNG"]').click()
    image = Image.open(png_download.value.path())
    assert image.format == "PNG" and image.size == (1920, 1080)
    with page.expect_download() as script_download:
        main.get_by_role("button", name=re.compile("Script that redoes this run")).click()
    text = Path(script_download.value.path()).read_text(encoding="utf-8")
    compile(text, "run.py", "exec")
    assert "length=12" in text and "seed=3" in text and "cell='gru'" in text
