"""The Embeddings page under AppTest: every control, hostile phrases, maps of 3 points, too large a perplexity."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from rnnviz.embeddings.phrases import find_corpus
from rnnviz.seq2seq.translator import list_translators

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app.py"
PAGE = "app_pages/embeddings.py"
TIMEOUT = 300  # the first run imports torch, opens a checkpoint and encodes the phrases
W, P = "embeddings:words", "embeddings:phrases"

SHIPPED = {c.path.name: c for c in list_translators()[0]}
CORPUS = "translate-eng-fra-corpus.safetensors"
needs_models = pytest.mark.skipif(CORPUS not in SHIPPED, reason=f"checkpoints/{CORPUS} missing")
needs_corpus = pytest.mark.skipif(CORPUS not in SHIPPED or find_corpus(SHIPPED[CORPUS].info) is None,
                                  reason="eng-fra.txt not found in $RNNVIZ_DATA or ../shared/data")  # fmt: skip


def page_text(at: AppTest) -> str:
    """Everything a person reads on the page."""
    parts: list[str] = []
    for kind in ("title", "markdown", "caption", "text", "error", "warning", "info", "success"):
        parts.extend(str(element.value) for element in at.get(kind))
    return "\n".join(parts).replace("\\", "")  # markdown escapes removed


def table_with(at: AppTest, column: str):
    """The first table on the page that has this column."""
    for frame in at.dataframe:
        if column in frame.value.columns:
            return frame.value
    raise AssertionError(f"no table with a {column!r} column")


def assert_clean(at: AppTest) -> None:
    """No exception and no error box from the shell's boundary."""
    assert not at.exception, [e.value for e in at.exception]
    assert "stopped because of an error" not in page_text(at)


def opened(tab: str = "Words") -> AppTest:
    """The embeddings page of the real app on one tab (only the open tab runs)."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.run()
    at.switch_page(PAGE)
    at.session_state["embeddings:tab"] = tab
    at.run()
    assert_clean(at)
    return at


@pytest.fixture()
def page() -> AppTest:
    """The Words tab of the embeddings page, a small map (500 words), PCA."""
    at = opened()
    at.number_input(key=f"{W}:count").set_value(500)
    at.radio(key=f"{W}:projection").set_value("PCA (instant)").run()
    assert_clean(at)
    return at


@pytest.fixture()
def phrases() -> AppTest:
    """The Phrases tab of the embeddings page, a small map (500 phrases), PCA."""
    at = opened("Phrases")
    at.select_slider(key=f"{P}:count").set_value(500)
    at.radio(key=f"{P}:projection").set_value("PCA (instant)").run()
    assert_clean(at)
    return at


@needs_corpus
def test_the_page_opens_on_the_shipped_t_sne_word_map_and_runs_only_that_tab() -> None:
    at = opened()
    assert at.title[0].value == "Embeddings"
    text = page_text(at)
    assert "t-SNE map of 1,000 points, precomputed (shipped with the app" in text  # no wait, no background t-SNE
    assert "The map distorts distances" in text and "trustworthiness 0.79" in text
    assert any("t-SNE x" in str(chart.proto.spec) for chart in at.get("plotly_chart"))
    assert "Do similar phrases sit together?" not in text and "Press **Train**" not in text  # other tabs not run
    keys = [button.key for button in at.get("download_button")]
    assert len(keys) >= 3 and all(key.startswith(W) for key in keys)  # the words map's files, nothing else


@needs_corpus
def test_the_phrases_tab_shows_its_map_and_the_grouping_measure(phrases: AppTest) -> None:
    text = page_text(phrases)
    assert "Do similar phrases sit together?" in text and "The map distorts distances" in text
    assert len(phrases.get("plotly_chart")) >= 2  # phrases map, agreement bars
    keys = [button.key for button in phrases.get("download_button")]
    assert len(keys) >= 3 and all(key.startswith(P) for key in keys)
    assert not any(widget.key == f"{W}:count" for widget in phrases.number_input)  # the Words tab did not run


@needs_corpus
def test_searching_a_word_lists_neighbours_with_cosine_values_and_zooms(page: AppTest) -> None:
    page.text_input(key=f"{W}:search").input("three").run()
    assert_clean(page)
    table = table_with(page, "word")
    assert len(table) == 10 and table["cosine similarity"].between(-1, 1).all()
    assert table["cosine similarity"].is_monotonic_decreasing and "three" not in table["word"].tolist()
    page.toggle(key=f"{W}:zoom").set_value(True).run()
    assert_clean(page)
    page.text_input(key=f"{W}:search").input("zzzqqq").run()
    assert "is not among the 500 mapped words" in page_text(page)


@needs_corpus
def test_every_colour_side_and_the_own_word_list(page: AppTest) -> None:
    for prop in page.selectbox(key=f"{W}:colour").options:
        page.selectbox(key=f"{W}:colour").set_value(prop).run()
        assert_clean(page)
    page.text_input(key=f"{W}:own").input("one, two, three, <script>").run()
    assert "Not among the mapped words: <script>" in page_text(page)  # named, as escaped text
    page.selectbox(key=f"{W}:colour").set_value("cluster in the full space").run()
    page.slider(key=f"{W}:clusters").set_value(4).run()
    assert_clean(page)
    page.radio(key=f"{W}:side").set_value(page.radio(key=f"{W}:side").options[1]).run()
    assert_clean(page)


@needs_corpus
def test_every_phrase_colour(phrases: AppTest) -> None:
    for prop in phrases.selectbox(key=f"{P}:colour").options:
        phrases.selectbox(key=f"{P}:colour").set_value(prop).run()
        assert_clean(phrases)


@needs_corpus
def test_three_points_and_too_large_a_perplexity_give_messages(page: AppTest) -> None:
    page.number_input(key=f"{W}:count").set_value(3).run()
    assert_clean(page)  # PCA of 3 points works
    page.radio(key=f"{W}:projection").set_value("t-SNE (openTSNE)").run()
    assert "t-SNE needs at least 10 points" in page_text(page)
    page.number_input(key=f"{W}:count").set_value(500)
    page.number_input(key=f"{W}:perplexity").set_value(400.0).run()
    assert_clean(page)
    assert "lower the perplexity to 166 or less" in page_text(page)


@needs_corpus
def test_a_typed_phrase_is_placed_with_its_nearest_phrases_and_translations(phrases: AppTest) -> None:
    phrases.text_input(key=f"{P}:typed").input("i am very tired and zzzq").run()
    assert_clean(phrases)
    text = page_text(phrases)
    assert "zzzq ⚠" in text and "Nearest training phrases" in text
    table = table_with(phrases, "translation")
    assert len(table) == 8 and table["translation"].str.len().gt(0).all()
    assert table["cosine similarity"].is_monotonic_decreasing


@needs_corpus
@pytest.mark.parametrize(
    "typed", ["", "   ", ("i am tired " * 500)[:5000], "🙂🙂🙂", "qqqx zzzy wwwv", "<script>alert(1)</script> i am"]
)
def test_hostile_phrases_get_messages_not_tracebacks(phrases: AppTest, typed: str) -> None:
    phrases.text_input(key=f"{P}:typed").input(typed).run()
    assert_clean(phrases)
    text = page_text(phrases)
    if not typed.strip():
        assert "Type a phrase" in text
    elif typed.startswith("qqqx"):
        assert "Every word is unknown" in text
    elif typed.startswith("🙂"):
        assert "Nothing is left to encode" in text or "Every word is unknown" in text
    elif len(typed) == 5000:
        assert "cut" in text.lower() or "first" in text.lower()
    assert "<script>alert" not in "".join(str(m.value) for m in phrases.get("markdown"))


@needs_corpus
def test_the_t_sne_map_replaces_the_pca_map_when_ready(page: AppTest) -> None:
    page.radio(key=f"{W}:projection").set_value("t-SNE (openTSNE)").run()
    assert_clean(page)
    deadline = time.monotonic() + 240
    while "t-SNE map of 500 points" not in page_text(page) and time.monotonic() < deadline:
        time.sleep(2)
        page.run()
    assert "t-SNE map of 500 points" in page_text(page)
    assert any("t-SNE x" in str(chart.proto.spec) for chart in page.get("plotly_chart"))


@needs_models
def test_the_date_translator_maps_its_phrases_by_month() -> None:
    at = opened("Phrases")
    dates = [label for label in at.selectbox(key="embeddings:model").options if label.lower().startswith("human date")]
    if not dates:
        pytest.skip("no date translator shipped")
    at.selectbox(key="embeddings:model").set_value(dates[0])
    at.radio(key=f"{P}:projection").set_value("PCA (instant)").run()
    assert_clean(at)
    assert "month" in at.selectbox(key=f"{P}:colour").options
    at.text_input(key=f"{P}:typed").input("monday 3 march 2025").run()
    assert_clean(at)
    assert len(table_with(at, "translation")) == 8


@needs_corpus
def test_sub_phrases_of_the_corpus_are_mapped_and_a_typed_phrase_finds_them(phrases: AppTest) -> None:
    phrases.radio(key=f"{P}:kind").set_value("sub-phrases").run()
    assert_clean(phrases)
    assert "sub-phrase of the corpus" in page_text(phrases)
    phrases.text_input(key=f"{P}:typed").input("at the end of the").run()
    assert_clean(phrases)
    table = table_with(phrases, "cut from the corpus pair")
    assert len(table) == 8 and table["cut from the corpus pair"].str.contains(" → ").all()
    assert all(2 <= len(phrase.split()) <= 6 for phrase in table["phrase"])


@needs_corpus
def test_a_barely_trained_translator_maps_what_training_wrote_by_default(page: AppTest) -> None:
    tutorial = [label for label in page.selectbox(key="embeddings:model").options
                if label.startswith("French → English") and "256 units" in label]  # fmt: skip
    if not tutorial:
        pytest.skip("no tutorial fra→eng translator shipped")
    page.selectbox(key="embeddings:model").set_value(tutorial[0]).run()
    assert_clean(page)
    assert page.radio(key=f"{W}:vectors").value.startswith("what training wrote")
    assert "training barely moved them" in page_text(page)
    page.radio(key=f"{W}:vectors").set_value("the rows as stored").run()
    assert_clean(page)
    assert "Each point is one word's row" in page_text(page)


@needs_corpus
def test_a_link_opens_the_maps_with_its_words_search_colour_and_tab() -> None:
    link = {f"{W}:count": "300", f"{W}:projection": "PCA (instant)", f"{P}:projection": "PCA (instant)",
            f"{W}:search": "three", f"{W}:colour": "word length", f"{P}:count": "500", "embeddings:tab": "Phrases"}  # fmt: skip
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.run()
    for name, value in link.items():
        at.query_params[name] = value
    at.switch_page(PAGE).run()
    assert_clean(at)
    assert at.number_input(key=f"{W}:count").value == 300 and at.text_input(key=f"{W}:search").value == "three"
    assert at.selectbox(key=f"{W}:colour").value == "word length" and len(table_with(at, "word")) == 10
    assert "This link asked for settings" not in page_text(at) and dict(at.query_params) == link


@needs_corpus
def test_a_hostile_search_or_count_in_a_link_falls_back_with_a_note() -> None:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.run()
    at.query_params[f"{W}:search"] = "<script>" + "x" * 100_000
    at.query_params[f"{W}:count"] = "1e999"
    at.query_params[f"{W}:colour"] = "favourite colour"
    at.switch_page(PAGE).run()
    assert_clean(at)
    note = next(info.value for info in at.info if "This link asked for settings" in info.value)
    assert all(f"`{W}:{name}`" in note for name in ("search", "count", "colour")) and "<script>" not in note
    assert at.text_input(key=f"{W}:search").value == ("<script>" + "x" * 100)[:100]  # Streamlit applies max_chars
    assert at.number_input(key=f"{W}:count").value == 1000 and at.selectbox(key=f"{W}:colour").value == "frequency band"
