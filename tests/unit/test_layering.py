"""Imports go one way: app_pages and ui may use rnnviz, rnnviz never imports Streamlit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHECK = """
import importlib, pkgutil, sys
import rnnviz
for info in pkgutil.walk_packages(rnnviz.__path__, "rnnviz."):
    if not info.name.endswith(".__main__"):  # a __main__ runs its command line
        importlib.import_module(info.name)
bad = sorted(name for name in sys.modules if name == "streamlit" or name.startswith("streamlit."))
sys.exit(f"rnnviz imported streamlit: {bad[:3]}" if bad else 0)
"""


def test_rnnviz_never_imports_streamlit() -> None:
    """Importing every module of rnnviz leaves Streamlit unloaded, so notebooks can use it."""
    result = subprocess.run([sys.executable, "-c", CHECK], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr or result.stdout
