"""A typed input inside a fragment reruns only that fragment, not the page around it (issue 14 item 1).

AppTest always reruns the whole script, so the test sends what a browser sends for a widget inside a
fragment: a rerun with that fragment's id. The page's outer script counts its runs (through a counting
wrapper around a function it calls once per run); the count must not move while the fragment answers.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
from streamlit.runtime.scriptrunner_utils.script_requests import RerunData
from streamlit.testing.v1 import AppTest, local_script_runner

from rnnviz.seq2seq.translator import list_translators
from ui.translate import views

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 120


def fragment_id(at: AppTest, function_name: str) -> str:
    """The id under which the last run stored the fragment made from `function_name`."""
    for identifier, fragment in at._fragment_storage._fragments.items():
        cells = [cell.cell_contents for cell in (fragment.__closure__ or ()) if callable(cell.cell_contents)]
        if any(getattr(cell, "__name__", "") == function_name for cell in cells):
            return identifier
    raise AssertionError(f"no fragment made from {function_name}: {list(at._fragment_storage._fragments)}")


def run_fragment(at: AppTest, identifier: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run `at` as a browser does after a widget change inside the fragment `identifier`."""
    with monkeypatch.context() as patch:
        patch.setattr(local_script_runner, "RerunData", functools.partial(RerunData, fragment_id_queue=[identifier]))
        at.run()


needs_models = pytest.mark.skipif(
    not any((c.source, c.target) == ("fra", "eng") for c in list_translators()[0]),
    reason="checkpoints/translate-fra-eng*.safetensors missing",
)


@needs_models
@pytest.mark.parametrize(
    "page,function_name,key,typed",
    [
        ("app_pages/translate.py", "translate_tab", "translate:text:fra", "il est petit ."),
        ("app_pages/translate.py", "compare_tab", "compare:text", "il est grand ."),
        ("app_pages/phrase_scoring.py", "scoring_tab", "score:target:eng-fra", "je suis grand ."),
    ],
)
def test_a_typed_input_reruns_only_its_fragment(page, function_name, key, typed, monkeypatch) -> None:
    outer_runs = {"count": 0}
    original = views.show_checkpoint_problems

    def counted() -> None:
        outer_runs["count"] += 1
        original()

    monkeypatch.setattr(views, "show_checkpoint_problems", counted)  # the page calls it once per outer run
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.run()
    at.switch_page(page).run()
    assert not at.exception
    runs_before = outer_runs["count"]
    assert runs_before >= 1
    shown_before = [str(e.value) for e in at.markdown]
    at.text_input(key=key).input(typed)
    run_fragment(at, fragment_id(at, function_name), monkeypatch)
    assert not at.exception, [e.value for e in at.exception]
    assert outer_runs["count"] == runs_before  # the page around the fragment did not run again
    assert at.text_input(key=key).value == typed
    assert [str(e.value) for e in at.markdown] != shown_before  # the fragment answered the new input
    at.run()  # a full rerun (another widget, a page switch) still runs the outer script
    assert outer_runs["count"] == runs_before + 1
