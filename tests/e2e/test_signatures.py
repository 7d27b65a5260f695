"""Signature verification in a real browser: the DTW table and the DET plot render; screenshots for the README."""

from __future__ import annotations

import math

import pytest

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
    assert "Drawing 1 (mouse, 21 time functions): DTW score" in text and "Drawing 2" in text
    canvas.scroll_into_view_if_needed()
    page.wait_for_timeout(600)
    br.save_screenshot(page, "signatures-pad")
