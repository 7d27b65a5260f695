"""The checkpoint folder: $RNNVIZ_CHECKPOINTS or `--checkpoints DIR` choose it; a missing one is named, no traceback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rnnviz.io import checkpoints
from rnnviz.seq2seq.translator import list_translators
from ui import shell

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """$RNNVIZ_CHECKPOINTS unset for the test, and whatever the test sets undone after it."""
    monkeypatch.setenv(checkpoints.DIRECTORY_ENV, "placeholder")  # recorded, so the teardown restores it
    monkeypatch.delenv(checkpoints.DIRECTORY_ENV)
    return monkeypatch


def test_default_is_the_repository_checkpoints_folder(environment: pytest.MonkeyPatch) -> None:
    assert checkpoints.checkpoint_directory() == ROOT / "checkpoints"


def test_environment_variable_chooses_the_folder(environment: pytest.MonkeyPatch, tmp_path: Path) -> None:
    environment.setenv(checkpoints.DIRECTORY_ENV, str(tmp_path))
    assert checkpoints.checkpoint_directory() == tmp_path


def test_set_checkpoint_directory_stores_an_absolute_path(environment: pytest.MonkeyPatch, tmp_path: Path) -> None:
    environment.chdir(tmp_path)
    assert checkpoints.set_checkpoint_directory("models") == tmp_path / "models"
    assert os.environ[checkpoints.DIRECTORY_ENV] == str(tmp_path / "models")
    assert checkpoints.checkpoint_directory() == tmp_path / "models"


@pytest.mark.parametrize("argv", [
    ["--checkpoints", "DIR"],
    ["--checkpoints=DIR"],
    ["--server.port", "8502", "--checkpoints", "DIR", "extra"],
])
def test_checkpoints_option_sets_the_folder(environment: pytest.MonkeyPatch, tmp_path: Path, argv: list[str]) -> None:
    shell.apply_options([arg.replace("DIR", str(tmp_path)) for arg in argv])
    assert checkpoints.checkpoint_directory() == tmp_path


@pytest.mark.parametrize("argv", [[], ["-m", "not e2e", "tests/app"], ["--check", "x"], ["-h"], ["--checkpoints"]])
def test_other_arguments_leave_the_folder_alone_and_never_fail(environment: pytest.MonkeyPatch,
                                                               argv: list[str]) -> None:
    shell.apply_options(argv)
    assert checkpoints.DIRECTORY_ENV not in os.environ


def test_list_translators_of_a_missing_folder_gives_one_message_naming_it(environment: pytest.MonkeyPatch,
                                                                          tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder"
    environment.setenv(checkpoints.DIRECTORY_ENV, str(missing))
    found, messages = list_translators()
    assert found == [] and len(messages) == 1
    assert str(missing) in messages[0] and "does not exist" in messages[0]
    assert checkpoints.DIRECTORY_ENV in messages[0] and "--checkpoints DIR" in messages[0]


def test_list_translators_of_an_empty_folder_finds_nothing_and_complains_of_nothing(tmp_path: Path) -> None:
    assert list_translators(tmp_path) == ([], [])
