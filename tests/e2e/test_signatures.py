"""Signature verification in a real browser: the DTW table and the DET plot render; screenshots for the README."""

from __future__ import annotations

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
