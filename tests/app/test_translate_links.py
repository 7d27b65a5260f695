"""Translate and Phrase scoring opened from a link: the query's settings show; hostile values fall back with a note."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from rnnviz.seq2seq.attention import ATTENTION_LABELS
from rnnviz.seq2seq.translator import list_translators
from tests.app.helpers import assert_clean

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 120  # the first run imports torch and opens checkpoints
needs_models = pytest.mark.skipif(not any((c.source, c.target) == ("fra", "eng") for c in list_translators()[0]),
                                  reason="checkpoints/translate-fra-eng*.safetensors missing")


def opened(query: dict[str, str | list[str]], page: str = "app_pages/translate.py", *, shell: bool = True) -> AppTest:
    """A fresh session opened on `page` with this query string, as a link in a new browser tab does.

    The Translate page's url path is its file name, so the whole app opens straight on it; Phrase scoring's
    ("smt-paper") is not, so it is opened as its own script (AppTest honours bind only on a session's first run).
    """
    at = AppTest.from_file(str(ROOT / "app.py") if shell else str(ROOT / page), default_timeout=TIMEOUT)
    if shell:
        at.switch_page(page)
    at.query_params.update(query)
    return at.run()


def notes(at: AppTest) -> str:
    """The text of the page's info boxes, Markdown escapes removed."""
    return " ".join(str(info.value) for info in at.info).replace("\\", "")


@needs_models
def test_a_link_shows_its_sentence_beam_and_seed() -> None:
    at = opened({"translate:text:fra": "il est grand .", "translate:beam": "3", "seed": "11",
                 "compare:text": "je suis petit ."})
    assert_clean(at)
    assert at.text_input(key="translate:text:fra").value == "il est grand ."
    assert at.slider(key="translate:beam").value == 3 and at.session_state["seed"] == 11
    assert at.text_input(key="compare:text").value == "je suis petit ."
    assert "Beam candidates** (width 3)" in " ".join(str(m.value) for m in at.markdown)
    assert "This link asked" not in notes(at)
    assert at.query_params["translate:beam"] == "3"  # the link of this view keeps it


@needs_models
def test_a_link_to_the_train_tab_sets_its_settings_and_the_tab() -> None:
    at = opened({"translate:tab": "Train live", "train:epochs": "3", "train:hidden": "32",
                 "train:bidirectional": "false", "train:cell": "LSTM", "train:attention": ATTENTION_LABELS["dot"]})
    assert_clean(at)
    assert at.selectbox(key="train:cell").value == "lstm" and at.selectbox(key="train:attention").value == "dot"
    assert "This link asked" not in notes(at)  # an option's label in the link is a value the page took
    assert at.session_state["translate:tab"] == "Train live"
    assert at.slider(key="train:epochs").value == 3 and at.select_slider(key="train:hidden").value == 32
    assert at.checkbox(key="train:bidirectional").value is False


@needs_models
def test_hostile_values_fall_back_to_the_defaults_with_a_note_naming_them() -> None:
    at = opened({"translate:beam": "999", "translate:direction": "Klingon", "translate:tab": "Nope",
                 "train:epochs": "-5", "bogus": "<script>alert(1)</script>",
                 "translate:text:fra": "<script>alert(1)</script> " + "il est grand . " * 7000})
    assert_clean(at)
    assert at.slider(key="translate:beam").value == 1 and at.slider(key="train:epochs").value == 6
    assert at.selectbox(key="translate:direction").value == "French → English"
    text = notes(at)
    assert "This link asked for settings" in text
    for name in ("translate:beam", "translate:direction", "translate:tab", "train:epochs", "bogus"):
        assert name in text, name
    assert "<script>" not in " ".join(str(info.value) for info in at.info)  # shown escaped, as text
    assert "bogus" not in at.query_params  # an unknown name leaves the link
    assert "cut to its first 5,000 characters" in text  # the long text is capped, not refused


@needs_models
def test_the_phrase_scoring_page_opens_with_the_linked_phrases_and_temperature() -> None:
    at = opened({"score:source:eng-fra": "he is tall .", "score:target:eng-fra": "il est grand .",
                 "score:temperature": "1.5"}, "app_pages/phrase_scoring.py", shell=False)
    assert_clean(at)
    assert at.text_input(key="score:source:eng-fra").value == "he is tall ."
    assert at.text_input(key="score:target:eng-fra").value == "il est grand ."
    assert at.slider(key="score:temperature").value == pytest.approx(1.5)


@needs_models
def test_every_chart_offers_its_data_as_csv() -> None:
    at = opened({"translate:text:fra": "il est grand ."})
    assert_clean(at)
    labels = [button.proto.label for button in at.get("download_button")]
    assert labels.count("Data (CSV)") == len(at.get("plotly_chart")) >= 2  # the map and the compare tab's maps
