"""Lecture links in a real browser: hostile links fall back with a note, the copy box, a link replays seed and projector."""

from __future__ import annotations

import urllib.parse

import pytest

from tests.e2e import browser as br

SCRIPT = "<script>window.hacked=1</script>"
HOSTILE = "?" + urllib.parse.urlencode({"seed": "abc", "foo": SCRIPT, "projector": "maybe"})
NOTE = "This link asked for settings the page cannot use"
# A page whose charts go through ui.charts.show and show without training (the DET plot reads a committed summary).
CHART_PAGE = "signatures"
CHART_TIMEOUT = 240  # the signature page reads 1,600 files on its first open
TICK_SIZE = """() => [...document.querySelectorAll('[data-testid="stMainBlockContainer"] .xtick text')]
                     .map((tick) => parseFloat(getComputedStyle(tick).fontSize))"""


def main(page):
    """The page's main column (the toolbar has its own buttons)."""
    return page.get_by_test_id("stMainBlockContainer")


def sidebar(page):
    """The sidebar, where the seed, the projector switch and the copy box live."""
    return page.get_by_test_id("stSidebar")


def open_link(page, app_url: str, path_and_query: str, timeout: float = 120) -> None:
    """Open a link as a visitor would (typed or clicked), wait until the app is idle."""
    br.goto(page, app_url, path_and_query, timeout=timeout)


def query_of(url: str) -> dict[str, list[str]]:
    """The query of a URL as name -> values."""
    return urllib.parse.parse_qs(urllib.parse.urlsplit(url).query, keep_blank_values=True)


def copied_link(page) -> str:
    """The text of the sidebar's "Copy link to this view" box."""
    box = sidebar(page).get_by_test_id("stExpander").filter(has_text="Copy link to this view")
    box.get_by_text("Copy link to this view").click()
    code = box.locator('[data-testid="stCode"] code')
    code.wait_for(state="visible")
    return code.inner_text().strip()


def test_a_hostile_link_shows_the_note_and_the_defaults_and_drops_the_unknown_name(page, app_url) -> None:
    open_link(page, app_url, HOSTILE)
    br.assert_no_exception(page)
    note = main(page).get_by_text(NOTE)
    note.wait_for(state="visible")
    text = note.inner_text()
    for name in ("seed", "foo", "projector"):
        assert f"{name} =" in text, f"the note does not name {name!r}: {text}"
    assert SCRIPT in text  # shown as text, never run as HTML
    assert page.evaluate("() => window.hacked === undefined")
    assert sidebar(page).get_by_label("Seed", exact=True).input_value() == "0"
    assert not sidebar(page).get_by_role("switch", name="Projector view").is_checked()
    assert "foo" not in query_of(page.url)
    br.save_screenshot(page, "links-hostile")


@pytest.mark.parametrize("value", ["9" * 100_000, "1e999", "-inf"], ids=["100 kB of nines", "1e999", "-inf"])
def test_a_huge_or_infinite_seed_falls_back_with_the_note_and_the_page_runs(page, app_url, value: str) -> None:
    open_link(page, app_url, "?seed=" + value)  # unguarded, int(float(value)) raised OverflowError: a traceback
    br.assert_no_exception(page)
    note = main(page).get_by_text(NOTE)
    note.wait_for(state="visible")
    assert ("100,000 characters" if len(value) > 100 else f"seed = {value}") in note.inner_text()
    assert len(note.inner_text()) < 1_000
    assert sidebar(page).get_by_label("Seed", exact=True).input_value() == "0"
    assert "seed" not in query_of(page.url)


def test_the_copy_box_shows_exactly_the_page_url_with_its_query(page, app_url) -> None:
    open_link(page, app_url, "?seed=7")
    seed = sidebar(page).get_by_label("Seed", exact=True)
    seed.fill("12")
    seed.press("Enter")
    br.wait_until_idle(page)
    assert query_of(page.url) == {"seed": ["12"]}
    assert copied_link(page) == page.url
    sidebar(page).get_by_text("Projector view").click()
    br.wait_until_idle(page)
    assert query_of(page.url) == {"seed": ["12"], "projector": ["true"]}
    assert copied_link(page) == page.url


def test_a_link_replays_seed_and_projector_view_in_a_fresh_browser(browser, app_url) -> None:
    sizes = {}
    for projector in (False, True):
        context = browser.new_context(viewport={"width": 1280, "height": 720})
        try:
            page = context.new_page()
            page.set_default_timeout(60_000)
            query = "?seed=7&projector=true" if projector else "?seed=7"
            open_link(page, app_url, CHART_PAGE + query, timeout=CHART_TIMEOUT)
            br.assert_no_exception(page)
            assert sidebar(page).get_by_label("Seed", exact=True).input_value() == "7"
            assert sidebar(page).get_by_role("switch", name="Projector view").is_checked() == projector
            assert query_of(page.url) == query_of(query)
            main(page).locator(".xtick text").first.wait_for(state="attached")
            sizes[projector] = page.evaluate(TICK_SIZE)
        finally:
            context.close()
    assert min(sizes[True]) >= 20, sizes[True]
    assert max(sizes[False]) < min(sizes[True]), sizes


def test_home_in_both_modes(page, app_url) -> None:
    page.set_viewport_size({"width": 1280, "height": 720})
    for projector, name in ((False, "home-normal"), (True, "home-projector")):
        open_link(page, app_url, "?projector=true" if projector else "")
        br.assert_no_exception(page)
        assert sidebar(page).get_by_role("switch", name="Projector view").is_checked() == projector
        root = page.evaluate("() => parseFloat(getComputedStyle(document.documentElement).fontSize)")
        assert (root >= 20) == projector, root
        br.save_screenshot(page, name)
