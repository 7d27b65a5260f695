"""Translate and attend in a real browser: type a sentence, the heatmap appears (the README's picture on request)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from rnnviz.seq2seq.translator import list_translators
from tests.e2e import browser as br

needs_models = pytest.mark.skipif(
    not any((c.source, c.target) == ("fra", "eng") for c in list_translators()[0]),
    reason="checkpoints/translate-fra-eng*.safetensors missing")


def type_sentence(goto, sentence: str):
    """Open the translate page, type a French sentence, wait for the answer; (page, main area)."""
    page = goto("translate", timeout=120)
    main = page.locator('[data-testid="stMain"]')
    box = main.get_by_role("textbox", name="Type a sentence in French")
    box.fill(sentence)
    box.press("Enter")
    br.wait_until_idle(page, timeout=120)
    br.assert_no_exception(page)
    return page, main


@needs_models
def test_type_a_sentence_and_the_heatmap_appears(goto) -> None:
    page, main = type_sentence(goto, "elle est plus grande que moi .")
    heatmap = main.locator('[data-testid="stPlotlyChart"]').first
    heatmap.wait_for(state="visible")
    heatmap.locator(".heatmaplayer, .hm").first.wait_for(state="attached")
    assert "Where the decoder looks" in main.inner_text()
    page.set_viewport_size({"width": 1280, "height": 1260})  # title, sentence, translation and map in one view
    main.get_by_role("heading", name="Translate and attend").scroll_into_view_if_needed()
    page.wait_for_timeout(800)
    shot = br.save_screenshot(page, "translate", readme="translate.png")
    assert shot.stat().st_size < 300_000  # small enough for the README


@needs_models
def test_markup_is_shown_as_text_and_beam_candidates_appear(goto) -> None:
    page, main = type_sentence(goto, "<b>je suis</b> <script>window.hacked=1</script> tres content !")
    assert page.evaluate("() => window.hacked === undefined")
    assert main.locator("b:text('je suis')").count() == 0
    assert "dropped" in main.inner_text()


def upload_checkpoint(goto, path, name: str, payload: bytes):
    """Open the translate page and upload `payload` as `name` through the real file input; (page, main area)."""
    page = goto("translate", timeout=120)
    main = page.get_by_test_id("stMainBlockContainer")
    main.get_by_text("Open your own checkpoint").first.click()
    chosen = path / name
    chosen.write_bytes(payload)
    main.locator('input[type="file"]').first.set_input_files(str(chosen))
    expect(main.get_by_role("combobox", name="Model")).to_have_value(f"your file: {name}", timeout=60_000)
    br.wait_until_idle(page, timeout=120)
    br.assert_no_exception(page)
    return page, main


@needs_models
def test_an_uploaded_checkpoint_is_selected_and_translates(goto, tmp_path) -> None:
    shipped = br.ROOT / "checkpoints" / "translate-fra-eng-dot-small.safetensors"
    page, main = upload_checkpoint(goto, tmp_path, "my-translator.safetensors", shipped.read_bytes())
    expect(main.get_by_text("answered in")).to_be_visible()
    assert main.get_by_test_id("stAlertContentError").count() == 0
    page.set_viewport_size({"width": 1280, "height": 720})
    main.get_by_text("answered in").scroll_into_view_if_needed()  # the Model box down to the translation's log p
    page.wait_for_timeout(500)
    br.save_screenshot(page, "translate-uploaded")


@needs_models
def test_a_truncated_upload_is_selected_and_its_error_names_the_file(goto, tmp_path) -> None:
    shipped = br.ROOT / "checkpoints" / "translate-fra-eng-dot-small.safetensors"
    page, main = upload_checkpoint(goto, tmp_path, "cut-short.safetensors", shipped.read_bytes()[:100_000])
    error = main.get_by_test_id("stAlertContentError").first
    error.wait_for(state="visible")
    text = error.inner_text()
    assert "cut-short.safetensors" in text and "cut off" in text, text
    assert "uploaded.safetensors" not in text and "/tmp" not in text
    page.set_viewport_size({"width": 1280, "height": 720})
    page.wait_for_timeout(500)
    br.save_screenshot(page, "translate-upload-truncated")
