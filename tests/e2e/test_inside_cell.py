"""Inside the cell in a real browser: type a sentence, heatmaps and equations appear, a click explains a cell."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e import browser as br

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not list((ROOT / "checkpoints").glob("charlm-*.safetensors")),
                                reason="no charlm checkpoints in checkpoints/ yet")
SENTENCE = 'say (x [y "hi <b>there</b>"]) <script>alert(1)</script>'


def main(page):
    """The page's main column."""
    return page.locator('[data-testid="stMain"]')


def type_text(page, text: str) -> None:
    """Replace the text box's content and commit it (Ctrl+Enter), then wait for the rerun."""
    box = main(page).get_by_role("textbox", name="Text to read (type or paste your own)")
    box.fill(text)
    box.press("Control+Enter")
    br.wait_until_idle(page)


def heatmap_cell_position(page, t: int, row: int) -> tuple[float, float]:
    """Screen coordinates of cell (t, row) of the first chart (the gate heatmap)."""
    return tuple(page.evaluate(
        """([t, row]) => { const gd = document.querySelectorAll('.js-plotly-plot')[0];
            const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, box = gd.getBoundingClientRect();
            return [box.left + xa._offset + xa.l2p(t), box.top + ya._offset + ya.l2p(row)]; }""", [t, row]))


def test_type_a_sentence_see_heatmaps_and_click_a_cell(goto) -> None:
    """Typed text (with markup) is traced and shown as text; a click on the heatmap explains that cell."""
    page = goto("inside-cell", timeout=120)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    type_text(page, SENTENCE)
    br.assert_no_exception(page)
    plots = page.locator(".js-plotly-plot")
    assert plots.count() >= 3
    ticks = page.evaluate("() => document.querySelectorAll('.js-plotly-plot')[0]._fullLayout.xaxis.ticktext.join('')")
    assert "s" in ticks and "(" in ticks
    assert page.locator(".katex").count() >= 6 and page.locator(".katex-error").count() == 0
    assert page.locator("script:text('alert(1)')").count() == 0 and not dialogs
    plots.first.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    x, y = heatmap_cell_position(page, 4, 2)
    page.mouse.move(x - 3, y - 3)
    page.mouse.move(x, y, steps=4)
    page.wait_for_timeout(300)
    page.mouse.click(x, y)
    br.wait_until_idle(page)
    br.assert_no_exception(page)
    position = main(page).get_by_role("spinbutton", name="Character position")
    assert position.input_value() == "4"
    unit = int(main(page).get_by_role("spinbutton", name="Unit", exact=True).input_value())
    assert f"Unit {unit} at position 4" in main(page).inner_text()
    br.save_screenshot(page, "inside-cell")
    br.save_screenshot(page, "inside-cell-full", full_page=True)


def test_a_box_over_the_heatmap_selects_a_span(goto) -> None:
    """With the box tool, dragging across characters 2..9 opens 'Select a span' on exactly that text."""
    page = goto("inside-cell", timeout=120)
    type_text(page, 'f(a [b c] "say {x}") d')
    plot = page.locator(".js-plotly-plot").first
    plot.scroll_into_view_if_needed()
    plot.hover()
    plot.locator('.modebar-btn[data-title="Box Select"]').click()
    (x0, y0), (x1, y1) = heatmap_cell_position(page, 2, 1), heatmap_cell_position(page, 9, 4)
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x1, y1, steps=10)
    page.mouse.up()
    br.wait_until_idle(page)
    br.assert_no_exception(page)
    assert main(page).get_by_role("tab", selected=True).inner_text() == "Select a span"
    assert "Span: a [b c]" in page.locator('[data-testid="stText"]').all_inner_texts()


def test_each_view_opens_in_the_browser(goto) -> None:
    """Every tab of 'Look closer' opens without an exception."""
    page = goto("inside-cell", timeout=120)
    for label in ("Find the unit", "Select a span", "Gate saturation", "Next-character guesses", "Compare models",
                  "How this model was made"):
        main(page).get_by_role("tab", name=label).click()
        br.wait_until_idle(page)
        br.assert_no_exception(page)
    br.save_screenshot(page, "inside-cell-how-made")
