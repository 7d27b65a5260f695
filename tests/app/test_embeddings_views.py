"""The two embedding views under AppTest: Watch it form (train, stop, scrub) and Hidden states too (every control)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.helpers import assert_clean

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 120  # the first run imports torch and openTSNE
JOB_STATE = "rnnviz_job:embeddings_forming"
needs_char_models = pytest.mark.skipif(
    not sorted((ROOT / "checkpoints").glob("charlm-*.safetensors")), reason="no charlm checkpoints in checkpoints/"
)


def forming_script() -> None:
    """A tiny page with only the forming view."""
    from ui.embeddings.forming import render_forming

    render_forming()


def hidden_script() -> None:
    """A tiny page with only the hidden-states view."""
    from ui.embeddings.hidden import render_hidden

    render_hidden()


def page_text(at: AppTest) -> str:
    """Markdown, captions and alerts, joined (Markdown escapes taken out)."""
    parts = [str(e.value) for kind in ("markdown", "caption", "info", "warning", "success") for e in at.get(kind)]
    return "\n".join(parts).replace("\\", "")


def trained(steps: int = 200) -> AppTest:
    """The forming view after a finished run of `steps` steps."""
    at = AppTest.from_function(forming_script, default_timeout=TIMEOUT).run()
    assert "Press **Train**" in page_text(at)
    at.select_slider(key="embeddings:forming:steps").set_value(steps)
    at.button(key="embeddings:forming:train").click().run()
    job = at.session_state[JOB_STATE]
    assert job.wait(TIMEOUT) and job.status == "finished"
    return at.run()


def test_train_then_scrub_through_the_snapshots_on_both_sides_and_both_maps() -> None:
    at = trained()
    assert_clean(at)
    assert len(at.get("plotly_chart")) == 2  # the map and the agreement curve
    slider = at.select_slider(key="embeddings:forming:snapshot")
    assert slider.value == len(slider.options) - 1 and "step 0 (untrained)" in slider.options[0]
    slider.set_value(0).run()
    assert_clean(at)
    assert "The word map at step 0." in page_text(at)
    at.selectbox(key="embeddings:forming:follow").set_value("11").run()
    at.radio(key="embeddings:forming:method").set_value("tsne").run()
    assert_clean(at)
    assert "without the rotation" not in page_text(at)
    at.radio(key="embeddings:forming:side").set_value("target").run()
    assert_clean(at)
    assert "name the same kind of thing" in page_text(at) and len(at.get("plotly_chart")) == 2


def test_a_run_stopped_at_once_ends_with_a_message_not_a_traceback() -> None:
    at = AppTest.from_function(forming_script, default_timeout=TIMEOUT).run()
    at.button(key="embeddings:forming:train").click().run()
    job = at.session_state[JOB_STATE]
    job.stop()
    assert job.wait(TIMEOUT) and job.status == "stopped"
    at.run()
    assert_clean(at)
    text = page_text(at)
    assert "before a second snapshot" in text or "The word map at step" in text


@needs_char_models
def test_hidden_states_map_every_control_changes_the_view() -> None:
    at = AppTest.from_function(hidden_script, default_timeout=TIMEOUT).run()
    assert_clean(at)
    model = at.selectbox(key="embeddings:hidden:model")
    assert model.value == "charlm-brackets-lstm.safetensors" and len(at.get("plotly_chart")) == 2
    assert "one point each" in page_text(at)
    for colour in ("quote", "char", "depth"):
        at.radio(key="embeddings:hidden:colour").set_value(colour).run()
        assert_clean(at)
    assert len(at.session_state["embeddings:hidden:states"]) == 1  # colour changes reuse the states
    at.radio(key="embeddings:hidden:method").set_value("pca").run()
    at.radio(key="embeddings:hidden:state").set_value("cell").run()
    assert_clean(at)
    assert len(at.session_state["embeddings:hidden:states"]) == 2
    assert len(at.get("plotly_chart")) == 2
    at.selectbox(key="embeddings:hidden:model").set_value("charlm-brackets-gru.safetensors").run()
    assert_clean(at)
    assert at.radio(key="embeddings:hidden:state").options == ["hidden state h"]


@needs_char_models
@pytest.mark.parametrize(
    ("typed", "expected", "charts"),
    [
        ("", "the text is empty", 0),
        ("ab", "at least 3 characters", 0),
        ("abc", "3 characters, one point each", 2),
        ("(a) " * 1250, "the map shows the first 1,000", 2),
        ('😀 "(x)" 🙂 [y] {z}', "read as <unk>", 2),
        ("<script>alert(1)</script>", "read as <unk>", 2),
    ],
)
def test_hostile_text_gets_a_clear_message(typed: str, expected: str, charts: int) -> None:
    at = AppTest.from_function(hidden_script, default_timeout=TIMEOUT).run()
    at.radio(key="embeddings:hidden:method").set_value("pca").run()
    at.text_area(key="embeddings:hidden:text").set_value(typed).run()
    assert_clean(at)
    assert expected in page_text(at)
    assert len(at.get("plotly_chart")) == charts
    assert not at.get("html")  # user text is never rendered as HTML


def test_a_model_trained_on_inside_the_cell_in_this_session_is_offered() -> None:
    from types import SimpleNamespace

    from rnnviz.charlm.model import CharLM, char_vocabulary
    from rnnviz.core.randomness import make_generator
    from rnnviz.embeddings.hidden import DEFAULT_TEXT

    vocab = char_vocabulary(DEFAULT_TEXT)
    model = CharLM("gru", len(vocab), hidden_size=8, embedding_size=4, generator=make_generator(0)).eval()
    at = AppTest.from_function(hidden_script, default_timeout=TIMEOUT)
    at.session_state["inside_cell_trained"] = {"trained:1": SimpleNamespace(label="GRU · my text", model=model, vocab=vocab)}
    at.run()
    at.selectbox(key="embeddings:hidden:model").set_value("session:trained:1").run()
    assert_clean(at)
    assert "GRU · my text (trained in this session)" in at.selectbox(key="embeddings:hidden:model").options
    assert len(at.get("plotly_chart")) == 2


PAIRS_FOLDER = ROOT.parent / "shared" / "data"


@pytest.mark.skipif(not (PAIRS_FOLDER / "eng-fra.txt").exists(), reason="the tutorial's eng-fra.txt is not in ../shared/data")
def test_train_on_the_tutorial_pairs_from_the_data_folder_and_follow_the_pronouns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RNNVIZ_DATA", str(PAIRS_FOLDER))
    at = AppTest.from_function(forming_script, default_timeout=TIMEOUT).run()
    at.radio(key="embeddings:forming:data").set_value("tutorial").run()
    assert at.text_input(key="embeddings:forming:path").value == "eng-fra.txt"
    at.select_slider(key="embeddings:forming:steps").set_value(200)
    at.button(key="embeddings:forming:train").click().run()
    job = at.session_state[JOB_STATE]
    assert job.wait(TIMEOUT) and job.status == "finished"
    at.run()
    assert_clean(at)
    assert at.selectbox(key="embeddings:forming:follow").value == "pronouns"
    assert "BLEU" in page_text(at) and "in the same word list" in page_text(at)
    assert len(at.get("plotly_chart")) == 2


def test_the_tutorial_pairs_without_a_file_or_outside_the_folder_get_a_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RNNVIZ_DATA", raising=False)
    at = AppTest.from_function(forming_script, default_timeout=TIMEOUT).run()
    at.radio(key="embeddings:forming:data").set_value("tutorial").run()
    at.button(key="embeddings:forming:train").click().run()
    assert not at.exception and "Upload eng-fra.txt" in at.error[0].value
    monkeypatch.setenv("RNNVIZ_DATA", str(tmp_path))
    at.run()
    at.text_input(key="embeddings:forming:path").set_value("../../etc/passwd").run()
    at.button(key="embeddings:forming:train").click().run()
    assert not at.exception and "Cannot read the pairs" in at.error[0].value
    assert JOB_STATE not in at.session_state
