"""Embeddings in a real browser: the map appears, a typed phrase is placed and marked (the README's picture)."""

from __future__ import annotations

import contextlib

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from rnnviz.embeddings.phrases import find_corpus
from rnnviz.seq2seq.translator import list_translators
from tests.e2e import browser as br

CORPUS = "translate-eng-fra-corpus.safetensors"
SHIPPED = {c.path.name: c for c in list_translators()[0]}
needs_corpus = pytest.mark.skipif(CORPUS not in SHIPPED or find_corpus(SHIPPED[CORPUS].info) is None,
                                  reason=f"checkpoints/{CORPUS} or eng-fra.txt missing")  # fmt: skip


def open_page(goto):
    """The embeddings page, idle; (page, main area)."""
    page = goto("embeddings", timeout=240)
    main = page.get_by_test_id("stMainBlockContainer")
    main.locator('[data-testid="stPlotlyChart"]').first.wait_for(state="visible", timeout=120_000)
    br.assert_no_exception(page)
    return page, main


def wait_for_tsne(page, main, timeout_ms: int = 240_000) -> None:
    """Wait until the background t-SNE has replaced the PCA map (the page reruns itself when it is ready)."""
    main.locator("p:has-text('t-SNE map of'):visible").first.wait_for(state="visible", timeout=timeout_ms)
    br.wait_until_idle(page, timeout=120)


@needs_corpus
def test_the_words_map_appears_with_points_and_labels(goto) -> None:
    page, main = open_page(goto)
    chart = main.locator('[data-testid="stPlotlyChart"]').first
    chart.locator(".scatterlayer, canvas").first.wait_for(state="attached")
    assert "The map distorts distances" in main.inner_text()
    box = main.get_by_role("textbox", name="Search a word")
    box.fill("three")
    box.press("Enter")
    br.wait_until_idle(page, timeout=120)
    br.assert_no_exception(page)
    assert "cosine similarity in the full" in main.inner_text()
    wait_for_tsne(page, main)
    page.set_viewport_size({"width": 1280, "height": 720})
    main.get_by_role("heading", name="Embeddings").scroll_into_view_if_needed()
    chart.scroll_into_view_if_needed()
    page.wait_for_timeout(800)
    br.save_screenshot(page, "embeddings-words", readme="embeddings_words.png")


@needs_corpus
def test_a_typed_phrase_is_placed_and_marked(goto) -> None:
    page, main = open_page(goto)
    main.get_by_role("tab", name="Phrases").click()
    box = main.get_by_role("textbox", name="Type a phrase in English to place it in the map")
    box.wait_for(state="visible", timeout=240_000)  # the tab runs when opened: it reads the corpus first
    box.fill("i am not tired tonight .")
    box.press("Enter")
    br.wait_until_idle(page, timeout=180)
    br.assert_no_exception(page)
    text = main.inner_text()
    assert "Nearest training phrases" in text and "tonight" in text
    with contextlib.suppress(PlaywrightTimeout):  # the README shows t-SNE; on a busy machine PCA takes its place
        wait_for_tsne(page, main, timeout_ms=420_000)
    phrase_map = main.locator('[data-testid="stPlotlyChart"]').filter(has_text="typed phrase").first
    phrase_map.wait_for(state="visible", timeout=60_000)  # the star's legend entry: the phrase is marked
    page.set_viewport_size({"width": 1280, "height": 720})
    phrase_map.scroll_into_view_if_needed()
    page.wait_for_timeout(800)
    shot = br.save_screenshot(page, "embeddings-phrases", readme="embeddings_phrases.png")
    assert shot.stat().st_size < 400_000


def open_tab(page, main, name: str):
    """Click a tab of the page; its panel."""
    main.get_by_role("tab", name=name).click()
    panel = main.locator('[role="tabpanel"]:visible').first
    panel.wait_for(state="visible")
    return panel


@needs_corpus
def test_watch_it_form_trains_and_shows_the_snapshot_map(goto) -> None:
    page, main = open_page(goto)
    panel = open_tab(page, main, "Watch it form")
    panel.get_by_role("button", name="Train", exact=True).click()
    panel.locator("p:has-text('The word map at step'):visible").first.wait_for(state="visible", timeout=600_000)
    br.wait_until_idle(page, timeout=180)
    br.assert_no_exception(page)
    chart = panel.locator('[data-testid="stPlotlyChart"]:visible').first
    chart.wait_for(state="visible", timeout=60_000)
    assert "Do neighbours mean the same?" in panel.inner_text()
    page.set_viewport_size({"width": 1280, "height": 720})
    chart.scroll_into_view_if_needed()
    page.wait_for_timeout(800)
    br.save_screenshot(page, "embeddings-forming")


@needs_corpus
def test_the_hidden_states_map_renders(goto) -> None:
    page, main = open_page(goto)
    panel = open_tab(page, main, "Hidden states")
    panel.locator("p:has-text('characters, one point each'):visible").first.wait_for(state="visible", timeout=300_000)
    br.wait_until_idle(page, timeout=180)
    br.assert_no_exception(page)
    chart = panel.locator('[data-testid="stPlotlyChart"]:visible').first
    chart.wait_for(state="visible", timeout=60_000)
    assert "Does the state group by structure?" in panel.inner_text()
    page.set_viewport_size({"width": 1280, "height": 720})
    chart.scroll_into_view_if_needed()
    page.wait_for_timeout(800)
    br.save_screenshot(page, "embeddings-hidden")


@needs_corpus
def test_a_link_opens_the_phrases_tab_in_the_projector_view(goto) -> None:
    page = goto("embeddings?embeddings%3Atab=Phrases&projector=true&embeddings%3Aphrases%3Acount=500", timeout=240)
    main = page.get_by_test_id("stMainBlockContainer")
    assert "This link asked for settings" not in main.inner_text()
    assert main.get_by_role("tab", name="Phrases").get_attribute("aria-selected") == "true"
    page.set_viewport_size({"width": 1280, "height": 720})
    br.save_screenshot(page, "embeddings-phrases-link-projector")
    br.assert_no_exception(page)
