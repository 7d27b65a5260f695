"""Home in a real browser, and every page of the navigation clicked through."""

from __future__ import annotations

import re

import pytest

from tests.e2e import browser as br
from ui import catalog


def test_home_lists_every_topic_and_links_built_pages(goto) -> None:
    """Home shows every lecture topic, links built pages, shows the seed, and no exception."""
    page = goto("")
    main = page.locator('[data-testid="stMain"]')
    main.get_by_text("The lecture, topic by topic").wait_for()
    text = main.inner_text()
    for topic, _keys in catalog.LECTURE_TOPICS:
        assert topic in text, f"topic {topic!r} missing from Home"
    links = main.locator('[data-testid="stPageLink"] a')
    hrefs = {links.nth(i).get_attribute("href") or "" for i in range(links.count())}
    taught = {key for _topic, keys in catalog.LECTURE_TOPICS for key in keys}
    for spec in catalog.built_pages():
        if spec.key in taught:
            assert any(href.rstrip("/").split("/")[-1] == spec.key for href in hrefs), f"no link to {spec.key}"
    for spec in catalog.PAGES:
        if not spec.built and spec.key in taught:
            assert spec.title in text, f"coming page {spec.title!r} not listed"
    seed = page.locator('[data-testid="stSidebar"]').get_by_label("Seed", exact=True)
    assert seed.is_visible()
    assert seed.input_value() == "0"
    br.assert_no_exception(page)
    br.save_screenshot(page, "home")
    br.save_screenshot(page, "home-full", full_page=True)


def test_navigation_lists_built_pages_in_section_order(goto) -> None:
    """The sidebar navigation shows exactly the built pages, in catalog order."""
    page = goto("")
    labels = [label for label, _href in br.nav_links(page)]
    expected = [spec.title for specs in catalog.pages_by_section().values() for spec in specs]
    if len(expected) < 2:
        expected = []  # Streamlit shows no navigation for a one-page app
    assert labels == expected


def test_every_page_in_navigation_opens_without_exception(goto) -> None:
    """Click each navigation link in turn; each page finishes running and shows no exception."""
    page = goto("")
    links = br.nav_links(page)
    assert len(links) == len(catalog.built_pages()) or len(catalog.built_pages()) < 2
    for label, _href in links:
        page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=label, exact=True).click()
        br.wait_until_idle(page)
        br.assert_no_exception(page)
        br.save_screenshot(page, "page-" + re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-"))


@pytest.mark.parametrize("spec", catalog.built_pages(), ids=lambda spec: spec.key)
def test_each_built_page_opens_by_url(goto, spec: catalog.PageSpec) -> None:
    """Each built page opens directly from its URL (a bookmark or a link on a slide)."""
    page = goto(spec.key)
    assert page.locator('[data-testid="stMain"]').inner_text().strip(), f"{spec.key} is blank"
