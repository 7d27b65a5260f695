"""The notebooks of docs/notebooks/: generated from make_notebooks.py, committed without outputs, and executed.

Execution uses this test's own Python: the `python3` kernel of ipykernel in this environment (installed
into sys.prefix if no python3 kernelspec is found), with the checkout first on PYTHONPATH so the
notebooks import this checkout's `rnnviz` and read its checkpoints.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="pip install -r requirements-dev.txt (nbformat, nbclient, ipykernel)")
nbclient = pytest.importorskip("nbclient", reason="pip install -r requirements-dev.txt (nbclient)")
pytest.importorskip("ipykernel", reason="pip install -r requirements-dev.txt (ipykernel)")

from jupyter_client.kernelspec import KernelSpecManager  # noqa: E402 (after the skips)
from jupyter_client.manager import KernelManager  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "docs" / "notebooks"
PLOTLY_MIME = "application/vnd.plotly.v1+json"
# notebook -> the figures it draws (the pages' rnnviz.plots functions)
FIGURES = {"gradients_tanh_vs_irnn.ipynb": 5, "lstm_gates.ipynb": 5, "translator_attention.ipynb": 1}
CELL_TIMEOUT = 600  # seconds per cell: generous, the test machine is shared


def generator():
    """docs/notebooks/make_notebooks.py as a module."""
    spec = importlib.util.spec_from_file_location("make_notebooks", NOTEBOOKS / "make_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read(name: str) -> nbformat.NotebookNode:
    """A committed notebook."""
    return nbformat.read(NOTEBOOKS / name, as_version=4)


def test_every_notebook_is_listed_and_generated() -> None:
    """The folder holds exactly the generated notebooks, each equal to what make_notebooks.py writes."""
    module = generator()
    assert sorted(path.name for path in NOTEBOOKS.glob("*.ipynb")) == sorted(module.NOTEBOOKS) == sorted(FIGURES)
    for name, cells in module.NOTEBOOKS.items():
        assert read(name) == module.build(cells), f"{name} differs from make_notebooks.py: run it again"


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_committed_without_outputs(name: str) -> None:
    """No outputs or execution counts are committed."""
    for cell in read(name).cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{name}: clear the outputs"


@pytest.fixture(scope="module")
def kernel_name() -> str:
    """The python3 kernel, started with this very interpreter (its kernelspec installed here if missing)."""
    if "python3" not in KernelSpecManager().find_kernel_specs():
        from ipykernel.kernelspec import install

        install(prefix=sys.prefix)
    manager = KernelManager(kernel_name="python3")
    command = manager.format_kernel_cmd()
    assert Path(command[0]).resolve() == Path(sys.executable).resolve(), f"the python3 kernel runs {command[0]}"
    return "python3"


def kernel_environment() -> dict[str, str]:
    """This environment with the checkout first on PYTHONPATH (not an installed copy of rnnviz), one torch thread.

    One thread unless OMP_NUM_THREADS says otherwise: on a shared, loaded machine torch's thread pool
    spins against the other jobs (the gradient notebook took 154 s with it, 13 s without, at load 13 on 2 cores).
    """
    paths = [str(ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return {"OMP_NUM_THREADS": "1", **os.environ, "PYTHONPATH": os.pathsep.join(paths)}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(FIGURES))
def test_notebook_executes(name: str, kernel_name: str, tmp_path: Path) -> None:
    """Every cell runs without an error and the notebook draws its figures, each with data in it."""
    notebook = read(name)
    client = nbclient.NotebookClient(
        notebook, timeout=CELL_TIMEOUT, kernel_name=kernel_name, resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute(env=kernel_environment())
    figures = [
        output["data"][PLOTLY_MIME]
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if PLOTLY_MIME in output.get("data", {})
    ]
    assert len(figures) == FIGURES[name]
    assert all(figure["data"] for figure in figures), "a figure without traces"
    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.get("output_type") == "error"
    ]
    assert not errors
