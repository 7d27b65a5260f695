"""The Translate page's warm-up fills exactly the caches its first view reads: after it, the page computes nothing."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.runtime.caching import cache_utils
from streamlit.testing.v1 import AppTest

from ui import shell

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def misses(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The names of the cached functions that had to compute, in order."""
    names: list[str] = []
    original = cache_utils.CachedFunc._handle_cache_miss

    def counting(self, *args, **kwargs):
        names.append(self._info.func.__qualname__)
        return original(self, *args, **kwargs)

    st.cache_data.clear()  # a test before this one may have filled them
    st.cache_resource.clear()
    monkeypatch.setattr(cache_utils.CachedFunc, "_handle_cache_miss", counting)
    monkeypatch.setenv(shell.WARM_ENV, "0")  # this test runs the hook itself, in order
    yield names


def test_translate_opens_without_a_cache_miss_after_its_warm_up(misses: list[str]) -> None:
    from ui.translate import views

    page = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    page.run()
    for _step in views.warm_up():
        pass
    assert "_rows" in misses and "_translation" in misses  # the hook computed the costly parts
    misses.clear()
    page.switch_page("app_pages/translate.py").run()
    assert not page.exception
    assert misses == [], f"the page computed {misses} again: the warm-up and the page disagree on a default"


WARM_RUN = """
import logging, sys
from streamlit.runtime.caching import cache_utils
from ui import shell
failures, computed = [], []
original = cache_utils.CachedFunc._handle_cache_miss
def counting(self, *args, **kwargs):
    computed.append(self._info.func.__qualname__)
    return original(self, *args, **kwargs)
cache_utils.CachedFunc._handle_cache_miss = counting
shell.log.addHandler(type("H", (logging.Handler,), {"emit": lambda self, record: failures.append(record.getMessage())
                                                    if record.levelno >= logging.WARNING else None})())
shell._warm_up(0)
import importlib.util
def is_module(name):
    parent = name.rpartition(".")[0]
    if parent and not hasattr(sys.modules.get(parent), "__path__"):
        return False
    return importlib.util.find_spec(name) is not None
names = [name for group in shell.warm_modules() for name in group] + sys.argv[1:]
missing = [name for name in names if is_module(name) and name not in sys.modules]
print(repr({"failures": failures, "computed": sorted(set(computed)), "missing": missing}))
"""
# Besides every module the page files name (the warm-up's own list): a few that must never drop out of it.
PAGE_MODULES = ("torch._dynamo", "ui.translate.views", "ui.inside_cell.panels", "ui.unrolled.bptt_view", "openTSNE")


def test_the_whole_warm_up_runs_outside_any_page_without_a_failure() -> None:
    """Off the script thread (no session): every page's modules import and the Translate hook fills its caches."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", WARM_RUN, *PAGE_MODULES], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = ast.literal_eval(done.stdout.strip().splitlines()[-1])
    assert report["failures"] == []
    assert report["missing"] == []
    assert {"_rows", "_translation", "_answer"} <= set(report["computed"])
