"""The gradient lab in a real browser: a preset trains live, the heatmap appears, two tabs train at once."""

from __future__ import annotations

import re
from pathlib import Path

from PIL import Image

from tests.e2e import browser as br

# The README's picture, always written to artifacts/screenshots/; the README's copy (gradient_lab.png)
# is refreshed only on request (br.publish_for_readme).
ARTIFACT_SHOT = br.SCREENSHOTS / "gradient-lab-readme.png"
TRAINING_TIMEOUT_MS = 240_000  # preset 6 takes seconds alone, longer on a busy shared machine


def charts(page) -> int:
    """How many Plotly charts the page shows."""
    return page.locator('[data-testid="stPlotlyChart"]').count()


def save_for_readme(page, path: Path) -> None:
    """The top of the page down to the heatmap, as a palette PNG small enough for the README."""
    page.mouse.move(0, 0)  # no tooltip in the picture
    page.set_viewport_size({"width": 1280, "height": 2300})
    page.wait_for_timeout(800)
    page.screenshot(path=str(path))
    image = Image.open(path).convert("RGB").crop((0, 0, 1280, 2300))
    image.quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


def test_a_preset_trains_live_and_shows_the_heatmap(goto) -> None:
    """Preset 6 (truncated BPTT): live progress with Stop, then every chart, the claim checked, no exception."""
    page = goto("gradient-lab")
    page.get_by_role("button", name=re.compile(r"^6 · Truncated BPTT")).click()
    main = page.get_by_test_id("stMainBlockContainer")  # not the toolbar's Stop of a script run still going
    main.get_by_role("button", name="Stop").wait_for(timeout=30_000)  # the live panel is up
    page.get_by_text(re.compile(r"finished \d+ steps")).wait_for(timeout=TRAINING_TIMEOUT_MS)
    br.wait_until_idle(page)
    br.assert_no_exception(page)
    main = page.locator('[data-testid="stMain"]')
    assert main.get_by_text("Gradient reaching each timestep, over training").is_visible()
    assert charts(page) == 5
    text = main.inner_text()
    assert "Does this run show the claim of preset 6?" in text
    assert "exactly 0 for every t < T − k" in text
    br.save_screenshot(page, "gradient-lab-preset-6", full_page=True)
    ARTIFACT_SHOT.parent.mkdir(parents=True, exist_ok=True)
    save_for_readme(page, ARTIFACT_SHOT)
    assert ARTIFACT_SHOT.stat().st_size < 300_000
    br.publish_for_readme(ARTIFACT_SHOT, "gradient_lab.png")


def test_two_tabs_train_at_once_and_neither_sees_a_traceback(browser, app_url) -> None:
    """Two sessions click the exploding preset together: both end with 'diverged at step N', no error."""
    tabs = []
    for _ in range(2):
        context = browser.new_context(viewport=br.VIEWPORT)
        tab = context.new_page()
        tab.set_default_timeout(30_000)
        br.goto(tab, app_url, "gradient-lab")
        tabs.append((context, tab))
    try:
        for _, tab in tabs:
            tab.get_by_role("button", name=re.compile(r"^2 · Exploding")).click()
        for _, tab in tabs:
            tab.get_by_text(re.compile(r"diverged at step \d+: the loss became")).wait_for(timeout=TRAINING_TIMEOUT_MS)
            br.wait_until_idle(tab)
            br.assert_no_exception(tab)
            assert charts(tab) == 5
            assert "last finite state" in tab.locator('[data-testid="stMain"]').inner_text()
    finally:
        for context, _ in tabs:
            context.close()
