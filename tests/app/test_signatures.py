"""The Signature verification page under AppTest: renders, every control, hostile uploads named by file and line."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from rnnviz.signatures.data import default_folder
from tests.unit.test_signatures_siamese import synthetic_zip
from ui.signatures.models import JOB_KEY, SIAMESE_SUMMARY

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app.py"
PAGE = "app_pages/signatures.py"
TIMEOUT = 180  # the first run imports torch and reads 1,600 files

needs_results = pytest.mark.skipif(not SIAMESE_SUMMARY.is_file(), reason="ui/signatures/siamese_svc2004.json missing")
needs_data = pytest.mark.skipif(default_folder() is None, reason="SVC2004 Task 2 not found (../shared/data/signatures)")


def page_text(at: AppTest) -> str:
    """Everything a person reads on the page."""
    parts: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "text", "error", "warning", "info", "success"):
        parts.extend(str(element.value) for element in at.get(kind))
    return re.sub(r"\\([^\w\s])", r"\1", "\n".join(parts))  # as read: Markdown escapes removed


def assert_clean(at: AppTest) -> None:
    """No exception and no error box from the shell's boundary."""
    assert not at.exception, [e.value for e in at.exception]
    assert "stopped because of an error" not in page_text(at)


def signature_text(points: np.ndarray) -> str:
    """An SVC2004 file: the count line, then X Y T BUTTON AZIMUTH ALTITUDE PRESSURE rows."""
    rows = "\n".join(" ".join(f"{value:g}" for value in row) for row in points)
    return f"{len(points)}\n{rows}\n"


def line_points(count: int, user_offset: float = 0.0) -> np.ndarray:
    """A plausible stroke of `count` points (N, 7)."""
    n = np.arange(count, dtype=np.float64)
    return np.stack(
        [100 + 10 * n + user_offset, 200 + 5 * np.sin(n), 10 * n, np.ones(count), 900 + 0 * n, 500 + 0 * n, 300 + 20 * np.cos(n)],
        axis=1,
    )


def zip_of(files: dict[str, str | bytes]) -> bytes:
    """A zip holding these files."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def open_page(query: dict[str, str] | None = None) -> AppTest:
    """The real app switched to the signature page, opened with a link's query when given."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    if query is None:
        at.run()
    for name, value in (query or {}).items():
        at.query_params[name] = value
    at.switch_page(PAGE).run()
    return at


def upload(at: AppTest, content: bytes, name: str = "mine.zip") -> AppTest:
    """Choose the upload source and upload a zip."""
    at.radio(key="signatures:source").set_value("a zip I upload").run()
    at.file_uploader(key="signatures:upload").set_value((name, content, "application/zip")).run()
    assert_clean(at)
    return at


@pytest.fixture(scope="module")
def page() -> AppTest:
    """One page for the read-only checks (reading SVC2004 once)."""
    return open_page()


@needs_data
def test_page_renders_the_paper_the_data_credit_and_the_dtw_table(page: AppTest) -> None:
    assert_clean(page)
    assert page.title[0].value == "Signature verification"
    text = page_text(page)
    assert "BiosecurID" in text and "we use the public **SVC2004 Task 2**" in text
    assert "Yeung et al." in text
    table = next(m.value for m in page.markdown if m.value.startswith("| EER (%)"))
    assert ":gray[10.17]" in table and ":gray[0.50]" in table  # the paper's Table 4 beside ours
    assert len(page.get("plotly_chart")) >= 3  # trajectory, time functions, DET, histogram
    assert "Enrolled 0 of 4 signatures" in text  # the drawing pad waits for the first signature


@needs_data
def test_each_control_redraws_without_error(page: AppTest) -> None:
    page.selectbox(key="signatures:user").set_value(page.selectbox(key="signatures:user").options[3]).run()
    page.selectbox(key="signatures:sample").set_value("S25 · skilled forgery").run()
    assert_clean(page)
    assert "U4S25" in page_text(page) or any("U4S25" in str(c.proto.spec) for c in page.get("plotly_chart"))
    page.toggle(key="signatures:without_pressure").set_value(True).run()
    assert_clean(page)
    assert "no (pressure)" in page_text(page)
    page.multiselect(key="signatures:det").set_value([]).run()
    assert "Choose at least one curve" in page_text(page)
    page.selectbox(key="signatures:hist_system").set_value("DTW").run()
    page.radio(key="signatures:hist_mode").set_value("1vs1").run()
    page.radio(key="signatures:hist_kind").set_value("random").run()
    assert_clean(page)
    page.toggle(key="signatures:without_pressure").set_value(False).run()


@needs_data
def test_verifying_a_forgery_and_a_genuine_signature_gives_a_decision(page: AppTest) -> None:
    page.selectbox(key="signatures:claimed").set_value(page.selectbox(key="signatures:claimed").options[0]).run()
    page.selectbox(key="signatures:probe_user").set_value(page.selectbox(key="signatures:probe_user").options[0]).run()
    page.selectbox(key="signatures:probe_sample").set_value(12).run()
    assert_clean(page)
    assert "the claimed user's own signature" in page_text(page)
    assert any(metric.label == "Decision" for metric in page.get("metric"))
    page.selectbox(key="signatures:probe_sample").set_value(30).run()
    assert "a skilled forgery of the claimed user" in page_text(page)


@pytest.mark.parametrize(
    "name,content,expected",
    [
        ("U1S5.TXT", "3\n1 2 3 1 0 0 5\n", "U1S5.TXT line 1: says 3 points but 1 rows follow"),
        ("U1S5.TXT", "1\n1 2 3 1 0 0 5\n", "U1S5.TXT line 1: 1 point(s); a signature needs at least 2"),
        ("U1S5.TXT", "3\n1 2 3 1 0 0 5\n1 nan 3 1 0 0 5\n1 2 3 1 0 0 5\n", "U1S5.TXT line 3: Y is 'nan'"),
        ("U1S5.TXT", "2\n1 2 3 1 0 0 5\n1 2 3 1 0 0\n", "U1S5.TXT line 3: 6 values, expected 7"),
        ("U1S5.TXT", "many\n1 2 3 1 0 0 5\n", "U1S5.TXT line 1: 'many' is not a whole number"),
        ("U1S5.TXT", "1000000\n", "1,000,000 points; at most 20,000"),
    ],
)
def test_a_bad_file_in_an_upload_is_named_with_its_line_and_the_rest_kept(name: str, content: str, expected: str) -> None:
    good = {f"U1S{s}.TXT": signature_text(line_points(40 + s)) for s in (1, 2, 3, 4, 11)}
    at = upload(open_page(), zip_of({**good, name: content}))
    text = page_text(at)
    assert expected in text
    assert "1 file(s) skipped, the rest kept" in text
    assert "A signature and its time functions" in text  # the good files are shown


def test_other_files_in_a_zip_are_named_and_skipped() -> None:
    files = {
        "U2S1.TXT": signature_text(line_points(50)),
        "notes.docx": b"\x00\x01binary",
        "photo.png": b"\x89PNG",
        "README.txt": "about",
        "deep/folder/U2S2.TXT": signature_text(line_points(60)),
    }
    at = upload(open_page(), zip_of(files))
    text = page_text(at)
    assert "notes.docx: not a signature file" in text and "photo.png: not a signature file" in text
    assert "README" not in text.split("skipped")[1].split("A signature")[0]
    assert at.selectbox(key="signatures:sample").options == ["S1 · genuine", "S2 · genuine"]


def test_all_points_equal_give_a_note_and_finite_functions_not_an_error() -> None:
    still = np.tile([[500, 500, 0, 1, 900, 500, 300]], (30, 1)).astype(float)
    still[:, 2] = np.arange(30) * 10
    at = upload(open_page(), zip_of({"U7S3.TXT": signature_text(still)}))
    text = page_text(at)
    assert "U7S3.TXT lines 2–31: all 30 points are at the same x and y" in text
    assert len(at.get("plotly_chart")) >= 2


def test_a_file_that_is_not_a_zip_and_a_zip_without_signatures_say_so() -> None:
    at = upload(open_page(), b"this is not a zip", name="fake.zip")
    assert "fake.zip: not a readable zip file" in page_text(at)
    at = upload(open_page(), zip_of({"a.txt": "hello"}), name="empty.zip")
    assert "empty.zip: no signature file" in page_text(at)


def test_a_user_with_too_few_references_gets_a_message_when_verifying() -> None:
    at = upload(open_page(), zip_of({"U3S1.TXT": signature_text(line_points(40)), "U3S12.TXT": signature_text(line_points(45))}))
    at.selectbox(key="signatures:probe_sample").set_value(12).run()
    assert_clean(at)
    assert "user 3 has 1 of the references S1–S10; at least 2 are needed" in page_text(at)


def wait_for_job(at: AppTest, timeout: float = 600) -> object:
    """The page's training job, once it has ended."""
    job = at.session_state["rnnviz_job:" + JOB_KEY]
    assert job.wait(timeout), "the training job did not end in time"
    return job


def test_training_live_on_uploaded_signatures_marks_the_best_step_and_scores_test_users(tmp_path) -> None:
    at = upload(open_page(), Path(synthetic_zip(tmp_path / "synthetic.zip", users=10)).read_bytes())
    at.selectbox(key="signatures:train_system").set_value("GRU")
    at.slider(key="signatures:train_steps").set_value(50)
    at.button(key="signatures:train").click().run()
    assert_clean(at)
    job = wait_for_job(at)
    assert job.status == "finished", job.message()
    at.run()
    assert_clean(at)
    text = page_text(at)
    assert "(best on the validation users), on the test users" in text
    assert job.extras["best_step"] in [v["step"] for v in job.extras["validations"]]
    assert set(job.extras["scores"]["label"]) == {"genuine", "skilled", "random"}
    assert any("best on validation" in str(chart.proto.spec) for chart in at.get("plotly_chart"))
    labels = [button.proto.label for button in at.get("download_button")]
    assert "Script that redoes this run (.py)" in labels and "Trained weights (.safetensors)" in labels


def test_too_few_users_for_training_get_a_sentence_not_a_button() -> None:
    at = upload(open_page(), zip_of({f"U1S{s}.TXT": signature_text(line_points(40 + s)) for s in (1, 2, 3, 4, 11)}))
    assert "Training needs at least 5 users" in page_text(at)
    assert not [b for b in at.button if b.key == "signatures:train"]


@needs_results
def test_tables_2_and_3_show_our_eers_beside_the_papers_in_grey(page: AppTest) -> None:
    tables = [m.value for m in page.markdown if m.value.startswith("| EER (%) | train")]
    assert len(tables) == 2
    assert ":gray[(5.60)]" in tables[0] and ":gray[(4.75)]" in tables[1]  # BLSTM, trained skilled, on skilled
    assert "| BGRU |" in tables[1]
    assert "two-stage (DTW, then" in page_text(page)
    page.radio(key="signatures:curve_scenario").set_value("random").run()
    assert_clean(page)


LINK = {
    "signatures:user": "3",
    "signatures:sample": "S25 · skilled forgery",
    "signatures:without_pressure": "true",
    "signatures:hist_mode": "1vs1",
    "signatures:hist_kind": "random",
    "signatures:train_system": "GRU",
    "signatures:train_steps": "100",
    "signatures:train_fold": "2",
    "seed": "7",
}


@needs_data
def test_a_link_opens_the_page_in_the_state_it_names_without_a_note() -> None:
    at = open_page(LINK)
    assert_clean(at)
    assert at.selectbox(key="signatures:user").value == 3 and at.selectbox(key="signatures:sample").value == 25
    assert at.toggle(key="signatures:without_pressure").value is True and "no (pressure)" in page_text(at)
    assert at.radio(key="signatures:hist_mode").value == "1vs1" and at.radio(key="signatures:hist_kind").value == "random"
    assert at.selectbox(key="signatures:train_system").value == "GRU" and at.slider(key="signatures:train_steps").value == 100
    assert at.selectbox(key="signatures:train_fold").value == 2 and at.session_state["seed"] == 7
    assert "This link asked for settings" not in page_text(at)
    assert dict(at.query_params) == LINK  # nothing dropped


@needs_data
def test_hostile_link_values_fall_back_to_the_defaults_with_a_note() -> None:
    hostile = {"signatures:user": "<script>alert(1)</script>", "signatures:train_steps": "99999",
               "signatures:hist_mode": "2vs1", "signatures:det": "x" * 100_000, "signatures:source": "C:\\Windows",
               "signatures:train_fold": "1e999"}  # fmt: skip
    at = open_page(hostile)
    assert_clean(at)
    note = next(info.value for info in at.info if "This link asked for settings" in info.value)
    for name in hostile:
        assert f"`{name}`" in note, name
    assert "<script>" not in note and "100,000 characters" in note
    assert at.selectbox(key="signatures:user").value == 1 and at.slider(key="signatures:train_steps").value == 300
    assert at.radio(key="signatures:hist_mode").value == "4vs1" and at.selectbox(key="signatures:train_fold").value == 0
    assert not set(hostile) & set(at.query_params)


def test_the_organisers_protocol_shows_pooled_and_per_user_eers_beside_svc2004s_best(page: AppTest) -> None:
    page.radio(key="signatures:protocol").set_value(page.radio(key="signatures:protocol").options[1]).run()
    assert_clean(page)
    shown = page_text(page)
    assert "5 of S1–S10 drawn at random" in shown and "a threshold per user and trial" in shown
    assert "DTW, cohort-normalised" in shown
    assert "SVC2004's best, 60 hidden users" in shown and "2.89" in shown
    page.radio(key="signatures:protocol").set_value(page.radio(key="signatures:protocol").options[0]).run()
    assert_clean(page)


@needs_data
def test_an_own_subset_of_time_functions_is_evaluated_on_request(page: AppTest) -> None:
    page.radio(key="signatures:dtw_functions").set_value("my own subset").run()
    page.multiselect(key="signatures:dtw_own").set_value([7]).run()  # ẋ alone: the quickest full evaluation
    assert_clean(page)
    assert "No stored results for the functions 8" in page_text(page)
    page.button(key="signatures:evaluate_own").click().run()
    assert_clean(page)
    assert "time functions 8 of Table 1" in page_text(page)
    page.multiselect(key="signatures:dtw_own").set_value([]).run()
    assert "Choose at least one time function" in page_text(page)
    page.radio(key="signatures:dtw_functions").set_value("our choice: ẋ ẏ z v θ sin α cos α").run()
    assert_clean(page)
