"""Compare cells in a real browser: a small comparison trains live, its result table appears, screenshot."""

from __future__ import annotations

import re

from tests.e2e import browser as br

TRAINING_TIMEOUT_MS = 420_000  # 12 short runs: under 30 s alone, minutes on a busy shared machine


def test_a_comparison_trains_and_its_table_appears(goto) -> None:
    """Four cells x 3 seeds of 20 steps: live panel with Stop, then the table, the sentences, the charts."""
    page = goto("compare-cells")
    main = page.get_by_test_id("stMainBlockContainer")
    steps = main.get_by_role("spinbutton", name="Steps")
    steps.fill("20")
    steps.press("Enter")
    br.wait_until_idle(page)
    main.get_by_role("button", name="Train all").click()
    main.get_by_role("button", name="Stop").wait_for(timeout=30_000)  # the live panel is up
    page.get_by_text(re.compile(r"finished 12 runs")).wait_for(timeout=TRAINING_TIMEOUT_MS)
    br.wait_until_idle(page)
    br.assert_no_exception(page)
    text = main.inner_text()
    assert "The result." in text and "Welch" in text
    assert "held-out accuracy" in text
    assert main.locator('[data-testid="stPlotlyChart"]:visible').count() == 3  # final scores, loss, metric
    page.set_viewport_size({"width": 1280, "height": 720})
    page.get_by_text("The result.").scroll_into_view_if_needed()
    page.mouse.move(0, 0)
    br.save_screenshot(page, "compare-cells-result", readme="compare_cells.png")
    br.save_screenshot(page, "compare-cells-full", full_page=True)


def test_the_homework_view_renders_from_the_shipped_file(goto) -> None:
    """The second tab: the command line, the three questions with their charts, no exception."""
    page = goto("compare-cells")
    page.get_by_role("tab", name="The homework, answered").click()
    br.wait_until_idle(page)
    br.assert_no_exception(page)
    main = page.get_by_test_id("stMainBlockContainer")
    text = main.inner_text()
    assert "python -m rnnviz.compare homework" in text
    for question in ("LSTM and SRU instead of GRU", "More layers", "Bidirectional encoder"):
        assert question in text
    assert main.locator('[data-testid="stPlotlyChart"]:visible').count() == 3
    page.set_viewport_size({"width": 1280, "height": 720})
    page.get_by_text("LSTM and SRU instead of GRU (1 layer, one-way)").scroll_into_view_if_needed()
    page.mouse.move(0, 0)
    br.save_screenshot(page, "compare-cells-homework")
