"""Translate and Phrase scoring in a real browser: a link replays the view, the projector view, PNG and CSV exports."""

from __future__ import annotations

import csv
import io
import urllib.parse
from pathlib import Path

import pytest
from PIL import Image

from rnnviz.seq2seq.translator import list_translators
from tests.e2e import browser as br

pytestmark = pytest.mark.skipif(not any((c.source, c.target) == ("fra", "eng") for c in list_translators()[0]),
                                reason="checkpoints/translate-fra-eng*.safetensors missing")
LECTURE_VIEWPORT = {"width": 1280, "height": 720}
FIGURE_DATA = """() => JSON.stringify([...document.querySelectorAll('.js-plotly-plot')]
    .filter((gd) => gd.getClientRects().length > 0)
    .map((gd) => [gd.data.map((t) => [t.z, t.x, t.y]), gd.layout.xaxis.ticktext, gd.layout.yaxis.ticktext]))"""
TICK_SIZE = """() => { const tick = [...document.querySelectorAll('.js-plotly-plot .xtick text')]
    .find((t) => t.getClientRects().length > 0); return tick ? parseFloat(getComputedStyle(tick).fontSize) : 0; }"""


def fresh_tab(browser, url: str, timeout: float = 120.0):
    """A new browser context (its own session: nothing shared with another tab) opened on `url`, idle."""
    context = browser.new_context(viewport=LECTURE_VIEWPORT)
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    tab.goto(url, wait_until="domcontentloaded")
    tab.wait_for_selector(br.APP, state="attached", timeout=timeout * 1000)
    br.wait_until_idle(tab, timeout=timeout)
    br.assert_no_exception(tab)
    return tab


def main_block(page):
    """The page's main column (the toolbar has its own buttons)."""
    return page.get_by_test_id("stMainBlockContainer")


def screenshots_in_both_modes(browser, url: str, name: str, chart: int = 0) -> list[Path]:
    """Screenshots at 1280x720 of `url` as it is and in the projector view, its visible chart number `chart`
    (-1: the last) in view."""
    paths = []
    for mode, query in (("", ""), ("-projector", "projector=true")):
        tab = fresh_tab(browser, url + (("&" if "?" in url else "?") + query if query else ""))
        charts = tab.locator(".js-plotly-plot:visible")
        if charts.count():
            charts.nth(chart if chart >= 0 else charts.count() + chart).scroll_into_view_if_needed()
            tab.wait_for_timeout(300)
        paths.append(br.save_screenshot(tab, f"{name}{mode}"))
        tab.context.close()
    return paths


def download(page, trigger) -> bytes:
    """The bytes of the file that `trigger()` makes the browser download."""
    with page.expect_download(timeout=60_000) as info:
        trigger()
    return Path(info.value.path()).read_bytes()


def check_exports(page) -> None:
    """The first visible chart's camera button saves a 1920x1080 PNG, and its "Data (CSV)" file parses."""
    chart = page.locator(".js-plotly-plot:visible").first
    chart.scroll_into_view_if_needed()
    chart.hover()
    png = download(page, lambda: chart.locator('.modebar-btn[data-title="Download plot as a PNG"]').click())
    with Image.open(io.BytesIO(png)) as image:
        assert image.size == (1920, 1080) and image.format == "PNG"
    button = main_block(page).get_by_role("button", name="Data (CSV)").first
    rows = list(csv.reader(io.StringIO(download(page, button.click).decode("utf-8"))))
    assert rows[0][0] == "trace" and len(rows) > 4 and all(len(row) == len(rows[0]) for row in rows)


def test_a_typed_view_replays_from_its_link_in_a_fresh_browser(browser, app_url) -> None:
    original = fresh_tab(browser, br.url_for(app_url, "translate"))
    box = main_block(original).get_by_role("textbox", name="Type a sentence in French")
    box.fill("il est plus grand que moi .")
    box.press("Enter")
    br.wait_until_idle(original)
    slider = main_block(original).get_by_role("slider", name="Beam width")
    slider.focus()
    slider.press("ArrowRight")
    slider.press("ArrowRight")
    br.wait_until_idle(original)
    link = original.url
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)
    assert query["translate:text:fra"] == ["il est plus grand que moi ."] and query["translate:beam"] == ["3"]
    shown = original.evaluate(FIGURE_DATA)
    replay = fresh_tab(browser, link)
    assert replay.evaluate(FIGURE_DATA) == shown
    assert main_block(replay).get_by_role("textbox", name="Type a sentence in French").input_value() == \
        "il est plus grand que moi ."
    assert "Beam candidates (width 3)" in main_block(replay).inner_text()


def test_the_projector_switch_enlarges_the_tick_labels(browser, app_url) -> None:
    tab = fresh_tab(browser, br.url_for(app_url, "translate"))
    before = tab.evaluate(TICK_SIZE)
    tab.get_by_test_id("stSidebar").get_by_text("Projector view").click()
    br.wait_until_idle(tab)
    after = tab.evaluate(TICK_SIZE)
    assert 0 < before < after and after >= 20
    assert "projector=true" in tab.url


def test_the_attention_map_exports_a_projector_png_and_its_csv(browser, app_url) -> None:
    check_exports(fresh_tab(browser, br.url_for(app_url, "translate")))


def test_a_hostile_link_falls_back_with_a_note(browser, app_url) -> None:
    query = urllib.parse.urlencode({"translate:beam": "999", "translate:direction": "Klingon", "bogus": "1",
                                    "translate:text:fra": "<script>alert(1)</script> " + "il est grand . " * 6700})
    # 100 kB of text: the server takes a URL of about 100 kB (a 150 kB one is refused before the app runs)
    dialogs: list[str] = []
    tab = fresh_tab(browser, br.url_for(app_url, "translate") + "?" + query)
    tab.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    text = main_block(tab).inner_text()
    assert "This link asked for settings the page cannot use" in text
    assert "translate:beam" in text and "Klingon" in text and "cut to its first 5,000 characters" in text
    assert tab.locator("script:text('alert(1)')").count() == 0 and not dialogs
    assert "bogus" not in tab.url


def test_screenshots_of_both_pages_in_both_modes(browser, app_url) -> None:
    """Translate (the map in view), Compare, Train live and Phrase scoring, as they are and in the projector view."""
    views = {"translate-link": "translate?translate%3Atext%3Afra=il+est+plus+grand+que+moi+.",
             "translate-compare": "translate?translate%3Atab=Compare+attention+kinds",
             "translate-train": "translate?translate%3Atab=Train+live", "phrase-scoring": "smt-paper"}
    for name, path in views.items():
        for shot in screenshots_in_both_modes(browser, br.url_for(app_url, path), name):
            with Image.open(shot) as image:
                assert image.size == (1280, 720)
