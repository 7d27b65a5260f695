"""Compare cells, Homework, "Check a row": the re-trained row offers its script and its translator."""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from rnnviz.seq2seq.translator import Translator

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data"
JOB = "rnnviz_job:compare-homework"


@pytest.mark.skipif(not (DATA / "eng-fra.txt").is_file(), reason=f"the tutorial's pairs are not in {DATA}")
def test_a_row_trained_again_offers_its_script_and_weights(monkeypatch) -> None:
    import ui.compare.homework as page

    shipped = page.results_file
    monkeypatch.setattr(page, "results_file", lambda: dataclasses.replace(shipped(), seconds=None, steps=3))
    monkeypatch.setenv("RNNVIZ_DATA", str(DATA))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at = at.switch_page("app_pages/compare_cells.py").run()
    at.button(key="compare:homework:train").click().run()
    assert at.session_state[JOB].wait(300), "the row did not finish"
    at.run()
    assert not at.exception
    buttons = {button.label: button for button in at.get("download_button")}
    assert {"Script that redoes this run (.py)", "Trained weights (.safetensors)"} <= set(buttons)
    job = at.session_state[JOB]
    assert "held-out BLEU" in "\n".join(str(m.value) for m in at.markdown) and job.extras["run"].steps == 3
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "row.safetensors"
        path.write_bytes(job.extras["weights"])
        assert Translator.load(path, source="fra", target="eng").translate("je suis grand .").text
