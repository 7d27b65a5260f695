"""The Translate and attend page under AppTest: type, hostile input, compare, train a few steps, score."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from rnnviz.io import checkpoints
from rnnviz.seq2seq.translator import list_translators

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app.py"
PAGE = "app_pages/translate.py"
TIMEOUT = 120  # the first run imports torch and opens checkpoints


def page_text(at: AppTest) -> str:
    """Everything a person reads on the page."""
    parts: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "text", "error", "warning", "info",
                 "success"):
        parts.extend(str(element.value) for element in at.get(kind))
    return "\n".join(parts)


def assert_clean(at: AppTest) -> None:
    """No exception and no error box from the shell's boundary."""
    assert not at.exception, [e.value for e in at.exception]
    assert "stopped because of an error" not in page_text(at)


@pytest.fixture()
def page() -> AppTest:
    """The real app switched to the translate page."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.run()
    at.switch_page(PAGE).run()
    return at


def shipped(source: str, target: str) -> bool:
    """Whether a checkpoint for this direction is committed."""
    return any((c.source, c.target) == (source, target) for c in list_translators()[0])


needs_models = pytest.mark.skipif(not shipped("fra", "eng"), reason="checkpoints/translate-fra-eng*.safetensors missing")


@needs_models
def test_typing_a_sentence_shows_a_translation_and_the_heatmap(page: AppTest) -> None:
    assert_clean(page)
    assert page.title[0].value == "Translate and attend"
    box = page.text_input(key="translate:text:fra")
    box.input("je suis tres fatigue .").run()
    assert_clean(page)
    text = page_text(page)
    assert "The input as the model saw it" in text and "answered in" in text
    assert any(chart.proto.spec for chart in page.get("plotly_chart"))
    page.slider(key="translate:beam").set_value(5).run()
    assert_clean(page)
    assert "Beam candidates" in page_text(page)


@needs_models
@pytest.mark.parametrize("typed,expected", [
    ("", "Nothing left to translate"),
    ("🙂🙂🙂", "dropped"),
    ("je suis " * 700, "first 5,000 characters"),
    ("<script>alert('x')</script> je suis", "dropped"),
    ("the weather is lovely today", "is this French"),
    ("j ai 25 ans", "dropped"),
    ("je suis zorglub .", "<unk>"),
])
def test_hostile_input_gives_a_note_never_an_exception(page: AppTest, typed: str, expected: str) -> None:
    page.text_input(key="translate:text:fra").input(typed).run()
    assert_clean(page)
    text = page_text(page)
    assert expected.replace("<", "\\<").replace(">", "\\>") in text or expected in text, text[:2000]
    assert "<script>" not in "".join(str(m.value) for m in page.markdown)


@needs_models
def test_every_direction_opens(page: AppTest) -> None:
    for direction in ("English → French", "Human date → ISO date", "French → English"):
        page.selectbox(key="translate:direction").set_value(direction).run()
        assert_clean(page)


@needs_models
def test_compare_tab_shows_each_attention_kind(page: AppTest) -> None:
    page.text_input(key="compare:text").input("il est plus grand que moi .").run()
    assert_clean(page)
    text = page_text(page)
    for label in ("additive (Bahdanau", "the PyTorch tutorial"):
        if any(c.attention in ("additive", "tutorial") for c in list_translators()[0]):
            assert label in text


def test_training_a_few_steps_on_dates_then_using_the_model() -> None:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.run()
    at.switch_page(PAGE).run()
    at.select_slider(key="train:hidden").set_value(32)
    at.slider(key="train:epochs").set_value(1)
    at.button(key="train:start").click().run()
    assert_clean(at)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        time.sleep(1.0)
        at.run()
        assert_clean(at)
        if "How the attention formed" in page_text(at) or "finished" in page_text(at):
            break
    text = page_text(at)
    assert "finished" in text, text[-2000:]
    at.button(key="done:use").click().run()
    assert_clean(at)
    at.selectbox(key="translate:direction").set_value("Human date → ISO date").run()
    assert_clean(at)
    assert any("trained on this page" in str(option) for option in at.selectbox(key="translate:model:date").options)


def test_corpus_training_without_a_file_says_what_to_do(page: AppTest, monkeypatch) -> None:
    monkeypatch.delenv("RNNVIZ_DATA", raising=False)
    page.radio(key="train:data").set_value("corpus").run()
    page.button(key="train:start").click().run()
    assert_clean(page)
    assert "Upload a pairs file" in page_text(page)
    assert page.text_input(key="train:path").disabled  # no RNNVIZ_DATA: typed server paths are off


def test_a_typed_server_path_outside_the_data_folder_is_refused(page: AppTest, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("RNNVIZ_DATA", str(tmp_path))
    page.radio(key="train:data").set_value("corpus").run()
    for typed in ("/etc/passwd", "../../etc/passwd"):
        page.text_input(key="train:path").input(typed).run()
        page.button(key="train:start").click().run()
        assert_clean(page)
        assert "Only files inside the server" in page_text(page)
        assert "lines without a tab" not in page_text(page)
    page.text_input(key="train:path").input("no-such-file.txt").run()
    page.button(key="train:start").click().run()
    assert_clean(page)
    assert "no pairs file" in page_text(page)


@needs_models
def test_phrase_scoring_page_scores_a_pair_and_lists_phrases_and_samples() -> None:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.run()
    at.switch_page("app_pages/phrase_scoring.py").run()
    assert_clean(at)
    assert "log p(target | source)" in page_text(at)
    at.text_input(key="score:target:eng-fra").input("").run()
    assert_clean(at)
    assert "at least one word" in page_text(at)
    at.text_input(key="score:target:eng-fra").input("je suis tres fatigue .").run()
    at.slider(key="score:temperature").set_value(1.5).run()
    assert_clean(at)
    assert len(at.dataframe) >= 3
    at.text_input(key="score:source:eng-fra").input("i am xylophonic .").run()  # a word the model never saw
    assert_clean(at)
    assert "xylophonic" in " ".join(str(info.value) for info in at.info)


@needs_models
def test_phrase_scoring_shows_the_papers_phrases_beside_the_models_and_switches_direction() -> None:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.run()
    at.switch_page("app_pages/phrase_scoring.py").run()
    assert_clean(at)
    assert "Tables 2–3" in page_text(at)
    paper = [frame.value for frame in at.dataframe if "paper: top phrases" in frame.value.columns]
    assert len(paper) == 2 and len(paper[0]) == len(paper[1]) == 5
    assert "for the first time" in list(paper[0]["source"]) and all(paper[0]["ours: top phrases"].str.len() > 0)
    labels = at.selectbox(key="score:model").options
    french_first = next(label for label in labels if label not in models_of("eng", "fra"))
    at.selectbox(key="score:model").set_value(french_first).run()
    assert_clean(at)
    assert at.text_input(key="score:source:fra-eng").value.startswith("je suis")  # not the English box's text
    assert "English → French model above" in page_text(at)


def models_of(source: str, target: str) -> set[str]:
    """The labels of the checkpoints of one direction."""
    return {item.label for item in list_translators()[0] if (item.source, item.target) == (source, target)}


def test_a_model_that_reads_the_end_marker_gets_a_note_and_one_that_aligns_does_not():
    def script():
        from types import SimpleNamespace

        import numpy as np

        from ui.translate.views import show_end_marker_note

        translator = SimpleNamespace(model=SimpleNamespace(attention_kind="additive"))
        show_end_marker_note(translator, np.array([[0.1, 0.9], [0.2, 0.8], [0.0, 1.0]]))  # leans on </s>
        show_end_marker_note(translator, np.array([[0.9, 0.1], [0.7, 0.3], [0.0, 1.0]]))  # aligns words

    at = AppTest.from_function(script, default_timeout=TIMEOUT).run()
    assert not at.exception
    captions = [str(caption.value) for caption in at.caption]
    assert len(captions) == 1 and "85 % of its attention on </s>" in captions[0]


def folder_warning(at: AppTest, folder: Path) -> str:
    """The warning that names `folder` (Markdown escapes taken out), or ""."""
    shown = [str(warning.value).replace("\\", "") for warning in at.warning]
    return next((text for text in shown if str(folder) in text), "")


def test_a_missing_checkpoint_folder_is_named_with_how_to_choose_another(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """$RNNVIZ_CHECKPOINTS at a folder that does not exist: a warning naming it, the page still works."""
    missing = tmp_path / "no-such-folder"
    monkeypatch.setenv(checkpoints.DIRECTORY_ENV, str(missing))
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    at.switch_page(PAGE).run()
    assert_clean(at)
    warning = folder_warning(at, missing)
    assert "does not exist" in warning and checkpoints.DIRECTORY_ENV in warning and "--checkpoints DIR" in warning
    assert "No French → English model is available" in page_text(at)


def test_the_checkpoints_option_chooses_the_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`streamlit run app.py -- --checkpoints DIR` reads checkpoints from DIR (here: an empty folder)."""
    monkeypatch.setenv(checkpoints.DIRECTORY_ENV, "placeholder")  # recorded, so the teardown undoes the option
    monkeypatch.setattr(sys, "argv", ["app.py", "--checkpoints", str(tmp_path / "empty")])
    (tmp_path / "empty").mkdir()
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    at.switch_page("app_pages/phrase_scoring.py").run()
    assert_clean(at)
    assert checkpoints.checkpoint_directory() == tmp_path / "empty"
    assert f"No translation checkpoint found in {tmp_path / 'empty'}" in page_text(at).replace("\\", "")


# ---------------------------------------------------------------- an uploaded checkpoint (issue 17 item 3)

CHECKPOINTS = ROOT / "checkpoints"
SMALL = CHECKPOINTS / "translate-fra-eng-dot-small.safetensors"
DATES = CHECKPOINTS / "translate-dates.safetensors"
needs_small = pytest.mark.skipif(not (SMALL.is_file() and DATES.is_file()), reason="shipped checkpoints missing")


def upload(page: AppTest, name: str, payload: bytes) -> AppTest:
    """Upload `payload` as `name` into the Translate tab's checkpoint box, then rerun."""
    page.file_uploader(key="translate:upload").set_value((name, payload, "application/octet-stream")).run()
    assert_clean(page)
    return page


@needs_small
def test_an_uploaded_checkpoint_is_selected_at_once_and_translates(page: AppTest) -> None:
    upload(page, "my-model.safetensors", SMALL.read_bytes())
    box = page.selectbox(key="translate:model:fra")
    assert box.value == "your file: my-model.safetensors"
    assert not page.error, [e.value for e in page.error]
    page.text_input(key="translate:text:fra").input("je suis tres fatigue .").run()
    assert_clean(page)
    assert page.selectbox(key="translate:model:fra").value == "your file: my-model.safetensors"
    assert "answered in" in page_text(page)
    assert "Your file my-model.safetensors is open: French → English" in page_text(page).replace("\\", "")


@needs_small
def test_a_truncated_upload_is_selected_and_its_error_names_the_chosen_file(page: AppTest) -> None:
    upload(page, "cut-short.safetensors", SMALL.read_bytes()[:100_000])
    assert page.selectbox(key="translate:model:fra").value == "your file: cut-short.safetensors"
    errors = " ".join(str(e.value).replace("\\", "") for e in page.error)
    assert "cut-short.safetensors" in errors, errors
    assert "uploaded.safetensors" not in errors and "/tmp" not in errors and "tmp" not in errors.split("'")[1]


@needs_small
def test_an_upload_for_another_direction_names_the_file_and_the_user_can_choose_again(page: AppTest) -> None:
    upload(page, "dates.safetensors", DATES.read_bytes())
    errors = " ".join(str(e.value).replace("\\", "") for e in page.error)
    assert "dates.safetensors" in errors and "translates human date → ISO date" in errors, errors
    shipped_label = page.selectbox(key="translate:model:fra").options[1]
    page.selectbox(key="translate:model:fra").set_value(shipped_label).run()  # the same upload stays put
    assert_clean(page)
    assert page.selectbox(key="translate:model:fra").value == shipped_label and not page.error


def test_only_a_new_upload_takes_over_the_model_box_and_a_removed_one_is_forgotten() -> None:
    from types import SimpleNamespace

    from ui.translate.upload import select_new_upload

    state: dict = {"translate:model:fra": "shipped"}
    first = SimpleNamespace(name="a.safetensors", file_id="1")
    choices = {"your file: a.safetensors": first, "shipped": object()}
    select_new_upload(state, first, "translate:model:fra", choices)
    assert state["translate:model:fra"] == "your file: a.safetensors"
    state["translate:model:fra"] = "shipped"  # the person picks a shipped model again
    select_new_upload(state, first, "translate:model:fra", choices)
    assert state["translate:model:fra"] == "shipped"
    state["translate:model:fra"] = "your file: a.safetensors"
    select_new_upload(state, None, "translate:model:fra", {"shipped": object()})  # upload removed
    assert "translate:model:fra" not in state


def test_an_unreadable_upload_is_named_by_the_chosen_file_not_a_server_path(tmp_path: Path) -> None:
    from rnnviz.io.checkpoints import CheckpointError
    from ui.translate.upload import load_upload

    with pytest.raises(CheckpointError) as caught:
        load_upload("../../secret/Mon modèle.safetensors", b"not a checkpoint at all")
    message = str(caught.value)
    assert "Mon modèle.safetensors" in message and "secret" not in message and "uploaded" not in message
    assert caught.value.path == Path("Mon modèle.safetensors")


@needs_models
def test_every_log_probability_says_its_unit_nats(page: AppTest) -> None:
    page.slider(key="translate:beam").set_value(3).run()
    assert_clean(page)
    caption = next(str(c.value) for c in page.caption if "log p =" in str(c.value))
    assert " nats " in caption
    assert any("log p (nats)" in frame.value.columns for frame in page.dataframe)
    assert not any("log p" in frame.value.columns for frame in page.dataframe)  # no bare, unitless column


@needs_models
def test_a_date_model_calls_unknown_input_characters_and_says_so_in_its_help(page: AppTest) -> None:
    page.selectbox(key="translate:direction").set_value("Human date → ISO date").run()
    box = page.text_input(key="translate:text:date")
    assert "unknown characters become <unk>" in box.help
    box.input("monday 3 jan 2022 Ω").run()
    assert_clean(page)
    notes = " ".join(str(i.value) for i in page.info).replace("\\", "")
    assert "Unknown characters are read as <unk>" in notes and "Unknown words" not in notes, notes
