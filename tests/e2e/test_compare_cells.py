"""Compare cells in a real browser: a small comparison trains live, its result table appears, screenshot."""

from __future__ import annotations

import re

import pytest

from tests.e2e import browser as br

PAIRS = br.ROOT.parent / "shared" / "data" / "eng-fra.txt"
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


def set_number(page, main, name: str, value: int) -> None:
    """Type a value into a number input and let the page rerun."""
    box = main.get_by_role("spinbutton", name=name)
    box.fill(str(value))
    box.press("Enter")
    br.wait_until_idle(page)


@pytest.mark.skipif(not PAIRS.is_file(), reason=f"the tutorial's pairs {PAIRS} are not there")
def test_translation_races_the_cells_by_held_out_bleu(goto) -> None:
    """Upload the tutorial's pairs, race the four cells for 20 steps, read the BLEU table and the loss chart."""
    page = goto("compare-cells")
    main = page.get_by_test_id("stMainBlockContainer")
    main.get_by_role("combobox", name="Task").click()
    page.get_by_role("option", name=re.compile("Translation")).click()
    br.wait_until_idle(page)
    main.locator('input[type="file"]').first.set_input_files(str(PAIRS))
    main.get_by_text("encoder units per direction").wait_for(state="attached", timeout=180_000)  # a grid header
    set_number(page, main, "Steps", 20)
    set_number(page, main, "Seeds", 1)
    main.get_by_role("button", name="Train all").click()
    page.get_by_text(re.compile(r"finished 4 runs")).wait_for(timeout=TRAINING_TIMEOUT_MS)
    br.wait_until_idle(page)
    br.assert_no_exception(page)
    text = main.inner_text()
    assert "held-out BLEU" in text and "translation fra→eng" in text
    assert main.locator('[data-testid="stPlotlyChart"]:visible').count() == 2  # final scores, loss (no batch score)
    page.set_viewport_size({"width": 1280, "height": 720})
    page.get_by_text("The result.").scroll_into_view_if_needed()
    page.mouse.move(0, 0)
    br.save_screenshot(page, "compare-cells-translation")


def test_a_link_with_a_table_and_the_projector_view_replays_in_a_fresh_browser(goto) -> None:
    link = "compare-cells?compare%3Arows=gru.1.16%2Clstm.2bi.8&compare%3Asize=same+hidden+size&seed=4&projector=true"
    page = goto(link)
    main = page.get_by_test_id("stMainBlockContainer")
    text = main.inner_text()
    assert "This link asked for settings" not in text, text[:600]  # the tables are canvases: AppTest reads them
    assert page.get_by_test_id("stSidebar").get_by_label("Seed", exact=True).input_value() == "4"
    assert "compare%3Arows=gru.1.16%2Clstm.2bi.8" in page.url
    page.set_viewport_size({"width": 1280, "height": 720})
    br.save_screenshot(page, "compare-cells-link-projector")
    br.assert_no_exception(page)
