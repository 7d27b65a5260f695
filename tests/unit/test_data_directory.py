"""Typed server paths: off without RNNVIZ_DATA, confined to that folder with it."""

import pytest

from rnnviz.io.data_directory import resolve_data_path


def test_typed_paths_are_off_without_a_data_folder(monkeypatch) -> None:
    monkeypatch.delenv("RNNVIZ_DATA", raising=False)
    with pytest.raises(ValueError, match="off"):
        resolve_data_path("eng-fra.txt")


@pytest.mark.parametrize("typed", ["/etc/passwd", "../outside.txt", "inner/../../outside.txt", "link.txt"])
def test_paths_that_leave_the_data_folder_are_refused(typed, tmp_path, monkeypatch) -> None:
    root = tmp_path / "data"
    root.mkdir()
    (tmp_path / "outside.txt").write_text("secret\n")
    (root / "link.txt").symlink_to(tmp_path / "outside.txt")
    monkeypatch.setenv("RNNVIZ_DATA", str(root))
    with pytest.raises(ValueError, match="Only files inside"):
        resolve_data_path(typed)


def test_a_file_inside_the_data_folder_is_found(tmp_path, monkeypatch) -> None:
    (tmp_path / "pairs.txt").write_text("hi\tsalut\n")
    monkeypatch.setenv("RNNVIZ_DATA", str(tmp_path))
    assert resolve_data_path(" pairs.txt ") == (tmp_path / "pairs.txt").resolve()


def test_the_data_option_sets_the_folder_and_its_absence_leaves_paths_off(tmp_path, monkeypatch) -> None:
    from ui import shell

    monkeypatch.setenv("RNNVIZ_DATA", "placeholder")  # recorded, so the teardown removes what the option sets
    monkeypatch.delenv("RNNVIZ_DATA")
    shell.apply_options(["--server.port", "8502"])
    with pytest.raises(ValueError, match="off"):
        resolve_data_path("x.txt")
    shell.apply_options(["--data", str(tmp_path)])
    (tmp_path / "x.txt").write_text("a\tb\n")
    assert resolve_data_path("x.txt") == (tmp_path / "x.txt").resolve()
