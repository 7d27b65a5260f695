"""Signature verification in a real browser: the DTW table and the DET plot render; screenshots for the README."""

from __future__ import annotations

import csv
import io
import math
import urllib.parse
from pathlib import Path

import pytest
from PIL import Image

from rnnviz.signatures.data import default_folder
from tests.e2e import browser as br

pytestmark = pytest.mark.skipif(default_folder() is None, reason="SVC2004 Task 2 not found (../shared/data/signatures)")


def main(page):
    """The page's main column (the toolbar has its own buttons)."""
    return page.get_by_test_id("stMainBlockContainer")


def test_results_table_and_det_plot_render(goto) -> None:
    page = goto("signatures", timeout=180)
    area = main(page)
    area.get_by_role("heading", name="Signature verification").wait_for()
    br.assert_no_exception(page)
    table = area.locator("table").filter(has_text="EER (%)").first
    table.wait_for(state="visible")
    assert "BiosecurID" in table.inner_text() and "10.17" in table.inner_text()
    charts = area.locator('[data-testid="stPlotlyChart"]')
    assert charts.count() >= 3
    det = area.locator(".js-plotly-plot").filter(has_text="false acceptance rate").first
    det.wait_for(state="visible")
    assert det.locator(".scatterlayer .trace").count() >= 2
    page.set_viewport_size({"width": 1280, "height": 720})
    table.scroll_into_view_if_needed()
    page.wait_for_timeout(800)
    br.save_screenshot(page, "signatures-dtw-table")
    det.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    br.save_screenshot(page, "signatures-det", readme="signatures.png")
    area.get_by_role("heading", name="A signature and its time functions (Table 1)").scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    br.save_screenshot(page, "signatures-trajectory")
    area.locator(".js-plotly-plot").filter(has_text="length/width 7").first.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    br.save_screenshot(page, "signatures-functions")
    area.get_by_text("Time function", exact=True).scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    br.save_screenshot(page, "signatures-one-function")


def test_tables_2_3_training_curves_and_a_verification_render(goto) -> None:
    page = goto("signatures", timeout=180)
    area = main(page)
    area.get_by_role("heading", name="Siamese RNNs (Tables 2 and 3)").wait_for()
    tables = area.locator("table").filter(has_text="train “skilled”")
    assert tables.count() == 2 and "BiosecurID" in area.inner_text()
    page.set_viewport_size({"width": 1280, "height": 720})
    tables.first.scroll_into_view_if_needed()
    page.wait_for_timeout(600)
    br.save_screenshot(page, "signatures-tables")
    curves = area.locator(".js-plotly-plot").filter(has_text="best on validation").first
    curves.scroll_into_view_if_needed()
    page.wait_for_timeout(600)
    br.save_screenshot(page, "signatures-curves")
    area.get_by_role("heading", name="Verify one signature").scroll_into_view_if_needed()
    area.get_by_label("Sample", exact=True).last.click()
    page.keyboard.type("S25")
    page.keyboard.press("Enter")
    br.wait_until_idle(page, timeout=120)
    br.assert_no_exception(page)
    assert "Two stages" in area.inner_text()
    area.get_by_text("Two stages").scroll_into_view_if_needed()
    page.wait_for_timeout(600)
    br.save_screenshot(page, "signatures-verify")


def sign(page, canvas, wobble: float) -> None:
    """Draw a two-stroke signature with mouse events inside the pad's canvas, then press Use."""
    box = canvas.bounding_box()
    left, top, width, height = box["x"], box["y"], box["width"], box["height"]
    for stroke in range(2):
        page.mouse.move(left + width * (0.1 + 0.4 * stroke), top + height * 0.5)
        page.mouse.down()
        for step in range(1, 31):
            fraction = step / 30
            x = left + width * (0.1 + 0.4 * stroke + 0.3 * fraction)
            y = top + height * (0.5 + (0.3 + wobble) * math.sin(6.3 * fraction * (stroke + 1)))
            page.mouse.move(x, y, steps=2)
        page.mouse.up()
    canvas.locator("xpath=..").get_by_role("button", name="Use this signature").click()
    br.wait_until_idle(page, timeout=120)


def test_a_signature_drawn_with_mouse_events_is_enrolled_and_verified(goto) -> None:
    page = goto("signatures", timeout=180)
    area = main(page)
    heading = area.get_by_role("heading", name="Draw your own")
    heading.scroll_into_view_if_needed()
    canvas = area.locator("canvas[aria-label='signature pad']")
    canvas.wait_for(state="visible")
    for number in range(4):
        sign(page, canvas, 0.01 * number)
    assert "Enrolled 4 signatures" in area.inner_text()
    sign(page, canvas, 0.02)
    sign(page, canvas, 0.4)  # a poor forgery: another shape
    br.assert_no_exception(page)
    text = area.inner_text()
    assert "Drawing 1 (mouse, 6 time functions): DTW score" in text and "Drawing 2" in text
    canvas.scroll_into_view_if_needed()
    page.wait_for_timeout(600)
    br.save_screenshot(page, "signatures-pad")


CHART_DATA = """() => [...document.querySelectorAll('[data-testid="stMainBlockContainer"] .js-plotly-plot')]
                  .map((plot) => plot.data.map((trace) => [trace.name || '', trace.x || [], trace.y || []]))"""


def choose(area, page, label: str, typed: str) -> None:
    """Pick an option of a selectbox by typing it, as a lecturer would."""
    area.get_by_label(label, exact=True).first.click()
    page.keyboard.type(typed)
    page.keyboard.press("Enter")
    br.wait_until_idle(page, timeout=120)


def test_a_link_shows_the_same_charts_in_a_fresh_browser(browser, app_url) -> None:
    views = []
    for context_number in range(2):
        context = browser.new_context(viewport={"width": 1280, "height": 720})
        try:
            page = context.new_page()
            page.set_default_timeout(120_000)
            br.goto(page, app_url, "signatures" if context_number == 0 else views[0][0], timeout=240)
            area = main(page)
            if context_number == 0:
                choose(area, page, "User", "7")
                choose(area, page, "Sample", "S31")
                area.get_by_text("1vs1", exact=True).first.click()  # the histogram's comparison
                br.wait_until_idle(page, timeout=120)
            br.assert_no_exception(page)
            assert "This link asked for settings" not in area.inner_text()
            views.append((page.url, page.evaluate(CHART_DATA)))
        finally:
            context.close()
    (url, original), (replayed_url, replayed) = views
    assert "signatures%3Auser=7" in url and "S31" in urllib.parse.unquote_plus(url), url
    assert replayed_url == url
    assert len(original) >= 4 and all(original)  # trajectory, time functions, one function, DET, histogram
    assert replayed == original


def test_the_det_charts_png_and_csv_downloads_parse_and_projector_screenshots(browser, app_url) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 720}, accept_downloads=True)
    try:
        page = context.new_page()
        page.set_default_timeout(120_000)
        br.goto(page, app_url, "signatures?projector=true", timeout=240)
        area = main(page)
        det = area.locator(".js-plotly-plot").filter(has_text="false acceptance rate").first
        det.scroll_into_view_if_needed()
        page.wait_for_timeout(600)
        br.save_screenshot(page, "signatures-det-projector")
        det.hover()
        with page.expect_download() as png:
            det.locator('.modebar-btn[data-title="Download plot as a PNG"]').click()
        with Image.open(png.value.path()) as image:
            assert image.size == (1920, 1080)
        chart = area.get_by_test_id("stPlotlyChart").filter(has_text="false acceptance rate").first
        button = chart.locator("xpath=following::*[@data-testid='stDownloadButton'][1]")
        with page.expect_download() as table:
            button.get_by_role("button", name="Data (CSV)").click()
        header, *rows = list(csv.reader(io.StringIO(Path(table.value.path()).read_text())))
        assert header[0] == "trace" and header[1].startswith("x: false acceptance") and len(rows) > 10, header
        assert all(math.isfinite(float(row[1])) for row in rows)  # numbers (probit of the rate), not labels
        area.get_by_role("heading", name="A signature and its time functions (Table 1)").scroll_into_view_if_needed()
        page.wait_for_timeout(600)
        br.save_screenshot(page, "signatures-trajectory-projector")
        area.get_by_text("Time function", exact=True).scroll_into_view_if_needed()
        page.wait_for_timeout(600)
        br.save_screenshot(page, "signatures-one-function-projector")
        area.get_by_text("Score histograms").scroll_into_view_if_needed()
        page.wait_for_timeout(600)
        br.save_screenshot(page, "signatures-histogram-projector")
        br.assert_no_exception(page)
    finally:
        context.close()


def test_hostile_values_for_the_pages_settings_fall_back_with_a_note(goto) -> None:
    hostile = {"signatures:user": "<script>window.hacked=1</script>", "signatures:train_steps": "99999",
               "signatures:det": "x" * 100_000, "signatures:hist_mode": "2vs1", "signatures:train_fold": "1e999"}  # fmt: skip
    page = goto("signatures?" + urllib.parse.urlencode(hostile), timeout=240)
    area = main(page)
    note = area.get_by_text("This link asked for settings the page cannot use")
    note.wait_for(state="visible")
    text = note.inner_text()
    assert all(name in text for name in hostile) and "100,000 characters" in text
    assert page.evaluate("() => window.hacked === undefined")
    assert area.get_by_label("User", exact=True).first.input_value() == "1"
    assert not set(hostile) & set(urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query))
    br.assert_no_exception(page)


def test_the_organisers_protocol_and_the_function_choice_render(goto) -> None:
    page = goto("signatures", timeout=180)
    area = main(page)
    area.get_by_text("SVC2004 organisers': 5 random references, 10 trials").click()
    br.wait_until_idle(page)
    table = area.locator("table").filter(has_text="a threshold per user and trial").first
    table.wait_for(state="visible")
    assert "2.89" in table.inner_text()
    br.assert_no_exception(page)
    page.set_viewport_size({"width": 1280, "height": 720})
    area.get_by_text("DTW time functions").scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    br.save_screenshot(page, "signatures-function-choice")
    table.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    br.save_screenshot(page, "signatures-organisers")
