"""Imports go one way: the import contract (pyproject.toml, import-linter), no Streamlit in rnnviz, one module per name."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

CHECK = """
import importlib, pkgutil, sys
import rnnviz
for info in pkgutil.walk_packages(rnnviz.__path__, "rnnviz."):
    if not info.name.endswith(".__main__"):  # a __main__ runs its command line
        importlib.import_module(info.name)
for name in rnnviz.__all__:  # the lazy exports, too
    getattr(rnnviz, name)
bad = sorted(name for name in sys.modules if name == "streamlit" or name.startswith("streamlit."))
sys.exit(f"rnnviz imported streamlit: {bad[:3]}" if bad else 0)
"""

ONE_CLASS = """
import runpy, sys
sys.argv = ["{module}", "--help"]
try:
    runpy._run_module_as_main("{module}")  # exactly what `python -m {module}` does
except SystemExit:
    pass
import importlib
real = importlib.import_module("{home}").{cls}
others = [name for name, module in list(sys.modules.items())
          if isinstance(getattr(module, "{cls}", None), type) and getattr(module, "{cls}") is not real]
sys.exit(f"a second {cls} class in {{others}}" if others else 0)
"""


def test_the_import_contract_holds() -> None:
    """lint-imports keeps every contract: layers, independent feature packages, no cycles, no Streamlit in rnnviz."""
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def test_rnnviz_never_imports_streamlit() -> None:
    """Importing every module of rnnviz (and every lazy export) leaves Streamlit unloaded, so notebooks can use it."""
    result = subprocess.run([sys.executable, "-c", CHECK], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr or result.stdout


@pytest.mark.parametrize("module,home,cls", [("rnnviz.charlm", "rnnviz.charlm.model", "CharLM"),
                                             ("rnnviz.translate", "rnnviz.seq2seq.model", "Seq2Seq"),
                                             ("rnnviz.seq2seq", "rnnviz.seq2seq.model", "Seq2Seq")])
def test_python_dash_m_imports_each_module_once(module: str, home: str, cls: str) -> None:
    """`python -m` runs a __main__ that imports the model module once: one model class per process."""
    code = ONE_CLASS.format(module=module, home=home, cls=cls)
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr or result.stdout
