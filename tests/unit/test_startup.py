"""Home starts without torch or any page's modules; the warm-up loads them later, after every page run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from rnnviz.io import checkpoints
from ui import catalog, shell

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("torch", "numpy", "pandas", "safetensors", "rnnviz.io.checkpoints", "ui.training", "ui.translate.views")
HOME_RUN = """
import json, os, sys
from streamlit.testing.v1 import AppTest
page = AppTest.from_file(os.path.join(os.getcwd(), "app.py"), default_timeout=60)
page.run()
print(json.dumps({"exceptions": [e.value for e in page.exception], "titles": [t.value for t in page.title],
                  "loaded": [name for name in sys.argv[1:] if name in sys.modules]}))
"""


def test_home_runs_without_importing_torch_or_any_page_module() -> None:
    """The whole first script run (options, navigation, sidebar, Home) in a fresh interpreter."""
    environment = {**os.environ, shell.WARM_ENV: "0", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", HOME_RUN, *HEAVY], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["exceptions"] == [] and "rnnviz" in report["titles"]
    assert report["loaded"] == [], f"Home's first run imported {report['loaded']}: import them where a page needs them"


def test_checkpoints_option_sets_what_rnnviz_reads(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """ui.shell writes the variable itself (no torch import); it must be the one rnnviz.io.checkpoints reads."""
    assert shell.CHECKPOINTS_ENV == checkpoints.DIRECTORY_ENV
    monkeypatch.setenv(checkpoints.DIRECTORY_ENV, "placeholder")  # recorded, so the teardown restores it
    monkeypatch.chdir(tmp_path)
    shell.apply_options(["--checkpoints", "models"])
    assert checkpoints.checkpoint_directory() == checkpoints.set_checkpoint_directory("models") == tmp_path / "models"


def test_warm_up_imports_torch_first_then_every_page_module_once() -> None:
    groups = shell.warm_modules()
    flat = [name for group in groups for name in group]
    assert flat[0] == "torch" and len(flat) == len(set(flat))
    for spec in shell.available_pages():
        assert set(shell.page_modules(spec)) <= set(flat), spec.key
    assert "ui.translate.views" in shell.page_modules(catalog.page("translate"))


def test_warm_up_skips_names_that_are_not_modules() -> None:
    assert shell._import_quietly("ui.links") is not None
    assert shell._import_quietly("ui.links.BIND") is None  # `from ui.links import BIND`
    assert shell._import_quietly("no_such_module_anywhere") is None


def test_warm_up_waits_while_a_page_runs() -> None:
    started, finished = threading.Event(), threading.Event()

    def waiter() -> None:
        started.set()
        shell._wait_for_quiet()
        finished.set()

    with shell.script_run():
        thread = threading.Thread(target=waiter, daemon=True)
        thread.start()
        started.wait(5)
        assert not finished.wait(0.3)  # a page is running: the warm-up does not go on
    assert finished.wait(5)


def test_a_failing_hook_is_logged_not_raised() -> None:
    class Module:
        __name__ = "broken"

        @staticmethod
        def warm_up():
            yield
            raise RuntimeError("boom")

    shell._run_hook(Module())  # no exception


def test_warm_up_can_be_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(shell.WARM_ENV, "0")
    assert shell.warm_up_later() is None


@pytest.mark.skipif(not hasattr(os, "setpriority"), reason="no per-thread nice values here")
def test_warm_up_thread_is_nice_between_page_runs_and_not_during_one(monkeypatch: pytest.MonkeyPatch) -> None:
    ready, release, seen = threading.Event(), threading.Event(), {}

    def warm_thread() -> None:
        monkeypatch.setattr(shell, "_warm_thread_id", threading.get_native_id())
        monkeypatch.setattr(shell, "_base_nice", os.getpriority(os.PRIO_PROCESS, 0))
        ready.set()
        release.wait(10)

    thread = threading.Thread(target=warm_thread, daemon=True)
    thread.start()
    ready.wait(5)
    base = shell._base_nice
    with shell.script_run():
        seen["during"] = os.getpriority(os.PRIO_PROCESS, shell._warm_thread_id)
    seen["after"] = os.getpriority(os.PRIO_PROCESS, shell._warm_thread_id)
    release.set()
    thread.join(5)
    assert seen["after"] == min(base + shell.WARM_NICE, 19)
    assert seen["during"] in (base, seen["after"])  # back to the server's own value where the system allows it
