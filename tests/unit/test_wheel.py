"""The package: pyproject.toml matches requirements.txt, and the wheel alone installs a working rnnviz."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from rnnviz.io import checkpoints

ROOT = Path(__file__).resolve().parents[2]
CHECKPOINT = ROOT / "checkpoints" / "translate-fra-eng.safetensors"
WHEEL_SOURCES = ("pyproject.toml", "README.md", "rnnviz")  # what the build reads, nothing else
LEAKY_VARIABLES = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", checkpoints.DIRECTORY_ENV)
INSTALL_TIMEOUT = 600

# Run by the installed interpreter: where rnnviz comes from, every module it imports, the checkpoint folder.
INSPECT = """
import importlib, json, pkgutil
import rnnviz
from rnnviz.io import checkpoints
from rnnviz.seq2seq.translator import list_translators
modules = ["rnnviz"]
for info in pkgutil.walk_packages(rnnviz.__path__, "rnnviz."):
    if not info.name.endswith(".__main__"):  # a __main__ runs its command line
        importlib.import_module(info.name)
        modules.append(info.name)
directory = checkpoints.checkpoint_directory()
try:
    checkpoints.list_checkpoints(directory)
    listing_error = ""
except checkpoints.CheckpointDirectoryError as error:
    listing_error = str(error)
print(json.dumps({"file": rnnviz.__file__, "modules": modules, "directory": str(directory),
                  "exists": directory.exists(), "listing_error": listing_error,
                  "translator_messages": list_translators()[1]}))
"""


def requirement_lines(path: Path) -> list[str]:
    """The package requirements of a requirements file (no comments, options or the project itself)."""
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("-")]


def test_pyproject_declares_the_requirements_txt_dependencies() -> None:
    """One set of ranges: `pip install .` and `pip install -r requirements.txt` get the same libraries."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert sorted(project["dependencies"]) == sorted(requirement_lines(ROOT / "requirements.txt"))
    assert "torch==2.13.0" in project["dependencies"]


def test_requirements_txt_still_installs_the_project() -> None:
    """The README's `pip install -r requirements.txt` also installs rnnviz itself (editable)."""
    lines = [line.strip() for line in (ROOT / "requirements.txt").read_text().splitlines()]
    assert "-e ." in lines


def test_wheel_takes_every_rnnviz_package_and_nothing_else() -> None:
    """Package discovery: rnnviz and its subpackages; the app, tests and benchmarks stay out."""
    find = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    assert find["include"] == ["rnnviz", "rnnviz.*"]


def source_modules() -> list[str]:
    """Every module of the repository's rnnviz, by dotted name, without __main__ modules."""
    names = []
    for path in sorted((ROOT / "rnnviz").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__main__":
            continue
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return sorted(names)


def clean_environment() -> dict[str, str]:
    """This environment without what could point Python at the repository's rnnviz or choose a checkpoint folder."""
    environment = {name: value for name, value in os.environ.items() if name not in LEAKY_VARIABLES}
    environment["PYTHONNOUSERSITE"] = "1"
    return environment


def run(command: list[str | Path], cwd: Path, stdin: str | None = None,
        timeout: int = INSTALL_TIMEOUT) -> subprocess.CompletedProcess[str]:
    """Run a command in `cwd` with the clean environment; fail the test with its output if it fails."""
    result = subprocess.run([str(part) for part in command], cwd=cwd, env=clean_environment(), input=stdin,
                            capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{command} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def build_wheel(tmp_path: Path) -> Path:
    """Build the wheel from a clean copy of the sources (no stale build/ or egg-info can leak in)."""
    source, wheels = tmp_path / "source", tmp_path / "wheels"
    source.mkdir()
    for name in WHEEL_SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(ROOT / name, source / name)
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-cache-dir", "--quiet", "--wheel-dir", wheels, source],
        cwd=tmp_path)
    (wheel,) = wheels.glob("rnnviz-*.whl")
    return wheel


def install(wheel: Path, tmp_path: Path) -> Path:
    """A fresh virtual environment with the wheel and its dependencies; return its Python."""
    environment = tmp_path / "venv"
    run([sys.executable, "-m", "venv", environment], cwd=tmp_path)
    python = environment / "bin" / "python"
    run([python, "-m", "pip", "install", "--quiet", wheel], cwd=tmp_path)
    return python


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The wheel installed in a fresh virtual environment: (its Python, a folder outside the repository)."""
    tmp_path = tmp_path_factory.mktemp("wheel")
    assert not tmp_path.resolve().is_relative_to(ROOT), "the temporary folder must lie outside the repository"
    return install(build_wheel(tmp_path), tmp_path), tmp_path


@pytest.fixture(scope="module")
def inspected(installed: tuple[Path, Path]) -> dict:
    """What the installed interpreter reports about its rnnviz."""
    python, outside = installed
    return json.loads(run([python, "-c", INSPECT], cwd=outside).stdout)


@pytest.mark.slow
def test_installed_wheel_holds_every_subpackage(installed: tuple[Path, Path], inspected: dict) -> None:
    """The installed rnnviz comes from the virtual environment and has every module of the sources."""
    python, _outside = installed
    assert Path(inspected["file"]).is_relative_to(python.parent.parent), inspected["file"]
    assert not Path(inspected["file"]).resolve().is_relative_to(ROOT)
    assert sorted(inspected["modules"]) == source_modules()


@pytest.mark.slow
@pytest.mark.skipif(not CHECKPOINT.is_file(), reason=f"{CHECKPOINT.name} is not in checkpoints/")
def test_installed_translate_command_translates_outside_the_repository(installed: tuple[Path, Path]) -> None:
    """`python -m rnnviz.translate translate` of the installed package turns French into English."""
    python, outside = installed
    result = run([python, "-m", "rnnviz.translate", "translate", "--checkpoint", CHECKPOINT], cwd=outside,
                 stdin="je suis grand .\n", timeout=120)
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("i am"), result.stdout


@pytest.mark.slow
def test_installed_package_names_its_missing_checkpoint_folder(inspected: dict) -> None:
    """Installed without the repository, the default folder does not exist and listing it says so, and how."""
    assert not inspected["exists"]
    for message in (inspected["listing_error"], *inspected["translator_messages"]):
        assert inspected["directory"] in message and "does not exist" in message
        assert checkpoints.DIRECTORY_ENV in message and "--checkpoints DIR" in message
    assert len(inspected["translator_messages"]) == 1
