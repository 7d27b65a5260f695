"""Compare cells under AppTest: pick a task and configurations, train (tiny), stop, the table, export, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
PAGE = "app_pages/compare_cells.py"
JOB = "rnnviz_job:compare-cells"
DATA = ROOT.parent / "shared" / "data"


def open_page() -> AppTest:
    """The real app (sidebar, error boundary) switched to Compare cells."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    return at.switch_page(PAGE).run()


def tiny(at: AppTest, steps: int = 5, seeds: int = 2) -> AppTest:
    """A comparison small enough for a test."""
    at.slider(key="compare:length").set_value(10)
    at.number_input(key="compare:steps").set_value(steps)
    return at.number_input(key="compare:seeds").set_value(seeds).run()


def finish(at: AppTest, seconds: float = 120) -> AppTest:
    """Wait for this session's comparison to end, then redraw."""
    assert at.session_state[JOB].wait(seconds), "the comparison did not end"
    return at.run()


def frames(at: AppTest, column: str) -> list:
    """The tables on the page that have `column` (the configurations editor is a dataframe too)."""
    return [frame.value for frame in at.dataframe if column in frame.value.columns]


def texts(at: AppTest) -> str:
    """Every Markdown, caption and alert on the page, joined."""
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [a.value for a in (*at.warning, *at.error, *at.info, *at.success)]
    return "\n".join(str(p) for p in parts)


def test_the_page_opens_with_four_matched_cells():
    at = open_page()
    assert not at.exception
    sized = frames(at, "parameters")[0]
    assert list(sized["configuration"]) == ["RNN", "LSTM", "GRU", "SRU"]
    assert all(abs(p - 2000) <= 100 for p in sized["parameters"])
    assert not at.button(key="compare:train").disabled


def test_train_shows_the_table_sentences_and_exports():
    at = tiny(open_page())
    at.button(key="compare:train").click().run()
    at = finish(at)
    assert not at.exception
    table = frames(at, "ms per step")[0]
    assert list(table["configuration"]) == ["RNN", "LSTM", "GRU", "SRU"]
    assert "held-out accuracy" in table.columns and (table["ms per step"] > 0).all()
    page = texts(at)
    assert "Welch" in page and ("within noise" in page or "larger than the seed" in page)
    assert "SRU step takes" in page
    labels = {button.label for button in at.get("download_button")}
    assert labels >= {"Report (Markdown)", "Raw runs (CSV)", "Report with figures (zip: Markdown, PNG, CSV)"}
    assert {"Script that redoes this run (.py)", "Trained weights of every run (.zip)"} <= labels
    runs = at.session_state[JOB].extras["grid"].records
    assert all(run.weights for run in runs)  # every finished run kept its checkpoint for the zip


def test_stop_ends_every_run_and_keeps_what_finished():
    at = tiny(open_page(), steps=100_000, seeds=3)
    at.button(key="compare:train").click().run()
    job = at.session_state[JOB]
    while not job.history and job.active:
        job.wait(0.05)
    job.stop()
    at = finish(at)
    assert job.status == "stopped"
    assert job.extras["grid"].records[0].status == "stopped"
    assert len(job.extras["grid"].records) == 1  # the later runs never started
    assert "stopped by the user" in texts(at)


def test_bad_budgets_say_what_to_change():
    at = open_page()
    at.number_input(key="compare:parameters.adding").set_value(10).run()
    assert "RNN" in texts(at) and "parameters within 5%" in texts(at) and at.button(key="compare:train").disabled
    at.number_input(key="compare:parameters.adding").set_value(2000)
    at.radio(key="compare:length_rule").set_value("seconds").run()
    at.number_input(key="compare:seconds").set_value(0.0).run()
    assert "more than 0 seconds" in texts(at)
    at.number_input(key="compare:seconds").set_value(36_000.0).run()
    assert "at most 600 s" in texts(at) and at.button(key="compare:train").disabled
    assert not at.exception


def test_brackets_are_sized_for_the_char_model():
    at = open_page()
    at.selectbox(key="compare:task").set_value("brackets").run()
    assert not at.exception
    assert all(abs(p - 12_000) <= 600 for p in frames(at, "parameters")[0]["parameters"])


def test_the_homework_tab_draws_the_shipped_grid_and_exports_it():
    at = open_page()
    page = texts(at)
    assert "python -m rnnviz.compare homework" in "\n".join(str(code.value) for code in at.code)
    assert "LSTM and SRU instead of GRU" in page and "More layers" in page and "Bidirectional encoder" in page
    assert "held-out BLEU" in frames(at, "held-out BLEU")[0].columns
    labels = {button.label for button in at.get("download_button")}
    assert {"Homework report (Markdown)", "Homework runs (CSV)", "Homework report with figures (zip)"} <= labels
    assert "per run" in page and "clock" in page  # which clock and budget made the file
    assert not at.exception


@pytest.mark.skipif(not (DATA / "eng-fra.txt").is_file(), reason=f"the tutorial's pairs are not in {DATA}")
def test_translation_races_the_cells_by_held_out_bleu(monkeypatch):
    monkeypatch.setenv("RNNVIZ_DATA", str(DATA))
    at = open_page()
    at.selectbox(key="compare:task").set_value("translation").run()
    assert not at.exception
    assert all(abs(p - 200_000) <= 10_000 for p in frames(at, "parameters")[0]["parameters"])
    at.number_input(key="compare:steps").set_value(3)
    at.number_input(key="compare:seeds").set_value(1).run()
    at.button(key="compare:train").click().run()
    at = finish(at, 600)
    assert not at.exception
    table = frames(at, "ms per step")[0]
    assert list(table["configuration"]) == ["RNN", "LSTM", "GRU", "SRU"] and "held-out BLEU" in table.columns
    assert "translation fra→eng" in texts(at)


def test_translation_without_the_data_folder_asks_for_an_upload(monkeypatch):
    monkeypatch.delenv("RNNVIZ_DATA", raising=False)
    at = open_page()
    at.selectbox(key="compare:task").set_value("translation").run()
    assert not at.exception and at.button(key="compare:train").disabled
    assert "upload" in texts(at).lower()


def open_link(query: dict[str, str]) -> AppTest:
    """Compare cells opened from a link with this query."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()  # without this first run, AppTest opens Home instead of the page here
    for name, value in query.items():
        at.query_params[name] = value
    return at.switch_page(PAGE).run()


def test_a_link_sets_the_task_budget_and_the_configurations_table():
    link = {"compare:task": "Copy (delayed recall)", "compare:length": "60", "compare:steps": "100", "compare:seeds": "2",
            "compare:rows": "gru.1.16,lstm.2bi.8", "compare:size": "same hidden size"}  # fmt: skip
    at = open_link(link)
    assert not at.exception
    assert at.selectbox(key="compare:task").value == "copy" and at.slider(key="compare:length").value == 60
    assert at.number_input(key="compare:steps").value == 100 and at.number_input(key="compare:seeds").value == 2
    sized = frames(at, "configuration")[0]
    assert list(sized["configuration"]) == ["GRU", "LSTM ×2 bi"] and list(sized["hidden size"]) == [16, 8]
    assert "This link asked for settings" not in texts(at) and dict(at.query_params) == link


def test_a_hostile_table_or_budget_in_a_link_falls_back_with_a_note():
    at = open_link({"compare:rows": "cnn.1.32,<script>", "compare:steps": "1e999", "compare:task": "chess"})
    assert not at.exception
    note = next(info.value for info in at.info if "This link asked for settings" in info.value)
    assert "`compare:rows`" in note and "`compare:steps`" in note and "`compare:task`" in note
    assert len(frames(at, "configuration")[0]) == 4 and at.number_input(key="compare:steps").value == 250
    assert "compare:rows" not in at.query_params
