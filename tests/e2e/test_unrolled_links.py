"""Unrolled graph and Home as lecture links in a real browser: a link shows the same graph in a fresh browser,
opens the tab it names, the projector view enlarges tick labels, and screenshots of both modes at 1280x720."""

from __future__ import annotations

import json
import re
import urllib.parse

from tests.e2e import browser as br

SMALL = {"width": 1280, "height": 720}
SCENE = {"unrolled:kind": "GRU", "unrolled:hidden": "4", "unrolled:text": "abc", "seed": "5"}
GRAPH_DATA = """() => document.querySelectorAll('.js-plotly-plot')[0].data.map(
    (trace) => ({name: trace.name ?? null, x: trace.x ?? null, y: trace.y ?? null, text: trace.text ?? null}))"""


def link(app_url: str, page: str, query: dict[str, str]) -> str:
    """A page's address with `query`, ending with an empty `end` (Streamlit here appends "/" to the last value)."""
    return f"{app_url}/{page}?{urllib.parse.urlencode({**query, 'end': ''})}"


def tick_font_size(page) -> float:
    """The computed font size (px) of the first x tick label on the page."""
    page.locator(".js-plotly-plot .xtick text").first.wait_for()
    return page.evaluate("""() => parseFloat(getComputedStyle(
        document.querySelector('.js-plotly-plot .xtick text')).fontSize)""")


def switch_projector(page) -> None:
    """Turn the sidebar's projector switch on and wait for the rerun."""
    page.get_by_test_id("stSidebar").get_by_text("Projector view").click()
    br.wait_until_idle(page, timeout=120)
    br.assert_no_exception(page)


def test_a_link_shows_the_same_graph_in_a_fresh_browser(browser, app_url) -> None:
    graphs = []
    for _ in range(2):
        context = browser.new_context(viewport=br.VIEWPORT)
        page = context.new_page()
        page.set_default_timeout(60_000)
        try:
            br.goto(page, link(app_url, "unrolled", SCENE), timeout=120)
            br.assert_no_exception(page)
            graphs.append(page.evaluate(GRAPH_DATA))
        finally:
            context.close()
    assert graphs[0] and json.dumps(graphs[0]) == json.dumps(graphs[1])  # NaN gaps compare equal as text
    inputs = next(trace["text"] for trace in graphs[0] if trace["text"] and str(trace["text"][0]).startswith("x"))
    assert len(inputs) == 3  # "abc": three steps, not the default "hello"


def test_a_link_opens_the_tab_it_names(page, app_url) -> None:
    br.goto(page, link(app_url, "unrolled", {"unrolled:tab": "Truncated BPTT"}), timeout=120)
    br.assert_no_exception(page)
    selected = page.get_by_test_id("stMainBlockContainer").locator('[role="tab"][aria-selected="true"]')
    assert selected.first.inner_text().strip() == "Truncated BPTT"


def test_unrolled_both_modes(page, app_url) -> None:
    """Screenshots at 1280x720 in both modes; the projector switch enlarges the tick labels."""
    page.set_viewport_size(SMALL)
    br.goto(page, link(app_url, "unrolled", {}), timeout=120)
    normal = tick_font_size(page)
    br.save_screenshot(page, "unrolled-normal")
    br.save_screenshot(page, "unrolled-normal-full", full_page=True)
    switch_projector(page)
    projector = tick_font_size(page)
    assert projector >= 18 and projector > normal
    br.save_screenshot(page, "unrolled-projector")
    br.save_screenshot(page, "unrolled-projector-full", full_page=True)
    query = urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query)
    assert query.get("projector") == ["true"]


def test_home_both_modes(page, app_url) -> None:
    page.set_viewport_size(SMALL)
    br.goto(page, app_url, timeout=120)
    br.save_screenshot(page, "home-normal")
    br.save_screenshot(page, "home-normal-full", full_page=True)
    before = page.evaluate("() => parseFloat(getComputedStyle(document.documentElement).fontSize)")
    switch_projector(page)
    after = page.evaluate("() => parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert after > before
    br.save_screenshot(page, "home-projector")
    br.save_screenshot(page, "home-projector-full", full_page=True)
    assert page.get_by_test_id("stMainBlockContainer").get_by_text(re.compile("The lecture, topic by topic")).count()
