"""Inside the cell under AppTest: checkpoint choice, typing, unit selection, every view, bad input, live training."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from rnnviz.charlm.reproduce import reproduction_script
from rnnviz.io import checkpoints
from tests.app.helpers import assert_clean
from ui.inside_cell import data

ROOT = Path(__file__).resolve().parents[2]
PAGE = "app_pages/inside_cell.py"
TIMEOUT = 120  # the first run imports torch
COMMITTED = sorted((ROOT / "checkpoints").glob("charlm-*.safetensors"))
needs_checkpoints = pytest.mark.skipif(not COMMITTED, reason="no charlm checkpoints in checkpoints/ yet")


def open_page(folder: Path | None = None, monkeypatch: pytest.MonkeyPatch | None = None) -> AppTest:
    """The real app switched to this page (optionally reading checkpoints from `folder`)."""
    if folder is not None and monkeypatch is not None:
        monkeypatch.setenv(data.CHECKPOINT_ENV, str(folder))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    return at.switch_page(PAGE).run()


def texts(at: AppTest) -> str:
    """Markdown, captions and alerts, joined."""
    parts = []
    for kind in ("markdown", "caption", "info", "warning", "error", "text"):
        parts.extend(str(element.value) for element in at.get(kind))
    return "\n".join(parts)


def charts(at: AppTest) -> int:
    """How many Plotly charts are on the page."""
    return len(at.get("plotly_chart"))


@needs_checkpoints
def test_page_opens_on_the_bracket_lstm_with_heatmap_equations_and_text() -> None:
    """Default model, sample text, heatmap, equations (LaTeX) and coloured text, no exception."""
    at = open_page()
    assert_clean(at)
    model = at.selectbox(key="ic_model")
    assert model.value == "file:charlm-brackets-lstm.safetensors"
    assert all("bits/char" in label for label in model.options)
    assert at.text_area(key="ic_text").value == data.BRACKET_SAMPLE
    assert charts(at) >= 3 and len(at.get("latex")) == 6  # LSTM: f, i, C~, o, c, h
    assert "Unit" in texts(at) and "Nesting depth" not in [h.value for h in at.header]


@needs_checkpoints
def test_every_checkpoint_and_every_gate_renders() -> None:
    """Each committed model, and each gate or state of its cell, renders without exception."""
    at = open_page()
    for index, label in enumerate(at.selectbox(key="ic_model").options):
        at.selectbox(key="ic_model").select_index(index).run()
        assert_clean(at)
        for state in at.radio(key="ic_state").options:
            at.radio(key="ic_state").set_value(state).run()
            assert_clean(at)
            assert charts(at) >= 3, (label, state)  # heatmap, coloured text, a unit against its signal


@needs_checkpoints
def test_typing_new_text_retraces_and_choosing_a_unit_follows() -> None:
    """New text changes what is explained; a typed unit and position drive equations and coloured text."""
    at = open_page()
    at.text_area(key="ic_text").input("((((x))))").run()
    assert_clean(at)
    at.number_input(key="ic_t").set_value(3).run()
    at.number_input(key="ic_unit").set_value(5).run()
    assert_clean(at)
    shown = texts(at)
    assert "Unit 5 at position 3" in shown and "Unit 5's cell along your text" in shown
    at.number_input(key="ic_t").set_value(100).run()  # beyond the text: clamped, never an error
    assert_clean(at)


@needs_checkpoints
@pytest.mark.parametrize("view", ["Find the unit", "Select a span", "Gate saturation", "Next-character guesses",
                                  "Compare models", "How this model was made"])
def test_every_view_renders(view: str) -> None:
    """Each tab runs alone (lazy tabs) and draws its charts."""
    at = open_page()
    at.session_state["ic_view"] = view
    at.run()
    assert_clean(at)
    assert charts(at) >= 3
    if view == "Compare models":
        assert len(at.multiselect(key="ic_compare").value) >= 2 and charts(at) >= 6
    if view == "How this model was made":
        assert any("python -m rnnviz.charlm train" in code.value for code in at.code)


@needs_checkpoints
def test_find_the_unit_button_selects_the_best_depth_unit() -> None:
    """'Look at unit k' puts the best depth unit into the equations."""
    at = open_page()
    at.session_state["ic_view"] = "Find the unit"
    at.run()
    button = next(b for b in at.button if b.label.startswith("Look at unit"))
    unit = int(button.label.rsplit(" ", 1)[1])
    button.click().run()
    assert_clean(at)
    assert at.number_input(key="ic_unit").value == unit


@needs_checkpoints
def test_a_span_lists_units_and_matching_spans() -> None:
    """A span over a quote finds units on throughout it, and other spans where they fire."""
    at = open_page()
    at.session_state["ic_view"] = "Select a span"
    at.session_state["ic_state"] = "hidden"
    at.run()
    at.slider(key="ic_threshold").set_value(0.0).run()
    assert_clean(at)
    assert "Units on throughout" in texts(at) or "No unit stays above" in texts(at)


@needs_checkpoints
def test_empty_text_gives_a_hint_and_no_charts() -> None:
    """Empty (or only invisible characters) text: a friendly hint, nothing drawn, no exception."""
    at = open_page()
    for empty in ("", "\u200b\ufeff"):
        at.text_area(key="ic_text").input(empty).run()
        assert_clean(at)
        assert "Type some text" in texts(at) and charts(at) == 0


@needs_checkpoints
def test_long_text_is_cut_with_a_visible_note() -> None:
    """5,000 characters: the first 2,000 are read and a warning says so."""
    at = open_page()
    at.text_area(key="ic_text").input("f(a [b]) " * 556).run()
    assert_clean(at)
    assert any("first 2,000" in w.value for w in at.warning)


@needs_checkpoints
def test_unknown_characters_emoji_and_script_are_shown_as_text() -> None:
    """Unknown characters are named (escaped), traced and never become markup."""
    at = open_page()
    at.text_area(key="ic_text").input('Hello 🙂 <script>alert("x")</script> (a)').run()
    assert_clean(at)
    shown = texts(at)
    assert "never saw" in shown and "🙂" in shown
    assert "<script>" not in "\n".join(str(m.value) for m in [*at.markdown, *at.caption])
    assert charts(at) >= 3


def test_corrupt_checkpoint_is_named_and_the_others_still_work(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A garbage file is listed as broken; a file with damaged weights gives an error box; others work."""
    if len(COMMITTED) < 2:
        pytest.skip("needs at least two committed charlm checkpoints")
    for path in COMMITTED[:2]:
        shutil.copy(path, tmp_path / path.name)
    (tmp_path / "charlm-garbage.safetensors").write_bytes(b"\x00garbage, not a checkpoint")
    damaged = bytearray(COMMITTED[0].read_bytes())
    damaged[-20:] = bytes(20)  # tensor bytes changed: the header still reads, the checksum fails
    (tmp_path / "charlm-damaged.safetensors").write_bytes(bytes(damaged))
    at = open_page(tmp_path, monkeypatch)
    assert not at.exception
    assert any("charlm-garbage.safetensors" in w.value.replace("\\", "") for w in at.warning)
    options = at.selectbox(key="ic_model").options
    assert len(options) == 3 and any("charlm-damaged.safetensors" in label for label in options)
    at.selectbox(key="ic_model").set_value("file:charlm-damaged.safetensors").run()
    assert not at.exception and any("cannot be used" in e.value for e in at.error)
    at.selectbox(key="ic_model").set_value(f"file:{COMMITTED[1].name}").run()
    assert_clean(at)
    assert charts(at) >= 3


def test_no_checkpoints_at_all_says_how_to_make_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An empty folder: a hint with the training command, no exception."""
    at = open_page(tmp_path, monkeypatch)
    assert not at.exception
    assert any("python -m rnnviz.charlm train" in i.value for i in at.info)


def test_train_a_model_live_then_look_inside_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Train (GRU, 16 units, 100 steps) from the page; when done it is selected and traced."""
    at = open_page(tmp_path, monkeypatch)
    at.select_slider(key="ic_train_steps").set_value(100)
    at.select_slider(key="ic_train_hidden").set_value(16)
    at.selectbox(key="ic_train_kind").set_value("gru")
    next(b for b in at.button if b.label == "Train").click().run()
    job = at.session_state["rnnviz_job:inside-cell"]
    assert job.wait(timeout=180), "training did not finish in 3 minutes"
    at.run()
    at.run()  # the finished run registers the model and reruns once
    assert not at.exception
    assert at.selectbox(key="ic_model").value.startswith("trained:")
    model = at.selectbox(key="ic_model")
    assert model.options[model.index].startswith("Trained here")
    assert charts(at) >= 3 and len(at.get("latex")) == 4  # GRU: r, z, h~, h
    labels = [d.proto.label for d in at.get("download_button")]
    assert "Trained weights (.safetensors)" in labels and "Script that redoes this run (.py)" in labels
    script = reproduction_script(job.extras["trained"].settings, "brackets")
    assert "kind='gru'" in script and "hidden_size=16" in script and "steps=100" in script


def test_a_missing_checkpoint_folder_is_named_with_how_to_choose_another(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A folder that does not exist: a warning naming it and how to set another, training still offered."""
    missing = tmp_path / "no-such-folder"
    at = open_page(missing, monkeypatch)
    assert not at.exception
    warnings = [str(warning.value).replace("\\", "") for warning in at.warning]
    assert any(str(missing) in text and checkpoints.DIRECTORY_ENV in text and "--checkpoints DIR" in text
               for text in warnings), warnings
    assert any("python -m rnnviz.charlm train" in i.value for i in at.info)


def test_find_the_unit_headings_read_as_english() -> None:
    """Issue 17 item 8: "Units that follow the inside a quote" was a wording bug."""
    from rnnviz.probes.units import text_signals
    from ui.inside_cell.views import SIGNAL_PHRASES

    for name in text_signals("a"):
        phrase = f"Units that follow {SIGNAL_PHRASES[name]}"
        assert "the inside" not in phrase and name in phrase


def upload_text(at: AppTest, name: str, payload: bytes) -> AppTest:
    """Choose 'my text file', upload `payload` as `name`, small settings, press Train."""
    at.radio(key="ic_corpus").set_value("my text file")
    at.file_uploader(key="ic_upload").set_value((name, payload, "text/plain"))
    at.select_slider(key="ic_train_steps").set_value(100)
    at.select_slider(key="ic_train_hidden").set_value(16)
    next(b for b in at.button if b.label == "Train").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_a_spaces_only_text_file_is_refused_instead_of_training_a_zero_bit_model(tmp_path: Path,
                                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    at = upload_text(open_page(tmp_path, monkeypatch), "blank.txt", b" \n" * 3000)
    assert any("spaces or line breaks" in str(e.value) for e in at.error), texts(at)
    assert "rnnviz_job:inside-cell" not in at.session_state


def test_a_text_over_the_limit_is_cut_with_a_note_saying_to_how_much(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from ui.inside_cell.train import MAX_UPLOAD_CHARS

    line = "to be or not to be, that is the question\n"
    text = line * (MAX_UPLOAD_CHARS // len(line) + 5000)
    at = upload_text(open_page(tmp_path, monkeypatch), "big.txt", text.encode())
    job = at.session_state["rnnviz_job:inside-cell"]
    job.stop()
    note = " ".join(str(i.value) for i in at.info).replace("\\", "")  # Markdown escapes out
    assert f"big.txt has {len(text):,} characters" in note and f"first {MAX_UPLOAD_CHARS:,}" in note, note
    assert job.wait(timeout=120)
    at.run()
    assert f"first {MAX_UPLOAD_CHARS:,}" in " ".join(str(i.value) for i in at.info)  # still said after the run
