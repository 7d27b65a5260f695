"""A finished teacher-forcing run and a finished "Watch it form" run offer their script and their weights."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from rnnviz.io import checkpoints
from rnnviz.seq2seq.translator import Translator
from rnnviz.unrolled.reproduce import BUILDERS
from tests.app.helpers import assert_clean

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 120


def parallel_script() -> None:
    """A tiny page with only the teacher-forcing section."""
    from ui.unrolled.parallel_view import forcing_section

    forcing_section(3)


def forming_script() -> None:
    """A tiny page with only the forming view."""
    from ui.embeddings.forming import render_forming

    render_forming()


def download_ids(at: AppTest) -> list[str]:
    """The element ids of the page's download buttons (they carry the buttons' keys)."""
    return [element.proto.id for element in at.get("download_button")]


def test_the_teacher_forcing_runs_offer_the_script_and_one_weights_file_per_ratio(tmp_path) -> None:
    at = AppTest.from_function(parallel_script, default_timeout=TIMEOUT).run()
    at.radio(key="unrolled-parallel:plan").set_value("one ratio against 1.0").run()
    at.slider(key="unrolled-parallel:ratio").set_value(0.2)
    at.select_slider(key="unrolled-parallel:steps").set_value(20).run()
    at.button(key="unrolled-parallel:train").click().run()
    job = at.session_state["rnnviz_job:unrolled-parallel:forcing"]
    assert job.wait(TIMEOUT) and job.status == "finished"
    at.run()
    assert_clean(at)
    text, weights = job.extras["files"]
    assert "seed = 3" in text and "steps = 20" in text and "[1.0, 0.2]" in text
    assert [ratio for ratio, _ in weights] == [1.0, 0.2]
    ids = download_ids(at)
    assert sum("script" in name for name in ids) == 1 and sum("weights" in name for name in ids) == 2
    for ratio, payload in weights:
        path = tmp_path / f"{ratio:g}.safetensors"
        path.write_bytes(payload)
        assert checkpoints.load(path, builders=BUILDERS).extra["teacher_forcing"] == ratio


def test_a_finished_forming_run_offers_its_script_and_its_translator(tmp_path) -> None:
    at = AppTest.from_function(forming_script, default_timeout=TIMEOUT).run()
    at.select_slider(key="embeddings:forming:steps").set_value(200)
    at.button(key="embeddings:forming:train").click().run()
    job = at.session_state["rnnviz_job:embeddings_forming"]
    assert job.wait(TIMEOUT) and job.status == "finished"
    at.run()
    assert_clean(at)
    text, weights = job.extras["files"]
    assert "steps=200" in text and "date_word_data(" in text
    ids = download_ids(at)
    assert any("embeddings:forming:files:script" in name for name in ids)
    assert any("embeddings:forming:files:weights" in name for name in ids)
    path = tmp_path / "forming.safetensors"
    path.write_bytes(weights)
    translator = Translator.load(path)  # its word vectors are the last snapshot's, as the page maps them
    run = job.extras["run"]
    rows = [translator.source_vocab.tokens.index(word) for word in run.words["source"]]
    vectors = translator.model.encoder.embedding.weight.detach()[rows].double().numpy()
    assert abs(vectors - run.snapshots[-1].source).max() < 1e-6
