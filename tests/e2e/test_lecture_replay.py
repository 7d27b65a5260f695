"""Compare cells and Embeddings as lecture links: a link replays the same figures in a fresh browser (a trained race:
Train pressed in both), and the projector view of each page, whole, at 1280x720: every chart text at least 18 px.
The teacher-forcing runs and a "Watch it form" run download their script and weights."""

from __future__ import annotations

import json
import re
import urllib.parse
from pathlib import Path

from rnnviz.io import checkpoints
from rnnviz.seq2seq.translator import Translator
from rnnviz.unrolled.reproduce import BUILDERS
from tests.e2e import browser as br

SMALL = {"width": 1280, "height": 720}
MIN_PROJECTOR_PX = 18
RACE = {
    "compare:rows": "gru.1.8,lstm.1.8",
    "compare:size": "same hidden size",
    "compare:steps": "20",
    "compare:seeds": "1",
    "seed": "4",
}
RACE_TIMEOUT_MS = 300_000  # two runs of 20 steps: seconds alone, minutes on a busy shared machine
PCA = "PCA (instant)"
VIEW = {
    "embeddings:model": "French → English",  # the start of a label: the test picks the full one from the page
    "embeddings:words:side": "target: English words",
    "embeddings:words:projection": PCA,
    "embeddings:words:search": "three",
    "embeddings:phrases:projection": PCA,
    "embeddings:phrases:typed": "i am cold .",
    "seed": "3",
}
# What a chart draws (timing-free): names, coordinates and hover texts of its traces.
FIGURES = """() => [...document.querySelectorAll('[data-testid="stMainBlockContainer"] .js-plotly-plot')]
    .filter((plot) => plot.offsetParent !== null)
    .map((plot) => plot.data.map((trace) => ({name: trace.name ?? null, x: trace.x ?? null, y: trace.y ?? null,
                                               z: trace.z ?? null, text: trace.text ?? null})))"""
# Every visible piece of text of every chart of the main column: its computed size, the text and its class.
CHART_TEXTS = """() => [...document.querySelectorAll('[data-testid="stMainBlockContainer"] .js-plotly-plot text')]
    .filter((node) => node.textContent.trim() && node.getBBox().width > 0 && node.closest('.js-plotly-plot').offsetParent)
    .map((node) => [parseFloat(getComputedStyle(node).fontSize), node.textContent.trim().slice(0, 40),
                    node.getAttribute('class') || node.parentNode.getAttribute('class') || ''])"""


# Per visible chart, what a projector would lose: tick labels cut off by the chart's edge, a legend on an axis title.
LAYOUT_PROBLEMS = """() => [...document.querySelectorAll('[data-testid="stMainBlockContainer"] .js-plotly-plot')]
    .filter((plot) => plot.offsetParent !== null).flatMap((plot) => {
        const edge = plot.querySelector('.main-svg').getBoundingClientRect();
        const cut = [...plot.querySelectorAll('.xtick text, .ytick text')].filter((tick) => {
            const box = tick.getBoundingClientRect();
            return box.width > 0 && (box.left < edge.left - 1 || box.right > edge.right + 1);
        }).map((tick) => 'cut tick label ' + tick.textContent);
        const legend = plot.querySelector('.legend'), title = plot.querySelector('.xtitle');
        if (legend && title) {
            const a = legend.getBoundingClientRect(), b = title.getBoundingClientRect();
            if (a.top < b.bottom - 1 && b.top < a.bottom - 1 && a.left < b.right && b.left < a.right) cut.push(
                'legend over the x-axis title ' + title.textContent);
        }
        return cut;
    })"""


def main(page):
    """The page's main column (the toolbar has its own Stop)."""
    return page.get_by_test_id("stMainBlockContainer")


def link(app_url: str, page: str, query: dict[str, str]) -> str:
    """A page's address with `query` (br.goto opens an absolute address as it is)."""
    return f"{app_url}/{page}?{urllib.parse.urlencode(query)}"


def fresh_page(browser):
    """A new browser context (its own Streamlit session) at 1280x720; (context, page)."""
    context = browser.new_context(viewport=SMALL)
    page = context.new_page()
    page.set_default_timeout(60_000)
    return context, page


def train_race(page) -> None:
    """Press Train all and wait for the finished race's charts."""
    main(page).get_by_role("button", name="Train all").click()
    page.get_by_text(re.compile(r"finished \d+ runs")).wait_for(timeout=RACE_TIMEOUT_MS)
    br.wait_until_idle(page, timeout=120)
    br.assert_no_exception(page)
    main(page).locator(".js-plotly-plot").first.wait_for(state="attached")


def smallest_texts(page, count: int = 5) -> list[list]:
    """The `count` smallest chart texts on the page: [px, text, class]."""
    return sorted(page.evaluate(CHART_TEXTS))[:count]


def screenshot_both_modes(page, url: str, name: str, ready) -> dict[bool, list[list]]:
    """Full-page screenshots of `url` in the normal and the projector view; the smallest chart texts of each."""
    smallest = {}
    for projector in (False, True):
        br.goto(page, url, url + ("&projector=true" if projector else ""), timeout=240)
        br.assert_no_exception(page)
        ready(page)
        page.mouse.move(0, 0)
        smallest[projector] = smallest_texts(page)
        if projector:
            assert not page.evaluate(LAYOUT_PROBLEMS), page.evaluate(LAYOUT_PROBLEMS)
        br.save_screenshot(page, f"{name}-{'projector' if projector else 'normal'}-full", full_page=True)
    return smallest


def test_a_race_link_trains_the_same_curves_in_a_fresh_browser(browser, app_url) -> None:
    figures, address = [], link(app_url, "compare-cells", RACE)
    for _ in range(2):
        context, page = fresh_page(browser)
        try:
            br.goto(page, app_url, address, timeout=120)
            br.assert_no_exception(page)
            assert "This link asked for settings" not in main(page).inner_text()
            assert main(page).get_by_role("spinbutton", name="Steps").input_value() == "20"
            train_race(page)
            figures.append(page.evaluate(FIGURES))
            address = page.url  # the second browser opens what the first one shows
        finally:
            context.close()
    assert any(trace["y"] for figure in figures[0] for trace in figure), "no curve after training"
    assert json.dumps(figures[0]) == json.dumps(figures[1])  # same seed, same CPU: the same curves and scores


def test_compare_full_page_in_both_modes_has_legible_charts(page, app_url) -> None:
    page.set_viewport_size(SMALL)
    smallest = screenshot_both_modes(page, link(app_url, "compare-cells", RACE), "compare-cells", train_race)
    assert smallest[True] and smallest[True][0][0] >= MIN_PROJECTOR_PX, smallest[True]
    assert smallest[False][0][0] < smallest[True][0][0], smallest


def embeddings_ready(page) -> None:
    """The words map and the phrases map drawn (PCA, instant), the typed phrase placed."""
    main(page).locator('[data-testid="stPlotlyChart"]:visible').first.wait_for(state="visible", timeout=180_000)
    br.wait_until_idle(page, timeout=180)
    br.assert_no_exception(page)


def tab_figures(page, tab: str) -> list:
    """Open a tab of the Embeddings page; the data of its visible charts (Words: the searched word ringed)."""
    main(page).get_by_role("tab", name=tab, exact=True).click()
    br.wait_until_idle(page, timeout=180)
    panel = main(page).locator('[role="tabpanel"]:visible').first
    mark = "cosine similarity in the full" if tab == "Words" else "typed phrase"
    panel.locator('[data-testid="stPlotlyChart"]:visible').first.wait_for(state="visible", timeout=180_000)
    if tab == "Phrases":
        panel.locator('[data-testid="stPlotlyChart"]').filter(has_text=mark).first.wait_for(timeout=180_000)
    else:
        assert mark in panel.inner_text()  # the searched word's neighbours are listed
    return page.evaluate(FIGURES)


def model_label(page) -> str:
    """The full label of the translator whose label starts with VIEW's model (its BLEU is in it)."""
    box = main(page).get_by_role("combobox", name="Translator")
    box.click()
    option = page.get_by_role("option", name=re.compile("^" + re.escape(VIEW["embeddings:model"]))).first
    label = option.inner_text().strip()
    page.keyboard.press("Escape")
    return label


def test_an_embeddings_link_shows_the_same_maps_in_a_fresh_browser(browser, app_url) -> None:
    context, page = fresh_page(browser)
    try:
        br.goto(page, app_url, link(app_url, "embeddings", {"embeddings:words:projection": PCA}), timeout=240)
        label = model_label(page)
    finally:
        context.close()
    figures, address = [], link(app_url, "embeddings", {**VIEW, "embeddings:model": label})
    for _ in range(2):
        context, page = fresh_page(browser)
        try:
            br.goto(page, app_url, address, timeout=240)
            embeddings_ready(page)
            assert "This link asked for settings" not in main(page).inner_text()
            chosen = main(page).get_by_role("combobox", name="Translator").input_value()
            assert chosen == label, chosen  # the linked translator is the one chosen
            seen = {"Words": tab_figures(page, "Words")}
            assert main(page).get_by_role("textbox", name="Search a word").input_value() == "three"
            seen["Phrases"] = tab_figures(page, "Phrases")
            assert main(page).get_by_role("textbox", name=re.compile("^Type a phrase")).input_value() == "i am cold ."
            figures.append(seen)
            address = page.url
        finally:
            context.close()
    assert figures[0]["Words"] and figures[0]["Phrases"]
    assert json.dumps(figures[0]) == json.dumps(figures[1])


def test_embeddings_full_page_in_both_modes_has_legible_charts(page, app_url) -> None:
    page.set_viewport_size(SMALL)
    address = link(app_url, "embeddings", {"embeddings:words:search": "three", "embeddings:words:projection": PCA})
    smallest = screenshot_both_modes(page, address, "embeddings", embeddings_ready)
    assert smallest[True] and smallest[True][0][0] >= MIN_PROJECTOR_PX, smallest[True]
    assert smallest[False][0][0] < smallest[True][0][0], smallest


def download(page, button) -> Path:
    """Click a download button; the downloaded file."""
    with page.expect_download(timeout=60_000) as caught:
        button.click()
    return Path(caught.value.path())


def test_the_teacher_forcing_runs_download_their_script_and_each_ratios_weights(page, app_url) -> None:
    query = {"unrolled:tab": "Is it parallelizable?", "unrolled-parallel:plan": "one ratio against 1.0",
             "unrolled-parallel:steps": "20", "seed": "6"}  # fmt: skip
    br.goto(page, app_url, link(app_url, "unrolled", query), timeout=120)
    page.set_viewport_size(SMALL)
    panel = main(page).locator('[role="tabpanel"]:visible').first
    panel.get_by_role("button", name="Train the runs").click()
    panel.get_by_text("Keep these runs").wait_for(timeout=RACE_TIMEOUT_MS)
    br.wait_until_idle(page, timeout=120)
    br.assert_no_exception(page)
    text = download(page, panel.get_by_role("button", name=re.compile("Script that redoes this run"))).read_text()
    compile(text, "teacher-forcing-runs.py", "exec")
    assert "seed = 6" in text and "steps = 20" in text and "[1.0, 0.0]" in text
    weights = panel.get_by_role("button", name=re.compile(r"^Ratio .* weights"))
    assert weights.count() == 2
    loaded = checkpoints.load(download(page, weights.nth(1)), builders=BUILDERS)
    assert loaded.extra["teacher_forcing"] == 0.0
    panel.get_by_text("Keep these runs").scroll_into_view_if_needed()
    page.mouse.move(0, 0)
    br.save_screenshot(page, "unrolled-teacher-forcing-downloads")


def test_a_forming_run_downloads_its_script_and_its_translator(page, app_url) -> None:
    """In the projector view, so the finished run's charts are checked for a lecture hall too."""
    query = {"embeddings:tab": "Watch it form", "embeddings:forming:steps": "200", "seed": "2", "projector": "true"}
    br.goto(page, app_url, link(app_url, "embeddings", query), timeout=240)
    page.set_viewport_size(SMALL)
    panel = main(page).locator('[role="tabpanel"]:visible').first
    panel.get_by_role("button", name="Train", exact=True).click()
    panel.get_by_text("Keep this run").wait_for(timeout=RACE_TIMEOUT_MS)
    br.wait_until_idle(page, timeout=120)
    br.assert_no_exception(page)
    text = download(page, panel.get_by_role("button", name=re.compile("Script that redoes this run"))).read_text()
    compile(text, "watch-it-form.py", "exec")
    assert "steps=200" in text and "seed=2" in text
    translator = Translator.load(download(page, panel.get_by_role("button", name=re.compile("Trained weights"))))
    assert "nov" in translator.source_vocab.tokens
    assert smallest_texts(page, 1)[0][0] >= MIN_PROJECTOR_PX, smallest_texts(page)
    assert not page.evaluate(LAYOUT_PROBLEMS), page.evaluate(LAYOUT_PROBLEMS)
    br.save_screenshot(page, "embeddings-forming-projector-full", full_page=True)
    panel.get_by_text("Keep this run").scroll_into_view_if_needed()
    page.mouse.move(0, 0)
    br.save_screenshot(page, "embeddings-forming-downloads")


def test_hostile_teacher_forcing_values_fall_back_with_the_note(page, app_url) -> None:
    query = {"unrolled:tab": "Is it parallelizable?", "unrolled-parallel:ratio": "5", "unrolled-parallel:steps": "1e999",
             "unrolled-parallel:per": "<script>window.hacked=1</script>", "unrolled-parallel:plan": "x" * 100_000}  # fmt: skip
    br.goto(page, app_url, link(app_url, "unrolled", query), timeout=120)
    br.assert_no_exception(page)
    note = main(page).get_by_text("This link asked for settings the page cannot use")
    note.wait_for(state="visible")
    for name in ("unrolled-parallel:ratio", "unrolled-parallel:steps", "unrolled-parallel:per", "unrolled-parallel:plan"):
        assert name in note.inner_text(), note.inner_text()[:600]
    assert page.evaluate("() => window.hacked === undefined")
    panel = main(page).locator('[role="tabpanel"]:visible').first
    assert "2 runs × 100 steps" in panel.inner_text() or "3 runs × 100 steps" in panel.inner_text()


PROJECTOR_TABS = {
    "compare-cells-homework": ("compare-cells", {"compare:tab": "The homework, answered"}),
    "embeddings-phrases": ("embeddings", {"embeddings:tab": "Phrases", "embeddings:phrases:projection": PCA}),
    "embeddings-hidden": ("embeddings", {"embeddings:tab": "Hidden states", "embeddings:hidden:method": PCA}),
}


def test_the_other_tabs_of_both_pages_have_legible_charts_in_the_projector_view(page, app_url) -> None:
    page.set_viewport_size(SMALL)
    smallest = {}
    for name, (page_name, query) in PROJECTOR_TABS.items():
        br.goto(page, app_url, link(app_url, page_name, {**query, "projector": "true"}), timeout=300)
        br.assert_no_exception(page)
        main(page).locator('[data-testid="stPlotlyChart"]:visible').first.wait_for(state="visible", timeout=300_000)
        br.wait_until_idle(page, timeout=180)
        assert "This link asked for settings" not in main(page).inner_text()
        page.mouse.move(0, 0)
        smallest[name] = smallest_texts(page, 3)
        assert not page.evaluate(LAYOUT_PROBLEMS), (name, page.evaluate(LAYOUT_PROBLEMS))
        br.save_screenshot(page, f"{name}-projector-full", full_page=True)
    assert all(texts and texts[0][0] >= MIN_PROJECTOR_PX for texts in smallest.values()), smallest
